package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CheckpointInfo;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.wire.Message.CheckpointSummary;
import dev.cairn.protocol.wire.Message.HoldInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.Map;

@Command(name = "show", description = "Show a checkpoint's metadata, labels and entries.", sortOptions = false)
final class ShowCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "checkpoint id or unique prefix")
    String id;

    @Override
    int run(CairnClient client, Output out) throws Exception {
        CheckpointInfo info = client.show(resolve(client, id));
        if (json()) {
            out.json(Json.show(info));
            return ExitCodes.OK;
        }
        CheckpointSummary s = info.summary();
        CheckpointMeta m = s.meta();
        out.line("id:          " + s.id().toHex());
        out.line("series:      " + m.series());
        out.line("created:     " + m.createdAt());
        m.step().ifPresent(v -> out.line("step:        " + v));
        for (Map.Entry<String, Double> e : m.metrics().entrySet()) {
            out.line("metric:      " + e.getKey() + " = " + e.getValue());
        }
        m.computeSeconds().ifPresent(v -> out.line("compute:     " + v + " s"));
        m.derivedFrom().ifPresent(v -> out.line("derived from: " + v.toHex()));
        out.line("kind:        " + s.kind() + (s.parent() != null ? " of " + s.parent().toHex() + " (depth " + s.depth()
                + ")" : ""));
        out.line("size:        " + Sizes.human(s.logicalBytes()) + " (" + s.logicalBytes() + " bytes) in "
                + s.entryCount() + (s.entryCount() == 1 ? " entry" : " entries"));
        if (!s.labels().tags().isEmpty()) {
            out.line("tags:        " + String.join(", ", s.labels().tags()));
        }
        for (HoldInfo h : s.labels().holds()) {
            out.line("hold:        " + h.owner() + " (" + h.reason() + ")" + (h.expiresAt() != null ? " until "
                    + h.expiresAt() : ""));
        }
        if (s.labels().trash() != null) {
            out.line("trash:       since " + s.labels().trash().trashedAt() + ", expires " + s.labels().trash().expiresAt()
                    + " (" + s.labels().trash().reason() + ")");
        }
        if (!info.isStream()) {
            out.line("entries:");
            for (EntryHeader e : info.entries()) {
                out.line("  " + (e.kind() == EntryKind.DIRECTORY ? e.name() + "/" : e.name() + "  " + Sizes.human(e.size())));
            }
        }
        return ExitCodes.OK;
    }
}
