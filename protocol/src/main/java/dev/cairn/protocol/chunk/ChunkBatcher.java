package dev.cairn.protocol.chunk;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Cuts a byte stream into chunks and hands them out in {@link ChunkBatch}es of about
 * {@code batchBytes}. Input can be pushed ({@link #write}) or pulled ({@link #readFrom}); the
 * chunks are the same however the input is sliced, because {@link Chunker} only decides a cut
 * once it has {@code maxSize} bytes ahead or the end of input.
 *
 * <p>Memory is one batch buffer plus the batches the consumer still holds, whatever the stream
 * length. Not thread-safe; the sink is called on the writing thread.
 */
public final class ChunkBatcher {
    private final Chunker chunker;
    private final int capacity;
    private final Consumer<ChunkBatch> sink;
    private byte[] buf;
    private int limit;
    private long streamOffset;
    private boolean finished;

    /**
     * @param batchBytes target bytes per batch; raised to at least twice the maximum chunk size
     */
    public ChunkBatcher(Chunker chunker, int batchBytes, Consumer<ChunkBatch> sink) {
        this.chunker = chunker;
        this.capacity = Math.max(batchBytes, 2 * chunker.params().maxSize());
        this.sink = sink;
        this.buf = new byte[capacity];
    }

    /** Appends bytes to the stream. */
    public void write(byte[] b, int off, int len) {
        checkOpen();
        while (len > 0) {
            int n = Math.min(len, capacity - limit);
            System.arraycopy(b, off, buf, limit, n);
            limit += n;
            off += n;
            len -= n;
            if (limit == capacity) {
                emit(false);
            }
        }
    }

    /** Reads {@code in} to its end into the stream, without an intermediate copy. */
    public long readFrom(InputStream in) throws IOException {
        checkOpen();
        long read = 0;
        while (true) {
            int n = in.read(buf, limit, capacity - limit);
            if (n < 0) {
                return read;
            }
            limit += n;
            read += n;
            if (limit == capacity) {
                emit(false);
            }
        }
    }

    /** Ends the stream: cuts what is left and hands out the last batch (if it holds any chunk). */
    public void finish() {
        checkOpen();
        emit(true);
        finished = true;
        buf = null;
    }

    private void emit(boolean eof) {
        int[] ends = new int[16];
        int count = 0;
        int pos = 0;
        while (pos < limit) {
            int n = chunker.cut(buf, pos, limit - pos, eof);
            if (n < 0) {
                break;
            }
            pos += n;
            if (count == ends.length) {
                ends = Arrays.copyOf(ends, count * 2);
            }
            ends[count++] = pos;
        }
        byte[] full = buf;
        int tail = limit - pos;
        if (!eof) {
            buf = new byte[capacity];
            System.arraycopy(full, pos, buf, 0, tail);
            limit = tail;
        }
        if (count > 0) {
            ChunkBatch batch = new ChunkBatch(full, ends, count, streamOffset);
            streamOffset += pos;
            sink.accept(batch);
        }
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("stream already finished");
        }
    }
}
