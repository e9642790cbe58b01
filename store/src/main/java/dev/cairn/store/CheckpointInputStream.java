package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.store.chunk.ChunkStore;
import dev.cairn.store.manifest.RefCursor;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * Streams one entry of a checkpoint: walks the resolved chunk list and reads chunks ahead on the
 * worker pool (positional reads, decompression, CRC check in the pack layer), delivering them in
 * order. Memory: {@code readAhead} chunks. A chunk that is missing, damaged or of the wrong length
 * fails the read with a {@link CairnException} naming the chunk; wrong bytes are never returned.
 *
 * <p>Not thread-safe, like any InputStream.
 */
final class CheckpointInputStream extends InputStream {
    private final ChunkStore chunks;
    private final ExecutorService workers;
    private final RefCursor cursor;
    private final int readAhead;
    private final boolean verifyHash;
    private final String what;
    private final ArrayDeque<CompletableFuture<byte[]>> ahead = new ArrayDeque<>();
    private byte[] cur;
    private int pos;
    private boolean closed;

    CheckpointInputStream(ChunkStore chunks, ExecutorService workers, RefCursor cursor, int readAhead,
                          boolean verifyHash, String what) {
        this.chunks = chunks;
        this.workers = workers;
        this.cursor = cursor;
        this.readAhead = Math.max(1, readAhead);
        this.verifyHash = verifyHash;
        this.what = what;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return 0;
        }
        while (cur == null || pos == cur.length) {
            if (!advance()) {
                return -1;
            }
        }
        int n = Math.min(len, cur.length - pos);
        System.arraycopy(cur, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = 0;
        while (skipped < n) {
            if (cur == null || pos == cur.length) {
                if (!advance()) {
                    break;
                }
                continue;
            }
            int k = (int) Math.min(n - skipped, cur.length - pos);
            pos += k;
            skipped += k;
        }
        return skipped;
    }

    private boolean advance() throws IOException {
        fill();
        if (ahead.isEmpty()) {
            cur = null;
            return false;
        }
        cur = await(ahead.removeFirst());
        pos = 0;
        fill();
        return true;
    }

    private void fill() throws CairnException {
        while (ahead.size() < readAhead) {
            ChunkRef ref = cursor.next();
            if (ref == null) {
                return;
            }
            ahead.addLast(CompletableFuture.supplyAsync(() -> load(ref), workers));
        }
    }

    private byte[] load(ChunkRef ref) {
        try {
            byte[] raw = chunks.read(ref.id(), verifyHash);
            if (raw.length != ref.length()) {
                throw new CairnException(Status.CORRUPT, what + ": chunk " + ref.id().shortHex() + " has "
                        + raw.length + " bytes, the manifest says " + ref.length());
            }
            return raw;
        } catch (IOException e) {
            Status st = e instanceof CairnException ce ? ce.status() : Status.CORRUPT;
            String msg = e.getMessage() != null && e.getMessage().contains(ref.id().shortHex()) ? e.getMessage()
                    : "chunk " + ref.id().shortHex() + ": " + e.getMessage();
            throw new CompletionException(new CairnException(st, msg, e));
        }
    }

    private byte[] await(CompletableFuture<byte[]> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading " + what);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof CompletionException && c.getCause() != null) {
                c = c.getCause();
            }
            if (c instanceof CairnException ce) {
                throw new CairnException(ce.status(), "cannot read " + what + ": " + ce.getMessage(), ce);
            }
            if (c instanceof IOException io) {
                throw new CairnException(Status.CORRUPT, "cannot read " + what + ": " + io.getMessage(), io);
            }
            throw new CairnException(Status.INTERNAL, "cannot read " + what + ": " + c, c);
        }
    }

    @Override
    public void close() {
        closed = true;
        ahead.forEach(f -> f.cancel(false));
        ahead.clear();
        cur = null;
    }
}
