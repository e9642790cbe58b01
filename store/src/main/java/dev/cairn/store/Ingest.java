package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkBatch;
import dev.cairn.protocol.chunk.ChunkBatcher;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * Turns the bytes of one entry into stored chunks and refs: the put path of the embedded store
 * and of the daemon's raw-stream and local-descriptor puts. Three stages overlap on the store's
 * worker threads:
 * <ol>
 *   <li>the calling thread reads and cuts ({@link ChunkBatcher}) into batches of about
 *       {@link #BATCH_BYTES};</li>
 *   <li>a worker hashes a batch, admits its ids ({@link PutSession#admit}: the GC-safety step)
 *       and compresses the chunks the store lacks ({@link ChunkEncoder}, which gives up early on
 *       incompressible bytes); batches are processed in parallel and may finish in any order;</li>
 *   <li>the write stage appends a batch's missing chunks to the pack and adds its refs, strictly
 *       in stream order: the write of batch n is chained after the write of batch n-1 and after
 *       the processing of batch n, and runs on a worker while the caller cuts the next bytes.</li>
 * </ol>
 * At most {@link #MAX_IN_FLIGHT} batches are between the cut and the end of their write, which
 * bounds memory whatever the stream size, and all puts of a store together hold at most {@link
 * Repository#ingestBatches}, which bounds it whatever the number of concurrent puts. Chunk data is not copied on the way: a batch's array
 * is hashed, compressed from and (for chunks stored raw) written to the pack as it is.
 *
 * <p>A failure in any stage fails every later write (they are chained) and is rethrown to the
 * caller by its next call; nothing of a failed stream is committed (the caller aborts the
 * session). Not thread-safe: one writer per instance.
 */
final class Ingest {
    static final int BATCH_BYTES = 4 << 20;
    static final int MAX_IN_FLIGHT = 4;

    private final ExecutorService workers;
    private final java.util.concurrent.Semaphore batches;
    private final PutSession session;
    private final EntryBuilder entry;
    private final ChunkBatcher batcher;
    private final ChunkEncoder encoder;
    /** Write-stage futures of the batches in flight, oldest first. */
    private final ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
    /** The write of the newest batch: the next batch's write is chained after it. */
    private CompletableFuture<Void> lastWrite = CompletableFuture.completedFuture(null);
    private IOException failure;
    /** Set by {@link #cancel}: write stages still queued then store and add nothing. */
    private volatile boolean cancelled;
    /** Stages (processing or write) running now; {@link #cancel} waits until none is (guarded by itself). */
    private final int[] running = new int[1];

    /** For tests: what a worker does after admitting the batch that starts at a stream offset. */
    @FunctionalInterface
    interface BatchHook {
        void reached(long streamOffset) throws IOException;
    }

    /** Tests only (ordering under concurrency): null in normal operation. */
    static volatile BatchHook afterAdmit;

    /** A batch after the workers: admitted ids, and the encoded payload of each chunk the store lacked. */
    private record Processed(ChunkBatch batch, ChunkAdmission admitted, EncodedChunk[] missing) {
    }

    Ingest(Repository repo, PutSession session, EntryBuilder entry) {
        this.workers = repo.workers();
        this.batches = repo.ingestBatches;
        this.session = session;
        this.entry = entry;
        this.batcher = new ChunkBatcher(repo.chunker(), BATCH_BYTES, this::submit);
        this.encoder = new ChunkEncoder(repo.options().compression());
    }

    void write(byte[] b, int off, int len) throws IOException {
        batcher.write(b, off, len);
        rethrow();
    }

    long readFrom(InputStream in) throws IOException {
        long n = batcher.readFrom(in);
        rethrow();
        return n;
    }

    /** Drains the pipeline and finishes the entry. */
    EntryHeader finish() throws IOException {
        batcher.finish();
        rethrow();
        while (!inFlight.isEmpty()) {
            await(inFlight.removeFirst());
        }
        return entry.finish();
    }

    /**
     * Cancels what is in flight (after a failure elsewhere) and returns once no stage of this
     * stream runs any more: a queued stage does nothing when it starts, a write that already
     * started stops after its current chunk, so that nothing is admitted, stored or added for
     * this stream once the caller goes on to abort the session.
     */
    void cancel() {
        cancelled = true;
        lastWrite.cancel(false);
        inFlight.forEach(f -> f.cancel(false));
        inFlight.clear();
        boolean interrupted = false;
        synchronized (running) {
            while (running[0] > 0) {
                try {
                    running.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void submit(ChunkBatch batch) {
        if (failure != null) {
            return;
        }
        try {
            while (inFlight.size() >= MAX_IN_FLIGHT) {
                await(inFlight.removeFirst());
            }
            // The store-wide bound (Repository#ingestBatches): wait while other puts hold it. Our
            // own batches in flight finish without taking more, so this always makes progress.
            while (!batches.tryAcquire(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) {
                    await(inFlight.removeFirst());
                }
            }
            CompletableFuture<Processed> processed = CompletableFuture.supplyAsync(() -> process(batch), workers);
            // In stream order: after the previous batch's write, and after this batch is processed.
            lastWrite = lastWrite.thenCombineAsync(processed, (prev, p) -> {
                write(p);
                return null;
            }, workers);
            lastWrite.whenComplete((v, e) -> batches.release());
            inFlight.addLast(lastWrite);
            while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) {
                await(inFlight.removeFirst());
            }
        } catch (IOException e) {
            failure = e;
            cancel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = new InterruptedIOException("interrupted while waiting to store chunks");
            cancel();
        }
    }

    /**
     * Runs one stage of this stream counted in {@link #running}, so that {@link #cancel} waits
     * for it; a stage that starts after a cancel does nothing. The count is raised before the
     * check: cancel sets the flag, then waits for the count to drop.
     */
    private <T> T stage(java.util.function.Supplier<T> body) {
        synchronized (running) {
            running[0]++;
        }
        try {
            if (cancelled) {
                throw new CancellationException("the put was cancelled");
            }
            return body.get();
        } finally {
            synchronized (running) {
                running[0]--;
                running.notifyAll();
            }
        }
    }

    private Processed process(ChunkBatch batch) {
        return stage(() -> processNow(batch));
    }

    private Processed processNow(ChunkBatch batch) {
        int n = batch.count();
        ChunkId[] ids = new ChunkId[n];
        for (int i = 0; i < n; i++) {
            ids[i] = batch.id(i);
        }
        ChunkAdmission admitted;
        try {
            admitted = session.admit(Arrays.asList(ids));
            BatchHook hook = afterAdmit;
            if (hook != null) {
                hook.reached(batch.streamOffset());
            }
        } catch (IOException e) {
            throw new CompletionException(e);
        }
        EncodedChunk[] missing = new EncodedChunk[n];
        for (int i = 0; i < n; i++) {
            if (!admitted.present(i)) {
                missing[i] = encoder.encode(batch.data(), batch.offset(i), batch.length(i));
            }
        }
        return new Processed(batch, admitted, missing);
    }

    /** The write stage of one batch; runs after the previous batch's. */
    private void write(Processed p) {
        stage(() -> {
            ChunkBatch b = p.batch();
            ChunkAdmission a = p.admitted();
            try {
                for (int i = 0; i < b.count(); i++) {
                    if (cancelled) {
                        // The session is being aborted: storing more would only leave garbage for GC.
                        throw new CancellationException("the put was cancelled");
                    }
                    EncodedChunk e = p.missing()[i];
                    if (e != null) {
                        a.store(i, e);
                    }
                    entry.add(new ChunkRef(a.id(i), b.length(i)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return null;
        });
    }

    private static void await(CompletableFuture<Void> f) throws IOException {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while storing chunks");
        } catch (CancellationException e) {
            throw new CairnException(Status.CANCELLED, "the put was cancelled");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            while ((c instanceof CompletionException || c instanceof UncheckedIOException) && c.getCause() != null) {
                c = c.getCause();
            }
            if (c instanceof IOException io) {
                throw io;
            }
            throw new CairnException(Status.INTERNAL, "chunk processing failed: " + c, c);
        }
    }

    private void rethrow() throws IOException {
        if (failure != null) {
            throw failure;
        }
    }
}
