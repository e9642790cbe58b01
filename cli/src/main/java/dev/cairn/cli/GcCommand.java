package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CancellableCall;
import dev.cairn.client.GcReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

@Command(name = "gc", description = {"Collect garbage: delete expired trash for good, free the chunks nothing needs,"
        + " delete and repack packs.", "Only data a recorded deletion (expired trash) or an aborted or crashed upload"
        + " accounts for is freed; anything else unreferenced (e.g. after lost metadata) is kept and reported, and freed"
        + " only with --force.", "--dry-run computes the same numbers and changes nothing. Exit code 5 if a GC"
        + " is already running on the store; Ctrl-C stops the GC at its next safe point.", "The disk is full? Run"
        + " `cairn gc`: it deletes dead packs first and repacks in steps that fit the free space."}, sortOptions = false)
final class GcCommand extends ClientCommand {
    @Option(names = "--dry-run", description = "report what a GC would do, change nothing")
    boolean dryRun;

    @Option(names = "--force", description = "also free unreferenced data that nothing accounts for (see the report's"
            + " 'unexplained' line first)")
    boolean force;

    /** Bounded: a second Ctrl-C cannot interrupt a JVM that is shutting down. */
    private static void cancelAndWait(CancellableCall<GcReport> call, Output out) {
        if (call.isDone()) {
            return;
        }
        call.cancel();
        out.err().println();
        out.err().println("cairn: cancelling the GC (it stops at its next safe point; what it did stays consistent)");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!call.isDone() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    int run(CairnClient client, Output out) throws Exception {
        String forced = out.env("CAIRN_PROGRESS");
        boolean showProgress = forced != null ? forced.equals("1") : out.terminal();
        GcReport r;
        try (CancellableCall<GcReport> call = client.startGc(dryRun, force, showProgress ? ms -> {
            out.err().print("\rgc: the daemon is working, " + Durations.human(Duration.ofMillis(ms)) + "\033[K");
            out.err().flush();
        } : null)) {
            // Ctrl-C alone would drop the connection, which cancels too; sending CANCEL first and waiting
            // briefly for the daemon's confirmation lets the GC stop at its next safe point while we watch.
            Thread hook = new Thread(() -> cancelAndWait(call, out), "cairn-gc-cancel");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                r = call.get();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running: it cancels.
                }
                if (showProgress) {
                    out.err().print("\r\033[K");
                    out.err().flush();
                }
            }
        }
        if (json()) {
            out.json(Json.gc(r));
            return ExitCodes.OK;
        }
        out.line("gc " + r.gcId() + (r.dryRun() ? " (dry run: what a GC would do; nothing changed)" : ""));
        out.line("manifests deleted: " + r.manifestsDeleted() + " (expired trash)" + (r.rebased() > 0 ? ", "
                + r.rebased() + " deltas rebased" : ""));
        out.line("chunks:            " + r.chunksLive() + " live, " + r.chunksFreed() + " freed");
        out.line("bytes reclaimed:   " + Sizes.human(r.bytesReclaimed()) + " (" + r.bytesReclaimed() + " bytes)");
        out.line("packs:             " + r.packsDeleted() + " deleted, " + r.packsRewritten() + " rewritten ("
                + Sizes.human(r.bytesCopied()) + " copied)");
        out.line("orphan segments:   " + r.orphanSegments());
        if (r.unexplainedChunks() > 0) {
            out.line("unexplained:       " + r.unexplainedChunks() + " chunks, " + Sizes.human(r.unexplainedBytes())
                    + (r.forced() ? (r.dryRun() ? " (--force: a real run frees them)" : " (--force: freed)")
                    : " kept" + (r.packsKept() > 0 ? " (and the " + r.packsKept() + " packs holding them)" : "")
                    + ": unreferenced, and no recorded deletion or aborted upload accounts for them (lost metadata?)."
                    + " Check with `cairn verify`; `cairn gc --force` frees them"));
        }
        List<String> phases = new ArrayList<>();
        for (Map.Entry<String, Long> e : r.phaseMillis().entrySet()) {
            phases.add(e.getKey() + " " + e.getValue() + " ms");
        }
        out.line("phases:            " + String.join(", ", phases));
        out.line("total:             " + r.totalMillis() + " ms");
        return ExitCodes.OK;
    }
}
