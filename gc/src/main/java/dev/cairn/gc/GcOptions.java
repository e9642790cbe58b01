package dev.cairn.gc;

/**
 * Tunables of a GC run.
 *
 * @param repackThreshold a pack whose dead share (bytes not belonging to a live, indexed chunk)
 *                        exceeds this is rewritten; 0.25 by default: rewriting costs a copy of the
 *                        live three quarters, so below that the space gained does not pay for it
 * @param repackGroupBytes live bytes copied before the index is switched and old packs deleted,
 *                        which bounds GC memory (one entry per moved chunk) and the work a crash
 *                        can throw away
 */
public record GcOptions(double repackThreshold, long repackGroupBytes) {
    public GcOptions {
        if (!(repackThreshold > 0 && repackThreshold <= 1)) {
            throw new IllegalArgumentException("repack_threshold must be in (0, 1], got " + repackThreshold);
        }
        if (repackGroupBytes < 1 << 20) {
            throw new IllegalArgumentException("repackGroupBytes must be at least 1 MiB");
        }
    }

    public static GcOptions defaults() {
        return new GcOptions(0.25, 256L << 20);
    }
}
