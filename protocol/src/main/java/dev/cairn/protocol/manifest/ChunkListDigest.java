package dev.cairn.protocol.manifest;

import dev.cairn.protocol.chunk.ChunkId;

import java.security.MessageDigest;

/**
 * Accumulates the digest of an entry's resolved chunk list: SHA-256 over each ref's 32-byte id
 * followed by its raw length as a big-endian u32, in order. Also counts chunks and bytes. Not
 * thread-safe.
 */
public final class ChunkListDigest {
    private final MessageDigest md = ChunkId.newDigest();
    private final byte[] rec = new byte[ChunkRef.ENCODED_LENGTH];
    private long chunks;
    private long bytes;

    public void add(ChunkRef ref) {
        ref.id().writeTo(rec, 0);
        int len = ref.length();
        rec[32] = (byte) (len >>> 24);
        rec[33] = (byte) (len >>> 16);
        rec[34] = (byte) (len >>> 8);
        rec[35] = (byte) len;
        md.update(rec);
        chunks++;
        bytes += len;
    }

    public long chunks() {
        return chunks;
    }

    public long bytes() {
        return bytes;
    }

    /** Finishes the digest; the accumulator cannot be used afterwards. */
    public EntryHeader finish(String name) {
        return new EntryHeader(name, EntryKind.FILE, bytes, chunks, md.digest());
    }

    /** The header of an (empty) directory entry. */
    public static EntryHeader directory(String name) {
        return new EntryHeader(name, EntryKind.DIRECTORY, 0, 0, ChunkId.newDigest().digest());
    }
}
