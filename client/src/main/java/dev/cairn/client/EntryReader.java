package dev.cairn.client;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.CorruptChunkException;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.ChunkListDigest;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Message;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One file entry of a checkpoint as an {@link InputStream}, streamed with {@code READ}.
 *
 * <p>Nothing unverified comes out: every chunk is decoded and re-hashed (SHA-256) against its id
 * on the worker pool (frames in parallel, delivered in order), and at the end the chunk count,
 * byte count and chunk-list digest must equal the entry header from {@code SHOW}, so a stream
 * that is cut short, reordered or padded fails with {@link Status#CORRUPT} instead of ending
 * quietly.
 *
 * <p>Backpressure: frames the caller has not read yet are counted; above {@code readAhead} bytes
 * the connection stops reading from its socket until the caller catches up, so a slow reader
 * holds at most about {@code readAhead} plus a few frames in memory, and the daemon parks its
 * stream. If the connection breaks, the stream resumes on a new one from the next chunk it lacks.
 *
 * <p>Not thread-safe (like any InputStream); frames arrive on the connection's event loop.
 */
final class EntryReader extends InputStream implements ClientConnection.StreamSink {
    /** How the reader gets a connection (again, after one broke). */
    interface Connector {
        ClientConnection connect() throws CairnClientException;
    }

    private static final int RESUMES = 3;

    private final Connector connector;
    private final Executor pool;
    private final ManifestId id;
    private final EntryHeader header;
    private final long readAhead;
    private final long pollMillis;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final AtomicLong buffered = new AtomicLong();
    private final AtomicLong peakBuffered = new AtomicLong();
    private final ChunkListDigest digest = new ChunkListDigest();
    private volatile ClientConnection conn;
    private volatile ClientConnection.Pending request;
    private int requestId;
    /** Chunks received so far over all connections (event loop; read after a failure item). */
    private volatile long received;
    private int resumes;
    private Decoded current;
    /** Slice of {@link #current} being read, and the position within it. */
    private int seg;
    private int pos;
    private boolean eof;
    private boolean closed;

    /**
     * A verified frame as byte slices: raw chunks point into the frame's payload (no copy), LZ4
     * chunks into their decoded arrays.
     */
    record Decoded(byte[][] arrays, int[] offsets, int[] lengths, List<ChunkRef> refs, long rawBytes) {
        /** All bytes in one array (tests). */
        byte[] toArray() {
            byte[] out = new byte[(int) rawBytes];
            int pos = 0;
            for (int i = 0; i < arrays.length; i++) {
                System.arraycopy(arrays[i], offsets[i], out, pos, lengths[i]);
                pos += lengths[i];
            }
            return out;
        }
    }

    private record Frame(CompletableFuture<Decoded> decoded, long wireBytes) {
    }

    private record End(Message.ReadOk ok) {
    }

    private record Failed(CairnClientException e) {
    }

    EntryReader(Connector connector, Executor pool, ManifestId id, EntryHeader header, long readAhead,
                long requestTimeoutMillis) throws CairnClientException {
        this.connector = connector;
        this.pool = pool;
        this.id = id;
        this.header = header;
        this.readAhead = readAhead;
        this.pollMillis = requestTimeoutMillis + 5000;
        start(0);
    }

    private void start(long fromChunk) throws CairnClientException {
        conn = connector.connect();
        requestId = conn.stream(new Message.Read(id, header.name(), fromChunk), this);
    }

    // ============================================================ event loop side

    @Override
    public void part(ClientConnection.Pending p, Message.Response part) {
        request = p;
        if (!(part instanceof Message.ReadData d)) {
            queue.add(new Failed(CairnClientException.local(Status.BAD_REQUEST, "unexpected "
                    + part.getClass().getSimpleName() + " in a READ response", null)));
            return;
        }
        long wire = 0;
        for (Message.WireChunk c : d.chunks()) {
            wire += c.payload().length();
        }
        received += d.chunks().size();
        CompletableFuture<Decoded> f = CompletableFuture.supplyAsync(() -> decode(d), pool);
        long now = buffered.addAndGet(wire);
        peakBuffered.accumulateAndGet(now, Math::max);
        queue.add(new Frame(f, wire));
        if (now > readAhead) {
            conn.pause(p);
        }
    }

    @Override
    public void end(Message.Response last) {
        if (last instanceof Message.ReadOk ok) {
            queue.add(new End(ok));
        } else {
            queue.add(new Failed(CairnClientException.local(Status.BAD_REQUEST, "READ ended with "
                    + last.getClass().getSimpleName(), null)));
        }
    }

    @Override
    public void failed(CairnClientException e) {
        queue.add(new Failed(e));
    }

    /** Decodes and verifies one frame's chunks. Worker pool. */
    static Decoded decode(Message.ReadData d) {
        int n = d.chunks().size();
        byte[][] arrays = new byte[n][];
        int[] offsets = new int[n];
        int[] lengths = new int[n];
        List<ChunkRef> refs = new ArrayList<>(n);
        long total = 0;
        ChunkCodec codec = ChunkCodec.shared();
        for (int i = 0; i < n; i++) {
            Message.WireChunk c = d.chunks().get(i);
            EncodedChunk e = c.payload();
            byte[] a;
            int off;
            int len = e.rawLength();
            try {
                if (e.codec() == ChunkCodec.RAW) {
                    if (e.length() != len) {
                        throw new CorruptChunkException(e.codec(), len, "stored length " + e.length());
                    }
                    java.util.Objects.checkFromIndexSize(e.offset(), e.length(), e.data().length);
                    a = e.data();
                    off = e.offset();
                } else {
                    if (len < 0 || len > dev.cairn.protocol.chunk.ChunkerParams.LIMIT) {
                        throw new CorruptChunkException(e.codec(), len, "impossible raw length");
                    }
                    a = new byte[len];
                    off = 0;
                    codec.decodeInto(e, a, 0);
                }
            } catch (CorruptChunkException | IllegalArgumentException | IndexOutOfBoundsException x) {
                throw new java.util.concurrent.CompletionException(CairnClientException.local(Status.CORRUPT,
                        "chunk " + c.id().shortHex() + " from the daemon does not decode: " + x.getMessage(), x));
            }
            ChunkId actual = ChunkId.of(a, off, len);
            if (!actual.equals(c.id())) {
                throw new java.util.concurrent.CompletionException(CairnClientException.local(Status.CORRUPT,
                        "chunk " + c.id().shortHex() + " from the daemon hashes to " + actual.shortHex()
                                + ": its bytes are damaged", null));
            }
            arrays[i] = a;
            offsets[i] = off;
            lengths[i] = len;
            refs.add(new ChunkRef(c.id(), len));
            total += len;
        }
        return new Decoded(arrays, offsets, lengths, refs, total);
    }

    // ============================================================ caller side

    @Override
    public int read() throws IOException {
        byte[] b = new byte[1];
        int n = read(b, 0, 1);
        return n < 0 ? -1 : b[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return 0;
        }
        while (true) {
            if (current != null) {
                while (seg < current.arrays().length && pos == current.lengths()[seg]) {
                    seg++;
                    pos = 0;
                }
                if (seg < current.arrays().length) {
                    break;
                }
            }
            if (eof) {
                return -1;
            }
            current = null;
            if (!next()) {
                return -1;
            }
        }
        int n = Math.min(len, current.lengths()[seg] - pos);
        System.arraycopy(current.arrays()[seg], current.offsets()[seg] + pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public int available() {
        return current == null || seg >= current.arrays().length ? 0 : current.lengths()[seg] - pos;
    }

    /** Takes the next frame; false at the verified end. */
    private boolean next() throws IOException {
        Object item;
        try {
            item = queue.poll(pollMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CairnClientException.local(Status.CANCELLED, "interrupted while reading " + what(), e);
        }
        if (item == null) {
            throw CairnClientException.local(Status.TIMEOUT, "no data for " + what() + " within " + pollMillis + " ms", null);
        }
        if (item instanceof Frame f) {
            Decoded d;
            try {
                d = f.decoded().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CairnClientException.local(Status.CANCELLED, "interrupted while reading " + what(), e);
            } catch (ExecutionException e) {
                Throwable c = PutPipeline.unwrap(e);
                throw c instanceof IOException io ? io : CairnClientException.local(Status.INTERNAL, c.toString(), c);
            }
            for (ChunkRef r : d.refs()) {
                digest.add(r);
            }
            long left = buffered.addAndGet(-f.wireBytes());
            if (left <= readAhead / 4) {
                ClientConnection c = conn;
                ClientConnection.Pending p = request;
                if (c != null && p != null) {
                    c.runOnLoop(() -> {
                        if (buffered.get() <= readAhead) {
                            c.resume(p);
                        }
                    });
                }
            }
            current = d;
            seg = 0;
            pos = 0;
            return true;
        }
        if (item instanceof End) {
            eof = true;
            EntryHeader got = digest.finish(header.name());
            if (!got.equals(header)) {
                throw CairnClientException.local(Status.CORRUPT, what() + " arrived as " + got.chunkCount()
                        + " chunks / " + got.size() + " bytes with chunk-list digest " + hex(got.listDigest())
                        + ", but the checkpoint has " + header.chunkCount() + " chunks / " + header.size()
                        + " bytes with digest " + hex(header.listDigest()), null);
            }
            return false;
        }
        CairnClientException e = ((Failed) item).e();
        if (e.connectionLost() && resumes < RESUMES && !closed) {
            resumes++;
            // Everything received before the failure is already queued ahead of it.
            start(received);
            return next();
        }
        eof = true;
        throw e;
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b, 0, 6);
    }

    private String what() {
        return "checkpoint " + id.shortHex() + (header.name().isEmpty() ? "" : " entry '" + header.name() + "'");
    }

    /** Stops the stream; the daemon is told with CANCEL if it was still sending. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!eof) {
            ClientConnection c = conn;
            if (c != null) {
                c.cancel(requestId);
            }
        }
        queue.clear();
        current = null;
    }

    /** Largest number of frame bytes this reader held unread (tests check backpressure with it). */
    long peakBufferedBytes() {
        return peakBuffered.get();
    }

}
