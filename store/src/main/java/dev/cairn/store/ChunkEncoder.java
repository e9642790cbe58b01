package dev.cairn.store;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.Compression;
import dev.cairn.protocol.chunk.EncodedChunk;

/**
 * Encodes new chunks for the store, giving up early on incompressible data: a chunk of at least
 * {@link #PROBE_FROM} bytes is first compressed in a {@link #SAMPLE}-byte sample from its middle
 * (with the store's codec — LZ4, or zstd for {@link Compression#COMPACT}, whose entropy coding
 * saves on bytes where LZ4 finds nothing — into a per-thread scratch buffer); if the sample does not save the codec's minimum
 * (1/32, see {@link ChunkCodec}), the chunk is stored {@link ChunkCodec#RAW} without compressing
 * it and without allocating an output buffer. Random, encrypted and already-compressed bytes —
 * most of a checkpoint's weights — thus cost a small fraction of a full LZ4 pass.
 *
 * <p>The price: a chunk whose sample is incompressible while the rest would compress is stored
 * raw. Tensors are homogeneous over a chunk (a few KiB to 64 KiB), so this is rare and costs
 * space only, never correctness. The stored format is unchanged (a RAW or LZ4/zstd record as
 * before), so every build reads what this one writes.
 *
 * <p>Thread-safe: the scratch buffer is per thread.
 */
final class ChunkEncoder {
    /** Bytes compressed to judge a chunk. */
    static final int SAMPLE = 2048;
    /** Chunks below this are compressed whole (a sample would be most of them anyway). */
    static final int PROBE_FROM = 4 * SAMPLE;

    private static final ThreadLocal<byte[]> SCRATCH =
            ThreadLocal.withInitial(() -> new byte[ChunkCodec.maxEncodedLength(SAMPLE)]);

    private final Compression mode;

    ChunkEncoder(Compression mode) {
        this.mode = mode;
    }

    /**
     * Encodes {@code len} bytes of {@code data} from {@code off}. The result aliases {@code data}
     * when stored raw (see {@link ChunkCodec#encode(byte[], int, int, Compression)}).
     */
    EncodedChunk encode(byte[] data, int off, int len) {
        if (len >= PROBE_FROM && !worthCompressing(data, off, len, mode)) {
            return new EncodedChunk(ChunkCodec.RAW, len, data, off, len);
        }
        return ChunkCodec.shared().encode(data, off, len, mode);
    }

    /** Whether {@code mode} saves the codec's minimum on a sample from the middle of the chunk. */
    static boolean worthCompressing(byte[] data, int off, int len, Compression mode) {
        int from = off + (len - SAMPLE) / 2;
        EncodedChunk sample = ChunkCodec.shared().encode(data, from, SAMPLE, SCRATCH.get(), 0, mode);
        return sample.codec() != ChunkCodec.RAW;
    }
}
