package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.TrashEntry;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Message.CheckpointSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code trash ls} and {@code trash restore ID}. */
@Command(name = "trash", description = "Checkpoints removed by trims, restorable until their grace period ends.",
        subcommands = {TrashCommand.Ls.class, TrashCommand.Restore.class}, sortOptions = false)
final class TrashCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: trash ls or trash restore ID");
    }

    @Command(name = "ls", description = "List the trash, soonest expiry first.", sortOptions = false)
    static final class Ls extends ClientCommand {
        @Override
        int run(CairnClient client, Output out) throws Exception {
            List<TrashEntry> all = client.trashList();
            if (json()) {
                List<Map<String, Object>> j = new ArrayList<>();
                for (TrashEntry e : all) {
                    j.add(Json.trashEntry(e));
                }
                out.json(j);
                return ExitCodes.OK;
            }
            Table t = new Table("ID", "SERIES", "CREATED", "SIZE", "TRASHED", "EXPIRES", "AUDIT ID");
            for (TrashEntry e : all) {
                t.row(e.id().shortHex(), e.series(), e.createdAt().toString(), Sizes.human(e.logicalBytes()),
                        e.trashedAt().toString(), e.expiresAt().toString(), e.auditId());
            }
            t.print(out);
            return ExitCodes.OK;
        }
    }

    @Command(name = "restore", description = {"Bring a checkpoint back from the trash exactly as it was (same id, tags,"
            + " holds, metrics).", "Exit code 3 if it is unknown or already deleted for good, 5 if it is not in the trash."},
            sortOptions = false)
    static final class Restore extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "checkpoint id or unique prefix")
        String id;

        @Override
        int run(CairnClient client, Output out) throws Exception {
            ManifestId mid = resolve(client, id);
            CheckpointSummary s = client.trashRestore(mid);
            if (json()) {
                out.json(Json.summary(s));
            } else {
                out.line("restored " + s.id().toHex() + " (" + s.meta().series() + ", " + s.meta().createdAt() + ", "
                        + s.kind() + (s.parent() != null ? " of " + s.parent().shortHex() : "") + ")");
            }
            return ExitCodes.OK;
        }
    }
}
