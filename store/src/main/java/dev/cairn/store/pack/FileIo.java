package dev.cairn.store.pack;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Positional read/write loops and directory fsync: the few file-system calls the pack layer
 * makes, shared with pack stores in other modules (the S3 cache). Stateless, thread-safe.
 */
public final class FileIo {
    private static final boolean WINDOWS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    private FileIo() {
    }

    /**
     * Reads into {@code dst} from file position {@code pos} until it is full or the file ends.
     *
     * @return the number of bytes read; less than requested only at end of file
     */
    public static int readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /** Writes all of {@code src} at file position {@code pos}. */
    public static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
        long p = pos;
        while (src.hasRemaining()) {
            p += ch.write(src, p);
        }
    }

    /**
     * True if {@code t} or one of its causes says the file system is full ({@code ENOSPC}, or
     * {@code EDQUOT}: a quota is a full disk to this process). The JDK reports both only as an
     * {@link IOException} with the OS message, so the message is what there is to go by.
     */
    public static boolean isNoSpace(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof CairnException ce && ce.status() == Status.NO_SPACE) {
                return true;
            }
            String m = c.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("ENOSPC")
                    || m.contains("Disk quota exceeded") || m.contains("There is not enough space on the disk"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code e} as a {@link Status#NO_SPACE} error if the disk is full (so every caller, up to the
     * wire, says "the disk is full" rather than "I/O error"), else {@code e} unchanged.
     */
    public static IOException classify(String what, IOException e) {
        if (e instanceof CairnException || !isNoSpace(e)) {
            return e;
        }
        return new CairnException(Status.NO_SPACE, what + " failed: the disk is full (" + e.getMessage()
                + "); free space (`cairn gc` deletes dead packs first) and retry", e);
    }

    /**
     * Makes the directory's entries (files created or deleted in it) durable. Without this a crash
     * can lose the name of a file whose data was fsynced, or resurrect a deleted one.
     */
    public static void fsyncDirectory(Path dir) throws IOException {
        if (WINDOWS) {
            return; // NTFS journals directory changes itself, and directories cannot be opened as channels.
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw new IOException("fsync of directory " + dir + " failed: " + e.getMessage(), e);
        }
    }
}
