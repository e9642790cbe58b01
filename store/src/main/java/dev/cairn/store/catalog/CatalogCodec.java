package dev.cairn.store.catalog;

import dev.cairn.protocol.manifest.ManifestId;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Byte layout of catalog files (docs/FORMAT.md, "Catalog"): a header, then records. Pure byte
 * mapping, big-endian. Every value that comes from a file is checked before it is trusted.
 */
public final class CatalogCodec {
    static final byte[] MAGIC = "CAIRNCAT".getBytes(StandardCharsets.US_ASCII);
    /** The catalog file format this code writes and the newest it reads. */
    public static final int VERSION = 1;
    /** Header kind: records appended as changes happen. */
    static final int KIND_LOG = 0;
    /** Header kind: the complete state of every generation below this one (a compaction). */
    static final int KIND_SNAPSHOT = 1;

    public static final int MANIFEST = 1;
    public static final int LABELS = 2;
    public static final int FORGET = 3;

    /** Largest record accepted on replay: bounds memory when a length field is damaged. */
    static final int MAX_RECORD = 512 << 20;
    /** Bytes around a record's type and payload: u32 length before, u32 CRC32C after. */
    static final int RECORD_OVERHEAD = 8;
    private static final int MAX_CONFIG = 4096;

    private CatalogCodec() {
    }

    /** One row of the {@code segments} family, key and value exactly as stored there. */
    public record Segment(byte[] key, byte[] value) {
    }

    /** A decoded MANIFEST record. */
    public record ManifestRecord(ManifestId id, byte[] manifest, List<Segment> segments) {
    }

    /**
     * Header flag: this log file was started by a compaction, whose snapshot is the generation
     * just below it; until that snapshot is installed, the gap is expected, not a lost file.
     */
    static final int FLAG_AFTER_SNAPSHOT = 1;

    /** A file header. */
    record Header(int version, int kind, int flags, long generation, byte[] config, int length) {
    }

    static byte[] header(int kind, long generation, byte[] config) {
        return header(kind, 0, generation, config);
    }

    static byte[] header(int kind, int flags, long generation, byte[] config) {
        ByteBuffer b = ByteBuffer.allocate(8 + 2 + 1 + 1 + 8 + 4 + config.length + 4);
        b.put(MAGIC).putShort((short) VERSION).put((byte) kind).put((byte) flags).putLong(generation)
                .putInt(config.length).put(config);
        b.putInt(crc(b.array(), 0, b.position()));
        return b.array();
    }

    /**
     * Decodes a header from the start of {@code b} ({@code n} bytes valid).
     *
     * @return null if fewer bytes than the header needs are present (a file cut while being created)
     * @throws IllegalArgumentException if it is not a catalog header or its CRC fails
     * @throws UnsupportedOperationException if a newer Cairn wrote it
     */
    static Header decodeHeader(byte[] b, int n) {
        if (n < 24) {
            return null;
        }
        ByteBuffer r = ByteBuffer.wrap(b, 0, n);
        byte[] magic = new byte[8];
        r.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IllegalArgumentException("not a catalog file (wrong magic)");
        }
        int version = Short.toUnsignedInt(r.getShort());
        int kind = Byte.toUnsignedInt(r.get());
        int flags = Byte.toUnsignedInt(r.get());
        long gen = r.getLong();
        int clen = r.getInt();
        if (clen < 0 || clen > MAX_CONFIG) {
            throw new IllegalArgumentException("catalog header has an implausible config length " + clen);
        }
        int total = 24 + clen + 4;
        if (n < total) {
            return null;
        }
        int stored = ByteBuffer.wrap(b, 24 + clen, 4).getInt();
        int actual = crc(b, 0, 24 + clen);
        if (stored != actual) {
            throw new IllegalArgumentException(String.format("catalog header CRC32C mismatch: stored %08x, computed %08x",
                    stored, actual));
        }
        if (version > VERSION) {
            throw new UnsupportedOperationException("catalog file format version " + version
                    + ", written by a newer Cairn; this one reads up to " + VERSION);
        }
        if (kind != KIND_LOG && kind != KIND_SNAPSHOT) {
            throw new IllegalArgumentException("catalog header has an unknown kind " + kind);
        }
        return new Header(version, kind, flags, gen, Arrays.copyOfRange(b, 24, 24 + clen), total);
    }

    /** A whole record: u32 length of (type ‖ payload), u8 type, payload, u32 CRC32C of all before it. */
    static byte[] record(int type, byte[] payload) {
        byte[] out = new byte[RECORD_OVERHEAD + 1 + payload.length];
        ByteBuffer b = ByteBuffer.wrap(out);
        b.putInt(1 + payload.length).put((byte) type).put(payload);
        b.putInt(crc(out, 0, out.length - 4));
        return out;
    }

    static byte[] manifestPayload(ManifestId id, byte[] manifest, List<Segment> segments) {
        long size = 32 + 4 + manifest.length + 4L;
        for (Segment s : segments) {
            size += 2 + s.key().length + 4 + s.value().length;
        }
        if (size > MAX_RECORD - 1) {
            throw new IllegalArgumentException("manifest " + id.shortHex() + " needs a catalog record of " + size
                    + " bytes, more than the limit of " + MAX_RECORD);
        }
        ByteBuffer b = ByteBuffer.allocate((int) size);
        b.put(id.toBytes()).putInt(manifest.length).put(manifest).putInt(segments.size());
        for (Segment s : segments) {
            b.putShort((short) s.key().length).put(s.key()).putInt(s.value().length).put(s.value());
        }
        return b.array();
    }

    static byte[] labelsPayload(ManifestId id, byte[] labels) {
        return ByteBuffer.allocate(32 + labels.length).put(id.toBytes()).put(labels).array();
    }

    static byte[] forgetPayload(ManifestId id) {
        return id.toBytes();
    }

    /** The manifest id every record type starts with. */
    static ManifestId idOf(byte[] payload) {
        if (payload.length < 32) {
            throw new IllegalArgumentException("catalog record too short for a manifest id");
        }
        return ManifestId.fromBytes(payload, 0);
    }

    static ManifestRecord decodeManifest(byte[] payload) {
        try {
            ByteBuffer b = ByteBuffer.wrap(payload);
            byte[] id = new byte[32];
            b.get(id);
            byte[] manifest = new byte[checkLen(b.getInt(), b.remaining())];
            b.get(manifest);
            int n = b.getInt();
            if (n < 0 || n > b.remaining() / 6) {
                throw new IllegalArgumentException("implausible segment count " + n);
            }
            List<Segment> segs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                byte[] k = new byte[checkLen(Short.toUnsignedInt(b.getShort()), b.remaining())];
                b.get(k);
                byte[] v = new byte[checkLen(b.getInt(), b.remaining())];
                b.get(v);
                segs.add(new Segment(k, v));
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " trailing bytes");
            }
            return new ManifestRecord(ManifestId.fromBytes(id), manifest, segs);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("MANIFEST record ends early");
        }
    }

    static byte[] decodeLabels(byte[] payload) {
        return Arrays.copyOfRange(payload, 32, payload.length);
    }

    private static int checkLen(int n, int remaining) {
        if (n < 0 || n > remaining) {
            throw new IllegalArgumentException("length " + n + " exceeds the " + remaining + " bytes left");
        }
        return n;
    }

    /** A 64-bit fingerprint of a manifest record value, to compare RocksDB's with the catalog's. */
    public static long fingerprint(byte[] manifest) {
        return ((long) crc(manifest, 0, manifest.length) << 32) | (manifest.length & 0xffffffffL);
    }

    static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }
}
