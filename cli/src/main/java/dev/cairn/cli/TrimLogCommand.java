package dev.cairn.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.client.CairnClient;
import dev.cairn.client.TrimLogRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

@Command(name = "log", description = "List the audit records of applied trims, newest first (dry runs leave none).",
        sortOptions = false)
final class TrimLogCommand extends ClientCommand {
    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "at most N records (default 20; 0: all)")
    int limit;

    @Option(names = "--reports", description = "with each record in full: policy text and the whole plan (JSON)")
    boolean reports;

    @Override
    int run(CairnClient client, Output out) throws Exception {
        if (limit < 0) {
            throw new ParameterException(spec.commandLine(), "--limit must be >= 0 (0: all), got " + limit);
        }
        List<TrimLogRecord> log = client.trimLog(limit, reports);
        if (json()) {
            ObjectMapper m = new ObjectMapper();
            List<Map<String, Object>> j = new ArrayList<>();
            for (TrimLogRecord r : log) {
                j.add(Json.trimLog(r, r.reportJson() == null ? null : m.readTree(r.reportJson())));
            }
            out.json(j);
            return ExitCodes.OK;
        }
        Table t = new Table("AUDIT ID", "AT", "REQUESTED BY", "POLICY", "SERIES", "KEPT", "REMOVED", "REBASED", "FREES");
        for (TrimLogRecord r : log) {
            t.row(r.id(), r.at().toString(), r.requestedBy(), r.policySource(), Integer.toString(r.seriesCount()),
                    Long.toString(r.kept()), Long.toString(r.removed()), Long.toString(r.rebases()),
                    Sizes.human(r.freedBytes()));
        }
        t.print(out);
        if (reports) {
            for (TrimLogRecord r : log) {
                out.line("");
                out.line(r.reportJson());
            }
        }
        return ExitCodes.OK;
    }
}
