package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.catalog.Catalog;
import dev.cairn.store.catalog.CatalogCodec;
import dev.cairn.store.catalog.CatalogReader;
import dev.cairn.store.catalog.Replay;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.manifest.StoredManifestCodec;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb.Cf;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Verify's check of the invariant "RocksDB's manifest families are an index of the catalog":
 * the catalog files on disk are re-read (damage is a problem), and every manifest record, its
 * segments and its labels must be the same on both sides. A disagreement is reported, not
 * repaired; the next open repairs it (docs/FORMAT.md, "Catalog: recovery at open").
 */
final class CatalogCheck {
    private static final int MAX_LISTED = 100;

    private final Repository repo;
    private final List<VerifyReport.Problem> problems;
    private int listed;
    private long unlisted;

    CatalogCheck(Repository repo, List<VerifyReport.Problem> problems) {
        this.repo = repo;
        this.problems = problems;
    }

    /**
     * Compares without blocking commits, then re-checks each disagreement under the manifest
     * mutex against the catalog's in-memory state: a commit between its catalog append and its
     * RocksDB write is not a disagreement.
     */
    void run() throws CairnException {
        CatalogReader.Result r = repo.catalog().reread();
        for (Replay.Damage d : r.replay().damage()) {
            problem(d.file().getFileName().toString(), "damaged catalog data at offset " + d.offset() + " ("
                    + d.length() + " bytes): " + d.why());
        }
        Map<ManifestId, Long> fps = r.fingerprints();
        Map<ManifestId, byte[]> labels = r.labels();
        java.util.Set<ManifestId> suspects = new java.util.LinkedHashSet<>();
        for (ManifestId id : repo.manifests().allIds()) {
            if (compare(id, fps.remove(id), labels.get(id)) != null) {
                suspects.add(id);
            }
        }
        suspects.addAll(fps.keySet()); // in the catalog, not in RocksDB
        synchronized (repo.manifestMutex()) {
            Map<ManifestId, Catalog.Known> now = new java.util.HashMap<>();
            for (Catalog.Known k : repo.catalog().known()) {
                now.put(k.id(), k);
            }
            for (ManifestId id : suspects) {
                Catalog.Known k = now.get(id);
                String why = compare(id, k == null ? null : k.hasManifest() ? k.fingerprint() : -1L,
                        k == null ? null : k.labels());
                if (why != null) {
                    problem(id.toHex(), why);
                }
            }
        }
        if (unlisted > 0) {
            problems.add(new VerifyReport.Problem("catalog", "", unlisted + " more catalog disagreements not listed"));
        }
    }

    /**
     * Null if RocksDB agrees with the catalog about {@code id} ({@code fp}: the catalog's manifest
     * fingerprint, -1 for labels only, null if it does not know the id), else what differs.
     */
    private String compare(ManifestId id, Long fp, byte[] catalogLabels) throws CairnException {
        byte[] mv = repo.db().get(Cf.MANIFESTS, Keys.manifest(id));
        if (mv == null) {
            if (fp == null) {
                return null;
            }
            return fp < 0 ? "the catalog holds labels but no manifest record of this checkpoint"
                    : "checkpoint was committed (it is in the catalog) but is missing from the metadata database;"
                            + " restart cairnd to restore it";
        }
        if (fp == null) {
            return "checkpoint is in the metadata database but not in the catalog (the catalog lost records;"
                    + " restart cairnd to re-protect it)";
        }
        if (fp != CatalogCodec.fingerprint(mv)) {
            return "the metadata database and the catalog hold different manifest records (restart cairnd to restore"
                    + " the catalog's)";
        }
        String seg = checkSegments(id, mv);
        if (seg != null) {
            return seg;
        }
        byte[] rl = repo.db().get(Cf.LABELS, Keys.manifest(id));
        if (catalogLabels == null || rl == null || !Arrays.equals(catalogLabels, rl)) {
            return "the metadata database and the catalog hold different labels (tags, holds or trash state;"
                    + " restart cairnd to restore the catalog's)";
        }
        return null;
    }

    private String checkSegments(ManifestId id, byte[] mv) throws CairnException {
        StoredManifest m;
        try {
            m = StoredManifestCodec.decode(id, mv);
        } catch (CairnException e) {
            return null; // the manifest check reports an undecodable record
        }
        CatalogCodec.ManifestRecord rec = repo.catalog().manifest(id);
        if (rec == null) {
            return null;
        }
        List<CatalogCodec.Segment> have = repo.manifests().segmentRows(m.storageId());
        boolean same = have.size() == rec.segments().size();
        for (int i = 0; same && i < have.size(); i++) {
            same = Arrays.equals(have.get(i).key(), rec.segments().get(i).key())
                    && Arrays.equals(have.get(i).value(), rec.segments().get(i).value());
        }
        return same ? null : "the metadata database and the catalog hold different chunk-list segments ("
                + have.size() + " vs " + rec.segments().size() + "); restart cairnd to restore the catalog's";
    }

    private void problem(String subject, String message) {
        if (listed >= MAX_LISTED) {
            unlisted++;
            return;
        }
        listed++;
        problems.add(new VerifyReport.Problem("catalog", subject, message));
    }
}
