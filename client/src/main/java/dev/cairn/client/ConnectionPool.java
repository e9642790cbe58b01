package dev.cairn.client;

import dev.cairn.protocol.Status;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;

/**
 * A fixed number of slots, each holding at most one {@link ClientConnection}, opened lazily and
 * replaced when broken. Connections are shared, not checked out: a request goes to the least
 * loaded usable connection, avoiding ones whose reading a slow stream consumer has paused (their
 * responses wait behind that stream).
 *
 * <p>Thread-safe.
 */
final class ConnectionPool {
    private final EventLoopGroup group;
    private final Class<? extends Channel> channelType;
    private final SslContext ssl;
    private final ClientConfig cfg;
    private final ClientConnection[] slots;
    private final Object[] locks;
    private volatile boolean closed;

    ConnectionPool(EventLoopGroup group, Class<? extends Channel> channelType, SslContext ssl, ClientConfig cfg) {
        this.group = group;
        this.channelType = channelType;
        this.ssl = ssl;
        this.cfg = cfg;
        this.slots = new ClientConnection[cfg.poolSize()];
        this.locks = new Object[cfg.poolSize()];
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
    }

    /**
     * A usable connection: an idle open one if there is one, else a new one in an empty or broken
     * slot, else the least loaded open one.
     */
    ClientConnection acquire() throws CairnClientException {
        if (closed) {
            throw CairnClientException.local(Status.CANCELLED, "the client is closed", null);
        }
        int best = -1;
        int bestScore = Integer.MAX_VALUE;
        int empty = -1;
        for (int i = 0; i < slots.length; i++) {
            ClientConnection c;
            synchronized (locks[i]) {
                c = slots[i];
            }
            if (c == null || !c.usable()) {
                if (empty < 0) {
                    empty = i;
                }
                continue;
            }
            int score = c.load() + (c.paused() ? 1_000_000 : 0);
            if (score == 0) {
                return c;
            }
            if (score < bestScore) {
                bestScore = score;
                best = i;
            }
        }
        if (empty >= 0) {
            return open(empty);
        }
        synchronized (locks[best]) {
            if (slots[best] != null && slots[best].usable()) {
                return slots[best];
            }
        }
        return open(best);
    }

    private ClientConnection open(int slot) throws CairnClientException {
        synchronized (locks[slot]) {
            ClientConnection c = slots[slot];
            if (c != null && c.usable()) {
                return c;
            }
            if (c != null) {
                c.close();
            }
            slots[slot] = null;
            c = ClientConnection.open(group, channelType, ssl, cfg);
            if (closed) {
                c.close();
                throw CairnClientException.local(Status.CANCELLED, "the client is closed", null);
            }
            slots[slot] = c;
            return c;
        }
    }

    /**
     * A new connection outside the pool, for one caller alone (descriptor passing needs a
     * connection nobody else sends on); the caller closes it.
     */
    ClientConnection openDedicated() throws CairnClientException {
        if (closed) {
            throw CairnClientException.local(Status.CANCELLED, "the client is closed", null);
        }
        return ClientConnection.open(group, channelType, ssl, cfg);
    }

    void close() {
        closed = true;
        for (int i = 0; i < slots.length; i++) {
            synchronized (locks[i]) {
                if (slots[i] != null) {
                    slots[i].close();
                    slots[i] = null;
                }
            }
        }
    }
}
