package dev.cairn.gc;

/**
 * Tunables of a GC run.
 *
 * @param repackThreshold a pack whose dead share (bytes not belonging to a live, indexed chunk)
 *                        exceeds this is rewritten; 0.25 by default: rewriting costs a copy of the
 *                        live three quarters, so below that the space gained does not pay for it
 * @param repackGroupBytes live bytes copied before the index is switched and old packs deleted,
 *                        which bounds GC memory (one entry per moved chunk) and the work a crash
 *                        can throw away; on a full disk groups are smaller (what fits the free space)
 * @param reserveBytes     size of the headroom file {@code <data>/reserve} GC re-creates after a run
 *                        when space allows ({@link dev.cairn.store.Reserve#AUTO}: 64 MiB, less on
 *                        small volumes; 0: none). It releases the file whenever it needs the space
 */
public record GcOptions(double repackThreshold, long repackGroupBytes, long reserveBytes) {
    public GcOptions {
        if (reserveBytes < dev.cairn.store.Reserve.AUTO) {
            throw new IllegalArgumentException("reserve_bytes must be auto, 0 or a size, got " + reserveBytes);
        }
        if (!(repackThreshold > 0 && repackThreshold <= 1)) {
            throw new IllegalArgumentException("repack_threshold must be in (0, 1], got " + repackThreshold);
        }
        if (repackGroupBytes < 1 << 20) {
            throw new IllegalArgumentException("repackGroupBytes must be at least 1 MiB");
        }
    }

    /** Without a reserve of its own (a library user's store). */
    public GcOptions(double repackThreshold, long repackGroupBytes) {
        this(repackThreshold, repackGroupBytes, 0);
    }

    /** The library defaults: no reserve file. The daemon's defaults add {@code reserve_bytes: auto}. */
    public static GcOptions defaults() {
        return new GcOptions(0.25, 256L << 20, 0);
    }

    public GcOptions withReserveBytes(long bytes) {
        return new GcOptions(repackThreshold, repackGroupBytes, bytes);
    }
}
