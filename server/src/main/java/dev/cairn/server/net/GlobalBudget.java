package dev.cairn.server.net;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A byte budget shared by connections: the daemon's request bytes in flight over all
 * connections, one tenant's, or the small one of connections that have not said HELLO yet.
 * It holds two kinds of bytes:
 *
 * <ul>
 *   <li>requests accepted and not yet answered ({@link #acquire}): taken even past the budget (the
 *       request has been read already); a connection that finds the budget exhausted stops
 *       reading and registers ({@link #waitFor}); when usage falls to half of the budget every
 *       registered connection is asked to resume;</li>
 *   <li>frames being accumulated by a connection's frame decoder ({@link #tryAcquire}): never
 *       past the budget, except for a budget holding nothing (so one frame larger than the whole
 *       budget can still pass); a connection refused registers ({@link #waitForRoom}) and is asked
 *       to retry on the next release that leaves room for it.</li>
 * </ul>
 *
 * Thread-safe.
 */
final class GlobalBudget {
    private final long max;
    private final AtomicLong used = new AtomicLong();
    private final Set<Connection> paused = ConcurrentHashMap.newKeySet();
    /** Connections waiting for room for a frame, with the bytes each asked for. */
    private final ConcurrentHashMap<Connection, Long> waitingForRoom = new ConcurrentHashMap<>();

    GlobalBudget(long max) {
        this.max = max;
    }

    void acquire(long bytes) {
        used.addAndGet(bytes);
    }

    /** Takes {@code bytes} if they fit (or nothing is held at all); false leaves the budget as it was. */
    boolean tryAcquire(long bytes) {
        while (true) {
            long cur = used.get();
            if (cur > 0 && cur + bytes > max) {
                return false;
            }
            if (used.compareAndSet(cur, cur + bytes)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        long now = used.addAndGet(-bytes);
        if (now <= max / 2 && !paused.isEmpty()) {
            for (Connection c : paused) {
                if (paused.remove(c)) {
                    c.resumeLater();
                }
            }
        }
        if (!waitingForRoom.isEmpty()) {
            for (var e : waitingForRoom.entrySet()) {
                if (fits(now, e.getValue()) && waitingForRoom.remove(e.getKey(), e.getValue())) {
                    e.getKey().resumeLater();
                }
            }
        }
    }

    private boolean fits(long now, long bytes) {
        return now == 0 || now + bytes <= max;
    }

    boolean exhausted() {
        return used.get() >= max;
    }

    boolean belowLowMark() {
        return used.get() <= max / 2;
    }

    void waitFor(Connection c) {
        paused.add(c);
        if (belowLowMark() && paused.remove(c)) {
            // Released between the caller's check and the registration: resume now.
            c.resumeLater();
        }
    }

    /** Registers {@code c} to retry a frame of {@code bytes} once a release leaves room for it. */
    void waitForRoom(Connection c, long bytes) {
        Long b = bytes;
        waitingForRoom.put(c, b);
        if (fits(used.get(), bytes) && waitingForRoom.remove(c, b)) {
            // Released between the refusal and the registration: retry now.
            c.resumeLater();
        }
    }

    void forget(Connection c) {
        paused.remove(c);
        waitingForRoom.remove(c);
    }

    long used() {
        return used.get();
    }

    long max() {
        return max;
    }
}
