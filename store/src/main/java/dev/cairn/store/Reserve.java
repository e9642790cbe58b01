package dev.cairn.store;

import dev.cairn.store.pack.FileIo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The headroom file {@code <data>/reserve}: zero bytes that hold space on the data directory's
 * file system, so that a GC on a full disk has room for its first metadata writes and repacks
 * (docs/GC.md, "A full disk"). GC deletes it when it needs the space (little free space, or a
 * write failed with NO_SPACE) and puts it back afterwards when space allows again.
 *
 * <p>The bytes are written, not allocated sparsely: a sparse file would hold no space at all.
 * Thread-safe (synchronized); the file is nothing but padding, so a missing or short one is
 * simply re-created.
 */
public final class Reserve {
    private static final Logger log = LoggerFactory.getLogger(Reserve.class);
    /** {@code reserve_bytes: auto}: 64 MiB, or 1/32 of the volume on volumes under 2 GiB. */
    public static final long AUTO = -1;
    static final long AUTO_MAX = 64L << 20;
    /** The reserve is only created while free space is at least this many times its size. */
    static final int CREATE_FACTOR = 3;

    private final Path file;

    Reserve(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** The size {@code configured} ({@link #AUTO}, 0 = none, or bytes) means on this volume. */
    public long resolve(long configured) throws IOException {
        if (configured != AUTO) {
            return Math.max(0, configured);
        }
        long total = Files.getFileStore(file.getParent()).getTotalSpace();
        return Math.min(AUTO_MAX, total / 32);
    }

    /** Free bytes for this process on the data directory's file system. */
    public long usableSpace() throws IOException {
        return Files.getFileStore(file.getParent()).getUsableSpace();
    }

    /** Bytes the reserve holds now (0 if absent). */
    public synchronized long held() {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Creates (or completes) the reserve of {@code configured} bytes if free space is at least
     * {@value #CREATE_FACTOR} times that; a failure is logged and leaves no partial file.
     *
     * @return true if the reserve is in place afterwards
     */
    public synchronized boolean ensure(long configured) {
        try {
            long size = resolve(configured);
            if (size == 0) {
                return false;
            }
            long have = held();
            if (have >= size) {
                return true;
            }
            if (usableSpace() < CREATE_FACTOR * (size - have)) {
                log.debug("not creating the reserve {} ({} bytes): too little free space", file, size);
                return false;
            }
            ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                for (long pos = have; pos < size; ) {
                    zeros.clear().limit((int) Math.min(zeros.capacity(), size - pos));
                    int n = zeros.remaining();
                    FileIo.writeFully(ch, zeros, pos);
                    pos += n;
                }
                ch.force(true);
            }
            FileIo.fsyncDirectory(file.getParent());
            log.info("reserved {} bytes of headroom for GC on a full disk in {}", size, file);
            return true;
        } catch (IOException e) {
            log.warn("could not create the reserve {}: {}", file, e.toString());
            release();
            return false;
        }
    }

    /**
     * Free space below which a deleting path (GC, trim) gives up the reserve before it writes: its
     * first metadata writes (catalog, RocksDB log, GC journal) need a little room.
     */
    public static final long LOW_SPACE = 32L << 20;

    /**
     * Deletes the reserve if less than {@link #LOW_SPACE} is free; if the free space cannot be
     * read, it stays.
     *
     * @return the bytes it held (0 if it stays or there was none)
     */
    public long releaseIfLow() {
        try {
            return usableSpace() < LOW_SPACE ? release() : 0;
        } catch (IOException e) {
            log.debug("cannot tell the free space on {} ({}); the reserve stays", file.getParent(), e.toString());
            return 0;
        }
    }

    /**
     * Deletes the reserve so that its space can be used.
     *
     * @return the bytes it held (0 if there was none)
     */
    public synchronized long release() {
        long have = held();
        try {
            if (Files.deleteIfExists(file)) {
                FileIo.fsyncDirectory(file.getParent());
                if (have > 0) {
                    log.warn("released the reserve {} ({} bytes) to make room", file, have);
                }
                return have;
            }
        } catch (IOException e) {
            log.warn("could not delete the reserve {}: {}", file, e.toString());
        }
        return 0;
    }
}
