package dev.cairn.store;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.chunk.ChunkIndexCodec;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds the {@code chunks} family from the packs: first examines every pack as recovery at open
 * does ({@link PackRecovery}: crash leftovers recovered, damaged packs marked and salvaged, never
 * cut), then clears the family and indexes every record named by a pack footer, and for damaged
 * packs every record that still checks out (plus the old entries of their damaged records), in
 * pack-id order, the first record of a chunk winning. Afterwards it counts manifest refs that are
 * still not indexed. A maintenance operation: the repository must not be serving puts meanwhile.
 */
final class IndexRebuilder {
    private static final Logger log = LoggerFactory.getLogger(IndexRebuilder.class);
    private static final int BATCH = 10_000;

    private final Repository repo;

    IndexRebuilder(Repository repo) {
        this.repo = repo;
    }

    RebuildReport run() throws IOException {
        MetaDb db = repo.db();
        List<PackInfo> packs = new ArrayList<>(repo.packs().list());
        packs.sort(Comparator.comparing(PackInfo::id));
        long indexed = 0;
        long duplicates = 0;
        long recovered = 0;
        List<String> unreadable = new ArrayList<>();
        List<String> damaged = new ArrayList<>();
        long epoch = repo.chunks().epoch();
        java.util.Set<PackId> inUse = repo.chunks().packsInUse();
        // Decide about every pack while the old index still says what it references: recovery
        // never cuts a pack before the furthest indexed record, and damaged packs keep the old
        // entries of their damaged records (below).
        PackRecovery recovery = new PackRecovery(db, repo.packs());
        List<PackId> usable = new ArrayList<>();
        Map<PackId, PackIndex> salvaged = new HashMap<>();
        try (MetaDb.Batch rb = db.batch()) {
            for (PackInfo p : packs) {
                if (inUse.contains(p.id())) {
                    continue; // a writer's pack (the one created ahead): holds nothing yet
                }
                PackRecovery.Outcome o = recovery.examine(p, rb, true);
                if (o.recovered()) {
                    recovered++;
                }
                if (o.damaged() && o.index() != null) {
                    salvaged.put(p.id(), o.index());
                    damaged.add(p.id() + ": " + recovery.records().get(p.id()).reason());
                } else if (o.damaged() || o.unreadable() != null) {
                    unreadable.add(p.id() + ": " + (o.unreadable() != null ? o.unreadable() : recovery.records().get(p.id()).reason()));
                } else {
                    usable.add(p.id());
                }
            }
            db.write(rb, true);
        }
        // Damaged packs last: where a chunk also has a copy in an intact pack, that copy wins.
        usable.addAll(salvaged.keySet().stream().sorted().toList());
        Map<ChunkId, ChunkLocation> carried = damagedRecordEntries(db, salvaged);
        byte[] end = new byte[ChunkId.LENGTH + 1];
        Arrays.fill(end, (byte) 0xff);
        try (MetaDb.Batch b = db.batch()) {
            // The marker makes an ordinary open refuse until the index is whole again.
            b.put(Cf.META, Keys.INDEX_REBUILD_PENDING, new byte[] {1});
            b.deleteRange(Cf.CHUNKS, new byte[0], end);
            db.write(b, true);
        }
        long[] counts = {0, 0};
        for (PackId id : usable) {
            PackIndex idx;
            try {
                idx = salvaged.containsKey(id) ? salvaged.get(id) : repo.packs().readIndex(id);
            } catch (IOException e) {
                unreadable.add(id + ": " + e.getMessage());
                continue;
            }
            indexAbsent(db, idx, epoch, counts);
        }
        indexed += counts[0];
        duplicates += counts[1];
        try (MetaDb.Batch b = db.batch()) {
            for (Map.Entry<ChunkId, ChunkLocation> e : carried.entrySet()) {
                if (db.get(Cf.CHUNKS, Keys.chunk(e.getKey())) == null) {
                    b.put(Cf.CHUNKS, Keys.chunk(e.getKey()), ChunkIndexCodec.encode(e.getValue(), epoch));
                    indexed++;
                }
            }
            db.write(b, false);
        }
        // Rebuilt entries carry no history: none of them is an upload GC can account for. Start a
        // new epoch and let only entries written from now on count as new (docs/GC.md).
        try (MetaDb.Batch b = db.batch()) {
            byte[] next = new byte[8];
            Keys.putLong(next, 0, epoch + 1);
            b.put(Cf.META, Keys.SWEEP_GENERATION, next);
            dev.cairn.store.meta.GcAccounting.putExplainedFrom(b, epoch + 1);
            b.put(Cf.META, Keys.ascii("index-rebuilt-at"), Keys.ascii(java.time.Instant.now().toString()));
            b.delete(Cf.META, Keys.INDEX_REBUILD_PENDING);
            db.write(b, true);
        }
        repo.chunks().advanceEpoch(epoch + 1);
        long missing = missingRefs(db);
        log.info("index rebuilt from {} packs: {} chunks, {} duplicates, {} unreadable packs, {} damaged packs, {} refs"
                + " still missing", packs.size(), indexed, duplicates, unreadable.size(), damaged.size(), missing);
        return new RebuildReport(packs.size(), recovered, indexed, duplicates, unreadable, missing, damaged, 0, 0);
    }

    /**
     * Adds index entries for pack records whose chunk is not indexed, keeping every existing
     * entry (open-time recovery: RocksDB lost index writes that the packs still hold). Runs after
     * the packs were recovered at open; a damaged pack contributes the records its salvage finds.
     */
    RebuildReport indexMissing() throws IOException {
        MetaDb db = repo.db();
        List<PackInfo> packs = new ArrayList<>(repo.packs().list());
        packs.sort(Comparator.comparing(PackInfo::id));
        List<String> unreadable = new ArrayList<>();
        long epoch = repo.chunks().epoch();
        java.util.Set<PackId> inUse = repo.chunks().packsInUse();
        long[] counts = {0, 0};
        for (PackInfo p : packs) {
            if (inUse.contains(p.id())) {
                continue;
            }
            PackIndex idx;
            try {
                idx = repo.packs().readIndex(p.id());
            } catch (IOException e) {
                try {
                    idx = repo.packs().salvage(p.id());
                } catch (IOException e2) {
                    unreadable.add(p.id() + ": " + e.getMessage());
                    continue;
                }
            }
            indexAbsent(db, idx, epoch, counts);
        }
        db.put(Cf.META, Keys.ascii("index-completed-at"), Keys.ascii(java.time.Instant.now().toString()), true);
        long missing = missingRefs(db);
        log.info("index completed from {} packs: {} chunks, {} duplicates, {} unreadable packs, {} refs still missing",
                packs.size(), counts[0], counts[1], unreadable.size(), missing);
        return new RebuildReport(packs.size(), 0, counts[0], counts[1], unreadable, missing, List.of(), 0, 0);
    }

    /** Indexes the records of {@code idx} whose chunk has no entry yet; counts[0] += indexed, counts[1] += skipped. */
    private static void indexAbsent(MetaDb db, PackIndex idx, long epoch, long[] counts) throws IOException {
        MetaDb.Batch b = db.batch();
        try {
            for (PackIndex.Entry en : idx.entries()) {
                byte[] key = Keys.chunk(en.id());
                if (db.get(Cf.CHUNKS, key) != null) {
                    counts[1]++;
                    continue;
                }
                b.put(Cf.CHUNKS, key, ChunkIndexCodec.encode(en.location(), epoch));
                counts[0]++;
                if (b.count() >= BATCH) {
                    db.write(b, false);
                    b.close();
                    b = db.batch();
                }
            }
            db.write(b, false);
        } finally {
            b.close();
        }
    }

    /** Chunk refs of existing manifests that the index does not name. */
    private long missingRefs(MetaDb db) throws IOException {
        long[] missing = {0};
        for (ManifestId id : repo.manifests().allIds()) {
            StoredManifest m = repo.manifests().find(id);
            if (m == null) {
                continue;
            }
            repo.manifests().forEachRef(m, r -> {
                if (db.get(Cf.CHUNKS, Keys.chunk(r.id())) == null) {
                    missing[0]++;
                }
            });
        }
        return missing[0];
    }

    /**
     * Entries of the current index that point into damaged packs at records their salvage does
     * not list (the records' own bytes no longer check out): kept, so that reading such a chunk
     * fails with CORRUPT naming pack and offset, as before the rebuild, rather than as a missing
     * chunk. An index too damaged to scan contributes nothing.
     */
    private static Map<ChunkId, ChunkLocation> damagedRecordEntries(MetaDb db, Map<PackId, PackIndex> salvaged) {
        Map<ChunkId, ChunkLocation> out = new HashMap<>();
        if (salvaged.isEmpty()) {
            return out;
        }
        java.util.Set<ChunkLocation> intact = new java.util.HashSet<>();
        salvaged.values().forEach(idx -> idx.entries().forEach(e -> intact.add(e.location())));
        try (MetaDb.Cursor c = db.scan(Cf.CHUNKS, null, null)) {
            while (c.next()) {
                ChunkLocation loc;
                try {
                    loc = ChunkIndexCodec.decode(c.value()).location();
                } catch (dev.cairn.protocol.CairnException e) {
                    continue;
                }
                if (salvaged.containsKey(loc.pack()) && !intact.contains(loc)) {
                    out.put(ChunkId.fromBytes(c.key()), loc);
                }
            }
        } catch (dev.cairn.protocol.CairnException e) {
            log.warn("cannot read the old chunk index for entries of damaged records: {}", e.getMessage());
        }
        return out;
    }
}
