package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.protocol.wire.Message.CheckpointSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

@Command(name = "ls", description = "List live checkpoints, by series, oldest first.", sortOptions = false)
final class LsCommand extends ClientCommand {
    @Option(names = "--series", paramLabel = "S", description = "only this series")
    String series;

    @Override
    int run(CairnClient client, Output out) throws Exception {
        List<CheckpointSummary> all = client.list(series);
        if (json()) {
            List<Map<String, Object>> j = new ArrayList<>();
            for (CheckpointSummary s : all) {
                j.add(Json.summary(s));
            }
            out.json(j);
            return ExitCodes.OK;
        }
        Table t = new Table("ID", "SERIES", "CREATED", "STEP", "KIND", "SIZE", "TAGS");
        for (CheckpointSummary s : all) {
            t.row(s.id().shortHex(), s.meta().series(), s.meta().createdAt().toString(),
                    s.meta().step().isPresent() ? Long.toString(s.meta().step().getAsLong()) : "-", s.kind(),
                    Sizes.human(s.logicalBytes()), String.join(",", s.labels().tags()));
        }
        t.print(out);
        return ExitCodes.OK;
    }
}
