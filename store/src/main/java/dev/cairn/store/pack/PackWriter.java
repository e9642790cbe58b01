package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;

import java.io.Closeable;
import java.io.IOException;

/**
 * Appends chunk records to one new pack. Not thread-safe: the owner serialises calls (the
 * repository holds a lock around its current writer).
 *
 * <p>Durability: nothing appended is durable until {@link #sync()} or {@link #seal()} returns.
 * {@link #close()} without {@link #seal()} abandons the pack as it is on disk (no footer); it is
 * then recovered or collected later, never silently used.
 */
public interface PackWriter extends Closeable {

    PackId id();

    /** Appends one record and returns where it lives. */
    ChunkLocation append(ChunkId id, EncodedChunk chunk) throws IOException;

    /** Bytes in the pack so far, header included. */
    long size();

    /** Records appended so far. */
    int count();

    /** Forces every record appended so far to stable storage (fsync). */
    void sync() throws IOException;

    /** Writes the footer index, syncs and closes. The pack is immutable afterwards. */
    PackIndex seal() throws IOException;
}
