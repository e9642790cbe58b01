package dev.cairn.store;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.Compression;
import dev.cairn.protocol.chunk.EncodedChunk;

/**
 * Encodes new chunks for the store, giving up early on incompressible data: a chunk of at least
 * {@link #PROBE_FROM} bytes is first compressed in up to {@link #SAMPLES} samples of {@link
 * #SAMPLE} bytes, spread over it (at 1/6, 1/2 and 5/6 of its length; with the store's codec —
 * LZ4, or zstd for {@link Compression#COMPACT}, whose entropy coding saves on bytes where LZ4 finds
 * nothing — into a per-thread scratch buffer). The chunk is compressed whole as soon as one sample
 * saves the codec's minimum (1/32, see {@link ChunkCodec}); if none does, it is stored {@link
 * ChunkCodec#RAW} without compressing it and without allocating an output buffer. Random,
 * encrypted and already-compressed bytes — most of a checkpoint's weights — thus cost 3 KiB of
 * compression per chunk instead of a full pass.
 *
 * <p>Why several samples: a chunk can mix incompressible and compressible runs (a database page:
 * binary columns, then text, then zeroed free space), and one sample from its middle stored such
 * chunks raw (5% more stored bytes on the dbpages series). The price left: a chunk whose three
 * sampled places are incompressible while the rest would compress is stored raw; it costs space
 * only, never correctness. The stored format is unchanged (a RAW or LZ4/zstd record as before), so
 * every build reads what this one writes.
 *
 * <p>Thread-safe: the scratch buffer is per thread.
 */
final class ChunkEncoder {
    /** Bytes of one sample. */
    static final int SAMPLE = 1024;
    /** Samples at most per chunk. */
    static final int SAMPLES = 3;
    /** Chunks below this are compressed whole (the samples would be most of them anyway). */
    static final int PROBE_FROM = 8 * SAMPLE;

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

    /** Whether {@code mode} saves the codec's minimum on one of the samples spread over the chunk. */
    static boolean worthCompressing(byte[] data, int off, int len, Compression mode) {
        byte[] scratch = SCRATCH.get();
        for (int i = 0; i < SAMPLES; i++) {
            // Centred at (2i + 1) / 6 of the chunk: 1/6, 1/2, 5/6.
            int from = off + (int) ((long) (len - SAMPLE) * (2 * i + 1) / (2 * SAMPLES));
            if (ChunkCodec.shared().encode(data, from, SAMPLE, scratch, 0, mode).codec() != ChunkCodec.RAW) {
                return true;
            }
        }
        return false;
    }
}
