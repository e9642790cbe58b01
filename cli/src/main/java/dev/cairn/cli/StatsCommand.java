package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.StoreStats;
import picocli.CommandLine.Command;

import java.util.Locale;

@Command(name = "stats", description = "Show the store's size and dedup numbers.")
final class StatsCommand extends ClientCommand {
    @Override
    int run(CairnClient client, Output out) throws Exception {
        StoreStats s = client.stats();
        if (json()) {
            out.json(Json.stats(s));
            return ExitCodes.OK;
        }
        out.line("checkpoints:   " + s.checkpoints() + " live, " + s.trashed() + " in trash, " + s.series() + " series");
        out.line("logical size:  " + Sizes.human(s.logicalBytes()));
        out.line("chunks:        " + s.chunks() + " (" + Sizes.human(s.chunkBytes()) + " raw)");
        out.line("stored:        " + Sizes.human(s.storedBytes()) + " in " + s.packs() + " packs");
        out.line("metadata:      " + Sizes.human(s.metadataBytes()));
        if (s.storedBytes() > 0) {
            out.line("reduction:     " + String.format(Locale.ROOT, "%.2fx", (double) s.logicalBytes() / s.storedBytes())
                    + " (logical / stored)");
        }
        return ExitCodes.OK;
    }
}
