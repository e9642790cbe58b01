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
import dev.cairn.store.meta.GcAccounting;
import dev.cairn.store.meta.GcJournal;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.PackCodec;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackInfo;
import dev.cairn.store.pack.PackNotFoundException;
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
 *   <li><b>sweep</b>: remove index entries of dead chunks (old epoch, unmarked, not protected, and
 *       accounted for by a recorded deletion or an aborted or crashed upload: docs/GC.md, "What GC
 *       may free"), under the index lock, in bounded batches; count live bytes per pack; then
 *       record the sweep as complete and delete the orphan segments that explained it;</li>
 *   <li><b>repack</b>: copy the live chunks of packs whose dead share exceeds the threshold, and of
 *       small packs once there are several, into new packs, make them durable, switch the index in
 *       one batch (with the journal);</li>
 *   <li><b>delete</b>: delete packs with nothing live and the repacked ones.</li>
 * </ol>
 * Packs are deleted or rewritten only if every record they hold that the index does not point
 * at is accounted for; unexplained data is kept and reported unless the run is forced. On a full
 * disk dead packs go first and repacks run in groups that fit ({@link #repack}). A dry run
 * computes every number the same way and changes nothing.
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
    /**
     * Free space a repack group leaves untouched: the index switch and journal (RocksDB) and the
     * new packs' headers and footers need some.
     */
    static final long REPACK_MARGIN = 1L << 20;

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
        /** Index entries pointing into the pack that this run frees. */
        long freed;

        /**
         * What live chunks occupy in a pack, footer entries included: a rewritten pack carries
         * their footer entries too, so only the rest counts as dead.
         */
        long liveFootprint() {
            return liveBytes + liveChunks * PackCodec.FOOTER_ENTRY_SIZE;
        }
    }

    /** Runs a GC that frees only what it can account for (no {@code --force}). */
    public GcReport run(boolean dryRun, GcCancel cancel) throws IOException {
        return run(dryRun, false, cancel);
    }

    /**
     * Runs a GC.
     *
     * @param dryRun computes every number and changes nothing
     * @param force  also frees unreferenced chunks (and deletes or rewrites packs holding records)
     *               that no recorded deletion, aborted or crashed upload accounts for (docs/GC.md,
     *               "What GC may free"); without it such data is kept and reported
     */
    public GcReport run(boolean dryRun, boolean force, GcCancel cancel) throws IOException {
        if (!repo.maintenanceLock().tryLock()) {
            throw new CairnException(Status.CONFLICT, "a GC (or index rebuild) is already running on this store");
        }
        try {
            if (dryRun) {
                return runLocked(true, force, cancel);
            }
            try {
                repo.reserve().releaseIfLow(); // the first metadata writes (deletes, journal) need room
                return runLocked(false, force, cancel);
            } catch (CairnException e) {
                // What the failed run did is consistent; with the reserve's space it may go further.
                if (e.status() != Status.NO_SPACE || repo.reserve().release() == 0) {
                    throw e;
                }
                log.warn("{}GC ran out of disk space ({}); released the reserve and trying again", logPrefix,
                        e.getMessage());
                return runLocked(false, force, cancel);
            } finally {
                repo.reserve().ensure(options.reserveBytes());
            }
        } finally {
            repo.maintenanceLock().unlock();
        }
    }

    private GcReport runLocked(boolean dryRun, boolean force, GcCancel cancel) throws IOException {
        String gcId = "gc-" + clock.millis() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
        Map<String, Long> phases = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        long t = t0;

        // The mark trusts the metadata database; if it lost checkpoints the catalog recorded as
        // committed, everything they alone reference would look like garbage. Refuse before
        // changing anything (the next open restores them from the catalog).
        if (!force) {
            List<ManifestId> missing = repo.committedButMissing();
            if (!missing.isEmpty()) {
                throw new CairnException(Status.CORRUPT, "GC refused: " + missing.size() + " committed checkpoints (e.g. "
                        + missing.get(0).shortHex() + ") are in the catalog but missing from the metadata database, so"
                        + " their chunks would look like garbage. Restart cairnd (the catalog restores them), then run"
                        + " gc again; --force collects anyway and loses them");
            }
        }
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
            FaultPoints.reach("gc.after-expire");
        }
        t = lap(phases, "expire", t);
        cancel.check();

        // ---- mark
        // Seal the pack being filled first (dry run too: it changes where bytes sit, not what is
        // stored), so everything written before this GC is in sealed packs it may collect.
        // Otherwise a store that never fills a pack would never get space back.
        repo.chunks().sealCurrent();
        List<PackInfo> packsAtStart = repo.packs().list();
        long explainedFrom = GcAccounting.explainedFrom(repo.db());
        Map<PackId, Long> accounted = GcAccounting.packs(repo.db());
        long epoch = repo.chunks().epoch();
        Set<Long> protectedHits = Set.of();
        if (!dryRun) {
            FaultPoints.reach("gc.before-epoch");
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

            // ---- sweep: dead index entries, per-pack live bytes; then orphan segments
            Classifier cls = new Classifier(mark, epoch, explainedFrom, force);
            Map<PackId, PackStats> stats = new HashMap<>();
            SweepCounts counts = sweepIndex(cls, protectedHits, dryRun, stats, accounted, cancel);
            if (!dryRun) {
                completeSweep(mark.orphanStorage(), epoch + 1);
            }
            t = lap(phases, "sweep", t);

            // ---- plan the packs
            List<PackId> ordered = new ArrayList<>(candidates.keySet());
            ordered.sort(Comparator.naturalOrder());
            List<PackId> dead = new ArrayList<>();
            List<PackId> partlyDead = new ArrayList<>();
            List<PackId> small = new ArrayList<>();
            long smallLimit = repo.options().packTargetBytes() / SMALL_PACK_FRACTION;
            for (PackId p : ordered) {
                long size = candidates.get(p);
                PackStats st = stats.getOrDefault(p, new PackStats());
                if (st.liveChunks == 0) {
                    dead.add(p);
                } else if (1.0 - (double) st.liveFootprint() / size > options.repackThreshold()) {
                    partlyDead.add(p);
                } else if (size < smallLimit) {
                    small.add(p);
                }
            }
            // A pack is deleted or rewritten only if every record it holds that the index does not
            // point at is accounted for; otherwise it is kept and reported (unless forced).
            PackAudit audit = new PackAudit(cls, dryRun, accounted, stats);
            List<PackId> toDelete = audit.filter(dead, force);
            List<PackId> toRewrite = audit.filter(partlyDead, force);
            // Merge small, mostly live packs (each commit and each GC seals the pack being filled,
            // so they accumulate): many small files or objects cost metadata, opens and requests.
            if (small.size() >= MIN_SMALL_PACKS_TO_MERGE) {
                List<PackId> mergeable = audit.filter(small, force);
                if (mergeable.size() >= MIN_SMALL_PACKS_TO_MERGE) {
                    toRewrite.addAll(mergeable);
                }
            }
            long bytesCopied = 0;
            long reclaimed = 0;
            for (PackId p : toDelete) {
                reclaimed += candidates.get(p);
            }
            for (PackId p : toRewrite) {
                PackStats st = stats.get(p);
                bytesCopied += st.liveBytes;
                reclaimed += candidates.get(p) - st.liveBytes;
            }
            long unexplainedChunks = counts.unexplained + audit.unaccountedRecords;
            long unexplainedBytes = counts.unexplainedBytes + audit.unaccountedBytes;

            if (!dryRun) {
                deletePacks(gcId, epoch, toDelete);
                t = lap(phases, "delete", t);
                RepackOutcome ro = repack(gcId, epoch, toRewrite, stats, cancel);
                t = lap(phases, "repack", t);
                Set<PackId> gone = new HashSet<>(toDelete);
                gone.addAll(ro.rewritten());
                Set<PackId> listed = new HashSet<>();
                packsAtStart.forEach(pi -> listed.add(pi.id()));
                finishAccounting(listed, candidates.keySet(), gone, accounted, stats, audit);
                if (ro.noSpace() != null) {
                    long freed = 0;
                    for (PackId p : toDelete) {
                        freed += candidates.get(p);
                    }
                    for (PackId p : ro.rewritten()) {
                        freed += candidates.get(p) - stats.get(p).liveBytes;
                    }
                    String msg = "the disk is too full to repack: " + ro.noSpace() + ". This GC freed " + freed
                            + " bytes of packs (" + toDelete.size() + " dead packs deleted, " + ro.rewritten().size() + " of "
                            + toRewrite.size() + " packs rewritten, " + counts.freed + " chunks freed); free more space"
                            + " (trim, then gc after the grace period, or delete other files) and run gc again";
                    log.warn("{}{}: {}", logPrefix, gcId, msg);
                    throw new CairnException(Status.NO_SPACE, msg);
                }
            }
            long total = (System.nanoTime() - t0) / 1_000_000;
            GcReport report = new GcReport(gcId, dryRun, epoch, expired.size(), rebased, counts.live, counts.freed, reclaimed,
                    toDelete.size(), toRewrite.size(), bytesCopied, mark.orphanStorage().size(), phases, total,
                    mark.live().memoryBytes() + mark.sessionLive().memoryBytes() + mark.explained().memoryBytes(),
                    unexplainedChunks, unexplainedBytes, audit.packsKept, force);
            log.info("{}{}{}: {} manifests deleted, {} rebased, {} chunks freed ({} live), {} bytes reclaimed, {} packs"
                            + " deleted, {} rewritten ({} bytes copied), {} orphan segment streams, {} ms {}",
                    logPrefix, gcId, dryRun ? " (dry run)" : "", expired.size(), rebased, counts.freed, counts.live, reclaimed,
                    toDelete.size(), toRewrite.size(), bytesCopied, mark.orphanStorage().size(), total, phases);
            if (unexplainedChunks > 0) {
                if (force) {
                    log.warn("{}{}: --force: {} chunks ({} bytes) that no recorded deletion or aborted upload accounts"
                            + " for were {}", logPrefix, gcId, unexplainedChunks, unexplainedBytes,
                            dryRun ? "found (a real run frees them)" : "freed");
                } else {
                    log.warn("{}{}: kept {} chunks ({} bytes, {} packs) that no manifest references and that no recorded"
                            + " deletion or aborted upload accounts for: metadata may have been lost. Run `cairn verify`;"
                            + " `cairn gc --force` frees them once you know they are garbage", logPrefix, gcId,
                            unexplainedChunks, unexplainedBytes, audit.packsKept);
                }
            }
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
                        // Its segments stay: they explain the chunks this frees until the sweep
                        // that frees them has completed (an orphan storage id to the mark).
                        ms.deleteKeepingSegments(b, ms.get(m.id()), l);
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
        long unexplained;
        long unexplainedBytes;
    }

    /**
     * What an index entry is to this GC (docs/GC.md, "What GC may free"). An unreferenced entry
     * is garbage this GC may free only if something accounts for it: it was written since the
     * last GC that completed its sweep began (an aborted or crashed upload), or an orphan segment
     * names it (a manifest GC deleted, a crashed put). Everything else is unexplained.
     */
    private enum Kind {
        /** Written after this GC began: not this GC's. */
        NEW,
        /** Referenced by a manifest. */
        LIVE,
        /** Referenced only by an open session; unexplained otherwise, so not re-stamped. */
        SESSION,
        /** Referenced only by an open session and garbage otherwise: kept and re-stamped. */
        RESTAMP,
        /** Unreferenced and nothing accounts for it: kept (unless forced) and reported. */
        UNEXPLAINED,
        /** Unreferenced and accounted for: freed (unless a dedup hit protects it). */
        DEAD
    }

    private static final class Classifier {
        final Marker.Result mark;
        final long epoch;
        final long explainedFrom;
        final boolean force;

        Classifier(Marker.Result mark, long epoch, long explainedFrom, boolean force) {
            this.mark = mark;
            this.epoch = epoch;
            this.explainedFrom = explainedFrom;
            this.force = force;
        }

        Kind classify(long prefix, long entryEpoch) {
            if (entryEpoch > epoch) {
                return Kind.NEW;
            }
            if (mark.live().contains(prefix)) {
                return Kind.LIVE;
            }
            boolean explained = force || entryEpoch >= explainedFrom || mark.explained().contains(prefix);
            if (mark.sessionLive().contains(prefix)) {
                return explained ? Kind.RESTAMP : Kind.SESSION;
            }
            return explained ? Kind.DEAD : Kind.UNEXPLAINED;
        }
    }

    /**
     * Classifies every index entry ({@link Kind}). Dead entries are deleted (real run) in batches
     * under the index lock, where protection is checked again: a chunk found by a lookup before
     * the batch is kept, one looked up after it is not found and gets uploaded again. Entries kept
     * only for a session or a dedup hit get this GC's new epoch, so that the next GC may still
     * free them once the session is gone (their other explanation, an orphan segment or an old
     * epoch, does not survive this sweep). The same batch raises the accounting record of each
     * known pack by the entries it frees there.
     */
    private SweepCounts sweepIndex(Classifier cls, Set<Long> protectedHits, boolean dryRun,
                                   Map<PackId, PackStats> stats, Map<PackId, Long> accounted, GcCancel cancel)
            throws IOException {
        SweepCounts counts = new SweepCounts();
        List<byte[]> deadKeys = new ArrayList<>(DELETE_BATCH);
        List<ChunkLocation> deadLocs = new ArrayList<>(DELETE_BATCH);
        List<byte[]> restampKeys = new ArrayList<>();
        List<ChunkLocation> restampLocs = new ArrayList<>();
        try (MetaDb.Cursor c = repo.db().scan(Cf.CHUNKS, null, null)) {
            while (c.next()) {
                byte[] key = c.key();
                ChunkIndexCodec.Entry e = ChunkIndexCodec.decode(c.value());
                Kind kind = cls.classify(Keys.chunkKeyPrefix64(key), e.epoch());
                if (kind == Kind.DEAD) {
                    deadKeys.add(key);
                    deadLocs.add(e.location());
                } else {
                    countLive(stats, e.location());
                    counts.live++;
                    if (kind == Kind.RESTAMP) {
                        restampKeys.add(key);
                        restampLocs.add(e.location());
                    } else if (kind == Kind.UNEXPLAINED) {
                        counts.unexplained++;
                        counts.unexplainedBytes += PackCodec.RECORD_HEADER_SIZE + e.location().storedLength();
                    }
                }
                if (deadKeys.size() == DELETE_BATCH || restampKeys.size() == DELETE_BATCH) {
                    deleteDead(cls, deadKeys, deadLocs, restampKeys, restampLocs, protectedHits, dryRun, stats, accounted,
                            counts);
                    cancel.check();
                }
            }
        }
        deleteDead(cls, deadKeys, deadLocs, restampKeys, restampLocs, protectedHits, dryRun, stats, accounted, counts);
        return counts;
    }

    private void deleteDead(Classifier cls, List<byte[]> keys, List<ChunkLocation> locs, List<byte[]> restampKeys,
                            List<ChunkLocation> restampLocs, Set<Long> protectedHits, boolean dryRun,
                            Map<PackId, PackStats> stats, Map<PackId, Long> accounted, SweepCounts counts)
            throws CairnException {
        if (keys.isEmpty() && restampKeys.isEmpty()) {
            return;
        }
        var lock = repo.chunks().indexLock().writeLock();
        lock.lock();
        try (MetaDb.Batch b = repo.db().batch()) {
            Set<PackId> touched = new HashSet<>();
            boolean deleted = false;
            for (int i = 0; i < keys.size(); i++) {
                if (protectedHits.contains(Keys.chunkKeyPrefix64(keys.get(i)))) {
                    countLive(stats, locs.get(i));
                    counts.live++;
                    restampKeys.add(keys.get(i));
                    restampLocs.add(locs.get(i));
                } else {
                    b.delete(Cf.CHUNKS, keys.get(i));
                    deleted = true;
                    counts.freed++;
                    stats.computeIfAbsent(locs.get(i).pack(), k -> new PackStats()).freed++;
                    touched.add(locs.get(i).pack());
                }
            }
            for (int i = 0; i < restampKeys.size(); i++) {
                b.put(Cf.CHUNKS, restampKeys.get(i), ChunkIndexCodec.encode(restampLocs.get(i), cls.epoch + 1));
            }
            for (PackId p : touched) {
                Long base = accounted.get(p);
                if (base != null) { // a young pack is accounted for when a completed GC first keeps it
                    GcAccounting.putPack(b, p, base + stats.get(p).freed);
                }
            }
            if (!dryRun && b.count() > 0) {
                if (deleted) {
                    // Commits that began before this check their chunks again (sweep generation).
                    repo.bumpSweepGeneration();
                }
                repo.db().write(b, false);
            }
        } finally {
            lock.unlock();
        }
        keys.clear();
        locs.clear();
        restampKeys.clear();
        restampLocs.clear();
    }

    private static void countLive(Map<PackId, PackStats> stats, ChunkLocation loc) {
        PackStats st = stats.computeIfAbsent(loc.pack(), k -> new PackStats());
        st.liveBytes += PackCodec.RECORD_HEADER_SIZE + loc.storedLength();
        st.liveChunks++;
    }

    /**
     * Ends the sweep: entries of epoch {@code nextEpoch} or later count as new from now on (every
     * older one this sweep could account for is freed or re-stamped), and the orphan segments,
     * which explained what it freed, go. Synced: also makes the sweep's unsynced batches durable.
     */
    private void completeSweep(List<byte[]> orphans, long nextEpoch) throws IOException {
        try (MetaDb.Batch b = repo.db().batch()) {
            GcAccounting.putExplainedFrom(b, nextEpoch);
            repo.db().write(b, true);
        }
        FaultPoints.reach("gc.after-sweep");
        deleteOrphanSegments(orphans);
    }

    /**
     * Checks packs before they are deleted or rewritten: every record the index does not point
     * at (a copy the rewrite would drop) must be a copy of a chunk indexed elsewhere, or one of
     * the records its accounting record (freed entries, leftovers seen when it was young) or this
     * sweep accounts for, or the pack must be young. Thread-confined to the GC.
     */
    private final class PackAudit {
        final Classifier cls;
        final boolean dryRun;
        final Map<PackId, Long> accounted;
        final Map<PackId, PackStats> stats;
        long unaccountedRecords;
        long unaccountedBytes;
        long packsKept;

        PackAudit(Classifier cls, boolean dryRun, Map<PackId, Long> accounted, Map<PackId, PackStats> stats) {
            this.cls = cls;
            this.dryRun = dryRun;
            this.accounted = accounted;
            this.stats = stats;
        }

        /** The packs of {@code packs} that may go (all of them with {@code force}); counts the others. */
        List<PackId> filter(List<PackId> packs, boolean force) throws IOException {
            List<PackId> out = new ArrayList<>();
            for (PackId p : packs) {
                PackIndex idx = footer(p);
                if (idx == null) {
                    if (!force) {
                        packsKept++;
                        continue;
                    }
                    out.add(p);
                    continue;
                }
                PackStats st = stats.get(p);
                long freed = st == null ? 0 : st.freed;
                Long acc = accounted.get(p);
                if (acc == null || idx.entries().size() <= acc + freed) {
                    // Young (nothing it holds counts as unaccounted; finishAccounting writes its
                    // first record if it stays), or the usual dead pack: no more records than its
                    // accounting and this sweep explain, so none can be unaccounted, whatever the
                    // index says. No need to look each record up.
                    out.add(p);
                    continue;
                }
                GcAccounting.Unaccounted u = GcAccounting.unaccounted(census(idx), acc, freed);
                if (u.records() > 0) {
                    unaccountedRecords += u.records();
                    unaccountedBytes += u.bytes();
                    if (!force) {
                        packsKept++;
                        // The first few by name; the summary line counts them all.
                        if (packsKept <= 10) {
                            log.warn("{}keeping pack {}: {} of its records ({} bytes) are in no index entry and nothing"
                                    + " accounts for them", logPrefix, p, u.records(), u.bytes());
                        }
                        continue;
                    }
                }
                out.add(p);
            }
            return out;
        }

        /**
         * The pack's records from its footer: empty if the pack is gone (nothing to count), null
         * if the footer cannot be read (then the pack is not deleted without force).
         */
        PackIndex footer(PackId p) throws IOException {
            try {
                return repo.packs().readIndex(p);
            } catch (PackNotFoundException e) {
                return new PackIndex(p, true, 0, List.of());
            } catch (CairnException e) {
                throw e;
            } catch (IOException e) {
                log.warn("{}cannot read the index of pack {} to check it before deleting it; keeping it: {}", logPrefix, p,
                        e.getMessage());
                return null;
            }
        }

        /**
         * The pack's records against the index after this sweep (a dry run counts the entries the
         * real run's sweep has deleted by now as absent).
         */
        GcAccounting.Census census(PackIndex idx) throws IOException {
            return GcAccounting.census(repo.db(), idx, dryRun
                    ? (key, e) -> cls.classify(Keys.chunkKeyPrefix64(key), e.epoch()) == Kind.DEAD : null);
        }
    }

    /**
     * Brings the pack accounting records up to date after the packs were dealt with: records of
     * packs that are gone are dropped; a young pack that stays gets its first record, which
     * accepts the records it holds that the index does not point at now (crash leftovers, written
     * since the last completed GC, and chunks a sweep freed).
     *
     * <p>Copies count too: a chunk this or an earlier sweep freed from a young pack (which no
     * accounting record raised) may have been uploaded again since, into another pack, before
     * the first record is counted here. Its record in the young pack then looks "indexed
     * elsewhere", but once the new copy is freed, the sweep raises the other pack's record, and
     * the young pack would hold a record nothing accounts for (kept and reported as unexplained).
     *
     * <p>The count is the pack's footer records minus the index entries the sweep found pointing
     * into it (its live chunks; nothing adds entries pointing into a sealed pack while GC holds
     * the maintenance lock, and only this GC removes any), so it needs no lookup per record. If
     * the index were inconsistent (an entry pointing into the pack at no record of it), the count
     * comes out lower than the records really not pointed at: the safe side, since a lower
     * accounting record only makes a later GC keep more.
     */
    private void finishAccounting(Set<PackId> listed, Set<PackId> candidates, Set<PackId> gone,
                                  Map<PackId, Long> accounted, Map<PackId, PackStats> stats, PackAudit audit)
            throws IOException {
        try (MetaDb.Batch b = repo.db().batch()) {
            for (PackId p : accounted.keySet()) {
                if (gone.contains(p) || !listed.contains(p)) {
                    GcAccounting.deletePack(b, p);
                }
            }
            for (PackId p : candidates) {
                if (gone.contains(p) || accounted.containsKey(p)) {
                    continue;
                }
                PackIndex idx = audit.footer(p);
                if (idx == null) {
                    continue; // unreadable: stays young, and is never deleted without force
                }
                PackStats st = stats.get(p);
                long absent = Math.max(0, idx.entries().size() - (st == null ? 0 : st.liveChunks));
                GcAccounting.putPack(b, p, absent);
            }
            if (b.count() > 0) {
                repo.db().write(b, true);
            }
        }
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

    /** Packs rewritten; {@code noSpace}: why the rest could not be (null: all were). */
    private record RepackOutcome(List<PackId> rewritten, String noSpace) {
    }

    /**
     * Rewrites packs: their live records (those the index points at) go to new packs; once those
     * are sealed (durable), one batch under the index lock points the index at the new copies and
     * journals the old packs, which are then deleted.
     *
     * <p>Made to work on a full disk: packs go least live bytes first, so each group frees the
     * most for what it writes, and a group copies at most what the free space holds (minus
     * {@link #REPACK_MARGIN}), and at most repackGroupBytes. A group that hits NO_SPACE anyway is
     * abandoned cleanly: its new packs, which nothing points at yet, are deleted at once, and it
     * is tried again in halves (after releasing the reserve, if there is one). A single pack that
     * does not fit ends the repack with a reason; what was done stays done.
     */
    private RepackOutcome repack(String gcId, long epoch, List<PackId> packs, Map<PackId, PackStats> stats,
                                 GcCancel cancel) throws IOException {
        List<PackId> order = new ArrayList<>(packs);
        order.sort(Comparator.comparingLong((PackId p) -> stats.get(p).liveBytes).thenComparing(Comparator.naturalOrder()));
        List<PackId> rewritten = new ArrayList<>();
        int maxPacks = Integer.MAX_VALUE;
        int i = 0;
        while (i < order.size()) {
            cancel.check();
            long room = repo.packs().usableSpace() - REPACK_MARGIN;
            long first = copyCost(stats.get(order.get(i)));
            if (first > room && repo.reserve().release() > 0) {
                room = repo.packs().usableSpace() - REPACK_MARGIN;
            }
            if (first > room) {
                return new RepackOutcome(rewritten, "rewriting pack " + order.get(i) + " needs " + first
                        + " bytes, " + Math.max(0, room + REPACK_MARGIN) + " are free");
            }
            long limit = Math.min(options.repackGroupBytes(), room);
            List<PackId> group = new ArrayList<>();
            long cost = 0;
            while (i + group.size() < order.size() && group.size() < maxPacks) {
                long c = copyCost(stats.get(order.get(i + group.size())));
                if (!group.isEmpty() && cost + c > limit) {
                    break;
                }
                group.add(order.get(i + group.size()));
                cost += c;
            }
            try {
                rewriteGroup(gcId, epoch, group);
            } catch (CairnException e) {
                if (e.status() != Status.NO_SPACE) {
                    throw e;
                }
                if (repo.reserve().release() > 0) {
                    continue; // same group, with the reserve's space
                }
                if (group.size() == 1) {
                    return new RepackOutcome(rewritten, "rewriting pack " + group.get(0) + " ran out of space ("
                            + e.getMessage() + ")");
                }
                maxPacks = Math.max(1, group.size() / 2);
                log.warn("{}repack group of {} packs ran out of space; retrying in groups of {}", logPrefix, group.size(),
                        maxPacks);
                continue;
            }
            rewritten.addAll(group);
            i += group.size();
        }
        return new RepackOutcome(rewritten, null);
    }

    /** Bytes rewriting a pack writes: its live records and their footer entries. */
    private static long copyCost(PackStats st) {
        return st.liveBytes + st.liveChunks * PackCodec.FOOTER_ENTRY_SIZE + PackCodec.HEADER_SIZE + PackCodec.TRAILER_SIZE;
    }

    /**
     * Copies one group's live records to new packs, switches the index to them (with the journal)
     * and deletes the old packs. On any failure before the switch the new packs are deleted
     * again, so that a GC failing on a full disk leaves no partial packs behind.
     */
    private void rewriteGroup(String gcId, long epoch, List<PackId> group) throws IOException {
        List<Moved> moved = new ArrayList<>();
        List<PackId> written = new ArrayList<>();
        PackWriter out = null;
        boolean switched = false;
        try {
            for (PackId src : group) {
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
                    FaultPoints.reach("gc.mid-repack");
                }
            }
            if (out != null) {
                out.seal();
                out = null;
            }
            switchIndex(gcId, epoch, group, moved);
            switched = true;
        } finally {
            if (!switched) {
                abandon(out, written);
            }
        }
        FaultPoints.reach("gc.after-switch");
        repo.chunks().deletePacks(group);
        GcJournal.clear(repo.db());
    }

    /** Deletes the packs an abandoned group wrote: nothing points at them. */
    private void abandon(PackWriter open, List<PackId> written) {
        try {
            if (open != null) {
                open.close();
            }
            repo.chunks().deletePacks(written);
        } catch (IOException | RuntimeException e) {
            // Left for the next GC (young packs with nothing live) or the next start.
            log.warn("{}could not delete the packs of an abandoned repack group {}: {}", logPrefix, written, e.toString());
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
