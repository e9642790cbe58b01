package dev.cairn.store.pack;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bounded LRU of read-only channels to pack files, so that reads cost one positional read and
 * not an open/close each.
 *
 * <p>Thread-safe. Channels are handed out as reference-counted {@link Handle}s: a channel that is
 * evicted or invalidated while readers hold it is closed by the last {@link Handle#close()}, never
 * under a reader. One monitor guards the map and the counts; opening a file happens outside it.
 */
final class ChannelCache implements AutoCloseable {

    /** Opens (and validates) the channel of a pack; throws {@link PackNotFoundException} if absent. */
    interface Opener {
        FileChannel open(PackId id) throws IOException;
    }

    /** An action run while no channel to the pack can be opened into the cache. */
    interface Removal {
        void run() throws IOException;
    }

    /** A leased channel. Close it exactly once when the read is done. */
    final class Handle implements AutoCloseable {
        final PackId id;
        final FileChannel channel;
        private int refs = 1;            // guarded by ChannelCache.this
        private boolean retired;         // guarded by ChannelCache.this; closed when refs reach 0

        private Handle(PackId id, FileChannel channel) {
            this.id = id;
            this.channel = channel;
        }

        @Override
        public void close() {
            release(this);
        }
    }

    private final int capacity;
    private final Opener opener;
    private final LinkedHashMap<PackId, Handle> lru = new LinkedHashMap<>(16, 0.75f, true);
    /** Bumped at the start and at the end of every {@link #remove}; guarded by this. See {@link #acquire}. */
    private long removals;
    /** Removals whose file deletion is running (outside the monitor); guarded by this. */
    private int removing;
    private boolean closed;

    ChannelCache(int capacity, Opener opener) {
        if (capacity < 1) {
            throw new IllegalArgumentException("channel cache capacity must be >= 1: " + capacity);
        }
        this.capacity = capacity;
        this.opener = opener;
    }

    /** Leases the channel of pack {@code id}, opening it on a miss. */
    Handle acquire(PackId id) throws IOException {
        long removalsBefore;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("pack store is closed");
            }
            Handle h = lru.get(id);
            if (h != null) {
                h.refs++;
                return h;
            }
            removalsBefore = removals;
        }
        FileChannel opened = opener.open(id);
        List<FileChannel> toClose = new ArrayList<>(1);
        Handle result;
        synchronized (this) {
            Handle h = lru.get(id);
            if (h != null) {
                // Another reader opened it meanwhile; use theirs.
                h.refs++;
                toClose.add(opened);
                result = h;
            } else {
                result = new Handle(id, opened);
                if (removals != removalsBefore || removing > 0 || closed) {
                    // A pack was (or is being) deleted while we opened this file, maybe this one:
                    // caching our channel could keep a deleted pack readable. Use it for this read only.
                    result.retired = true;
                } else {
                    lru.put(id, result);
                    evictOverCapacity(toClose);
                }
            }
        }
        closeQuietly(toClose);
        return result;
    }

    private void evictOverCapacity(List<FileChannel> toClose) {
        Iterator<Map.Entry<PackId, Handle>> it = lru.entrySet().iterator();
        while (lru.size() > capacity && it.hasNext()) {
            Handle eldest = it.next().getValue();
            it.remove();
            retire(eldest, toClose);
        }
    }

    private void retire(Handle h, List<FileChannel> toClose) {
        h.retired = true;
        if (h.refs == 0) {
            toClose.add(h.channel);
        }
    }

    private void release(Handle h) {
        boolean close;
        synchronized (this) {
            if (h.refs <= 0) {
                throw new IllegalStateException("handle of pack " + h.id + " released twice");
            }
            h.refs--;
            close = h.refs == 0 && h.retired;
        }
        if (close) {
            closeQuietly(List.of(h.channel));
        }
    }

    /**
     * Drops a handle whose channel turned out closed (an interrupted reader closes a shared
     * FileChannel for everyone), so the next {@link #acquire} opens a fresh one.
     */
    void invalidate(Handle h) {
        synchronized (this) {
            lru.remove(h.id, h);
            h.retired = true;
        }
    }

    /**
     * Drops the pack's cached channel and runs {@code removal} (deleting the file). Together with
     * the removal counter and the count of running removals this closes the race where a reader
     * opened the file just before it was unlinked and would then cache a channel to a deleted
     * pack: a reader whose open overlaps a removal (of any pack) does not cache its channel; a
     * reader starting after the removal fails to open.
     *
     * <p>The removal runs outside the monitor: unlinking a large pack that sits in the page cache
     * takes tens of milliseconds (the kernel drops its pages), during which reads of other packs
     * must not wait, and several removals may run in parallel.
     */
    void remove(PackId id, Removal removal) throws IOException {
        List<FileChannel> toClose = new ArrayList<>(1);
        synchronized (this) {
            removals++;
            removing++;
            Handle h = lru.remove(id);
            if (h != null) {
                retire(h, toClose);
            }
        }
        try {
            closeQuietly(toClose);
            removal.run();
        } finally {
            synchronized (this) {
                removing--;
                removals++; // a reader that began while this ran and ends after it must not cache
            }
        }
    }

    /** Number of channels cached (for tests and metrics). */
    synchronized int size() {
        return lru.size();
    }

    /** Closes every idle channel; leased ones close when released. Later acquires fail. */
    @Override
    public void close() {
        List<FileChannel> toClose = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (Handle h : lru.values()) {
                retire(h, toClose);
            }
            lru.clear();
        }
        closeQuietly(toClose);
    }

    private static void closeQuietly(List<FileChannel> channels) {
        for (FileChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // A read-only channel has nothing to flush; a failing close loses nothing.
            }
        }
    }
}
