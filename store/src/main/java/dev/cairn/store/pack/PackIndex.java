package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkId;

import java.util.List;

/**
 * The records of one pack in file order, as read from its footer or recovered by a scan.
 *
 * @param pack    the pack
 * @param sealed  true if read from a verified footer; false if recovered by scanning an unsealed pack
 * @param size    the file's length in bytes when it was read (for an unsealed pack this may include
 *                a torn record after the last entry)
 * @param entries one entry per valid record, in file order (immutable)
 */
public record PackIndex(PackId pack, boolean sealed, long size, List<Entry> entries) {

    /** One chunk record: its id and its location. */
    public record Entry(ChunkId id, ChunkLocation location) {
    }
}
