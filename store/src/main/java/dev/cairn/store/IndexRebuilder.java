package dev.cairn.store;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.chunk.ChunkIndexCodec;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Rebuilds the {@code chunks} family from the packs: clears it, then indexes every record named by
 * a pack footer (recovering unsealed packs first), in pack-id order, the first record of a chunk
 * winning. Afterwards it counts manifest refs that are still not indexed. A maintenance operation:
 * the repository must not be serving puts meanwhile.
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
        byte[] end = new byte[ChunkId.LENGTH + 1];
        Arrays.fill(end, (byte) 0xff);
        try (MetaDb.Batch b = db.batch()) {
            b.deleteRange(Cf.CHUNKS, new byte[0], end);
            db.write(b, true);
        }
        return index(true);
    }

    /**
     * Adds index entries for pack records whose chunk is not indexed, keeping every existing
     * entry (open-time recovery: RocksDB lost index writes that the packs still hold).
     */
    RebuildReport indexMissing() throws IOException {
        return index(false);
    }

    private RebuildReport index(boolean full) throws IOException {
        MetaDb db = repo.db();
        List<PackInfo> packs = new ArrayList<>(repo.packs().list());
        packs.sort(Comparator.comparing(PackInfo::id));
        long indexed = 0;
        long duplicates = 0;
        long recovered = 0;
        List<String> unreadable = new ArrayList<>();
        long epoch = repo.chunks().epoch();
        java.util.Set<dev.cairn.store.pack.PackId> inUse = repo.chunks().packsInUse();
        for (PackInfo p : packs) {
            if (inUse.contains(p.id())) {
                continue; // a writer's pack (the one created ahead): holds nothing yet
            }
            PackIndex idx;
            try {
                if (!p.sealed()) {
                    idx = repo.packs().recover(p.id());
                    recovered++;
                } else {
                    idx = repo.packs().readIndex(p.id());
                }
            } catch (IOException e) {
                unreadable.add(p.id() + ": " + e.getMessage());
                continue;
            }
            MetaDb.Batch b = db.batch();
            try {
                for (PackIndex.Entry en : idx.entries()) {
                    byte[] key = Keys.chunk(en.id());
                    if (db.get(Cf.CHUNKS, key) != null) {
                        duplicates++;
                        continue;
                    }
                    b.put(Cf.CHUNKS, key, ChunkIndexCodec.encode(en.location(), epoch));
                    indexed++;
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
        db.put(Cf.META, Keys.ascii(full ? "index-rebuilt-at" : "index-completed-at"),
                Keys.ascii(java.time.Instant.now().toString()), true);
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
        log.info("index {} from {} packs: {} chunks, {} duplicates, {} unreadable packs, {} refs still missing",
                full ? "rebuilt" : "completed", packs.size(), indexed, duplicates, unreadable.size(), missing[0]);
        return new RebuildReport(packs.size(), recovered, indexed, duplicates, unreadable, missing[0], 0, 0);
    }
}
