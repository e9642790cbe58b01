package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.VerifyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "verify", description = {"Check the store's consistency; exit code 6 if anything is damaged."},
        sortOptions = false)
final class VerifyCommand extends ClientCommand {
    @Option(names = "--read-data", description = "also re-read and re-hash every chunk (reads the whole store)")
    boolean readData;

    @Override
    int run(CairnClient client, Output out) throws Exception {
        VerifyReport r = client.verify(readData);
        if (json()) {
            out.json(Json.verify(r));
        } else {
            out.line((r.clean() ? "ok: " : "DAMAGED: ") + r.manifests() + " manifests, " + r.chunks() + " chunks, "
                    + r.packs() + " packs" + (r.readData() ? ", " + Sizes.human(r.bytesRead()) + " re-hashed" : ""));
            for (VerifyReport.Problem p : r.problems()) {
                out.line("problem: " + p.kind() + " " + p.subject() + ": " + p.message());
            }
            if (r.problemCount() > r.problems().size()) {
                out.line("... and " + (r.problemCount() - r.problems().size()) + " more problems");
            }
            for (VerifyReport.Damaged d : r.damaged()) {
                out.line("damaged: " + d.id().toHex() + ": " + String.join("; ", d.reasons()));
            }
        }
        return r.clean() ? ExitCodes.OK : ExitCodes.DAMAGED;
    }
}
