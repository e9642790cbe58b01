package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.EntryHeader;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An {@link OutputStream} the caller fills with the bytes of a checkpoint; {@link #commit()}
 * stores it and returns the result, {@link #close()} without commit aborts. The bytes go through
 * the store's {@link Ingest} (cut, hash, dedup, compress on the store's workers, with its
 * GC-safety rule), whoever writes them: the embedded API, or the daemon for a raw-stream put.
 *
 * <p>By default the writer holds one unnamed stream (a single-stream checkpoint), opened by the
 * first write or by {@link #commit()}. For a directory checkpoint call {@link #entry(String)} or
 * {@link #directory(String)} before the first write, names ascending, and {@link #endEntry()}
 * after each file's bytes. Not thread-safe.
 */
public final class CheckpointWriter extends OutputStream {
    private final Repository repo;
    private final PutSession session;
    private Ingest ingest;
    private String entryName;
    private long entryBytes;
    /** Entries opened so far (files and directories). */
    private int entries;
    private PutResult result;

    CheckpointWriter(Repository repo, PutSession session) {
        this.repo = repo;
        this.session = session;
    }

    /** The store session behind this writer (its options and delta parent). */
    public PutSession session() {
        return session;
    }

    /**
     * Opens file entry {@code name} ("" only as the only entry); the next writes are its bytes.
     *
     * @throws CairnException {@link Status#BAD_REQUEST} if an entry is open or the name is invalid,
     *                        out of order or repeated
     */
    public void entry(String name) throws IOException {
        checkNotDone();
        if (ingest != null) {
            throw new CairnException(Status.BAD_REQUEST, "entry '" + name + "' while entry '" + entryName
                    + "' is open: end it first");
        }
        EntryBuilder b;
        try {
            b = session.entry(name);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CairnException(Status.BAD_REQUEST, e.getMessage());
        }
        ingest = new Ingest(repo, session, b);
        entryName = name;
        entryBytes = 0;
        entries++;
    }

    /** Adds an empty directory entry. */
    public void directory(String name) throws IOException {
        checkNotDone();
        if (ingest != null) {
            throw new CairnException(Status.BAD_REQUEST, "directory '" + name + "' while entry '" + entryName
                    + "' is open: end it first");
        }
        try {
            session.directory(name);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CairnException(Status.BAD_REQUEST, e.getMessage());
        }
        entries++;
    }

    /** True while a file entry is open. */
    public boolean entryOpen() {
        return ingest != null;
    }

    /** Bytes written to the open entry so far. */
    public long entryBytes() {
        return entryBytes;
    }

    /** Stores what is still in flight for the open entry and closes it. */
    public EntryHeader endEntry() throws IOException {
        if (ingest == null) {
            throw new CairnException(Status.BAD_REQUEST, "no file entry is open");
        }
        try {
            EntryHeader h = ingest.finish();
            ingest = null;
            return h;
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkNotDone();
        if (ingest == null) {
            if (entries > 0) {
                throw new CairnException(Status.BAD_REQUEST, "bytes without an open file entry");
            }
            entry("");
        }
        try {
            ingest.write(b, off, len);
            entryBytes += len;
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    /** Stores everything written and commits the checkpoint. */
    public PutResult commit() throws IOException {
        if (result != null) {
            return result;
        }
        checkNotDone();
        try {
            if (entries == 0) {
                entry("");
            }
            if (ingest != null) {
                if (!entryName.isEmpty()) {
                    throw new CairnException(Status.BAD_REQUEST, "commit while entry '" + entryName
                            + "' is open: end it first");
                }
                ingest.finish();
                ingest = null;
            }
            result = session.commit();
            return result;
        } catch (CairnException e) {
            if (e.status() != Status.BAD_REQUEST) {
                abort();
            }
            throw e;
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    /** Abandons the checkpoint. */
    public void abort() {
        if (ingest != null) {
            ingest.cancel();
            ingest = null;
        }
        session.abort();
    }

    @Override
    public void close() {
        if (result == null) {
            abort();
        }
    }

    private void checkNotDone() throws IOException {
        if (session.isDone()) {
            throw new IOException("checkpoint already committed or aborted");
        }
    }
}
