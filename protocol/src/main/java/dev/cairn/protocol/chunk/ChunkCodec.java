package dev.cairn.protocol.chunk;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * Compresses chunk payloads for storage and transfer, and decodes them back with full validation.
 *
 * <p>The codec numbers are part of the pack format and the wire protocol (docs/FORMAT.md): never
 * renumber them. {@value #RAW} stores the bytes as they are, {@value #LZ4} is one LZ4 block (no
 * frame, no length prefix: the raw length travels beside it), {@value #ZSTD} is one zstd frame.
 *
 * <p>Encoding picks {@link #RAW} when LZ4 would save less than 1/32 of the bytes (see
 * {@link #encode(byte[], int, int, byte[], int)}), so a stored payload is never longer than the
 * raw chunk.
 *
 * <p>Thread-safe: the LZ4 compressor and safe decompressor instances are stateless, and the codec
 * keeps no other state. Use {@link #shared()}.
 */
public final class ChunkCodec {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkCodec.class);

    /** Payload stored as the raw bytes. */
    public static final int RAW = 0;
    /** Payload is one LZ4 block. */
    public static final int LZ4 = 1;
    /** Payload is one zstd frame (level 1 when Cairn writes it). */
    public static final int ZSTD = 2;
    /** The zstd level of {@link Compression#COMPACT}: the fast end, where zstd still beats LZ4 on size. */
    static final int ZSTD_LEVEL = 1;

    private static final ChunkCodec SHARED = new ChunkCodec(defaultFactory());

    private final LZ4Compressor compressor;
    private final LZ4SafeDecompressor decompressor;

    ChunkCodec(LZ4Factory factory) {
        this.compressor = factory.fastCompressor();
        // The safe decompressor bounds every read of the input and write of the output, so a
        // hostile or damaged block raises LZ4Exception instead of reading or writing out of
        // bounds; the "fast" one trusts the input and must never see bytes from disk or a peer.
        this.decompressor = factory.safeDecompressor();
    }

    /** The process-wide codec: native LZ4 when its library loads, the fastest Java port otherwise. */
    public static ChunkCodec shared() {
        return SHARED;
    }

    private static LZ4Factory defaultFactory() {
        try {
            return LZ4Factory.nativeInstance();
        } catch (LinkageError | AssertionError | RuntimeException e) {
            // lz4-java signals a missing or unloadable JNI library with these; the Java port is
            // compatible bit for bit, only slower.
            LOG.warn("native LZ4 unavailable ({}); using the Java implementation", e.toString());
            return LZ4Factory.fastestInstance();
        }
    }

    /** True for the codec numbers this build can decode. */
    public static boolean isKnown(int codec) {
        return codec == RAW || codec == LZ4 || codec == ZSTD;
    }

    /** A short name for messages: "raw", "lz4", or "codec#N". */
    public static String name(int codec) {
        return switch (codec) {
            case RAW -> "raw";
            case LZ4 -> "lz4";
            case ZSTD -> "zstd";
            default -> "codec#" + codec;
        };
    }

    /**
     * The destination capacity {@link #encode(byte[], int, int, byte[], int)} needs for a chunk of
     * {@code rawLength} bytes: LZ4's worst case (LZ4_COMPRESSBOUND), which is larger than the input.
     */
    public static int maxEncodedLength(int rawLength) {
        if (rawLength < 0) {
            throw new IllegalArgumentException("negative length: " + rawLength);
        }
        // LZ4's bound (LZ4_COMPRESSBOUND) exceeds zstd's (ZSTD_COMPRESSBOUND) for every size.
        return rawLength + rawLength / 255 + 16;
    }

    /**
     * Encodes {@code len} bytes of {@code raw} from {@code off} into a fresh array. The result
     * aliases {@code raw} when the chunk is stored {@link #RAW} (no copy is made), so the caller
     * must not modify {@code raw} while the result is in use.
     */
    public EncodedChunk encode(byte[] raw, int off, int len) {
        return encode(raw, off, len, Compression.FAST);
    }

    /** Like {@link #encode(byte[], int, int)}, with the given compression mode. */
    public EncodedChunk encode(byte[] raw, int off, int len, Compression mode) {
        Objects.checkFromIndexSize(off, len, raw.length);
        return encode(raw, off, len, new byte[maxEncodedLength(len)], 0, mode);
    }

    /**
     * Encodes {@code len} bytes of {@code raw} from {@code off}, compressing into {@code dst} from
     * {@code dstOff}, which must have room for {@link #maxEncodedLength(int) maxEncodedLength(len)}
     * bytes. Reusing {@code dst} keeps the hot path free of large allocations.
     *
     * <p>The result points into {@code dst} when LZ4 paid off, and into {@code raw} (no copy) when
     * the chunk is stored {@link #RAW}; it is valid as long as the caller leaves both untouched.
     *
     * @throws IllegalArgumentException if {@code dst} is too small
     */
    public EncodedChunk encode(byte[] raw, int off, int len, byte[] dst, int dstOff) {
        return encode(raw, off, len, dst, dstOff, Compression.FAST);
    }

    /**
     * Encodes with the given mode into {@code dst} (see {@link #encode(byte[], int, int, byte[], int)}):
     * {@link Compression#FAST} tries LZ4, {@link Compression#COMPACT} zstd; either is kept only if
     * it saves at least 1/32 of the bytes.
     */
    public EncodedChunk encode(byte[] raw, int off, int len, byte[] dst, int dstOff, Compression mode) {
        Objects.checkFromIndexSize(off, len, raw.length);
        int bound = maxEncodedLength(len);
        if (dstOff < 0 || dst.length - dstOff < bound) {
            throw new IllegalArgumentException("destination has " + (dst.length - dstOff)
                    + " bytes from offset " + dstOff + ", encoding " + len + " bytes needs " + bound);
        }
        if (len == 0) {
            return new EncodedChunk(RAW, 0, raw, off, 0);
        }
        int codec = LZ4;
        int compressed;
        if (mode == Compression.COMPACT) {
            codec = ZSTD;
            long n = com.github.luben.zstd.Zstd.compressByteArray(dst, dstOff, bound, raw, off, len, ZSTD_LEVEL);
            if (com.github.luben.zstd.Zstd.isError(n)) {
                return new EncodedChunk(RAW, len, raw, off, len); // cannot happen with a full bound
            }
            compressed = (int) n;
        } else {
            compressed = compressor.compress(raw, off, len, dst, dstOff, bound);
        }
        // Keep LZ4 only if it saves at least 1/32 (~3%) of the bytes, and at least one byte. Every
        // read of an LZ4 chunk pays a decode pass and an extra copy; below ~3% that costs more
        // than the disk and network it saves (random, encrypted and already-compressed tensors
        // land here). It also guarantees stored length <= raw length, so size limits on raw
        // chunks bound stored payloads too.
        int minSaving = Math.max(1, len >>> 5);
        if (len - compressed >= minSaving) {
            return new EncodedChunk(codec, len, dst, dstOff, compressed);
        }
        return new EncodedChunk(RAW, len, raw, off, len);
    }

    /**
     * Decodes a chunk into a fresh array of exactly {@code chunk.rawLength()} bytes.
     *
     * @throws CorruptChunkException    if the payload does not decode to exactly rawLength bytes
     * @throws IllegalArgumentException if the codec is unknown to this build
     */
    public byte[] decode(EncodedChunk chunk) throws CorruptChunkException {
        checkCodec(chunk.codec());
        if (chunk.rawLength() < 0) {
            throw new CorruptChunkException(chunk.codec(), chunk.rawLength(), "negative raw length");
        }
        byte[] out = new byte[chunk.rawLength()];
        decodeInto(chunk, out, 0);
        return out;
    }

    /**
     * Decodes a chunk into {@code dst} from {@code dstOff}, which must have room for
     * {@code chunk.rawLength()} bytes, and returns that length. On failure the contents of that
     * range of {@code dst} are unspecified.
     *
     * @throws CorruptChunkException    if the payload does not decode to exactly rawLength bytes
     * @throws IllegalArgumentException if the codec is unknown to this build
     * @throws IndexOutOfBoundsException if {@code dst} is too small or the chunk's slice is out of
     *                                   its array's bounds
     */
    public int decodeInto(EncodedChunk chunk, byte[] dst, int dstOff) throws CorruptChunkException {
        int codec = chunk.codec();
        checkCodec(codec);
        int rawLength = chunk.rawLength();
        if (rawLength < 0) {
            throw new CorruptChunkException(codec, rawLength, "negative raw length");
        }
        Objects.checkFromIndexSize(chunk.offset(), chunk.length(), chunk.data().length);
        Objects.checkFromIndexSize(dstOff, rawLength, dst.length);
        if (codec == RAW) {
            if (chunk.length() != rawLength) {
                throw new CorruptChunkException(codec, rawLength,
                        "stored length expected " + rawLength + ", actual " + chunk.length());
            }
            System.arraycopy(chunk.data(), chunk.offset(), dst, dstOff, rawLength);
            return rawLength;
        }
        if (codec == ZSTD) {
            long n;
            try {
                // dstSize = rawLength: a frame that would decode to more fails inside zstd.
                n = com.github.luben.zstd.Zstd.decompressByteArray(dst, dstOff, rawLength, chunk.data(), chunk.offset(),
                        chunk.length());
            } catch (RuntimeException e) {
                throw new CorruptChunkException(codec, rawLength, "malformed zstd frame of " + chunk.length()
                        + " bytes: " + e.getMessage(), e);
            }
            if (com.github.luben.zstd.Zstd.isError(n) || n != rawLength) {
                throw new CorruptChunkException(codec, rawLength, com.github.luben.zstd.Zstd.isError(n)
                        ? "malformed zstd frame: " + com.github.luben.zstd.Zstd.getErrorName(n)
                        : "decoded length expected " + rawLength + ", actual " + n);
            }
            return rawLength;
        }
        int decoded;
        try {
            // maxDestLen = rawLength: a block that would expand beyond the promised length fails
            // inside the decompressor rather than overrunning into the caller's other data.
            decoded = decompressor.decompress(chunk.data(), chunk.offset(), chunk.length(), dst, dstOff, rawLength);
        } catch (LZ4Exception e) {
            throw new CorruptChunkException(codec, rawLength,
                    "malformed LZ4 block of " + chunk.length() + " bytes: " + e.getMessage(), e);
        }
        if (decoded != rawLength) {
            throw new CorruptChunkException(codec, rawLength,
                    "decoded length expected " + rawLength + ", actual " + decoded);
        }
        return rawLength;
    }

    private static void checkCodec(int codec) {
        if (!isKnown(codec)) {
            throw new IllegalArgumentException("unknown chunk codec " + codec + " (this build knows "
                    + RAW + "=raw, " + LZ4 + "=lz4, " + ZSTD + "=zstd)");
        }
    }

    @Override
    public String toString() {
        return "ChunkCodec[" + compressor + ", " + decompressor + "]";
    }
}
