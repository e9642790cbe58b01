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

    /**
     * Bytes before the end of the file in which {@link #findFooter} looks for a trailer that moved
     * (the file was cut short by up to a few bytes, or grew). Trailers are 8-byte aligned, so this
     * is at most 8192 candidates, each a few comparisons unless its fields fit the file.
     */
    static final int FOOTER_SEARCH_BYTES = 64 << 10;

    /**
     * A sealed pack's footer: the index it holds, whether the end magic was intact, and where
     * the trailer starts (the file's length minus {@link PackCodec#TRAILER_SIZE} when it sits
     * where it belongs).
     */
    record Footer(PackIndex index, boolean magicIntact, long trailerAt) {
    }

    /** Receives the damaged regions a resynchronising scan skips. */
    interface DamageSink {
        void accept(PackIndex.Damage damage, CorruptPackException problem) throws IOException;
    }

    /**
     * What a resynchronising scan found.
     *
     * @param contiguousEnd end of the valid records that follow each other from the header on
     * @param lastEnd       end of the last valid record anywhere in the file
     * @param tailStart     where the trailing bytes that hold no valid record begin ({@code limit} if none)
     */
    record ScanResult(long contiguousEnd, long lastEnd, long tailStart, int records, List<PackIndex.Damage> gaps) {
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
        return new Footer(new PackIndex(id, true, size, parseEntries(id, body, count, footerStart)), magic, trailerAt);
    }

    /**
     * Looks for a verified footer whose trailer is not where it belongs: the file lost up to 8
     * bytes of its end (the end magic, as a crash between the two fsyncs of a seal leaves it) or
     * more, or grew. Tries every 8-byte aligned trailer position from {@code size - 16} (trailer
     * without end magic) back {@link #FOOTER_SEARCH_BYTES}; a candidate counts only if its footer
     * start and count describe a footer ending exactly there and the footer CRC checks out. The
     * returned index is the footer's; its size is what the sealed file's length was.
     *
     * @return the footer found (with {@code magicIntact == false}), or null
     */
    static Footer findFooter(FileChannel ch, PackId id, long size) throws IOException {
        long from = Math.max(HEADER_SIZE, size - FOOTER_SEARCH_BYTES);
        if (size - from < TRAILER_SIZE - PackCodec.END_MAGIC.length) {
            return null;
        }
        byte[] tail = new byte[(int) (size - from)];
        int got = FileIo.readFully(ch, ByteBuffer.wrap(tail), from);
        long end = from + got;
        long maxCount = Math.min(PackCodec.MAX_RECORDS, (size - HEADER_SIZE) / (RECORD_HEADER_SIZE + FOOTER_ENTRY_SIZE));
        for (long t = (end - 16) & ~7L; t >= from; t -= 8) {
            int at = (int) (t - from);
            long footerStart = PackCodec.trailerFooterStart(tail, at);
            long count = PackCodec.trailerCount(tail, at) & 0xffff_ffffL;
            if (footerStart < HEADER_SIZE || footerStart > t || count > maxCount
                    || footerStart + count * FOOTER_ENTRY_SIZE + PackCodec.footerPadding(footerStart, (int) count) != t) {
                continue;
            }
            int bodyLength = (int) (t + 16 - footerStart);
            byte[] body = new byte[bodyLength];
            if (FileIo.readFully(ch, ByteBuffer.wrap(body), footerStart) < bodyLength) {
                continue;
            }
            if (PackCodec.trailerCrc(body, bodyLength - 16) != PackCodec.crc(body, 0, bodyLength - 4)) {
                continue;
            }
            try {
                List<PackIndex.Entry> entries = parseEntries(id, body, (int) count, footerStart);
                return new Footer(new PackIndex(id, true, t + TRAILER_SIZE, entries), false, t);
            } catch (CorruptPackException e) {
                // a checksum that matches by chance over bytes that are no footer: keep looking
            }
        }
        return null;
    }

    /**
     * The footer of a pack, wherever it is: where it belongs ({@link #readFooter}), else found by
     * {@link #findFooter}. A footer that is damaged while the end magic is present is reported to
     * {@code problems} (if not null) and the search goes on.
     */
    static Footer anyFooter(FileChannel ch, PackId id, long size, List<CorruptPackException> problems) throws IOException {
        try {
            Footer f = readFooter(ch, id, size);
            if (f != null) {
                return f;
            }
        } catch (CorruptPackException e) {
            if (problems == null) {
                throw e;
            }
            problems.add(e);
        }
        return findFooter(ch, id, size);
    }

    /** What is wrong with the end of a pack whose footer {@code f} was found. */
    static PackIndex.Damage tailDamage(Footer f, long size) {
        long sealedEnd = f.trailerAt() + TRAILER_SIZE;
        if (sealedEnd == size) {
            return new PackIndex.Damage(size - PackCodec.END_MAGIC.length, PackCodec.END_MAGIC.length,
                    "end magic damaged: expected " + PackCodec.quote(PackCodec.END_MAGIC, 0, 8) + " after a footer that checks out");
        }
        if (sealedEnd > size) {
            return new PackIndex.Damage(size, sealedEnd - size, "the file ends " + (sealedEnd - size)
                    + " bytes short of its sealed length " + sealedEnd + " (end magic missing; the footer at "
                    + f.index().recordsEnd() + " checks out)");
        }
        return new PackIndex.Damage(f.trailerAt() + 16, size - f.trailerAt() - 16, "a footer that checks out ends at "
                + (f.trailerAt() + 16) + ", but the file is " + size + " bytes long");
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
     * Scans records from the header on and resynchronises after damage: where a record is
     * incomplete, malformed or fails its CRC, it first tries the offset right after the record
     * (if its length field is plausible), then every following offset, until a record header
     * whose full record CRC checks out. Each skipped region followed by a valid record is a gap
     * ({@code damage}); the bytes after the last valid record (a crash's torn tail, or a lost
     * footer) are not. Reads no further than {@code limit}.
     *
     * <p>Cost: one pass over the file; inside a damaged region, a few comparisons per byte, plus
     * a CRC over the claimed record for each offset whose header fields are all plausible.
     */
    static ScanResult scanResync(FileChannel ch, PackId id, long limit, RecordSink sink, DamageSink damage) throws IOException {
        Window window = new Window(ch, id, limit);
        CRC32C crc = new CRC32C();
        long pos = HEADER_SIZE;
        long contiguousEnd = HEADER_SIZE;
        long lastEnd = HEADER_SIZE;
        boolean contiguous = true;
        long gapStart = -1;
        CorruptPackException gapProblem = null;
        List<PackIndex.Damage> gaps = new ArrayList<>();
        int count = 0;
        while (limit - pos >= RECORD_HEADER_SIZE && count < PackCodec.MAX_RECORDS) {
            CorruptPackException problem = checkAt(window, id, pos, limit, crc);
            if (problem == null) {
                int off = window.fill(pos, RECORD_HEADER_SIZE);
                int stored = PackCodec.recordStoredLength(window.buf, off);
                if (gapStart >= 0) {
                    PackIndex.Damage d = new PackIndex.Damage(gapStart, pos - gapStart, gapProblem.getMessage());
                    gaps.add(d);
                    if (damage != null) {
                        damage.accept(d, gapProblem);
                    }
                    gapStart = -1;
                }
                off = window.fill(pos, RECORD_HEADER_SIZE + stored);
                sink.accept(pos, window.buf, off);
                pos += RECORD_HEADER_SIZE + stored;
                lastEnd = pos;
                if (contiguous) {
                    contiguousEnd = pos;
                }
                count++;
                continue;
            }
            contiguous = false;
            if (gapStart < 0) {
                gapStart = pos;
                gapProblem = problem;
                // A damaged payload leaves the length fields intact: the next record is right
                // after it. Try there before searching byte by byte.
                int off = window.fill(pos, RECORD_HEADER_SIZE);
                if (PackCodec.isPlausibleRecordHeader(window.buf, off)) {
                    long next = pos + RECORD_HEADER_SIZE + (PackCodec.recordStoredLength(window.buf, off) & 0xffff_ffffL);
                    if (limit - next >= RECORD_HEADER_SIZE && checkAt(window, id, next, limit, crc) == null) {
                        pos = next;
                        continue;
                    }
                }
            }
            pos++;
        }
        long tailStart = gapStart >= 0 ? gapStart : pos;
        return new ScanResult(contiguousEnd, lastEnd, Math.min(tailStart, limit), count, List.copyOf(gaps));
    }

    /** Why the bytes at {@code pos} are not a valid record, or null if they are one. */
    private static CorruptPackException checkAt(Window window, PackId id, long pos, long limit, CRC32C crc) throws IOException {
        int off = window.fill(pos, RECORD_HEADER_SIZE);
        if (!PackCodec.isPlausibleRecordHeader(window.buf, off)) {
            return new CorruptPackException(id, pos, "malformed record header (type, codec, reserved or length field)");
        }
        long stored = PackCodec.recordStoredLength(window.buf, off) & 0xffff_ffffL;
        if (limit - pos - RECORD_HEADER_SIZE < stored) {
            return new CorruptPackException(id, pos, "record of " + (RECORD_HEADER_SIZE + stored)
                    + " bytes extends past the end of the file at " + limit);
        }
        off = window.fill(pos, RECORD_HEADER_SIZE + (int) stored);
        byte[] buf = window.buf;
        int expected = PackCodec.u32(buf, off + PackCodec.R_CRC);
        int actual = PackCodec.recordCrc(crc, buf, off, buf, off + RECORD_HEADER_SIZE, (int) stored);
        if (expected != actual) {
            return CorruptPackException.mismatch(id, pos, "record CRC32C", PackCodec.hex32(expected), PackCodec.hex32(actual));
        }
        return null;
    }

    /**
     * Visits every record. With a footer (where it belongs, or found by {@link #findFooter}):
     * by its entries, each record verified; a damaged record, and damage at the end of the file,
     * are reported and skipped. Without one: sequentially with {@link #scanResync}, each skipped
     * region reported at its first byte. A footer that is damaged while the end magic is present
     * is reported first. The trailing bytes of an unsealed pack that hold no record are not
     * reported: a crash leaves them.
     */
    static void scan(FileChannel ch, PackId id, PackStore.RecordVisitor visitor) throws IOException {
        long size = ch.size();
        checkHeader(ch, id, size);
        List<CorruptPackException> problems = new ArrayList<>();
        Footer footer = anyFooter(ch, id, size, problems);
        for (CorruptPackException e : problems) {
            visitor.corrupt(id, e.offset(), e);
        }
        if (footer == null) {
            scanResync(ch, id, size, (offset, buf, off) -> visitor.record(PackCodec.recordId(buf, off),
                    PackCodec.recordLocation(id, offset, buf, off), chunkAt(buf, off)),
                    (d, problem) -> visitor.corrupt(id, d.offset(), problem));
            return;
        }
        if (!footer.magicIntact()) {
            PackIndex.Damage d = tailDamage(footer, size);
            visitor.corrupt(id, d.offset(), new CorruptPackException(id, d.offset(), d.detail()));
        }
        Window window = new Window(ch, id, size);
        CRC32C crc = new CRC32C();
        for (PackIndex.Entry entry : footer.index().entries()) {
            ChunkLocation loc = entry.location();
            if (loc.offset() + RECORD_HEADER_SIZE + loc.storedLength() > size) {
                visitor.corrupt(id, loc.offset(), new CorruptPackException(id, loc.offset(), "record extends past the end of the file"));
                continue;
            }
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

    /**
     * What can still be used of a pack, whatever happened to it: the entries of its footer (where
     * it belongs or found by {@link #findFooter}; records not re-read), else every record a
     * {@link #scanResync} finds intact. {@link PackIndex#damage()} lists the damaged footer or
     * end, the skipped regions, and trailing bytes that hold no record.
     *
     * @throws CorruptPackException only if the header is unreadable
     */
    static PackIndex salvage(FileChannel ch, PackId id) throws IOException {
        long size = ch.size();
        checkHeader(ch, id, size);
        List<CorruptPackException> problems = new ArrayList<>();
        Footer footer = anyFooter(ch, id, size, problems);
        List<PackIndex.Damage> damage = new ArrayList<>();
        for (CorruptPackException e : problems) {
            damage.add(new PackIndex.Damage(e.offset(), 0, e.getMessage()));
        }
        if (footer != null) {
            if (!footer.magicIntact()) {
                damage.add(tailDamage(footer, size));
            }
            return new PackIndex(id, true, size, footer.index().entries(), List.copyOf(damage));
        }
        List<PackIndex.Entry> entries = new ArrayList<>();
        ScanResult r = scanResync(ch, id, size, (offset, buf, off) -> entries.add(new PackIndex.Entry(
                PackCodec.recordId(buf, off), PackCodec.recordLocation(id, offset, buf, off))), null);
        damage.addAll(r.gaps());
        if (r.tailStart() < size) {
            damage.add(new PackIndex.Damage(r.tailStart(), size - r.tailStart(), "no footer, and the last "
                    + (size - r.tailStart()) + " bytes hold no valid record (a torn record, or a lost or damaged footer)"));
        }
        return new PackIndex(id, false, size, List.copyOf(entries), List.copyOf(damage));
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
