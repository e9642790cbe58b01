package dev.cairn.store;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An {@link OutputStream} the caller fills with a single-stream checkpoint; {@link #commit()}
 * stores it and returns the result, {@link #close()} without commit aborts. Not thread-safe.
 */
public final class CheckpointWriter extends OutputStream {
    private final PutSession session;
    private final Ingest ingest;
    private PutResult result;

    CheckpointWriter(PutSession session, Ingest ingest) {
        this.session = session;
        this.ingest = ingest;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (session.isDone()) {
            throw new IOException("checkpoint already committed or aborted");
        }
        try {
            ingest.write(b, off, len);
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
        try {
            ingest.finish();
            result = session.commit();
            return result;
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    /** Abandons the checkpoint. */
    public void abort() {
        ingest.cancel();
        session.abort();
    }

    @Override
    public void close() {
        if (result == null) {
            abort();
        }
    }
}
