package dev.cairn.client;

import dev.cairn.protocol.Status;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A long request running on the daemon (a GC) that the caller may stop. {@link #get()} waits for
 * the answer; {@link #cancel()} sends {@code CANCEL}, after which the daemon stops at its next safe
 * point and {@link #get()} fails with {@link Status#CANCELLED} (or returns the result, if the work
 * finished first). {@link #close()} cancels a call that has not finished and waits, bounded by the
 * client's request timeout, until the daemon confirms, so that leaving a try-with-resources block
 * means the work has stopped.
 *
 * <p>While the daemon works it sends heartbeats; each one resets the request timeout, so a long run
 * does not time out. If the daemon falls silent for a whole request timeout, the call fails with
 * {@link Status#TIMEOUT} and is cancelled on the daemon as well.
 *
 * <p>Thread-safe: any thread may cancel while another waits in {@link #get()}.
 */
public final class CancellableCall<T> implements AutoCloseable {
    private final ClientConnection conn;
    private final int requestId;
    private final CompletableFuture<T> result;
    private final Duration closeWait;
    private final String what;
    private final AtomicBoolean cancelSent = new AtomicBoolean();

    CancellableCall(ClientConnection conn, int requestId, CompletableFuture<T> result, Duration closeWait,
                    String what) {
        this.conn = conn;
        this.requestId = requestId;
        this.result = result;
        this.closeWait = closeWait;
        this.what = what;
    }

    /**
     * Waits for the result. An interrupted caller cancels the call and gets {@link Status#CANCELLED}
     * (its interrupt flag stays set).
     *
     * @throws CairnClientException the daemon's refusal ({@link Status#CONFLICT}: another GC is
     *                              running), {@link Status#CANCELLED}, {@link Status#TIMEOUT}, or a
     *                              lost connection (which the daemon also takes as a cancel)
     */
    public T get() throws IOException {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel();
            throw CairnClientException.local(Status.CANCELLED, "interrupted while waiting for " + what
                    + "; it was asked to stop", e);
        } catch (ExecutionException e) {
            Throwable c = PutPipeline.unwrap(e);
            if (c instanceof IOException io) {
                throw io;
            }
            throw CairnClientException.local(Status.INTERNAL, what + " failed: " + c, c);
        }
    }

    /** Asks the daemon to stop (once; later calls and calls after the answer do nothing). */
    public void cancel() {
        if (!result.isDone() && cancelSent.compareAndSet(false, true)) {
            conn.sendCancel(requestId);
        }
    }

    /** True once the answer (result or failure) has arrived. */
    public boolean isDone() {
        return result.isDone();
    }

    /** True if {@link #cancel()} sent a CANCEL. */
    public boolean cancelRequested() {
        return cancelSent.get();
    }

    /** Cancels the call unless it has finished, and waits (bounded) for the daemon to confirm. */
    @Override
    public void close() {
        if (result.isDone()) {
            return;
        }
        cancel();
        try {
            result.get(closeWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException ignored) {
            // Cancelled (the expected end) or no confirmation in time: the CANCEL is sent either way.
        }
    }
}
