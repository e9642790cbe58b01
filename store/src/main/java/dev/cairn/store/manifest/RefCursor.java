package dev.cairn.store.manifest;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.manifest.ChunkRef;

/**
 * Reads one entry's resolved chunk list in order, with random repositioning. Implementations hold
 * one segment per chain level at most, so memory does not grow with the entry's size. Not
 * thread-safe.
 */
public interface RefCursor {

    /** Number of refs in the resolved list. */
    long size();

    /** Index of the ref {@link #next()} returns. */
    long position();

    /** Moves to ref {@code index} (0 ≤ index ≤ size). */
    void seek(long index) throws CairnException;

    /** The next ref, or null at the end. */
    ChunkRef next() throws CairnException;
}
