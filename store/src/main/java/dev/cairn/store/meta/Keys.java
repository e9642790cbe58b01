package dev.cairn.store.meta;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.ManifestId;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The one codec for RocksDB keys. Keys are byte-ordered: big-endian integers (signed times
 * flipped so that they sort numerically), so a range scan walks records in their natural order.
 * Layouts are listed in docs/FORMAT.md, "Column families and keys".
 */
public final class Keys {
    private Keys() {
    }

    public static final byte[] CONFIG = ascii("config");
    public static final byte[] SWEEP_GENERATION = ascii("sweep-generation");
    /**
     * Set (value: version byte 1) while the chunk index is being rebuilt (dropped or cleared, and
     * not yet refilled from the packs): an ordinary open refuses while it is set.
     */
    public static final byte[] INDEX_REBUILD_PENDING = ascii("index-rebuild-pending");

    public static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    public static byte[] chunk(ChunkId id) {
        return id.toBytes();
    }

    /** {@link ChunkId#prefix64()} of the chunk a CHUNKS key names, without building the id. */
    public static long chunkKeyPrefix64(byte[] key) {
        return getLong(key, 0);
    }

    public static byte[] manifest(ManifestId id) {
        return id.toBytes();
    }

    /** {@code series ‖ 0x00}: the prefix of one series in {@link MetaDb.Cf#SERIES}. */
    public static byte[] seriesPrefix(String series) {
        byte[] s = series.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(s, s.length + 1);
    }

    /** {@code series ‖ 0x00 ‖ time(8, sign-flipped) ‖ id(32)}. */
    public static byte[] series(String series, long createdAtMillis, ManifestId id) {
        byte[] p = seriesPrefix(series);
        byte[] k = Arrays.copyOf(p, p.length + 8 + 32);
        putLong(k, p.length, createdAtMillis ^ Long.MIN_VALUE);
        id.writeTo(k, p.length + 8);
        return k;
    }

    /** The manifest id at the end of a {@link #series} key. */
    public static ManifestId seriesKeyId(byte[] key) {
        return ManifestId.fromBytes(key, key.length - 32);
    }

    /** The series name of a {@link #series} key. */
    public static String seriesKeyName(byte[] key) {
        return new String(key, 0, key.length - 41, StandardCharsets.UTF_8);
    }

    /** {@code parent(32) ‖ child(32)}. */
    public static byte[] child(ManifestId parent, ManifestId child) {
        byte[] k = new byte[64];
        parent.writeTo(k, 0);
        child.writeTo(k, 32);
        return k;
    }

    public static ManifestId childKeyChild(byte[] key) {
        return ManifestId.fromBytes(key, 32);
    }

    /** {@code expiresAt(8, sign-flipped) ‖ id(32)}. */
    public static byte[] trash(long expiresAtMillis, ManifestId id) {
        byte[] k = new byte[40];
        putLong(k, 0, expiresAtMillis ^ Long.MIN_VALUE);
        id.writeTo(k, 8);
        return k;
    }

    /** The first trash key of anything expiring at or after {@code millis}. */
    public static byte[] trashFrom(long millis) {
        byte[] k = new byte[8];
        putLong(k, 0, millis ^ Long.MIN_VALUE);
        return k;
    }

    public static ManifestId trashKeyId(byte[] key) {
        return ManifestId.fromBytes(key, 8);
    }

    /** {@code storage(16) ‖ entry(4) ‖ stream(1) ‖ segment(4)}. */
    public static byte[] segment(byte[] storageId, int entry, int stream, int segment) {
        byte[] k = new byte[25];
        System.arraycopy(storageId, 0, k, 0, 16);
        putInt(k, 16, entry);
        k[20] = (byte) stream;
        putInt(k, 21, segment);
        return k;
    }

    public static byte[] pack(long packId) {
        byte[] k = new byte[8];
        putLong(k, 0, packId);
        return k;
    }

    /** The smallest key greater than every key starting with {@code prefix}, or null if none. */
    public static byte[] prefixEnd(byte[] prefix) {
        byte[] end = prefix.clone();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return Arrays.copyOf(end, i + 1);
            }
        }
        return null;
    }

    public static void putLong(byte[] b, int off, long v) {
        for (int i = 0; i < 8; i++) {
            b[off + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    public static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    public static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
