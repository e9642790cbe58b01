package dev.cairn.server.net;

import dev.cairn.protocol.wire.Message;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * VERIFY_PROGRESS parts every interval while a long request works, so a client with a request
 * timeout sees the daemon is alive and the connection does not look idle. Sent from the event
 * loop; {@link #stop()} before the request's next frame is queued guarantees no heartbeat follows
 * it (the final frame goes through the same event loop, after any heartbeat already running).
 */
final class Heartbeat {
    private final Connection conn;
    private final int requestId;
    private final long intervalMillis;
    private volatile boolean done;
    private volatile ScheduledFuture<?> future;
    private long start;

    Heartbeat(Connection conn, int requestId, Duration interval) {
        this.conn = conn;
        this.requestId = requestId;
        this.intervalMillis = interval.toMillis();
    }

    void start() {
        start = System.nanoTime();
        done = false;
        future = conn.channel().eventLoop().scheduleAtFixedRate(() -> {
            if (!done) {
                conn.writePart(requestId, new Message.VerifyProgress(
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
            }
        }, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    void stop() {
        done = true;
        ScheduledFuture<?> f = future;
        if (f != null) {
            f.cancel(false);
        }
    }
}
