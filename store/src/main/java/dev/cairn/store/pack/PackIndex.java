package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkId;

import java.util.List;

/** The records of one pack in file order, as read from its footer or recovered by a scan. */
public record PackIndex(PackId pack, boolean sealed, long size, List<Entry> entries) {

    /** One chunk record: its id and its location. */
    public record Entry(ChunkId id, ChunkLocation location) {
    }
}
