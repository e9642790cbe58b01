package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Seeded chunk material for pack tests: raw bytes, their id, and their encoding. */
record TestChunks(List<Chunk> chunks) {

    record Chunk(ChunkId id, byte[] raw, EncodedChunk encoded) {
    }

    /** One chunk of {@code len} bytes, compressible (a small alphabet) or random. */
    static Chunk chunk(SplittableRandom r, int len, boolean compressible) {
        byte[] raw = new byte[len];
        if (compressible) {
            for (int i = 0; i < len; i++) {
                raw[i] = (byte) ('a' + r.nextInt(4));
            }
        } else {
            r.nextBytes(raw);
        }
        // Copy the encoding out of encode()'s scratch array so the chunk owns exactly its bytes.
        EncodedChunk e = ChunkCodec.shared().encode(raw, 0, len);
        byte[] stored = java.util.Arrays.copyOfRange(e.data(), e.offset(), e.offset() + e.length());
        return new Chunk(ChunkId.of(raw, 0, len), raw, new EncodedChunk(e.codec(), len, stored, 0, stored.length));
    }

    /** The given sizes, alternating compressible and random content. */
    static TestChunks ofSizes(long seed, int... sizes) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Chunk> out = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            out.add(chunk(r, sizes[i], i % 2 == 0));
        }
        return new TestChunks(List.copyOf(out));
    }

    /** {@code n} chunks: 0 and 1 bytes first, then random sizes up to {@code maxLen}, mixed content. */
    static TestChunks random(long seed, int n, int maxLen) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Chunk> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = switch (i) {
                case 0 -> 0;
                case 1 -> 1;
                default -> r.nextInt(maxLen + 1);
            };
            out.add(chunk(r, len, r.nextBoolean()));
        }
        return new TestChunks(List.copyOf(out));
    }

    /** Writes the chunks to a new pack and returns their locations, in order. Does not seal. */
    List<ChunkLocation> appendTo(PackWriter w) throws java.io.IOException {
        List<ChunkLocation> locs = new ArrayList<>();
        for (Chunk c : chunks) {
            locs.add(w.append(c.id(), c.encoded()));
        }
        return locs;
    }
}
