package dev.cairn.client;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkBatch;
import dev.cairn.protocol.chunk.ChunkBatcher;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.Chunker;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.ChunkListDigest;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.EntryNames;
import dev.cairn.protocol.wire.Limits;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.MessageCodec;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The client side of one mode-0 put session: cuts the bytes it is given into chunks with the
 * store's chunker, hashes them, asks the daemon which it lacks, uploads only those (LZ4 where it
 * pays) and appends the refs to the open entry.
 *
 * <p>Stages per batch of chunks (about {@code batchBytes}), overlapping across batches:
 * <ol>
 *   <li>hash (worker pool; several batches at once);</li>
 *   <li>HAVE (as soon as the batch is hashed);</li>
 *   <li>encode the missing chunks and write the UPLOADs (worker pool);</li>
 *   <li>REFS, strictly one batch after the other, each sent only after the previous REFS was
 *       acknowledged: if the daemon refuses one with MISSING_CHUNKS (garbage collection freed a
 *       chunk between HAVE and REFS) nothing of it was appended, and no later REFS may overtake
 *       it, or the entry's chunk order would be wrong. The batch is still held, so the pipeline
 *       uploads the missing chunks and sends the same REFS again.</li>
 * </ol>
 * ENTRY, END_ENTRY and COMMIT join the same acknowledged chain, so the daemon sees every ordered
 * request in order. An UPLOAD of batch k is always written before the REFS of batch k, and the
 * daemon applies a session's requests in arrival order, so the refs find their chunks.
 *
 * <p>Memory: at most {@code depth} batches are between chunking and their REFS acknowledgement;
 * the producer blocks until one completes.
 *
 * <p>Not thread-safe: one producer thread calls the entry and write methods; the stages run on the
 * worker pool and the connection's event loop.
 */
final class PutPipeline {
    /** Chunks to re-send when COMMIT reports them missing; null: the input cannot be read again. */
    interface Resupplier {
        /** Feeds the checkpoint's bytes again, entry by entry, to {@code feed}. */
        void replay(ReplayFeed feed) throws IOException;
    }

    /** Receives replayed bytes; chunks whose ids are wanted are uploaded. */
    interface ReplayFeed {
        /** Chunks and uploads what is wanted of one entry's bytes. */
        void entry(InputStream in) throws IOException;
    }

    /** Upload frames stay well below the frame limit so they interleave with other traffic. */
    static final int MAX_UPLOAD_FRAME = 8 << 20;
    private static final int RETRIES = 5;
    private static final int RECENT_LIMIT = 1 << 16;

    private final Exchange ex;
    private final int session;
    private final Executor pool;
    private final Chunker chunker;
    private final int batchBytes;
    private final Semaphore window;
    private final Limits limits;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong uploadedChunks = new AtomicLong();
    private final AtomicLong uploadedBytes = new AtomicLong();
    private final Set<ChunkId> recent = ConcurrentHashMap.newKeySet();
    /** The last ordered request's acknowledgement; the producer appends to it. */
    private CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    /** Test hook: chunks to leave out of their first UPLOAD (simulates a chunk that vanished). */
    private final java.util.function.Predicate<ChunkId> dropFirstUpload;
    /** The commit rule on entry names, checked before an ENTRY is sent (the daemon checks it too). */
    private final EntryNames.Checker names = new EntryNames.Checker();
    /**
     * The entries' headers as this client computed them, in order, as their END_ENTRY is
     * acknowledged (directories at once): with the metadata they give the id the checkpoint gets.
     */
    private final List<EntryHeader> headers = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Set once a COMMIT was handed to the connection: from then on the outcome may be unknown. */
    private volatile boolean commitSent;
    private ChunkBatcher batcher;
    private EntryState entry;
    private boolean finished;

    PutPipeline(Exchange ex, int session, Executor pool, int depth, int batchBytes) {
        this(ex, session, pool, depth, batchBytes, null);
    }

    PutPipeline(Exchange ex, int session, Executor pool, int depth, int batchBytes,
                java.util.function.Predicate<ChunkId> dropFirstUpload) {
        this.dropFirstUpload = dropFirstUpload;
        this.ex = ex;
        this.session = session;
        this.pool = pool;
        this.chunker = new Chunker(ex.chunker());
        this.limits = ex.limits();
        this.batchBytes = batchBytes;
        this.window = new Semaphore(depth);
    }

    /** The open entry's name and the digest of the refs appended to it so far (REFS stage only). */
    private static final class EntryState {
        final String name;
        final ChunkListDigest digest = new ChunkListDigest();

        EntryState(String name) {
            this.name = name;
        }
    }

    /** A batch between chunking and its REFS acknowledgement. */
    private static final class BatchState {
        final ChunkBatch batch;
        final EntryState entry;
        ChunkId[] ids;

        BatchState(ChunkBatch batch, EntryState entry) {
            this.batch = batch;
            this.entry = entry;
        }
    }

    // ================================================================ producer API

    /** Opens a file entry; its bytes follow through {@link #write} or {@link #readFrom}. */
    void beginFile(String name) throws IOException {
        checkState();
        if (entry != null) {
            throw new IllegalStateException("entry '" + entry.name + "' is still open");
        }
        checkName(name, EntryKind.FILE);
        ordered(new Message.Entry(session, name, EntryKind.FILE));
        entry = new EntryState(name);
        batcher = new ChunkBatcher(chunker, batchBytes, this::onBatch);
    }

    /** Adds an (empty) directory entry. */
    void directory(String name) throws IOException {
        checkState();
        if (entry != null) {
            throw new IllegalStateException("entry '" + entry.name + "' is still open");
        }
        checkName(name, EntryKind.DIRECTORY);
        ordered(new Message.Entry(session, name, EntryKind.DIRECTORY));
        headers.add(ChunkListDigest.directory(name));
    }

    private void checkName(String name, EntryKind kind) throws CairnClientException {
        try {
            names.add(name, kind);
        } catch (IllegalArgumentException e) {
            throw CairnClientException.local(Status.BAD_REQUEST, e.getMessage(), e);
        }
    }

    void write(byte[] b, int off, int len) throws IOException {
        checkState();
        try {
            batcher.write(b, off, len);
        } catch (UncheckedPipelineFailure e) {
            throw e.cause;
        }
    }

    long readFrom(InputStream in) throws IOException {
        checkState();
        try {
            return batcher.readFrom(in);
        } catch (UncheckedPipelineFailure e) {
            throw e.cause;
        }
    }

    /** Closes the open file entry; the daemon's header is checked against the refs sent. */
    void endFile() throws IOException {
        checkState();
        try {
            batcher.finish();
        } catch (UncheckedPipelineFailure e) {
            throw e.cause;
        }
        batcher = null;
        EntryState e = entry;
        entry = null;
        chain = chain.thenCompose(v -> call(new Message.EndEntry(session))).thenAccept(r -> {
            EntryHeader theirs = ((Message.EndEntryOk) r).header();
            EntryHeader ours = e.digest.finish(e.name);
            if (!theirs.equals(ours)) {
                throw new CompletionException(CairnClientException.local(Status.CORRUPT, "the daemon recorded entry '"
                        + e.name + "' as " + theirs + " but this client sent " + ours, null));
            }
            headers.add(ours);
        });
        watch(chain);
    }

    /**
     * Commits the session once every ordered request is acknowledged. If the daemon reports
     * chunks missing (freed by garbage collection after their REFS), replays the input through
     * {@code resupplier} to upload them and commits again.
     */
    Message.CommitOk commit(Resupplier resupplier) throws IOException {
        checkState();
        if (entry != null) {
            endFile();
        }
        finished = true;
        await(chain);
        for (int attempt = 0; ; attempt++) {
            try {
                commitSent = true;
                return (Message.CommitOk) await(call(new Message.Commit(session)));
            } catch (CairnClientException e) {
                if (e.status() != Status.MISSING_CHUNKS || attempt >= RETRIES) {
                    throw e;
                }
                if (resupplier == null) {
                    throw CairnClientException.local(Status.MISSING_CHUNKS, e.chunks().size() + " chunk(s) of this"
                            + " checkpoint were garbage-collected between upload and commit, and its input stream"
                            + " cannot be read a second time to send them again; put the checkpoint again", e);
                }
                Set<ChunkId> wanted = ConcurrentHashMap.newKeySet();
                wanted.addAll(e.chunks());
                resupplier.replay(in -> replayEntry(in, wanted));
                if (!wanted.isEmpty()) {
                    throw CairnClientException.local(Status.MISSING_CHUNKS, "the daemon misses " + wanted.size()
                            + " chunk(s) that the input no longer contains (did the file change during the put?)", e);
                }
            }
        }
    }

    /** Ends the session on the daemon without storing anything; best effort, does not wait long. */
    void abort() {
        fail(CairnClientException.local(Status.CANCELLED, "put aborted", null));
        try {
            call(new Message.Abort(session)).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            // The session ends with its connection anyway.
        }
    }

    /**
     * True once COMMIT was sent: if the connection breaks after that, the daemon may have stored
     * the checkpoint (its reply was lost) or not.
     */
    boolean commitSent() {
        return commitSent;
    }

    /**
     * The id the checkpoint gets if its COMMIT succeeds, or null if not every entry was
     * acknowledged (then no COMMIT was sent).
     */
    dev.cairn.protocol.manifest.ManifestId expectedId(dev.cairn.protocol.manifest.CheckpointMeta meta) {
        synchronized (headers) {
            if (!commitSent || headers.isEmpty()) {
                return null;
            }
            try {
                return new dev.cairn.protocol.manifest.ManifestHeader(meta, headers).id();
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    }

    long uploadedChunks() {
        return uploadedChunks.get();
    }

    long uploadedBytes() {
        return uploadedBytes.get();
    }

    // ================================================================ stages

    /** Producer thread, from the batcher. */
    private void onBatch(ChunkBatch b) {
        try {
            while (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                rethrow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedPipelineFailure(CairnClientException.local(Status.CANCELLED, "interrupted", e));
        }
        rethrow();
        BatchState s = new BatchState(b, entry);
        CompletableFuture<BitSet> missing = CompletableFuture.supplyAsync(() -> hash(s), pool)
                .thenComposeAsync(this::have, pool);
        CompletableFuture<Void> uploaded = missing.thenAcceptAsync(m -> upload(s, m), pool);
        CompletableFuture<Void> refs = chain.thenCombine(uploaded, (x, y) -> (Void) null)
                .thenComposeAsync(v -> refs(s), pool);
        refs.whenComplete((v, t) -> window.release());
        chain = refs;
        watch(refs);
    }

    private ChunkId[] hash(BatchState s) {
        ChunkBatch b = s.batch;
        ChunkId[] ids = new ChunkId[b.count()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = b.id(i);
        }
        s.ids = ids;
        return ids;
    }

    /** Asks which ids the store lacks, in as many HAVEs as the limit needs. */
    private CompletableFuture<BitSet> have(ChunkId[] ids) {
        int max = limits.maxHaveIds();
        List<CompletableFuture<Message.Response>> parts = new ArrayList<>();
        for (int from = 0; from < ids.length; from += max) {
            int to = Math.min(ids.length, from + max);
            parts.add(call(new Message.Have(List.of(ids).subList(from, to))));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            BitSet missing = new BitSet(ids.length);
            for (int p = 0; p < parts.size(); p++) {
                Message.HaveOk h = (Message.HaveOk) parts.get(p).join();
                int base = p * max;
                for (int i = h.missing().nextSetBit(0); i >= 0; i = h.missing().nextSetBit(i + 1)) {
                    missing.set(base + i);
                }
            }
            return missing;
        });
    }

    /** Encodes and sends the chunks of {@code s} flagged in {@code which}, each id once. Pool thread. */
    private void upload(BatchState s, BitSet which) {
        rethrow();
        List<Integer> send = new ArrayList<>();
        Set<ChunkId> inBatch = new HashSet<>();
        for (int i = which.nextSetBit(0); i >= 0; i = which.nextSetBit(i + 1)) {
            ChunkId id = s.ids[i];
            // Another batch of this put may have sent it already (runs of zeros, repeated blocks):
            // its UPLOAD was written before this batch's REFS can be, so the refs will find it.
            if (inBatch.add(id) && !recent.contains(id) && (dropFirstUpload == null || !dropFirstUpload.test(id))) {
                send.add(i);
            }
        }
        sendChunks(s.batch, s.ids, send);
    }

    /** Encodes chunks {@code indices} of {@code b} and writes them in UPLOAD frames within the limits. */
    private void sendChunks(ChunkBatch b, ChunkId[] ids, List<Integer> indices) {
        if (indices.isEmpty()) {
            return;
        }
        ChunkCodec codec = ChunkCodec.shared();
        long cap = 0;
        for (int i : indices) {
            cap += ChunkCodec.maxEncodedLength(b.length(i));
        }
        byte[] dst = new byte[(int) Math.min(Integer.MAX_VALUE - 16, cap)];
        int dstOff = 0;
        int maxFrame = Math.min(MAX_UPLOAD_FRAME, limits.maxFrame() - 1024);
        List<Message.WireChunk> frame = new ArrayList<>();
        long frameBytes = 0;
        for (int i : indices) {
            EncodedChunk e = codec.encode(b.data(), b.offset(i), b.length(i), dst, dstOff, limits.compression());
            if (e.data() == dst) {
                dstOff += e.length();
            }
            long add = MessageCodec.WIRE_CHUNK_OVERHEAD + (long) e.length();
            if (!frame.isEmpty() && (frame.size() >= limits.maxUploadChunks() || frameBytes + add > maxFrame)) {
                uploadFrame(frame);
                frame = new ArrayList<>();
                frameBytes = 0;
            }
            frame.add(new Message.WireChunk(ids[i], e));
            frameBytes += add;
        }
        uploadFrame(frame);
    }

    private void uploadFrame(List<Message.WireChunk> chunks) {
        Message.Upload u = new Message.Upload(session, chunks);
        watch(call(u));
        uploadedChunks.addAndGet(chunks.size());
        uploadedBytes.addAndGet(u.payloadBytes());
        if (recent.size() > RECENT_LIMIT) {
            recent.clear();
        }
        for (Message.WireChunk c : chunks) {
            recent.add(c.id());
        }
    }

    /** Sends the batch's refs (several REFS if the limit needs), each after the previous one's ack. */
    private CompletableFuture<Void> refs(BatchState s) {
        rethrow();
        int max = limits.maxRefs();
        CompletableFuture<Void> f = CompletableFuture.completedFuture(null);
        for (int from = 0; from < s.ids.length; from += max) {
            int a = from;
            int z = Math.min(s.ids.length, from + max);
            f = f.thenCompose(v -> refsPart(s, a, z, 0));
        }
        return f;
    }

    private CompletableFuture<Void> refsPart(BatchState s, int from, int to, int attempt) {
        List<ChunkRef> refs = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            refs.add(new ChunkRef(s.ids[i], s.batch.length(i)));
        }
        return call(new Message.Refs(session, refs)).handleAsync((r, t) -> {
            if (t == null) {
                for (ChunkRef ref : refs) {
                    s.entry.digest.add(ref);
                }
                return CompletableFuture.<Void>completedFuture(null);
            }
            Throwable c = unwrap(t);
            if (c instanceof CairnClientException e && e.status() == Status.MISSING_CHUNKS && attempt < RETRIES) {
                // Freed between HAVE and REFS (or an UPLOAD was lost): nothing was appended; send them and retry.
                Set<ChunkId> want = new HashSet<>(e.chunks());
                List<Integer> again = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    if (want.remove(s.ids[i])) {
                        again.add(i);
                    }
                }
                recent.removeAll(e.chunks());
                sendChunks(s.batch, s.ids, again);
                return refsPart(s, from, to, attempt + 1);
            }
            return CompletableFuture.<Void>failedFuture(c);
        }, pool).thenCompose(x -> x);
    }

    /** COMMIT said these are missing: chunk the replayed bytes and upload the wanted chunks. */
    private void replayEntry(InputStream in, Set<ChunkId> wanted) throws IOException {
        ChunkBatcher rb = new ChunkBatcher(chunker, batchBytes, b -> {
            List<Integer> idx = new ArrayList<>();
            ChunkId[] ids = new ChunkId[b.count()];
            for (int i = 0; i < b.count() && !wanted.isEmpty(); i++) {
                ids[i] = b.id(i);
                if (wanted.remove(ids[i])) {
                    idx.add(i);
                }
            }
            sendChunks(b, ids, idx);
        });
        try {
            rb.readFrom(in);
            rb.finish();
        } catch (UncheckedPipelineFailure e) {
            throw e.cause;
        }
        throwIfFailed();
    }

    // ================================================================ plumbing

    private void ordered(Message.Request r) {
        chain = chain.thenCompose(v -> call(r)).thenAccept(x -> {
        });
        watch(chain);
    }

    private CompletableFuture<Message.Response> call(Message.Request r) {
        try {
            return ex.call(r);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Records the first failure of any stage; the producer sees it at its next call. */
    private void watch(CompletableFuture<?> f) {
        f.whenComplete((v, t) -> {
            if (t != null) {
                fail(unwrap(t));
            }
        });
    }

    private void fail(Throwable t) {
        failure.compareAndSet(null, t);
    }

    private void checkState() throws IOException {
        if (finished) {
            throw new IllegalStateException("the put was already committed or aborted");
        }
        throwIfFailed();
    }

    private void throwIfFailed() throws IOException {
        Throwable t = failure.get();
        if (t != null) {
            throw asIo(t);
        }
    }

    private void rethrow() {
        Throwable t = failure.get();
        if (t != null) {
            throw new UncheckedPipelineFailure(asIo(t));
        }
    }

    private Message.Response await(CompletableFuture<?> f) throws IOException {
        try {
            return (Message.Response) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CairnClientException.local(Status.CANCELLED, "interrupted", e);
        } catch (ExecutionException e) {
            Throwable first = failure.get();
            throw asIo(first != null ? first : unwrap(e));
        }
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof UncheckedPipelineFailure u) {
            return u.cause;
        }
        return t;
    }

    private static IOException asIo(Throwable t) {
        t = unwrap(t);
        if (t instanceof IOException io) {
            return io;
        }
        return CairnClientException.local(Status.INTERNAL, "put failed: " + t, t);
    }

    /**
     * Carries a stage's failure through the batcher's sink, which cannot throw checked exceptions.
     * It never leaves this class: each batcher call catches it and throws the IOException it carries.
     */
    static final class UncheckedPipelineFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient IOException cause;

        UncheckedPipelineFailure(IOException cause) {
            super(cause.getMessage(), cause, false, false);
            this.cause = cause;
        }
    }

}
