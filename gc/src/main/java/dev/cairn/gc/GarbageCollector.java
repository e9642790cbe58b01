package dev.cairn.gc;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.PreparedForm;
import dev.cairn.store.Repository;
import dev.cairn.store.chunk.ChunkIndexCodec;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.ManifestStore;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.PackCodec;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackInfo;
import dev.cairn.store.pack.PackWriter;
import dev.cairn.store.util.FaultPoints;
import dev.cairn.store.util.LongHashSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Mark and sweep, concurrent with puts and gets (docs/GC.md). Phases:
 * <ol>
 *   <li><b>resume</b>: finish a previous GC that crashed after its index switch (journal);</li>
 *   <li><b>expire</b>: delete trash past its expiry for good, children first; surviving children
 *       of a deleted manifest are rebased in the same batch;</li>
 *   <li><b>mark</b>: start a new epoch and dedup-hit protection, then compute the live set from
 *       one snapshot of every manifest and every open session ({@link Marker});</li>
 *   <li><b>sweep</b>: remove index entries of dead chunks (old epoch, unmarked, not protected),
 *       under the index lock, in bounded batches; delete orphan segments; count live bytes per pack;</li>
 *   <li><b>repack</b>: copy the live chunks of packs whose dead share exceeds the threshold, and of
 *       small packs once there are several, into new packs, make them durable, switch the index in
 *       one batch (with the journal);</li>
 *   <li><b>delete</b>: delete packs with nothing live and the repacked ones.</li>
 * </ol>
 * A dry run computes every number the same way and changes nothing.
 *
 * <p>Only this class removes chunks (index entries and packs). Only one GC runs at a time per
 * repository ({@link Repository#maintenanceLock()}). No wall clock decides safety: the epoch, the
 * protection set and the session registry do; the clock only decides when trash has expired.
 */
public final class GarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);
    static final int DELETE_BATCH = 4096;
    static final int EXPIRE_GROUP = 500;
    /** A pack smaller than the target size divided by this is "small". */
    static final int SMALL_PACK_FRACTION = 8;
    /** Small packs are merged once there are at least this many. */
    static final int MIN_SMALL_PACKS_TO_MERGE = 4;

    private final Repository repo;
    private final Clock clock;
    private final GcOptions options;
    private final String logPrefix;

    public GarbageCollector(Repository repo, Clock clock, GcOptions options) {
        this(repo, clock, options, "");
    }

    /**
     * @param logContext names the store in the summary log line (e.g. "tenant team-a"), for a
     *                   process that holds several stores; "" for none
     */
    public GarbageCollector(Repository repo, Clock clock, GcOptions options, String logContext) {
        this.repo = repo;
        this.clock = clock;
        this.options = options;
        this.logPrefix = logContext.isEmpty() ? "" : logContext + ": ";
    }

    /** Per-pack counts from the sweep. */
    private static final class PackStats {
        /** Record bytes (header + payload) of live chunks: what a rewrite copies. */
        long liveBytes;
        long liveChunks;

        /**
         * What live chunks occupy in a pack, footer entries included: a rewritten pack carries
         * their footer entries too, so only the rest counts as dead.
         */
        long liveFootprint() {
            return liveBytes + liveChunks * PackCodec.FOOTER_ENTRY_SIZE;
        }
    }

    public GcReport run(boolean dryRun, GcCancel cancel) throws IOException {
        if (!repo.maintenanceLock().tryLock()) {
            throw new CairnException(Status.CONFLICT, "a GC (or index rebuild) is already running on this store");
        }
        try {
            return runLocked(dryRun, cancel);
        } finally {
            repo.maintenanceLock().unlock();
        }
    }

    private GcReport runLocked(boolean dryRun, GcCancel cancel) throws IOException {
        String gcId = "gc-" + clock.millis() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
        Map<String, Long> phases = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        long t = t0;

        if (!dryRun) {
            resume();
        }
        t = lap(phases, "resume", t);

        // ---- expire
        Instant now = clock.instant();
        List<StoredManifest> expired = expiredTrash(now);
        Set<ManifestId> expiredIds = new HashSet<>();
        expired.forEach(m -> expiredIds.add(m.id()));
        long rebased = countRebases(expired, expiredIds);
        if (!dryRun) {
            deleteExpired(expired, expiredIds, cancel);
        }
        t = lap(phases, "expire", t);
        cancel.check();

        // ---- mark
        // Seal the pack being filled first (dry run too: it changes where bytes sit, not what is
        // stored), so everything written before this GC is in sealed packs it may collect.
        // Otherwise a store that never fills a pack would never get space back.
        repo.chunks().sealCurrent();
        List<PackInfo> packsAtStart = repo.packs().list();
        long epoch = repo.chunks().epoch();
        Set<Long> protectedHits = Set.of();
        if (!dryRun) {
            epoch = startEpoch();
            protectedHits = repo.chunks().startProtecting();
        }
        Set<ByteBuffer> registeredSince = repo.watchStorage();
        try {
            Set<ByteBuffer> activeAtStart = repo.activeStorage();
            Set<PackId> pending = repo.chunks().packsInUse();
            Map<PackId, Long> candidates = new HashMap<>();
            for (PackInfo p : packsAtStart) {
                if (p.sealed() && !pending.contains(p.id())) {
                    candidates.put(p.id(), p.size());
                }
            }
            Marker.Result mark = Marker.mark(repo, dryRun ? expiredIds : Set.of(), activeAtStart, registeredSince, cancel);
            t = lap(phases, "mark", t);

            // ---- sweep: orphan segments, dead index entries, per-pack live bytes
            if (!dryRun) {
                deleteOrphanSegments(mark.orphanStorage());
            }
            Map<PackId, PackStats> stats = new HashMap<>();
            SweepCounts counts = sweepIndex(mark.live(), epoch, protectedHits, dryRun, stats, cancel);
            t = lap(phases, "sweep", t);

            // ---- plan the packs
            List<PackId> toDelete = new ArrayList<>();
            List<PackId> toRewrite = new ArrayList<>();
            long bytesCopied = 0;
            long reclaimed = 0;
            List<PackId> ordered = new ArrayList<>(candidates.keySet());
            ordered.sort(Comparator.naturalOrder());
            List<PackId> small = new ArrayList<>();
            long smallLimit = repo.options().packTargetBytes() / SMALL_PACK_FRACTION;
            for (PackId p : ordered) {
                long size = candidates.get(p);
                PackStats st = stats.getOrDefault(p, new PackStats());
                if (st.liveChunks == 0) {
                    toDelete.add(p);
                    reclaimed += size;
                } else if (1.0 - (double) st.liveFootprint() / size > options.repackThreshold()) {
                    toRewrite.add(p);
                    bytesCopied += st.liveBytes;
                    reclaimed += size - st.liveBytes;
                } else if (size < smallLimit) {
                    small.add(p);
                }
            }
            // Merge small, mostly live packs (each commit and each GC seals the pack being filled,
            // so they accumulate): many small files or objects cost metadata, opens and requests.
            if (small.size() >= MIN_SMALL_PACKS_TO_MERGE) {
                for (PackId p : small) {
                    PackStats st = stats.get(p);
                    toRewrite.add(p);
                    bytesCopied += st.liveBytes;
                    reclaimed += candidates.get(p) - st.liveBytes;
                }
            }

            if (!dryRun) {
                deletePacks(gcId, epoch, toDelete);
                t = lap(phases, "delete", t);
                repack(gcId, epoch, toRewrite, cancel);
                t = lap(phases, "repack", t);
            }
            long total = (System.nanoTime() - t0) / 1_000_000;
            GcReport report = new GcReport(gcId, dryRun, epoch, expired.size(), rebased, counts.live, counts.freed, reclaimed,
                    toDelete.size(), toRewrite.size(), bytesCopied, mark.orphanStorage().size(), phases, total,
                    mark.live().memoryBytes());
            log.info("{}{}{}: {} manifests deleted, {} rebased, {} chunks freed ({} live), {} bytes reclaimed, {} packs"
                            + " deleted, {} rewritten ({} bytes copied), {} orphan segment streams, {} ms {}",
                    logPrefix, gcId, dryRun ? " (dry run)" : "", expired.size(), rebased, counts.freed, counts.live, reclaimed,
                    toDelete.size(), toRewrite.size(), bytesCopied, mark.orphanStorage().size(), total, phases);
            return report;
        } finally {
            repo.unwatchStorage();
            if (!dryRun) {
                repo.chunks().stopProtecting();
            }
        }
    }

    private static long lap(Map<String, Long> phases, String name, long since) {
        long now = System.nanoTime();
        phases.merge(name, (now - since) / 1_000_000, Long::sum);
        return now;
    }

    // ------------------------------------------------------------------ resume

    /** Deletes the packs a previous GC's switch made deletable but that it did not get to. */
    private void resume() throws IOException {
        GcJournal.Entry j = GcJournal.read(repo.db());
        if (j == null) {
            return;
        }
        repo.chunks().deletePacks(j.packsToDelete());
        GcJournal.clear(repo.db());
        log.warn("finished interrupted {}: deleted its {} packs", j.gcId(), j.packsToDelete().size());
    }

    // ------------------------------------------------------------------ expire

    /** Trash entries past their expiry, deepest first (children before parents). */
    private List<StoredManifest> expiredTrash(Instant now) throws CairnException {
        List<StoredManifest> out = new ArrayList<>();
        try (MetaDb.Cursor c = repo.db().scan(Cf.TRASH, null, Keys.trashFrom(now.toEpochMilli() + 1))) {
            while (c.next()) {
                StoredManifest m = repo.manifests().find(Keys.trashKeyId(c.key()));
                if (m != null) {
                    out.add(m);
                }
            }
        }
        out.sort(Comparator.comparingInt(StoredManifest::depth).reversed().thenComparing(StoredManifest::id));
        return out;
    }

    private long countRebases(List<StoredManifest> expired, Set<ManifestId> expiredIds) throws CairnException {
        long n = 0;
        for (StoredManifest m : expired) {
            for (ManifestId child : repo.manifests().children(m.id())) {
                if (!expiredIds.contains(child)) {
                    n++;
                }
            }
        }
        return n;
    }

    private void deleteExpired(List<StoredManifest> expired, Set<ManifestId> expiredIds, GcCancel cancel)
            throws IOException {
        ManifestStore ms = repo.manifests();
        for (int from = 0; from < expired.size(); from += EXPIRE_GROUP) {
            cancel.check();
            List<StoredManifest> group = expired.subList(from, Math.min(expired.size(), from + EXPIRE_GROUP));
            synchronized (repo.manifestMutex()) {
                List<PreparedForm> forms = new ArrayList<>();
                try (MetaDb.Batch b = repo.db().batch()) {
                    for (StoredManifest m : group) {
                        Labels l = ms.labels(m.id());
                        if (!l.inTrash()) {
                            continue; // restored meanwhile
                        }
                        for (ManifestId childId : ms.children(m.id())) {
                            if (expiredIds.contains(childId)) {
                                continue; // deleted before this one (deepest first)
                            }
                            StoredManifest child = ms.get(childId);
                            PreparedForm f = repo.prepareRebase(child, nearestSurvivor(child, expiredIds));
                            forms.add(f);
                            f.commitInto(b, ms, child);
                        }
                        ms.delete(b, ms.get(m.id()), l);
                    }
                    repo.db().write(b, true);
                } finally {
                    forms.forEach(PreparedForm::release);
                }
                repo.bumpMetadataGeneration();
            }
        }
    }

    private StoredManifest nearestSurvivor(StoredManifest m, Set<ManifestId> expiredIds) throws CairnException {
        StoredManifest p = m;
        while (p.isDelta()) {
            p = repo.manifests().get(p.parent());
            if (!expiredIds.contains(p.id())) {
                return p;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ mark

    /** Persists and starts a new epoch: index entries written from now on are not this GC's to sweep. */
    private long startEpoch() throws CairnException {
        long next = repo.chunks().epoch() + 1;
        byte[] v = new byte[8];
        Keys.putLong(v, 0, next);
        repo.db().put(Cf.META, Keys.SWEEP_GENERATION, v, true);
        repo.chunks().advanceEpoch(next);
        return next - 1;
    }

    // ------------------------------------------------------------------ sweep

    private void deleteOrphanSegments(List<byte[]> orphans) throws CairnException {
        for (int i = 0; i < orphans.size(); i += DELETE_BATCH) {
            try (MetaDb.Batch b = repo.db().batch()) {
                for (byte[] s : orphans.subList(i, Math.min(orphans.size(), i + DELETE_BATCH))) {
                    ManifestStore.deleteSegments(b, s);
                }
                repo.db().write(b, false);
            }
        }
    }

    /** Counters of the index sweep. */
    private static final class SweepCounts {
        long live;
        long freed;
    }

    /**
     * Classifies every index entry: dead if written in this GC's epoch or before, unmarked, and not
     * protected by a dedup hit. Dead entries are deleted (real run) in batches under the index
     * lock, where protection is checked again: a chunk found by a lookup before the batch is kept,
     * one looked up after it is not found and gets uploaded again.
     */
    private SweepCounts sweepIndex(LongHashSet live, long epoch, Set<Long> protectedHits, boolean dryRun,
                                   Map<PackId, PackStats> stats, GcCancel cancel) throws IOException {
        SweepCounts counts = new SweepCounts();
        List<byte[]> deadKeys = new ArrayList<>(DELETE_BATCH);
        List<ChunkLocation> deadLocs = new ArrayList<>(DELETE_BATCH);
        try (MetaDb.Cursor c = repo.db().scan(Cf.CHUNKS, null, null)) {
            while (c.next()) {
                byte[] key = c.key();
                ChunkIndexCodec.Entry e = ChunkIndexCodec.decode(c.value());
                if (e.epoch() <= epoch && !live.contains(Keys.chunkKeyPrefix64(key))) {
                    deadKeys.add(key);
                    deadLocs.add(e.location());
                    if (deadKeys.size() == DELETE_BATCH) {
                        deleteDead(deadKeys, deadLocs, protectedHits, dryRun, stats, counts);
                        cancel.check();
                    }
                } else {
                    countLive(stats, e.location());
                    counts.live++;
                }
            }
        }
        deleteDead(deadKeys, deadLocs, protectedHits, dryRun, stats, counts);
        return counts;
    }

    private void deleteDead(List<byte[]> keys, List<ChunkLocation> locs, Set<Long> protectedHits, boolean dryRun,
                            Map<PackId, PackStats> stats, SweepCounts counts) throws CairnException {
        if (keys.isEmpty()) {
            return;
        }
        var lock = repo.chunks().indexLock().writeLock();
        lock.lock();
        try (MetaDb.Batch b = repo.db().batch()) {
            for (int i = 0; i < keys.size(); i++) {
                if (protectedHits.contains(Keys.chunkKeyPrefix64(keys.get(i)))) {
                    countLive(stats, locs.get(i));
                    counts.live++;
                } else {
                    b.delete(Cf.CHUNKS, keys.get(i));
                    counts.freed++;
                }
            }
            if (!dryRun && b.count() > 0) {
                // Commits that began before this check their chunks again (sweep generation).
                repo.bumpSweepGeneration();
                repo.db().write(b, false);
            }
        } finally {
            lock.unlock();
        }
        keys.clear();
        locs.clear();
    }

    private static void countLive(Map<PackId, PackStats> stats, ChunkLocation loc) {
        PackStats st = stats.computeIfAbsent(loc.pack(), k -> new PackStats());
        st.liveBytes += PackCodec.RECORD_HEADER_SIZE + loc.storedLength();
        st.liveChunks++;
    }

    // ------------------------------------------------------------------ delete and repack

    /** Deletes packs with nothing live; the journal names them first, synced with the dead-entry deletes. */
    private void deletePacks(String gcId, long epoch, List<PackId> packs) throws IOException {
        if (packs.isEmpty()) {
            return;
        }
        try (MetaDb.Batch b = repo.db().batch()) {
            GcJournal.put(b, new GcJournal.Entry(gcId, epoch, packs));
            repo.db().write(b, true); // also makes the unsynced dead-entry deletes before it durable
        }
        FaultPoints.reach("gc.before-pack-delete");
        // One batched call: object storage deletes up to 1000 packs per request.
        repo.chunks().deletePacks(packs);
        GcJournal.clear(repo.db());
    }

    /**
     * Rewrites packs: their live records (those the index points at) go to new packs; once those
     * are sealed (durable), one batch under the index lock points the index at the new copies and
     * journals the old packs, which are then deleted. Groups of at most repackGroupBytes.
     */
    private void repack(String gcId, long epoch, List<PackId> packs, GcCancel cancel) throws IOException {
        int i = 0;
        while (i < packs.size()) {
            cancel.check();
            List<PackId> group = new ArrayList<>();
            List<Moved> moved = new ArrayList<>();
            List<PackId> written = new ArrayList<>();
            PackWriter out = null;
            long copied = 0;
            try {
                while (i < packs.size() && copied < options.repackGroupBytes()) {
                    PackId src = packs.get(i++);
                    group.add(src);
                    PackIndex idx = repo.packs().readIndex(src);
                    List<byte[]> keys = new ArrayList<>(idx.entries().size());
                    for (PackIndex.Entry en : idx.entries()) {
                        keys.add(Keys.chunk(en.id()));
                    }
                    List<byte[]> values = repo.db().multiGet(Cf.CHUNKS, keys);
                    for (int k = 0; k < keys.size(); k++) {
                        if (values.get(k) == null) {
                            continue;
                        }
                        ChunkIndexCodec.Entry cur = ChunkIndexCodec.decode(values.get(k));
                        PackIndex.Entry en = idx.entries().get(k);
                        if (!cur.location().equals(en.location())) {
                            continue; // a duplicate: the index points at another copy
                        }
                        EncodedChunk payload = repo.packs().read(en.location(), en.id());
                        if (out == null || out.size() >= repo.options().packTargetBytes()) {
                            if (out != null) {
                                out.seal();
                            }
                            out = repo.chunks().createPack();
                            written.add(out.id());
                        }
                        ChunkLocation to = out.append(en.id(), payload);
                        moved.add(new Moved(en.id(), en.location(), to, cur.epoch()));
                        copied += PackCodec.RECORD_HEADER_SIZE + payload.length();
                        FaultPoints.reach("gc.mid-repack");
                    }
                }
                if (out != null) {
                    out.seal();
                    out = null;
                }
            } catch (IOException | RuntimeException e) {
                if (out != null) {
                    out.close();
                }
                // Nothing points at what this group wrote; the next GC deletes it (no live chunk).
                throw e;
            }
            switchIndex(gcId, epoch, group, moved);
            FaultPoints.reach("gc.after-switch");
            repo.chunks().deletePacks(group);
            GcJournal.clear(repo.db());
        }
    }

    private record Moved(ChunkId id, ChunkLocation from, ChunkLocation to, long epoch) {
    }

    private void switchIndex(String gcId, long epoch, List<PackId> group, List<Moved> moved) throws CairnException {
        var lock = repo.chunks().indexLock().writeLock();
        lock.lock();
        try (MetaDb.Batch b = repo.db().batch()) {
            // Only GC rewrites existing index entries, and only one GC runs; the check is a guard.
            for (int from = 0; from < moved.size(); from += DELETE_BATCH) {
                List<Moved> part = moved.subList(from, Math.min(moved.size(), from + DELETE_BATCH));
                List<byte[]> keys = new ArrayList<>(part.size());
                for (Moved m : part) {
                    keys.add(Keys.chunk(m.id()));
                }
                List<byte[]> values = repo.db().multiGet(Cf.CHUNKS, keys);
                for (int k = 0; k < part.size(); k++) {
                    byte[] v = values.get(k);
                    if (v != null && ChunkIndexCodec.decode(v).location().equals(part.get(k).from())) {
                        b.put(Cf.CHUNKS, keys.get(k), ChunkIndexCodec.encode(part.get(k).to(), part.get(k).epoch()));
                    }
                }
            }
            GcJournal.put(b, new GcJournal.Entry(gcId, epoch, group));
            repo.db().write(b, true);
        } finally {
            lock.unlock();
        }
    }
}
