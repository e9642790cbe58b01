package dev.cairn.store;

import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.chunk.Compression;

/**
 * Tunables of a {@link Repository}.
 *
 * @param chunker          chunker parameters for a new store; for an existing store, null means
 *                         "whatever it was created with", and anything else must match
 * @param packTargetBytes  a pack is sealed once it reaches this size
 * @param maxChainDepth    longest delta chain; a put that would go deeper writes a full manifest
 * @param deltaMaxRatio    a delta is written only if its metadata is at most this fraction of the
 *                         full manifest's (refs stored + ops) — otherwise it would not be smaller
 * @param deltaWindow      refs of look-ahead when aligning a new entry against its parent
 * @param workers          threads hashing, compressing and reading ahead (0: available cores)
 * @param readAhead        chunks a reader keeps in flight
 * @param compression      how new chunks are encoded (LZ4 or zstd); readers decode both
 * @param markDamagedOnOpen maintenance ({@code cairnd --rebuild-index}): if open-time recovery
 *                         restores checkpoints from the catalog whose chunks are in no pack, mark
 *                         them damaged (labels) and open, instead of refusing to open; and if
 *                         table files are damaged in families that exist elsewhere in full (the
 *                         chunk index, pack records, GC journal, and the manifest families while
 *                         the catalog is intact), drop them and rebuild them at open, instead of
 *                         refusing to open ({@link
 *                         dev.cairn.store.meta.MetaDb#open(java.nio.file.Path, boolean, java.util.function.BooleanSupplier)})
 */
public record RepositoryOptions(ChunkerParams chunker, long packTargetBytes, int maxChainDepth, double deltaMaxRatio,
                                int deltaWindow, int workers, int readAhead, Compression compression,
                                boolean markDamagedOnOpen) {

    /** All options but {@code markDamagedOnOpen} (false). */
    public RepositoryOptions(ChunkerParams chunker, long packTargetBytes, int maxChainDepth, double deltaMaxRatio,
                             int deltaWindow, int workers, int readAhead, Compression compression) {
        this(chunker, packTargetBytes, maxChainDepth, deltaMaxRatio, deltaWindow, workers, readAhead, compression, false);
    }

    public RepositoryOptions {
        if (packTargetBytes < 1 << 20) {
            throw new IllegalArgumentException("packTargetBytes must be at least 1 MiB");
        }
        if (maxChainDepth < 0 || maxChainDepth > 100) {
            throw new IllegalArgumentException("maxChainDepth must be within 0..100");
        }
        java.util.Objects.requireNonNull(compression, "compression");
        if (!(deltaMaxRatio > 0 && deltaMaxRatio <= 1)) {
            throw new IllegalArgumentException("deltaMaxRatio must be in (0, 1]");
        }
    }

    public static RepositoryOptions defaults() {
        return new RepositoryOptions(null, 64L << 20, 10, 0.5, 4096, 0, 16, Compression.FAST, false);
    }

    public RepositoryOptions withChunker(ChunkerParams p) {
        return new RepositoryOptions(p, packTargetBytes, maxChainDepth, deltaMaxRatio, deltaWindow, workers, readAhead, compression, markDamagedOnOpen);
    }

    public RepositoryOptions withPackTargetBytes(long n) {
        return new RepositoryOptions(chunker, n, maxChainDepth, deltaMaxRatio, deltaWindow, workers, readAhead, compression, markDamagedOnOpen);
    }

    public RepositoryOptions withMaxChainDepth(int n) {
        return new RepositoryOptions(chunker, packTargetBytes, n, deltaMaxRatio, deltaWindow, workers, readAhead, compression, markDamagedOnOpen);
    }

    public RepositoryOptions withWorkers(int n) {
        return new RepositoryOptions(chunker, packTargetBytes, maxChainDepth, deltaMaxRatio, deltaWindow, n, readAhead, compression, markDamagedOnOpen);
    }

    public RepositoryOptions withCompression(Compression c) {
        return new RepositoryOptions(chunker, packTargetBytes, maxChainDepth, deltaMaxRatio, deltaWindow, workers,
                readAhead, c, markDamagedOnOpen);
    }

    public RepositoryOptions withMarkDamagedOnOpen(boolean b) {
        return new RepositoryOptions(chunker, packTargetBytes, maxChainDepth, deltaMaxRatio, deltaWindow, workers,
                readAhead, compression, b);
    }

    public int effectiveWorkers() {
        return workers > 0 ? workers : Math.max(1, Runtime.getRuntime().availableProcessors());
    }
}
