package dev.cairn.server.net;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.wire.Message;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A response of several frames (READ, SHOW, LIST, and the maintenance reports), produced on the worker pool only while the
 * connection is writable: when Netty's outbound buffer passes its high-water mark the stream
 * parks (releasing its thread) and {@link #onWritable()} resumes it once the buffer drained below
 * the low mark. A slow reader therefore holds at most one watermark of encoded frames per
 * connection, never the whole checkpoint.
 */
abstract class ResponseStream implements Runnable {
    protected final Connection conn;
    protected final int requestId;
    private final AtomicBoolean parked = new AtomicBoolean();
    private volatile Status stopped;
    private volatile String stopReason;

    ResponseStream(Connection conn, int requestId) {
        this.conn = conn;
        this.requestId = requestId;
    }

    /** The next part, or null when only the final message is left. Runs on the pool. */
    protected abstract Message nextPart() throws Exception;

    /** The final message, after {@link #nextPart()} returned null. */
    protected abstract Message finalMessage();

    /** Called once when the stream ends, however it ends. */
    protected void onEnd() {
    }

    /**
     * Called (any thread) when the stream is asked to stop, before it notices at its next step: a
     * stream blocked in long work (a GC) stops that work here.
     */
    protected void onStopRequested(Status status) {
    }

    /** A CANCEL from the client: stops the stream. Streams whose work must not be cut short ignore it. */
    void cancelByClient() {
        stop(Status.CANCELLED, "cancelled by the client");
    }

    /** Why the stream was asked to stop, or null. */
    protected final Status stopStatus() {
        return stopped;
    }

    @Override
    public final void run() {
        try {
            while (true) {
                Status s = stopped;
                if (s != null) {
                    end();
                    conn.fail(requestId, s, stopReason);
                    return;
                }
                if (!conn.isWritable()) {
                    parked.set(true);
                    // Writability may have come back between the check and parking.
                    if (conn.isWritable() && parked.compareAndSet(true, false)) {
                        continue;
                    }
                    return;
                }
                Message part = nextPart();
                if (part == null) {
                    end();
                    conn.complete(requestId, finalMessage());
                    return;
                }
                conn.writePart(requestId, part);
            }
        } catch (Throwable t) {
            end();
            conn.fail(requestId, t, getClass().getSimpleName());
        }
    }

    private boolean ended;

    private void end() {
        if (!ended) {
            ended = true;
            onEnd();
        }
    }

    /** Resumes a parked stream. */
    final void onWritable() {
        if (parked.compareAndSet(true, false)) {
            conn.execute(this);
        }
    }

    /** Ends the stream with {@code status} at its next step (at once if parked). */
    final void stop(Status status, String reason) {
        stopReason = reason;
        stopped = status;
        onStopRequested(status);
        if (parked.compareAndSet(true, false)) {
            conn.execute(this);
        }
    }

    final boolean isParked() {
        return parked.get();
    }
}
