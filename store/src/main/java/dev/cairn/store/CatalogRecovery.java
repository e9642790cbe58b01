package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.catalog.Catalog;
import dev.cairn.store.catalog.CatalogCodec;
import dev.cairn.store.catalog.Replay;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.ManifestStore;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.manifest.StoredManifestCodec;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Brings RocksDB's manifest families and the catalog into agreement at open (docs/FORMAT.md,
 * "Catalog: recovery at open"). Which side wins:
 * <ul>
 * <li>The catalog, when it replayed without damage: it is the commit point, so anything it holds
 *     that RocksDB lacks (a crash between the catalog fsync and the RocksDB write, or a damaged or
 *     lost WAL) is rolled forward into RocksDB, including deletions.</li>
 * <li>RocksDB, for what the catalog does not know (a store from before the catalog, a deleted
 *     catalog, damaged catalog records): it is re-appended to the catalog. When the catalog had
 *     damage, RocksDB also wins where both hold an id and disagree, since the lost records may be
 *     the newer ones; ids only the catalog holds are still rolled forward.</li>
 * </ul>
 * Rolled-forward manifests must be restorable: chunks they reference that the index lacks are
 * re-indexed from the packs; if some are in no pack, open is refused (or, with {@link
 * RepositoryOptions#markDamagedOnOpen()}, those checkpoints are marked damaged).
 *
 * <p>Runs before the repository serves anything; not thread-safe.
 */
final class CatalogRecovery {
    private static final Logger log = LoggerFactory.getLogger(CatalogRecovery.class);
    private static final int BATCH = 256;
    private static final long REPROTECT_BYTES = 8L << 20;
    /**
     * Set (atomically with them) while restored manifests have not passed the chunk check: an
     * open refused for missing chunks leaves the restored rows behind, and the next open must
     * check them again rather than take them as whole.
     */
    static final byte[] UNCHECKED = Keys.ascii("catalog-restore-unchecked");

    /**
     * What recovery did.
     *
     * @param rolledForward manifests, label changes and deletions copied from the catalog to RocksDB
     * @param reprotected   ids whose RocksDB state was appended to the catalog
     * @param reindexed     index entries restored from pack footers for rolled-forward manifests
     * @param damaged       checkpoints marked damaged (chunks in no pack), with {@code markDamagedOnOpen}
     * @param migrated      the store predated the catalog and got one
     * @param walDamage     RocksDB's report of a damaged WAL, or null
     * @param catalogDamage damaged catalog regions found by replay
     */
    record Report(long rolledForward, List<ManifestId> rolledIds, long reprotected, long reindexed,
                  List<ManifestId> damaged, boolean migrated, String walDamage, List<Replay.Damage> catalogDamage) {
        static final Report NONE = new Report(0, List.of(), 0, 0, List.of(), false, null, List.of());

        boolean anything() {
            return rolledForward > 0 || reprotected > 0 || reindexed > 0 || !damaged.isEmpty() || migrated
                    || walDamage != null || !catalogDamage.isEmpty();
        }
    }

    private final Repository repo;
    private final Catalog catalog;
    private final MetaDb db;
    private final ManifestStore ms;

    CatalogRecovery(Repository repo, Catalog catalog) {
        this.repo = repo;
        this.catalog = catalog;
        this.db = repo.db();
        this.ms = repo.manifests();
    }

    /**
     * Reconciles. {@code rocksAuthoritative}: RocksDB wins every disagreement (migration, a lost or
     * damaged catalog). {@code markDamaged}: mark unrestorable rolled-forward checkpoints damaged
     * instead of throwing.
     */
    Report run(boolean rocksAuthoritative, boolean migrated, boolean markDamaged, List<Replay.Damage> catalogDamage)
            throws IOException {
        Map<ManifestId, Catalog.Known> known = new HashMap<>();
        for (Catalog.Known k : catalog.known()) {
            known.put(k.id(), k);
        }
        Set<ManifestId> forgotten = catalog.replay().forgotten();
        Catalog.Pending reprotect = catalog.pending();
        long reprotected = 0;
        long rolled = 0;
        List<ManifestId> rolledManifests = new ArrayList<>();
        List<ManifestId> rolledIds = new ArrayList<>();
        long lostFromCatalog = 0;
        boolean uncheckedBefore = db.get(Cf.META, UNCHECKED) != null;
        MetaDb.Batch b = db.batch();
        try {
            for (ManifestId id : ms.allIds()) {
                byte[] rv = db.get(Cf.MANIFESTS, Keys.manifest(id));
                if (rv == null) {
                    continue;
                }
                StoredManifest rm = decodeOrNull(id, rv);
                Labels rl = labelsOrNull(id);
                Catalog.Known k = known.remove(id);
                if (k == null) {
                    if (forgotten.contains(id) && !rocksAuthoritative && rm != null) {
                        ms.recoverForget(b, rm, rl); // GC's delete was in the catalog, not in RocksDB
                        rolled++;
                        rolledIds.add(id);
                    } else if (rm != null) {
                        reprotect.manifest(id, rv, ms.segmentRows(rm.storageId()));
                        if (rl != null) {
                            reprotect.labels(id, rl.encode());
                        }
                        reprotected++;
                        lostFromCatalog++;
                    }
                } else {
                    boolean sameManifest = k.hasManifest() && k.fingerprint() == CatalogCodec.fingerprint(rv);
                    boolean catalogWins = !rocksAuthoritative || rm == null;
                    if (!sameManifest) {
                        if (k.hasManifest() && catalogWins) {
                            Labels cl = k.labels() != null ? Labels.decode(k.labels()) : rl;
                            ms.recoverManifest(b, catalog.manifest(id), cl != null ? cl : Labels.of(List.of(), 0), rm, rl);
                            b.put(Cf.META, UNCHECKED, new byte[] {1});
                            rolled++;
                            rolledIds.add(id);
                            rolledManifests.add(id);
                            continue;
                        }
                        if (rm != null) {
                            reprotect.manifest(id, rv, ms.segmentRows(rm.storageId()));
                            reprotected++;
                        }
                    }
                    boolean sameLabels = k.labels() != null && rl != null && Arrays.equals(k.labels(), rl.encode());
                    if (!sameLabels) {
                        if (k.labels() != null && (catalogWins || rl == null) && rm != null) {
                            ms.recoverLabels(b, rm, rl, Labels.decode(k.labels()));
                            rolled++;
                            rolledIds.add(id);
                        } else if (rl != null) {
                            reprotect.labels(id, rl.encode());
                            reprotected++;
                        }
                    }
                }
                if (b.count() >= BATCH) {
                    db.write(b, false);
                    b.close();
                    b = db.batch();
                }
                if (reprotect.bytes() > REPROTECT_BYTES) {
                    // A migration re-protects every manifest: append as we go, not all at the end.
                    catalog.appendDirect(reprotect);
                    reprotect = catalog.pending();
                }
            }
            List<ManifestId> lostEverywhere = new ArrayList<>();
            for (Catalog.Known k : known.values()) {
                if (!k.hasManifest()) {
                    lostEverywhere.add(k.id()); // labels survive, the manifest is in neither place
                    continue;
                }
                Labels cl = k.labels() != null ? Labels.decode(k.labels()) : Labels.of(List.of(), 0);
                ms.recoverManifest(b, catalog.manifest(k.id()), cl, null, null);
                b.put(Cf.META, UNCHECKED, new byte[] {1});
                rolled++;
                rolledIds.add(k.id());
                rolledManifests.add(k.id());
                if (b.count() >= BATCH) {
                    db.write(b, false);
                    b.close();
                    b = db.batch();
                }
            }
            // Synced: the catalog already holds all of this, but the next open should not redo it.
            db.write(b, true);
            if (!reprotect.isEmpty()) {
                catalog.appendDirect(reprotect);
            }
            if (!lostEverywhere.isEmpty()) {
                String ids = shortIds(lostEverywhere);
                if (!markDamaged) {
                    throw new CairnException(Status.CORRUPT, "the catalog holds labels of " + lostEverywhere.size()
                            + " checkpoints (" + ids + ") whose manifest record is neither in the catalog (damaged)"
                            + " nor in the metadata database; they cannot be restored. Run `cairnd --rebuild-index` to"
                            + " drop them and serve the rest");
                }
                Catalog.Pending drop = catalog.pending();
                lostEverywhere.forEach(drop::forget);
                catalog.appendDirect(drop);
                log.error("catalog recovery: dropped {} checkpoints whose manifest record is lost everywhere: {}",
                        lostEverywhere.size(), ids);
            }
        } finally {
            b.close();
        }
        if (lostFromCatalog > 0 && !rocksAuthoritative) {
            // Never a crash leftover: RocksDB writes a commit only after the catalog fsynced it, so
            // a catalog that lacks a committed checkpoint lost records (cut short, files deleted).
            log.error("catalog recovery: the catalog lacked {} checkpoints that the metadata database holds (catalog"
                    + " files cut short or lost); appended them to the catalog again", lostFromCatalog);
        }
        long[] reindexed = {0};
        List<ManifestId> check = uncheckedBefore ? ms.allIds() : rolledManifests;
        List<ManifestId> damaged = ensureRestorable(check, markDamaged, rocksAuthoritative, reindexed);
        if (uncheckedBefore || !rolledManifests.isEmpty()) {
            try (MetaDb.Batch done = db.batch()) {
                done.delete(Cf.META, UNCHECKED);
                db.write(done, true);
            }
        }
        if (rolled > 0) {
            log.warn("catalog recovery: the metadata database lacked {} changes the catalog had committed ({} manifests"
                    + " restored, e.g. {}); rolled them forward{}", rolled, rolledManifests.size(), shortIds(rolledIds),
                    reindexed[0] > 0 ? " and re-indexed " + reindexed[0] + " chunks from the packs" : "");
        }
        if (reprotected > 0 && rocksAuthoritative && !migrated) {
            log.warn("catalog recovery: re-protected {} checkpoints' metadata from the metadata database in the catalog",
                    reprotected);
        }
        return new Report(rolled, List.copyOf(rolledIds), reprotected, reindexed[0], damaged, migrated,
                db.walDamage(), catalogDamage);
    }

    /**
     * Makes sure every chunk the rolled-forward manifests reference is indexed: what the index
     * lacks is looked for in the pack footers (RocksDB lost those index writes too). Chunks in no
     * pack: refuse, or mark the checkpoints damaged.
     */
    private List<ManifestId> ensureRestorable(List<ManifestId> ids, boolean markDamaged, boolean rocksAuthoritative,
                                              long[] reindexed) throws IOException {
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<ManifestId, Long> missing = missingChunks(ids);
        if (missing.isEmpty()) {
            return List.of();
        }
        RebuildReport r = new IndexRebuilder(repo).indexMissing();
        reindexed[0] = r.chunks();
        missing = missingChunks(ids);
        if (missing.isEmpty()) {
            return List.of();
        }
        List<ManifestId> bad = new ArrayList<>(missing.keySet());
        if (rocksAuthoritative) {
            // The catalog had damage: a trashed checkpoint it holds and RocksDB lacks, whose chunks
            // are gone, was most likely deleted by GC with the FORGET record in the damaged part.
            List<ManifestId> forget = new ArrayList<>();
            for (ManifestId id : bad) {
                Labels l = ms.findLabels(id);
                if (l != null && l.inTrash()) {
                    forget.add(id);
                }
            }
            if (!forget.isEmpty()) {
                try (MetaDb.Batch b = db.batch()) {
                    for (ManifestId id : forget) {
                        ms.delete(b, ms.get(id), ms.labels(id));
                    }
                    db.write(b, true);
                }
                log.error("catalog recovery: {} trashed checkpoints from the damaged catalog reference chunks in no pack;"
                        + " GC deleted them and the record of that was lost with the damage: dropped them again ({})",
                        forget.size(), shortIds(forget));
                bad.removeAll(forget);
                forget.forEach(missing::remove);
                if (bad.isEmpty()) {
                    return List.of();
                }
            }
        }
        if (!markDamaged) {
            throw new CairnException(Status.CORRUPT, bad.size() + " checkpoints restored from the catalog at open ("
                    + shortIds(bad) + ") reference " + missing.values().stream().mapToLong(Long::longValue).sum()
                    + " chunks that are in no pack; the store refuses to start rather than serve them as if they"
                    + " were whole. Run `cairnd --rebuild-index` to mark them damaged (retention then treats them as"
                    + " not restorable) and serve the rest, or restore the missing packs first");
        }
        try (MetaDb.Batch b = db.batch()) {
            for (ManifestId id : bad) {
                Labels l = ms.labels(id);
                ms.putLabels(b, id, l.withDamage(missing.get(id) + " referenced chunks are in no pack"
                        + " (found when the metadata was restored from the catalog)"));
            }
            db.write(b, true);
        }
        log.error("catalog recovery: marked {} checkpoints damaged, their chunks are in no pack: {}", bad.size(),
                shortIds(bad));
        return List.copyOf(bad);
    }

    private Map<ManifestId, Long> missingChunks(List<ManifestId> ids) throws CairnException {
        Map<ManifestId, Long> out = new LinkedHashMap<>();
        for (ManifestId id : ids) {
            StoredManifest m = ms.find(id);
            if (m == null) {
                continue;
            }
            long[] n = {0};
            List<ChunkId> batch = new ArrayList<>();
            ms.forEachRef(m, r -> {
                batch.add(r.id());
                if (batch.size() >= 4096) {
                    n[0] += countMissing(batch);
                }
            });
            n[0] += countMissing(batch);
            if (n[0] > 0) {
                out.put(id, n[0]);
            }
        }
        return out;
    }

    private long countMissing(List<ChunkId> batch) throws CairnException {
        boolean[] have = repo.chunks().contains(batch);
        long n = 0;
        for (boolean h : have) {
            if (!h) {
                n++;
            }
        }
        batch.clear();
        return n;
    }

    private static StoredManifest decodeOrNull(ManifestId id, byte[] v) {
        try {
            return StoredManifestCodec.decode(id, v);
        } catch (CairnException e) {
            return null;
        }
    }

    private Labels labelsOrNull(ManifestId id) {
        try {
            return ms.findLabels(id);
        } catch (CairnException e) {
            return null;
        }
    }

    static String shortIds(List<ManifestId> ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.size() && i < 10; i++) {
            sb.append(i == 0 ? "" : ", ").append(ids.get(i).shortHex());
        }
        if (ids.size() > 10) {
            sb.append(", and ").append(ids.size() - 10).append(" more");
        }
        return sb.toString();
    }
}
