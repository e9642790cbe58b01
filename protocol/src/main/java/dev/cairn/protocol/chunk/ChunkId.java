package dev.cairn.protocol.chunk;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The identity of a chunk: the SHA-256 of its raw (uncompressed) bytes.
 *
 * <p>Immutable and thread-safe. Ordering is unsigned lexicographic over the 32 bytes, which is
 * also the byte order of the RocksDB index keys, so sorted ids scan the index sequentially.
 */
public final class ChunkId implements Comparable<ChunkId> {
    /** Length of an id in bytes. */
    public static final int LENGTH = 32;

    private static final HexFormat HEX = HexFormat.of();
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(ChunkId::newDigest);

    private final byte[] bytes;
    private final int hash;

    private ChunkId(byte[] bytes) {
        this.bytes = bytes;
        this.hash = (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
    }

    /** Hashes {@code len} bytes of {@code data} starting at {@code off}. */
    public static ChunkId of(byte[] data, int off, int len) {
        MessageDigest md = SHA256.get();
        md.update(data, off, len);
        return new ChunkId(md.digest());
    }

    /** Wraps a 32-byte digest (copied). */
    public static ChunkId fromBytes(byte[] digest) {
        if (digest.length != LENGTH) {
            throw new IllegalArgumentException("chunk id must be " + LENGTH + " bytes, got " + digest.length);
        }
        return new ChunkId(digest.clone());
    }

    /** Reads a 32-byte id at {@code off} (copied). */
    public static ChunkId fromBytes(byte[] buf, int off) {
        return new ChunkId(Arrays.copyOfRange(buf, off, off + LENGTH));
    }

    /** Parses 64 hex characters. */
    public static ChunkId parse(String hex) {
        if (hex.length() != LENGTH * 2) {
            throw new IllegalArgumentException("chunk id must be 64 hex characters: " + hex);
        }
        return new ChunkId(HEX.parseHex(hex));
    }

    /** A fresh SHA-256 digest; the JDK's implementation uses the CPU's SHA extensions where present. */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** A copy of the 32 id bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** Writes the 32 id bytes into {@code dst} at {@code off}. */
    public void writeTo(byte[] dst, int off) {
        System.arraycopy(bytes, 0, dst, off, LENGTH);
    }

    /** The first 8 bytes as a big-endian long: a well-mixed key for compact in-memory sets. */
    public long prefix64() {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (bytes[i] & 0xff);
        }
        return v;
    }

    /** Byte {@code i} of the id, without copying. */
    public byte byteAt(int i) {
        return bytes[i];
    }

    public String toHex() {
        return HEX.formatHex(bytes);
    }

    /** The first 12 hex characters, for logs and messages. */
    public String shortHex() {
        return toHex().substring(0, 12);
    }

    @Override
    public int compareTo(ChunkId o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkId c && hash == c.hash && Arrays.equals(bytes, c.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return toHex();
    }
}
