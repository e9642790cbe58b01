package dev.cairn.server.net;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Request payload bytes in flight over all connections. A connection that finds the budget
 * exhausted stops reading and registers here; when usage falls below half of the budget every
 * registered connection is asked to resume. Thread-safe.
 */
final class GlobalBudget {
    private final long max;
    private final AtomicLong used = new AtomicLong();
    private final Set<Connection> paused = ConcurrentHashMap.newKeySet();

    GlobalBudget(long max) {
        this.max = max;
    }

    void acquire(long bytes) {
        used.addAndGet(bytes);
    }

    void release(long bytes) {
        long now = used.addAndGet(-bytes);
        if (now <= max / 2 && !paused.isEmpty()) {
            for (Connection c : paused) {
                paused.remove(c);
                c.resumeLater();
            }
        }
    }

    boolean exhausted() {
        return used.get() >= max;
    }

    boolean belowLowMark() {
        return used.get() <= max / 2;
    }

    void waitFor(Connection c) {
        paused.add(c);
        if (belowLowMark()) {
            // Released between the caller's check and the registration: resume now.
            paused.remove(c);
            c.resumeLater();
        }
    }

    void forget(Connection c) {
        paused.remove(c);
    }

    long used() {
        return used.get();
    }
}
