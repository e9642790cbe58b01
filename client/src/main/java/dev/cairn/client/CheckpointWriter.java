package dev.cairn.client;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A single-stream checkpoint that the caller writes: bytes go through the client's chunking,
 * dedup and upload pipeline while they are written; {@link #commit()} stores the checkpoint and
 * returns its id. Closing without commit aborts the put, and the daemon keeps nothing of it
 * (chunks already uploaded wait for garbage collection).
 *
 * <p>Not thread-safe: one thread writes. Memory stays bounded however much is written; a write
 * blocks while the pipeline is full. Because the bytes are not kept, a commit the daemon refuses
 * with {@link dev.cairn.protocol.Status#MISSING_CHUNKS} (garbage collection freed a chunk after
 * it was referenced) cannot be repaired and fails with that status: write the checkpoint again.
 */
public final class CheckpointWriter extends OutputStream {
    private final PutPipeline pipeline;
    private final CairnClient.PutFinisher finisher;
    private boolean done;

    CheckpointWriter(PutPipeline pipeline, CairnClient.PutFinisher finisher) {
        this.pipeline = pipeline;
        this.finisher = finisher;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (done) {
            throw new IOException("checkpoint writer already committed or closed");
        }
        try {
            pipeline.write(b, off, len);
        } catch (IOException | RuntimeException e) {
            done = true;
            pipeline.abort();
            throw finisher.explain(e);
        }
    }

    /** Stores the checkpoint; afterwards the writer is closed. */
    public PutResult commit() throws IOException {
        if (done) {
            throw new IOException("checkpoint writer already committed or closed");
        }
        done = true;
        return finisher.finish(pipeline);
    }

    /** Aborts the put unless it was committed. */
    @Override
    public void close() {
        if (!done) {
            done = true;
            pipeline.abort();
        }
    }
}
