package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import static dev.cairn.store.pack.PackCodec.FOOTER_ENTRY_SIZE;
import static dev.cairn.store.pack.PackCodec.HEADER_SIZE;
import static dev.cairn.store.pack.PackCodec.MAX_PAYLOAD;
import static dev.cairn.store.pack.PackCodec.RECORD_HEADER_SIZE;
import static dev.cairn.store.pack.PackCodec.TRAILER_SIZE;

/**
 * Reads and validates the structures of one pack file through a caller-owned channel: header,
 * footer index, single records and record scans. Stateless; each method is safe to call
 * concurrently on a shared channel because it only uses positional reads.
 */
final class PackFileReader {
    /** Sequential scans read this much at a time so small records do not cost a syscall each. */
    private static final int SCAN_WINDOW = 1 << 20;

    private PackFileReader() {
    }

    /** A sealed pack's footer: the index it holds, and whether the end magic was intact. */
    record Footer(PackIndex index, boolean magicIntact) {
    }

    /** Receives the verified records of a sequential scan; {@code buf[off]} is the record header. */
    interface RecordSink {
        void accept(long offset, byte[] buf, int off) throws IOException;
    }

    /** Verifies the header at the start of the file (magic, checksum, version, pack id). */
    static void checkHeader(FileChannel ch, PackId id, long size) throws IOException {
        byte[] buf = new byte[(int) Math.min(size, PackCodec.MAX_HEADER_SIZE)];
        int n = FileIo.readFully(ch, ByteBuffer.wrap(buf), 0);
        PackCodec.checkHeader(id, buf, n);
    }

    /**
     * The index of a pack: from its footer if sealed, otherwise by scanning records up to the first
     * incomplete or invalid one.
     *
     * @throws CorruptPackException if the header or a present footer is damaged
     */
    static PackIndex readIndex(FileChannel ch, PackId id) throws IOException {
        long size = ch.size();
        checkHeader(ch, id, size);
        Footer footer = readFooter(ch, id, size);
        if (footer != null) {
            requireIntactMagic(footer, id, size);
            return footer.index();
        }
        List<PackIndex.Entry> entries = new ArrayList<>();
        scanUnsealed(ch, id, size, (offset, buf, off) -> entries.add(new PackIndex.Entry(
                PackCodec.recordId(buf, off), PackCodec.recordLocation(id, offset, buf, off))));
        return new PackIndex(id, false, size, List.copyOf(entries));
    }

    static void requireIntactMagic(Footer footer, PackId id, long size) throws CorruptPackException {
        if (!footer.magicIntact()) {
            throw CorruptPackException.mismatch(id, size - PackCodec.END_MAGIC.length,
                    "end magic of a pack whose footer checks out", PackCodec.quote(PackCodec.END_MAGIC, 0, 8), "other bytes");
        }
    }

    /**
     * Reads and verifies the footer. Returns null if the pack is not sealed. A pack counts as
     * sealed if it ends with the end magic, or if a trailer whose CRC checks out sits where the
     * trailer belongs ({@code magicIntact == false}: the magic was damaged; a crash cannot cause
     * this, since the magic is written last, 8-byte aligned, after the footer was made durable).
     *
     * @throws CorruptPackException if the end magic is present but the footer is damaged
     */
    static Footer readFooter(FileChannel ch, PackId id, long size) throws IOException {
        if (size < HEADER_SIZE + TRAILER_SIZE) {
            return null;
        }
        byte[] trailer = new byte[TRAILER_SIZE];
        long trailerAt = size - TRAILER_SIZE;
        if (FileIo.readFully(ch, ByteBuffer.wrap(trailer), trailerAt) < TRAILER_SIZE) {
            throw new CorruptPackException(id, trailerAt, "file shrank while reading its trailer");
        }
        boolean magic = PackCodec.isEndMagic(trailer, PackCodec.T_MAGIC);
        long footerStart = PackCodec.trailerFooterStart(trailer, 0);
        int count = PackCodec.trailerCount(trailer, 0);
        // Records are at least RECORD_HEADER_SIZE bytes, which bounds a sane entry count.
        long maxCount = Math.min(PackCodec.MAX_RECORDS, (size - HEADER_SIZE) / (RECORD_HEADER_SIZE + FOOTER_ENTRY_SIZE));
        boolean shapeOk = footerStart >= HEADER_SIZE && footerStart <= trailerAt
                && count >= 0 && count <= maxCount
                && footerStart + PackCodec.footerLength(footerStart, count) == size;
        if (!shapeOk) {
            if (!magic) {
                return null;
            }
            throw new CorruptPackException(id, trailerAt, "trailer says the footer starts at " + footerStart
                    + " with " + Integer.toUnsignedString(count) + " entries, which does not fit a file of " + size + " bytes");
        }
        int bodyLength = (int) (size - footerStart - PackCodec.END_MAGIC.length);
        byte[] body = new byte[bodyLength];
        if (FileIo.readFully(ch, ByteBuffer.wrap(body), footerStart) < bodyLength) {
            throw new CorruptPackException(id, footerStart, "file shrank while reading its footer");
        }
        int crcAt = bodyLength - TRAILER_SIZE + PackCodec.END_MAGIC.length + PackCodec.T_CRC;
        int expectedCrc = PackCodec.trailerCrc(body, crcAt - PackCodec.T_CRC);
        int actualCrc = PackCodec.crc(body, 0, crcAt);
        if (expectedCrc != actualCrc) {
            if (!magic) {
                return null;
            }
            throw CorruptPackException.mismatch(id, footerStart, "footer CRC32C",
                    PackCodec.hex32(expectedCrc), PackCodec.hex32(actualCrc));
        }
        return new Footer(new PackIndex(id, true, size, parseEntries(id, body, count, footerStart)), magic);
    }

    /**
     * Decodes the footer entries and checks that they tile the record area exactly: the first
     * record follows the header, each next one follows its predecessor's payload, the last ends
     * where the footer starts. The CRC already matched, so a failure here means a writer bug.
     */
    private static List<PackIndex.Entry> parseEntries(PackId id, byte[] body, int count, long footerStart) throws CorruptPackException {
        int entryBytes = count * FOOTER_ENTRY_SIZE;
        for (int i = entryBytes; i < body.length - (TRAILER_SIZE - PackCodec.END_MAGIC.length); i++) {
            if (body[i] != 0) {
                throw new CorruptPackException(id, footerStart + i, "footer padding is not zero");
            }
        }
        List<PackIndex.Entry> entries = new ArrayList<>(count);
        long expectedOffset = HEADER_SIZE;
        for (int i = 0; i < count; i++) {
            int e = i * FOOTER_ENTRY_SIZE;
            long at = footerStart + e;
            long offset = PackCodec.entryOffset(body, e);
            int stored = PackCodec.entryStoredLength(body, e);
            int raw = PackCodec.entryRawLength(body, e);
            int codec = PackCodec.entryCodec(body, e);
            if (offset != expectedOffset) {
                throw CorruptPackException.mismatch(id, at, "footer entry " + i + " record offset", expectedOffset, offset);
            }
            if (!ChunkCodec.isKnown(codec) || !PackCodec.entryReservedIsZero(body, e)
                    || stored < 0 || stored > MAX_PAYLOAD || raw < 0 || raw > MAX_PAYLOAD
                    || (codec == ChunkCodec.RAW && stored != raw)) {
                throw new CorruptPackException(id, at, "footer entry " + i + " is malformed: codec " + codec
                        + ", stored length " + Integer.toUnsignedString(stored) + ", raw length " + Integer.toUnsignedString(raw));
            }
            entries.add(new PackIndex.Entry(PackCodec.entryId(body, e), new ChunkLocation(id, offset, stored, raw, codec)));
            expectedOffset = offset + RECORD_HEADER_SIZE + stored;
        }
        if (expectedOffset != footerStart) {
            throw CorruptPackException.mismatch(id, footerStart, "end of the last record (footer start)", footerStart, expectedOffset);
        }
        return List.copyOf(entries);
    }

    /**
     * Scans records from the header on, handing each verified one to {@code sink}, and stops at
     * the first that is incomplete, malformed or fails its CRC: in an unsealed pack that is where
     * the crash (or the end of the written data) is. Reads no further than {@code limit}.
     *
     * @return the offset just past the last valid record
     */
    static long scanUnsealed(FileChannel ch, PackId id, long limit, RecordSink sink) throws IOException {
        Window window = new Window(ch, id, limit);
        CRC32C crc = new CRC32C();
        long pos = HEADER_SIZE;
        int count = 0;
        while (limit - pos >= RECORD_HEADER_SIZE && count < PackCodec.MAX_RECORDS) {
            int off = window.fill(pos, RECORD_HEADER_SIZE);
            if (!PackCodec.isPlausibleRecordHeader(window.buf, off)) {
                break;
            }
            int stored = PackCodec.recordStoredLength(window.buf, off);
            if (limit - pos - RECORD_HEADER_SIZE < stored) {
                break; // torn: the file ends inside this record
            }
            off = window.fill(pos, RECORD_HEADER_SIZE + stored);
            byte[] buf = window.buf;
            int expected = PackCodec.u32(buf, off + PackCodec.R_CRC);
            if (expected != PackCodec.recordCrc(crc, buf, off, buf, off + RECORD_HEADER_SIZE, stored)) {
                break;
            }
            sink.accept(pos, buf, off);
            pos += RECORD_HEADER_SIZE + stored;
            count++;
        }
        return pos;
    }

    /**
     * Visits every record: by the footer index if the pack is sealed (a damaged record is reported
     * and skipped), otherwise sequentially up to the first invalid record. A sealed pack whose
     * footer is damaged is reported as corrupt at the footer, then scanned sequentially, so that
     * verification still checks every record it can reach.
     */
    static void scan(FileChannel ch, PackId id, PackStore.RecordVisitor visitor) throws IOException {
        long size = ch.size();
        checkHeader(ch, id, size);
        Footer footer;
        try {
            footer = readFooter(ch, id, size);
            if (footer != null) {
                requireIntactMagic(footer, id, size);
            }
        } catch (CorruptPackException e) {
            visitor.corrupt(id, e.offset(), e);
            footer = null;
        }
        if (footer == null) {
            scanUnsealed(ch, id, size, (offset, buf, off) -> visitor.record(PackCodec.recordId(buf, off),
                    PackCodec.recordLocation(id, offset, buf, off), chunkAt(buf, off)));
            return;
        }
        Window window = new Window(ch, id, size);
        CRC32C crc = new CRC32C();
        for (PackIndex.Entry entry : footer.index().entries()) {
            ChunkLocation loc = entry.location();
            int off = window.fill(loc.offset(), RECORD_HEADER_SIZE + loc.storedLength());
            try {
                PackCodec.checkRecord(id, loc.offset(), window.buf, off, loc, entry.id(), crc);
            } catch (CorruptPackException e) {
                visitor.corrupt(id, loc.offset(), e);
                continue;
            }
            visitor.record(entry.id(), loc, chunkAt(window.buf, off));
        }
    }

    private static EncodedChunk chunkAt(byte[] buf, int off) {
        return new EncodedChunk(buf[off + PackCodec.R_CODEC] & 0xff, PackCodec.u32(buf, off + PackCodec.R_RAW_LENGTH),
                buf, off + RECORD_HEADER_SIZE, PackCodec.recordStoredLength(buf, off));
    }

    /**
     * Reads the record at {@code loc} with one positional read and verifies it against {@code loc}
     * and {@code expectedId}. The record lands in {@code scratch} if it has room for the record
     * header and payload, else in a new array; the payload follows the header bytes.
     */
    static EncodedChunk readRecord(FileChannel ch, ChunkLocation loc, ChunkId expectedId, byte[] scratch) throws IOException {
        int length = RECORD_HEADER_SIZE + loc.storedLength();
        byte[] buf = scratch != null && scratch.length >= length ? scratch : new byte[length];
        int n = FileIo.readFully(ch, ByteBuffer.wrap(buf, 0, length), loc.offset());
        if (n < length) {
            throw new CorruptPackException(loc.pack(), loc.offset(), "record of " + length
                    + " bytes extends past the end of the file (only " + n + " bytes there)");
        }
        PackCodec.checkRecord(loc.pack(), loc.offset(), buf, 0, loc, expectedId, new CRC32C());
        return new EncodedChunk(loc.codec(), loc.rawLength(), buf, RECORD_HEADER_SIZE, loc.storedLength());
    }

    /** A read-ahead buffer over [0, limit) of the file for forward scans. Not thread-safe. */
    private static final class Window {
        private final FileChannel ch;
        private final PackId id;
        private final long limit;
        byte[] buf;
        private long start;
        private int length;

        Window(FileChannel ch, PackId id, long limit) {
            this.ch = ch;
            this.id = id;
            this.limit = limit;
            this.buf = new byte[(int) Math.max(RECORD_HEADER_SIZE, Math.min(SCAN_WINDOW, limit))];
        }

        /**
         * Makes bytes [pos, pos + n) of the file available in {@link #buf} and returns their index
         * there. The caller guarantees {@code pos + n <= limit}.
         */
        int fill(long pos, int n) throws IOException {
            if (pos >= start && pos + n <= start + length) {
                return (int) (pos - start);
            }
            if (n > buf.length) {
                buf = new byte[Math.max(n, (int) Math.min(2L * buf.length, RECORD_HEADER_SIZE + MAX_PAYLOAD))];
            }
            int want = (int) Math.min(buf.length, limit - pos);
            int got = FileIo.readFully(ch, ByteBuffer.wrap(buf, 0, want), pos);
            if (got < n) {
                throw new CorruptPackException(id, pos, "file ended at " + (pos + got)
                        + " while reading it, expected at least " + limit + " bytes");
            }
            start = pos;
            length = got;
            return 0;
        }
    }
}
