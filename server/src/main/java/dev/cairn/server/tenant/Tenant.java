package dev.cairn.server.tenant;

import dev.cairn.store.Repository;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tenant: a name and its own store. Isolation (including dedup) follows from the store being
 * separate; nothing a request does can reach another tenant's {@link Repository}.
 */
public final class Tenant {
    /** The tenant of a daemon without tokens; its store is the data directory itself. */
    public static final String DEFAULT = "default";

    private final String name;
    private final Repository repo;
    private final AtomicInteger openSessions = new AtomicInteger();
    private final AtomicBoolean verifying = new AtomicBoolean();

    Tenant(String name, Repository repo) {
        this.name = name;
        this.repo = repo;
    }

    public String name() {
        return name;
    }

    public Repository repo() {
        return repo;
    }

    /** Reserves a put-session slot; false if {@code max} are taken. */
    public boolean tryOpenSession(int max) {
        while (true) {
            int n = openSessions.get();
            if (n >= max) {
                return false;
            }
            if (openSessions.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    public void sessionClosed() {
        openSessions.decrementAndGet();
    }

    /** One verify per tenant at a time: it reads the whole store. */
    public boolean tryStartVerify() {
        return verifying.compareAndSet(false, true);
    }

    public void verifyDone() {
        verifying.set(false);
    }

    @Override
    public String toString() {
        return name;
    }
}
