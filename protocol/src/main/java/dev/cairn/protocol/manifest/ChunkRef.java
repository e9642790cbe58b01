package dev.cairn.protocol.manifest;

import dev.cairn.protocol.chunk.ChunkId;

/** One chunk of an entry: its id and its raw length in bytes. */
public record ChunkRef(ChunkId id, int length) {
    /** Bytes a ref takes in every encoding: the 32-byte id and a 4-byte length. */
    public static final int ENCODED_LENGTH = ChunkId.LENGTH + 4;

    public ChunkRef {
        if (length < 0) {
            throw new IllegalArgumentException("negative chunk length " + length);
        }
    }
}
