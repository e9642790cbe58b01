package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkBatch;
import dev.cairn.protocol.chunk.ChunkBatcher;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * Turns the bytes of one entry into stored chunks and refs, on the embedded path. The calling
 * thread reads and cuts; worker threads hash, look up and compress whole batches in parallel;
 * the calling thread then appends the missing chunks and adds the refs in stream order. At most
 * {@link #MAX_IN_FLIGHT} batches are in flight, which bounds memory whatever the stream size.
 *
 * <p>Not thread-safe: one writer per instance.
 */
final class Ingest {
    static final int BATCH_BYTES = 4 << 20;
    static final int MAX_IN_FLIGHT = 4;

    private final ExecutorService workers;
    private final PutSession session;
    private final EntryBuilder entry;
    private final ChunkBatcher batcher;
    private final dev.cairn.protocol.chunk.Compression compression;
    private final ArrayDeque<CompletableFuture<Processed>> inFlight = new ArrayDeque<>();
    private IOException failure;

    /** A batch after the workers: admitted ids, and the encoded payload of each chunk the store lacked. */
    private record Processed(ChunkBatch batch, ChunkAdmission admitted, EncodedChunk[] missing) {
    }

    Ingest(Repository repo, PutSession session, EntryBuilder entry) {
        this.workers = repo.workers();
        this.session = session;
        this.entry = entry;
        this.batcher = new ChunkBatcher(repo.chunker(), BATCH_BYTES, this::submit);
        this.compression = repo.options().compression();
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
            apply(await(inFlight.removeFirst()));
        }
        return entry.finish();
    }

    /** Cancels what is in flight (after a failure elsewhere). */
    void cancel() {
        inFlight.forEach(f -> f.cancel(true));
        inFlight.clear();
    }

    private void submit(ChunkBatch batch) {
        if (failure != null) {
            return;
        }
        try {
            while (inFlight.size() >= MAX_IN_FLIGHT) {
                apply(await(inFlight.removeFirst()));
            }
            inFlight.addLast(CompletableFuture.supplyAsync(() -> process(batch), workers));
            // Apply whatever is already done, in order, to keep the pack writer busy.
            while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) {
                apply(await(inFlight.removeFirst()));
            }
        } catch (IOException e) {
            failure = e;
            cancel();
        }
    }

    private Processed process(ChunkBatch batch) {
        int n = batch.count();
        ChunkId[] ids = new ChunkId[n];
        for (int i = 0; i < n; i++) {
            ids[i] = batch.id(i);
        }
        ChunkAdmission admitted;
        try {
            admitted = session.admit(Arrays.asList(ids));
        } catch (CairnException e) {
            throw new java.util.concurrent.CompletionException(e);
        }
        EncodedChunk[] missing = new EncodedChunk[n];
        for (int i = 0; i < n; i++) {
            if (!admitted.present(i)) {
                missing[i] = ChunkCodec.shared().encode(batch.data(), batch.offset(i), batch.length(i), compression);
            }
        }
        return new Processed(batch, admitted, missing);
    }

    private void apply(Processed p) throws IOException {
        ChunkBatch b = p.batch();
        ChunkAdmission a = p.admitted();
        for (int i = 0; i < b.count(); i++) {
            EncodedChunk e = p.missing()[i];
            if (e != null) {
                a.store(i, e);
            }
            entry.add(new ChunkRef(a.id(i), b.length(i)));
        }
    }

    private static Processed await(CompletableFuture<Processed> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while storing chunks");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof java.util.concurrent.CompletionException && c.getCause() != null) {
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
