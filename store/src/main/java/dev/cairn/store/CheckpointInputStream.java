package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
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
 * worker pool (positional reads, CRC check in the pack layer, decompression), delivering them in
 * order. Chunks are read in groups of up to {@link #GROUP_REFS} per task, so a task's overhead is
 * paid per group, not per (16 KiB average) chunk, and a chunk stored raw is served from the
 * buffer its record was read into — never copied before the caller's {@code read} copies it out.
 * Memory: about {@code readAhead} chunks (rounded up to whole groups, at least two groups). A
 * chunk that is missing, damaged or of the wrong length fails the read with a
 * {@link CairnException} naming the chunk; wrong bytes are never returned.
 *
 * <p>Not thread-safe, like any InputStream.
 */
final class CheckpointInputStream extends InputStream {
    /** Chunks per read-ahead task. */
    static final int GROUP_REFS = 8;

    /** A chunk's bytes: {@code data[offset .. offset + length)}. */
    private record Slice(byte[] data, int offset, int length) {
    }

    private final ChunkStore chunks;
    private final ExecutorService workers;
    private final RefCursor cursor;
    private final int groupsAhead;
    private final boolean verifyHash;
    private final String what;
    private final ArrayDeque<CompletableFuture<Slice[]>> ahead = new ArrayDeque<>();
    private Slice[] group;
    private int inGroup;
    private Slice cur;
    private int pos;
    private boolean closed;

    CheckpointInputStream(ChunkStore chunks, ExecutorService workers, RefCursor cursor, int readAhead,
                          boolean verifyHash, String what) {
        this.chunks = chunks;
        this.workers = workers;
        this.cursor = cursor;
        this.groupsAhead = Math.max(2, (Math.max(1, readAhead) + GROUP_REFS - 1) / GROUP_REFS);
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
        while (cur == null || pos == cur.length()) {
            if (!advance()) {
                return -1;
            }
        }
        int n = Math.min(len, cur.length() - pos);
        System.arraycopy(cur.data(), cur.offset() + pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = 0;
        while (skipped < n) {
            if (cur == null || pos == cur.length()) {
                if (!advance()) {
                    break;
                }
                continue;
            }
            int k = (int) Math.min(n - skipped, cur.length() - pos);
            pos += k;
            skipped += k;
        }
        return skipped;
    }

    private boolean advance() throws IOException {
        if (group != null && inGroup < group.length) {
            cur = group[inGroup++];
            pos = 0;
            return true;
        }
        fill();
        if (ahead.isEmpty()) {
            cur = null;
            group = null;
            return false;
        }
        group = await(ahead.removeFirst());
        inGroup = 0;
        fill();
        if (group.length == 0) {
            return advance();
        }
        cur = group[inGroup++];
        pos = 0;
        return true;
    }

    private void fill() throws CairnException {
        while (ahead.size() < groupsAhead) {
            ChunkRef[] refs = new ChunkRef[GROUP_REFS];
            int n = 0;
            ChunkRef ref;
            while (n < GROUP_REFS && (ref = cursor.next()) != null) {
                refs[n++] = ref;
            }
            if (n == 0) {
                return;
            }
            ChunkRef[] g = n == GROUP_REFS ? refs : java.util.Arrays.copyOf(refs, n);
            ahead.addLast(CompletableFuture.supplyAsync(() -> load(g), workers));
        }
    }

    private Slice[] load(ChunkRef[] refs) {
        Slice[] out = new Slice[refs.length];
        for (int i = 0; i < refs.length; i++) {
            out[i] = load(refs[i]);
        }
        return out;
    }

    private Slice load(ChunkRef ref) {
        try {
            EncodedChunk e = chunks.readEncoded(ref.id());
            Slice s;
            if (e.codec() == ChunkCodec.RAW && e.length() == e.rawLength()) {
                s = new Slice(e.data(), e.offset(), e.length()); // the record's own buffer: no copy
            } else {
                byte[] raw = ChunkStore.decode(ref.id(), e);
                s = new Slice(raw, 0, raw.length);
            }
            if (s.length() != ref.length()) {
                throw new CairnException(Status.CORRUPT, what + ": chunk " + ref.id().shortHex() + " has "
                        + s.length() + " bytes, the manifest says " + ref.length());
            }
            if (verifyHash) {
                ChunkId actual = ChunkId.of(s.data(), s.offset(), s.length());
                if (!actual.equals(ref.id())) {
                    throw new CairnException(Status.CORRUPT, "chunk " + ref.id().shortHex()
                            + " is damaged: its bytes hash to " + actual.shortHex());
                }
            }
            return s;
        } catch (IOException e) {
            Status st = e instanceof CairnException ce ? ce.status() : Status.CORRUPT;
            String msg = e.getMessage() != null && e.getMessage().contains(ref.id().shortHex()) ? e.getMessage()
                    : "chunk " + ref.id().shortHex() + ": " + e.getMessage();
            throw new CompletionException(new CairnException(st, msg, e));
        }
    }

    private Slice[] await(CompletableFuture<Slice[]> f) throws IOException {
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
        group = null;
    }
}
