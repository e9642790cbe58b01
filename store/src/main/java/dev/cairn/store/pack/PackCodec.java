package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The byte layout of a pack file (docs/FORMAT.md, "Pack files"): pure mappings between fields and
 * bytes, no I/O. All integers are little-endian, the native order of every CPU Cairn targets.
 *
 * <pre>
 * header(28) | record(48 + payload)* | footer entry(52)* | padding(0-7) | trailer(24)
 * </pre>
 *
 * <p>Stateless and thread-safe; callers pass in the {@link CRC32C} they own.
 */
public final class PackCodec {
    /** The format version this build writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;
    /** Bytes of the version-1 header; records start here. */
    public static final int HEADER_SIZE = 28;
    /** Bytes of a record header; the payload follows it. */
    public static final int RECORD_HEADER_SIZE = 48;
    /** Bytes of one footer index entry. */
    public static final int FOOTER_ENTRY_SIZE = 52;
    /** Bytes of the fixed trailer that ends a sealed pack. */
    public static final int TRAILER_SIZE = 24;
    /**
     * Largest stored and raw payload of one record (64 MiB). Far above any sane chunker maximum;
     * it exists so that a damaged length field can never make a reader allocate gigabytes.
     */
    public static final int MAX_PAYLOAD = 64 << 20;

    /**
     * Most records in one pack (2^24). Keeps the footer (52 bytes per entry) in one Java array;
     * real packs roll over at a size limit long before.
     */
    public static final int MAX_RECORDS = 1 << 24;

    /** A reader reads this much to verify the checksum of a header from a newer format version. */
    static final int MAX_HEADER_SIZE = 256;
    static final int RECORD_TYPE_CHUNK = 0x01;

    static final byte[] PACK_MAGIC = "CAIRNPK\0".getBytes(StandardCharsets.US_ASCII);
    static final byte[] END_MAGIC = "CAIRNEND".getBytes(StandardCharsets.US_ASCII);

    // Header fields. Magic, version and header length are frozen for all versions: they are what
    // lets an old reader recognise a newer pack and verify its header checksum before trusting
    // the version, so a flipped version byte reads as corruption, not as "upgrade Cairn".
    static final int H_VERSION = 8;
    static final int H_LENGTH = 10;
    static final int H_FLAGS = 12;
    static final int H_PACK_ID = 16;
    static final int H_CRC = 24;

    // Record header fields; the CRC covers bytes [0, R_CRC) and the payload.
    static final int R_TYPE = 0;
    static final int R_CODEC = 1;
    static final int R_RESERVED = 2;
    static final int R_RAW_LENGTH = 4;
    static final int R_STORED_LENGTH = 8;
    static final int R_ID = 12;
    static final int R_CRC = 44;

    // Footer entry fields.
    static final int E_ID = 0;
    static final int E_OFFSET = 32;
    static final int E_STORED_LENGTH = 40;
    static final int E_RAW_LENGTH = 44;
    static final int E_CODEC = 48;
    static final int E_RESERVED = 49;

    // Trailer fields; the CRC covers footer entries, padding and [0, T_CRC) of the trailer.
    static final int T_FOOTER_START = 0;
    static final int T_COUNT = 8;
    static final int T_CRC = 12;
    static final int T_MAGIC = 16;

    private static final VarHandle U16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle U32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle U64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private PackCodec() {
    }

    // ---- header ----

    /** Writes the version-1 header of pack {@code id} into {@code dst[0, HEADER_SIZE)}. */
    static void encodeHeader(PackId id, byte[] dst) {
        System.arraycopy(PACK_MAGIC, 0, dst, 0, 8);
        putU16(dst, H_VERSION, FORMAT_VERSION);
        putU16(dst, H_LENGTH, HEADER_SIZE);
        putU32(dst, H_FLAGS, 0);
        putU64(dst, H_PACK_ID, id.value());
        putU32(dst, H_CRC, crc(dst, 0, H_CRC));
    }

    /**
     * Checks a pack header. {@code buf[0, available)} holds the first bytes of the file, at least
     * {@code min(fileSize, MAX_HEADER_SIZE)} of them.
     *
     * @throws NotAPackException               if the magic is wrong
     * @throws UnsupportedPackVersionException if an intact header declares a newer version or flags
     * @throws CorruptPackException            if the file is too short or the header is damaged
     */
    static void checkHeader(PackId expected, byte[] buf, int available) throws CorruptPackException, UnsupportedPackVersionException {
        if (available < HEADER_SIZE) {
            throw new CorruptPackException(expected, 0, "truncated: the file has " + available
                    + " bytes, the pack header needs " + HEADER_SIZE);
        }
        if (!regionEquals(buf, 0, PACK_MAGIC)) {
            throw new NotAPackException(expected, quote(PACK_MAGIC, 0, 8), quote(buf, 0, 8));
        }
        int headerLength = u16(buf, H_LENGTH);
        if (headerLength < HEADER_SIZE || headerLength > MAX_HEADER_SIZE || headerLength > available) {
            throw new CorruptPackException(expected, H_LENGTH, "header length " + headerLength
                    + " is outside [" + HEADER_SIZE + ", min(" + MAX_HEADER_SIZE + ", file size " + available + ")]");
        }
        int stored = u32(buf, headerLength - 4);
        int actual = crc(buf, 0, headerLength - 4);
        if (stored != actual) {
            throw CorruptPackException.mismatch(expected, 0, "header CRC32C", hex32(stored), hex32(actual));
        }
        int version = u16(buf, H_VERSION);
        int flags = u32(buf, H_FLAGS);
        if (version > FORMAT_VERSION) {
            throw new UnsupportedPackVersionException(expected, version, flags, "unknown format version");
        }
        if (version < 1 || headerLength != HEADER_SIZE) {
            throw new CorruptPackException(expected, H_VERSION, "format version " + version
                    + " with header length " + headerLength + " was never written by any Cairn");
        }
        if (flags != 0) {
            // Flags announce features a reader must understand; version 1 defines none.
            throw new UnsupportedPackVersionException(expected, version, flags, "unknown header flags");
        }
        long id = u64(buf, H_PACK_ID);
        if (id != expected.value()) {
            throw CorruptPackException.mismatch(expected, H_PACK_ID, "pack id in header", expected, new PackId(id));
        }
    }

    // ---- records ----

    /** Writes a record header without its CRC into {@code dst[off, off + R_CRC)}. */
    static void encodeRecordHeader(byte[] dst, int off, ChunkId id, int codec, int rawLength, int storedLength) {
        dst[off + R_TYPE] = (byte) RECORD_TYPE_CHUNK;
        dst[off + R_CODEC] = (byte) codec;
        putU16(dst, off + R_RESERVED, 0);
        putU32(dst, off + R_RAW_LENGTH, rawLength);
        putU32(dst, off + R_STORED_LENGTH, storedLength);
        id.writeTo(dst, off + R_ID);
    }

    /** The record CRC32C: over the header fields before the CRC, then the payload. */
    static int recordCrc(CRC32C crc, byte[] header, int headerOff, byte[] payload, int payloadOff, int payloadLength) {
        crc.reset();
        crc.update(header, headerOff, R_CRC);
        crc.update(payload, payloadOff, payloadLength);
        return (int) crc.getValue();
    }

    static int recordStoredLength(byte[] buf, int off) {
        return u32(buf, off + R_STORED_LENGTH);
    }

    /**
     * Whether the record header at {@code buf[off]} is well-formed on its own (type, codec,
     * reserved bits, length limits). A scan of an unsealed pack stops at the first one that is not:
     * that is where the crash cut the file.
     */
    static boolean isPlausibleRecordHeader(byte[] buf, int off) {
        int codec = buf[off + R_CODEC] & 0xff;
        long raw = u32(buf, off + R_RAW_LENGTH) & 0xffff_ffffL;
        long stored = u32(buf, off + R_STORED_LENGTH) & 0xffff_ffffL;
        return (buf[off + R_TYPE] & 0xff) == RECORD_TYPE_CHUNK
                && ChunkCodec.isKnown(codec)
                && u16(buf, off + R_RESERVED) == 0
                && raw <= MAX_PAYLOAD && stored <= MAX_PAYLOAD
                && (codec != ChunkCodec.RAW || raw == stored);
    }

    /**
     * Verifies the record at {@code buf[off]}, read from file offset {@code fileOffset}; the buffer
     * holds its header and {@code expected.storedLength()} payload bytes. Its type must be a chunk
     * record, its lengths and codec must equal {@code expected} (checked first, so a wrong index
     * entry is reported as such rather than as a CRC failure), its header must be
     * {@link #isPlausibleRecordHeader plausible}, its CRC must match, and its id must equal
     * {@code expectedId}.
     */
    static void checkRecord(PackId pack, long fileOffset, byte[] buf, int off, ChunkLocation expected,
                            ChunkId expectedId, CRC32C crc) throws CorruptPackException {
        int type = buf[off + R_TYPE] & 0xff;
        if (type != RECORD_TYPE_CHUNK) {
            throw CorruptPackException.mismatch(pack, fileOffset, "record type", hex8(RECORD_TYPE_CHUNK), hex8(type));
        }
        int codec = buf[off + R_CODEC] & 0xff;
        int raw = u32(buf, off + R_RAW_LENGTH);
        int stored = u32(buf, off + R_STORED_LENGTH);
        if (stored != expected.storedLength()) {
            throw CorruptPackException.mismatch(pack, fileOffset, "record stored length", expected.storedLength(), Integer.toUnsignedString(stored));
        }
        if (raw != expected.rawLength()) {
            throw CorruptPackException.mismatch(pack, fileOffset, "record raw length", expected.rawLength(), Integer.toUnsignedString(raw));
        }
        if (codec != expected.codec()) {
            throw CorruptPackException.mismatch(pack, fileOffset, "record codec", expected.codec(), codec);
        }
        CorruptPackException malformed = malformedRecordHeader(pack, fileOffset, buf, off);
        if (malformed != null) {
            throw malformed;
        }
        int storedCrc = u32(buf, off + R_CRC);
        int actualCrc = recordCrc(crc, buf, off, buf, off + RECORD_HEADER_SIZE, stored);
        if (storedCrc != actualCrc) {
            throw CorruptPackException.mismatch(pack, fileOffset, "record CRC32C", hex32(storedCrc), hex32(actualCrc));
        }
        if (!idEquals(expectedId, buf, off + R_ID)) {
            throw CorruptPackException.mismatch(pack, fileOffset, "chunk id", expectedId, ChunkId.fromBytes(buf, off + R_ID));
        }
    }

    /** Why the record header at {@code buf[off]} is not {@link #isPlausibleRecordHeader plausible}, or null. */
    private static CorruptPackException malformedRecordHeader(PackId pack, long fileOffset, byte[] buf, int off) {
        if (isPlausibleRecordHeader(buf, off)) {
            return null;
        }
        int codec = buf[off + R_CODEC] & 0xff;
        long raw = u32(buf, off + R_RAW_LENGTH) & 0xffff_ffffL;
        long stored = u32(buf, off + R_STORED_LENGTH) & 0xffff_ffffL;
        if (!ChunkCodec.isKnown(codec)) {
            return CorruptPackException.mismatch(pack, fileOffset, "record codec", "a known codec", codec);
        }
        if (u16(buf, off + R_RESERVED) != 0) {
            return CorruptPackException.mismatch(pack, fileOffset, "record reserved field", 0, hex32(u16(buf, off + R_RESERVED)));
        }
        if (raw > MAX_PAYLOAD || stored > MAX_PAYLOAD) {
            return CorruptPackException.mismatch(pack, fileOffset, "record raw/stored length",
                    "at most " + MAX_PAYLOAD, raw + "/" + stored);
        }
        return CorruptPackException.mismatch(pack, fileOffset, "stored length of a raw record", raw, stored);
    }

    /** The location a verified record header at {@code buf[off]} describes. */
    static ChunkLocation recordLocation(PackId pack, long fileOffset, byte[] buf, int off) {
        return new ChunkLocation(pack, fileOffset, u32(buf, off + R_STORED_LENGTH),
                u32(buf, off + R_RAW_LENGTH), buf[off + R_CODEC] & 0xff);
    }

    static ChunkId recordId(byte[] buf, int off) {
        return ChunkId.fromBytes(buf, off + R_ID);
    }

    private static boolean idEquals(ChunkId id, byte[] buf, int off) {
        for (int i = 0; i < ChunkId.LENGTH; i++) {
            if (id.byteAt(i) != buf[off + i]) {
                return false;
            }
        }
        return true;
    }

    // ---- footer and trailer ----

    /** Writes one footer entry into {@code dst[off, off + FOOTER_ENTRY_SIZE)}. */
    static void encodeFooterEntry(byte[] dst, int off, ChunkId id, long recordOffset, int storedLength, int rawLength, int codec) {
        id.writeTo(dst, off + E_ID);
        putU64(dst, off + E_OFFSET, recordOffset);
        putU32(dst, off + E_STORED_LENGTH, storedLength);
        putU32(dst, off + E_RAW_LENGTH, rawLength);
        dst[off + E_CODEC] = (byte) codec;
        dst[off + E_RESERVED] = 0;
        dst[off + E_RESERVED + 1] = 0;
        dst[off + E_RESERVED + 2] = 0;
    }

    /**
     * Zero bytes between the last footer entry and the trailer. They make the file length a
     * multiple of 8, so the 8-byte end magic (written last, by itself) never straddles a disk
     * sector and cannot be torn by a crash.
     */
    static int footerPadding(long footerStart, int count) {
        long end = footerStart + (long) count * FOOTER_ENTRY_SIZE + TRAILER_SIZE;
        return (int) ((8 - (end & 7)) & 7);
    }

    /** Total bytes from footer start to end of file. */
    static long footerLength(long footerStart, int count) {
        return (long) count * FOOTER_ENTRY_SIZE + footerPadding(footerStart, count) + TRAILER_SIZE;
    }

    /**
     * Builds the footer: {@code entries[0, count * FOOTER_ENTRY_SIZE)}, padding, and the trailer up
     * to but excluding the end magic (the caller writes that separately, last). Returns the bytes
     * to write at {@code footerStart}.
     */
    static byte[] encodeFooterWithoutMagic(byte[] entries, int count, long footerStart) {
        int entryBytes = count * FOOTER_ENTRY_SIZE;
        int total = Math.toIntExact(footerLength(footerStart, count)) - END_MAGIC.length;
        byte[] out = new byte[total];
        System.arraycopy(entries, 0, out, 0, entryBytes);
        int t = total - T_MAGIC;   // trailer start
        putU64(out, t + T_FOOTER_START, footerStart);
        putU32(out, t + T_COUNT, count);
        putU32(out, t + T_CRC, crc(out, 0, t + T_CRC));
        return out;
    }

    static boolean isEndMagic(byte[] buf, int off) {
        return regionEquals(buf, off, END_MAGIC);
    }

    /** Trailer field accessors; {@code off} is the trailer's first byte. */
    static long trailerFooterStart(byte[] buf, int off) {
        return u64(buf, off + T_FOOTER_START);
    }

    static int trailerCount(byte[] buf, int off) {
        return u32(buf, off + T_COUNT);
    }

    static int trailerCrc(byte[] buf, int off) {
        return u32(buf, off + T_CRC);
    }

    /** Footer entry field accessors; {@code off} is the entry's first byte. */
    static ChunkId entryId(byte[] buf, int off) {
        return ChunkId.fromBytes(buf, off + E_ID);
    }

    static long entryOffset(byte[] buf, int off) {
        return u64(buf, off + E_OFFSET);
    }

    static int entryStoredLength(byte[] buf, int off) {
        return u32(buf, off + E_STORED_LENGTH);
    }

    static int entryRawLength(byte[] buf, int off) {
        return u32(buf, off + E_RAW_LENGTH);
    }

    static int entryCodec(byte[] buf, int off) {
        return buf[off + E_CODEC] & 0xff;
    }

    static boolean entryReservedIsZero(byte[] buf, int off) {
        return buf[off + E_RESERVED] == 0 && buf[off + E_RESERVED + 1] == 0 && buf[off + E_RESERVED + 2] == 0;
    }

    // ---- primitives ----

    static int crc(byte[] buf, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(buf, off, len);
        return (int) c.getValue();
    }

    static int u16(byte[] b, int off) {
        return (short) U16.get(b, off) & 0xffff;
    }

    static int u32(byte[] b, int off) {
        return (int) U32.get(b, off);
    }

    static long u64(byte[] b, int off) {
        return (long) U64.get(b, off);
    }

    static void putU16(byte[] b, int off, int v) {
        U16.set(b, off, (short) v);
    }

    static void putU32(byte[] b, int off, int v) {
        U32.set(b, off, v);
    }

    static void putU64(byte[] b, int off, long v) {
        U64.set(b, off, v);
    }

    static String hex32(int v) {
        return String.format("0x%08x", v);
    }

    private static String hex8(int v) {
        return String.format("0x%02x", v);
    }

    private static boolean regionEquals(byte[] buf, int off, byte[] expected) {
        return java.util.Arrays.equals(buf, off, off + expected.length, expected, 0, expected.length);
    }

    /** Renders bytes as a quoted ASCII string with \xNN escapes, for magic mismatches. */
    static String quote(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = off; i < off + len; i++) {
            int c = b[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\x%02x", c));
            }
        }
        return sb.append('"').toString();
    }
}
