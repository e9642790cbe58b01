package dev.cairn.server.net;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.store.CheckpointWriter;
import io.netty.channel.unix.FileDescriptor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Reading and writing a file descriptor a local client passed (docs/PROTOCOL.md, "The local
 * socket"). The daemon touches nothing but the descriptor: it learns what the descriptor is from
 * its own {@code /proc/self/fd/N} entry (the inode the descriptor refers to, never a path the
 * client named) and {@code /proc/self/fdinfo/N} (offset and open flags), and does its I/O with
 * read(2) and write(2) on the descriptor itself, so it can neither reach another file nor use a
 * descriptor beyond the access the client opened it with.
 */
final class LocalFd {
    /** Transfers at once, over all connections (each holds a thread and 2 MiB of buffers). */
    static final int MAX_TRANSFERS = 256;
    static final String BUSY = "too many descriptor transfers at once (" + MAX_TRANSFERS + "); retry later";
    /** Descriptor transfers: blocking I/O that may wait on a slow pipe, kept off the store's workers. */
    static final ExecutorService POOL;

    static {
        AtomicInteger n = new AtomicInteger();
        POOL = new ThreadPoolExecutor(0, MAX_TRANSFERS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "cairnd-fd-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    private static final int BUFFER = 1 << 20;
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFIFO = 0010000;
    private static final int O_ACCMODE = 03;
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;
    private static final int O_APPEND = 02000;
    /** Longest pause between polls of a non-blocking pipe with nothing to read. */
    private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private LocalFd() {
    }

    /** What a descriptor is: file type bits, open flags, offset and size (of a regular file). */
    record Info(int type, int flags, long pos, long size) {
        boolean regular() {
            return type == S_IFREG;
        }

        boolean pipe() {
            return type == S_IFIFO;
        }

        String describe() {
            return switch (type) {
                case S_IFREG -> "a regular file";
                case S_IFIFO -> "a pipe";
                case 0040000 -> "a directory";
                case 0140000 -> "a socket";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                default -> "a file of type 0" + Integer.toOctalString(type);
            };
        }
    }

    static Info inspect(FileDescriptor fd) throws IOException {
        int n = fd.intValue();
        // stat(2) through the magic link: the descriptor's own inode, whatever its name was.
        Path link = Path.of("/proc/self/fd/" + n);
        int mode = (Integer) Files.getAttribute(link, "unix:mode");
        long size = (Long) Files.getAttribute(link, "unix:size");
        long pos = -1;
        int flags = -1;
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + n))) {
            if (line.startsWith("pos:")) {
                pos = Long.parseLong(line.substring(4).strip());
            } else if (line.startsWith("flags:")) {
                flags = Integer.parseInt(line.substring(6).strip(), 8);
            }
        }
        if (pos < 0 || flags < 0) {
            throw new IOException("cannot read /proc/self/fdinfo/" + n);
        }
        return new Info(mode & S_IFMT, flags, pos, size);
    }

    /**
     * Reads the descriptor from its current offset to end of file into the open entry of
     * {@code w}. A regular file must not change size meanwhile (a file that shrinks or grows
     * while it is read is refused); a pipe is read until its writers close it.
     *
     * @return bytes read
     */
    static long readInto(FileDescriptor fd, CheckpointWriter w, BooleanSupplier cancelled) throws IOException {
        if (!w.entryOpen()) {
            throw new CairnException(Status.BAD_REQUEST, "RAW_FD without an open file entry: send RAW_ENTRY first");
        }
        Info before = inspect(fd);
        if (!before.regular() && !before.pipe()) {
            throw new CairnException(Status.BAD_REQUEST, "the passed descriptor is " + before.describe()
                    + ", not a regular file or a pipe");
        }
        if ((before.flags() & O_ACCMODE) == O_WRONLY) {
            throw new CairnException(Status.BAD_REQUEST, "the passed descriptor is open for writing only; open it"
                    + " for reading");
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        byte[] arr = new byte[BUFFER];
        long total = 0;
        long backoff = 0;
        while (true) {
            if (cancelled.getAsBoolean()) {
                throw new CairnException(Status.CANCELLED, "the connection closed while the daemon read the descriptor");
            }
            int n = fd.read(buf, 0, BUFFER);
            if (n < 0) {
                break; // end of file
            }
            if (n == 0) {
                // A pipe with nothing in it yet (descriptors arrive non-blocking): wait a little.
                backoff = Math.min(MAX_BACKOFF_NANOS, Math.max(20_000, backoff * 2));
                LockSupport.parkNanos(backoff);
                continue;
            }
            backoff = 0;
            buf.get(0, arr, 0, n);
            w.write(arr, 0, n);
            total += n;
            dev.cairn.store.util.FaultPoints.reach("localfd.after-read");
        }
        if (before.regular()) {
            long expected = before.size() - before.pos();
            long now = inspect(fd).size();
            if (total != expected || now != before.size()) {
                throw new CairnException(Status.CONFLICT, "the file changed size while the daemon read it ("
                        + before.size() + " bytes at the start, " + now + " at the end; " + total + " read from offset "
                        + before.pos() + "): nothing is committed; put it again once it is stable");
            }
        }
        return total;
    }

    /** Checks that a descriptor can take a restore: an empty regular file open for writing at offset 0. */
    static void checkOutput(FileDescriptor fd) throws IOException {
        Info i = inspect(fd);
        if (!i.regular()) {
            throw new CairnException(Status.BAD_REQUEST, "the output descriptor is " + i.describe()
                    + ", not a regular file");
        }
        if ((i.flags() & O_ACCMODE) == O_RDONLY) {
            throw new CairnException(Status.BAD_REQUEST, "the output descriptor is open for reading only; open it"
                    + " for writing");
        }
        if ((i.flags() & O_APPEND) != 0 || i.pos() != 0 || i.size() != 0) {
            throw new CairnException(Status.BAD_REQUEST, "the output descriptor must be a new, empty file at offset 0"
                    + " (not in append mode); it has " + i.size() + " bytes, offset " + i.pos());
        }
    }

    /** Writes everything {@code in} holds into the descriptor, from its offset 0 on. */
    static long writeFrom(InputStream in, FileDescriptor fd, BooleanSupplier cancelled) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        byte[] arr = new byte[BUFFER];
        long total = 0;
        int n;
        while ((n = in.readNBytes(arr, 0, BUFFER)) > 0) {
            if (cancelled.getAsBoolean()) {
                throw new CairnException(Status.CANCELLED, "the connection closed while the daemon wrote the descriptor");
            }
            buf.put(0, arr, 0, n);
            int off = 0;
            while (off < n) {
                int w = fd.write(buf, off, n);
                if (w <= 0) {
                    throw new CairnException(Status.IO_ERROR, "write to the output descriptor made no progress");
                }
                off += w;
            }
            total += n;
        }
        return total;
    }

    static void closeQuietly(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException | RuntimeException ignored) {
            // nothing more to do with it
        }
    }
}
