package dev.cairn.s3;

import dev.cairn.store.pack.LocalPackStore;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The local disk cache of remote packs, bounded by bytes, least recently used out first. An entry
 * is either a <em>complete</em> copy (a pack this store uploaded, or downloaded whole for a scan),
 * kept as a pack file of the staging {@link LocalPackStore}, or a <em>partial</em> copy
 * ({@link PartialPack}) holding the ranges read so far. A complete copy costs its size, a partial
 * one the bytes it holds.
 *
 * <p>Reads pin the entry they use ({@link #pin}/{@link #unpin}); eviction skips pinned entries, so
 * nothing is deleted under a reader (with everything pinned, the cache exceeds its bound until
 * the readers finish). Packs being written or uploaded are not entries: they are the writer's.
 *
 * <p>Thread-safe: one monitor guards the LRU order and the byte count. Deleting an evicted
 * complete copy happens under it too, so that a download re-creating the same file cannot race
 * with the deletion; partial copies are discarded outside it.
 */
final class PackCache {
    private static final Logger log = LoggerFactory.getLogger(PackCache.class);

    /** One cached pack. Fields other than the final ones are guarded by the cache's monitor. */
    static final class Entry {
        final PackId id;
        /** Non-null for a partial copy; null for a complete one. */
        final PartialPack partial;
        int pins;
        long bytes;
        boolean removed;

        Entry(PackId id, PartialPack partial, long bytes) {
            this.id = id;
            this.partial = partial;
            this.bytes = bytes;
        }

        boolean complete() {
            return partial == null;
        }
    }

    private final LocalPackStore local;
    private final Path partialDir;
    private final long budget;
    private final LinkedHashMap<PackId, Entry> lru = new LinkedHashMap<>(64, 0.75f, true);
    private long used;
    private long generation;
    private long evictions;

    PackCache(LocalPackStore local, Path partialDir, long budget) {
        this.local = local;
        this.partialDir = partialDir;
        this.budget = budget;
    }

    /** The entry of {@code id}, pinned, or null if the pack is not cached. Pair with {@link #unpin}. */
    synchronized Entry pin(PackId id) {
        Entry e = lru.get(id);
        if (e != null) {
            e.pins++;
        }
        return e;
    }

    /**
     * The entry of {@code id}, pinned; a new, empty partial copy of an object of {@code size}
     * bytes if the pack is not cached.
     */
    Entry pinOrCreatePartial(PackId id, long size) throws IOException {
        synchronized (this) {
            Entry e = pin(id);
            if (e != null) {
                return e;
            }
            String hex = id.toHex();
            Path file = partialDir.resolve(hex.substring(0, 2)).resolve(hex + "." + (++generation) + ".part");
            e = new Entry(id, new PartialPack(id, size, file), 0);
            e.pins = 1;
            lru.put(id, e);
            return e;
        }
    }

    /** Releases a pin; then enforces the bound. */
    void unpin(Entry e) {
        List<PartialPack> discard = new ArrayList<>();
        synchronized (this) {
            e.pins--;
            if (e.partial != null) {
                long now = e.removed ? e.bytes : e.partial.bytes();
                if (!e.removed) {
                    used += now - e.bytes;
                }
                e.bytes = now;
                if (e.removed && e.pins == 0) {
                    discard.add(e.partial);
                }
            }
            evict(discard);
        }
        discard.forEach(PartialPack::discard);
    }

    /**
     * Records a complete local copy of {@code id} (the staging store's file). Replaces a partial
     * copy, which is discarded once no read uses it.
     */
    void addComplete(PackId id, long size) {
        List<PartialPack> discard = new ArrayList<>();
        synchronized (this) {
            Entry old = lru.remove(id);
            if (old != null) {
                retire(old, discard);
            }
            lru.put(id, new Entry(id, null, size));
            used += size;
            evict(discard);
        }
        discard.forEach(PartialPack::discard);
    }

    /**
     * Runs {@code install} (which moves a downloaded file into place) under the cache's monitor
     * unless a complete copy exists already, then records it. Returns false if one existed.
     */
    boolean installComplete(PackId id, long size, IoAction install) throws IOException {
        synchronized (this) {
            Entry e = lru.get(id);
            if (e != null && e.complete()) {
                return false;
            }
            install.run();
            addComplete(id, size);
            return true;
        }
    }

    /** An action that may fail with an I/O error. */
    interface IoAction {
        void run() throws IOException;
    }

    /** Forgets {@code id} (the pack was deleted); its local copy goes. */
    void remove(PackId id) {
        List<PartialPack> discard = new ArrayList<>();
        synchronized (this) {
            Entry e = lru.remove(id);
            if (e != null) {
                retire(e, discard);
            }
        }
        discard.forEach(PartialPack::discard);
    }

    /**
     * Forgets packs that were deleted; their local copies go with one {@link LocalPackStore#deleteAll}
     * (one directory sync per fan-out directory, not per pack), outside the monitor so that reads
     * of other packs do not wait for the unlinks. The packs are gone from the bucket and from the
     * store's view before this is called, so no download re-creates their files meanwhile.
     */
    void removeAll(List<PackId> ids) {
        List<PartialPack> discard = new ArrayList<>();
        List<PackId> complete = new ArrayList<>();
        synchronized (this) {
            for (PackId id : ids) {
                Entry e = lru.remove(id);
                if (e == null) {
                    continue;
                }
                e.removed = true;
                used -= e.bytes;
                if (e.complete()) {
                    complete.add(id);
                } else if (e.pins == 0) {
                    discard.add(e.partial);
                }
            }
        }
        discard.forEach(PartialPack::discard);
        if (complete.isEmpty()) {
            return;
        }
        try {
            local.deleteAll(complete);
        } catch (IOException | RuntimeException e) {
            log.warn("could not delete the cached copies of {} deleted packs (e.g. {}): {}", complete.size(),
                    complete.get(0), e.toString());
        }
    }

    // guarded by this
    private void retire(Entry e, List<PartialPack> discard) {
        e.removed = true;
        used -= e.bytes;
        if (e.complete()) {
            deleteLocal(e.id);
        } else if (e.pins == 0) {
            discard.add(e.partial);
        }
    }

    // guarded by this
    private void evict(List<PartialPack> discard) {
        if (used <= budget) {
            return;
        }
        Iterator<Entry> it = lru.values().iterator();
        while (used > budget && it.hasNext()) {
            Entry e = it.next();
            if (e.pins > 0) {
                continue;
            }
            it.remove();
            evictions++;
            retire(e, discard);
            log.debug("evicted {} copy of pack {} ({} bytes)", e.complete() ? "complete" : "partial", e.id, e.bytes);
        }
    }

    private void deleteLocal(PackId id) {
        try {
            local.delete(id);
        } catch (PackNotFoundException e) {
            // already gone
        } catch (IOException | RuntimeException e) {
            log.warn("could not delete the cached copy of pack {}: {}", id, e.toString());
        }
    }

    /** Bytes the cache holds now. */
    synchronized long usedBytes() {
        return used;
    }

    /** Entries evicted so far. */
    synchronized long evictions() {
        return evictions;
    }

    /** Drops every partial copy (at close). Complete copies stay for the next start. */
    void closePartials() {
        List<PartialPack> discard = new ArrayList<>();
        synchronized (this) {
            for (Iterator<Entry> it = lru.values().iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (!e.complete()) {
                    it.remove();
                    e.removed = true;
                    used -= e.bytes;
                    discard.add(e.partial);
                }
            }
        }
        discard.forEach(PartialPack::discard);
    }
}
