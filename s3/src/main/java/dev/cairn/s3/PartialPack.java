package dev.cairn.s3;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.CorruptPackException;
import dev.cairn.store.pack.FileIo;
import dev.cairn.store.pack.PackCodec;
import dev.cairn.store.pack.PackFiles;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackIndex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A sparse local copy of a remote pack: a file as long as the object, holding the byte ranges
 * fetched so far with ranged GETs. Record reads fetch the aligned {@value #BLOCK}-byte blocks
 * around the record that are missing (a sequential restore then costs one GET per block, not one
 * per chunk); index reads fetch exactly the header and the footer. Every read is verified as from
 * a local pack (record CRC32C, lengths, id), so a range that never arrived cannot pass as data.
 *
 * <p>Thread-safe: reads run concurrently; fetches for the same pack are serialised (a second
 * reader waiting for the same block finds it present instead of fetching it again). The file is
 * a cache: it is not synced and is discarded at the next start.
 */
final class PartialPack {
    /** Fetch granularity for record reads. */
    static final int BLOCK = 4 << 20;
    /** The tail fetched first when reading the index: the trailer and, usually, the whole footer. */
    private static final int TAIL = 64 << 10;

    /** Fetches {@code length} bytes of the object from {@code offset}. */
    interface Fetcher {
        byte[] fetch(long offset, int length) throws IOException;
    }

    final PackId id;
    final long size;
    final Path file;
    private final FileChannel ch;
    private final RangeSet present = new RangeSet(); // guarded by this
    private final Object fetchLock = new Object();

    PartialPack(PackId id, long size, Path file) throws IOException {
        this.id = id;
        this.size = size;
        this.file = file;
        Files.createDirectories(file.getParent());
        this.ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.SPARSE);
    }

    /** Bytes present locally. */
    synchronized long bytes() {
        return present.bytes();
    }

    /**
     * Reads and verifies a record, fetching what is missing.
     *
     * @return the record's payload (see {@link dev.cairn.store.pack.PackStore#read(ChunkLocation, ChunkId, byte[])})
     */
    EncodedChunk read(ChunkLocation loc, ChunkId expectedId, byte[] scratch, Fetcher fetcher) throws IOException {
        long from = loc.offset();
        long to = from + PackCodec.RECORD_HEADER_SIZE + loc.storedLength();
        if (from < PackCodec.HEADER_SIZE || to > size) {
            throw new CorruptPackException(id, from, "record of " + (to - from) + " bytes at " + from
                    + " lies outside the object's " + size + " bytes");
        }
        ensure(from, to, true, fetcher);
        return PackFiles.readRecord(ch, loc, expectedId, scratch);
    }

    /** The pack's footer index, fetching the header and the footer if missing. */
    PackIndex readIndex(Fetcher fetcher) throws IOException {
        ensure(0, Math.min(size, PackFiles.MAX_HEADER_SIZE), false, fetcher);
        long tail = Math.min(size, TAIL);
        ensure(size - tail, size, false, fetcher);
        if (size < PackFiles.TRAILER_SIZE) {
            throw new CorruptPackException(id, 0, "object of " + size + " bytes is too short to be a sealed pack");
        }
        byte[] trailer = new byte[PackFiles.TRAILER_SIZE];
        readFully(ByteBuffer.wrap(trailer), size - trailer.length);
        long footerStart = PackFiles.footerStart(trailer, 0);
        if (footerStart < PackCodec.HEADER_SIZE || footerStart > size) {
            throw new CorruptPackException(id, size - trailer.length, "the object does not end with a pack trailer"
                    + " (every pack in the bucket is sealed)");
        }
        ensure(footerStart, size, false, fetcher);
        PackIndex idx = PackFiles.readIndex(ch, id);
        if (!idx.sealed()) {
            throw new CorruptPackException(id, footerStart, "the object's footer does not check out");
        }
        return idx;
    }

    private void ensure(long from, long to, boolean align, Fetcher fetcher) throws IOException {
        synchronized (this) {
            if (present.covers(from, to)) {
                return;
            }
        }
        long start = align ? from / BLOCK * BLOCK : from;
        long end = align ? Math.min(size, (to + BLOCK - 1) / BLOCK * BLOCK) : to;
        synchronized (fetchLock) {
            List<long[]> gaps;
            synchronized (this) {
                gaps = present.missing(start, end);
            }
            for (long[] g : gaps) {
                FileIo.writeFully(ch, ByteBuffer.wrap(fetcher.fetch(g[0], (int) (g[1] - g[0]))), g[0]);
                synchronized (this) {
                    present.add(g[0], g[1]);
                }
            }
        }
    }

    private void readFully(ByteBuffer buf, long pos) throws IOException {
        if (FileIo.readFully(ch, buf, pos) < buf.limit()) {
            throw new CorruptPackException(id, pos, "partial copy ended early");
        }
    }

    /** Closes and deletes the file. Only when no read uses it any more (the cache's pin count says). */
    void discard() {
        try {
            ch.close();
        } catch (IOException ignored) {
            // deleting is what matters
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover is removed at the next start
        }
    }
}
