package dev.cairn.gc;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.PutSession;
import dev.cairn.store.Repository;
import dev.cairn.store.manifest.Segments;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.manifest.StoredManifestCodec;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.util.FaultPoints;
import dev.cairn.store.util.LongHashSet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Computes the live set: the 64-bit prefixes of every chunk referenced by a manifest that exists
 * (live or in the trash) or by an open put session (kept apart), and the explained set: chunks
 * named by orphan segments (manifests GC deleted, crashed or discarded puts). It marks storage forms, not resolved lists:
 * a delta's copies come from its parent, which exists and is marked too, so marking every
 * manifest's own segments (full lists and delta new refs) covers every resolved list, and the
 * mark is one sequential scan of the {@code segments} family.
 *
 * <p>Consistency: both scans read one RocksDB snapshot, taken after protection started (new
 * index entries carry the new epoch, dedup hits are recorded) and after the set of active
 * storage ids was captured. Segments of storage ids that no manifest in the snapshot names and
 * that were not active are orphans (a crashed or discarded put or rebase).
 */
final class Marker {
    /**
     * Mark result.
     *
     * @param live          prefixes of chunks that manifests in the snapshot reference
     * @param sessionLive   prefixes of chunks only open sessions (or rebases in progress) reference
     *                      so far: kept, and re-stamped so that a later GC may free them if the
     *                      session ends without a commit
     * @param explained     prefixes of chunks named by orphan segments: segments of manifests GC
     *                      deleted (kept until their sweep completed) and of crashed or discarded
     *                      puts; their unreferenced chunks are garbage GC can account for
     * @param orphanStorage storage ids whose segments nothing uses (deleted after the sweep); a
     *                      dry run lists the storage of the manifests it would delete here too
     */
    record Result(LongHashSet live, LongHashSet sessionLive, LongHashSet explained, List<byte[]> orphanStorage,
                  long manifests, long refsScanned) {
    }

    private Marker() {
    }

    /**
     * @param deleted   manifests this GC deletes (a dry run has not deleted them): not marked; a
     *                  surviving delta of one of them is marked through its resolved list, as the
     *                  real run rebases it first
     * @param activeAtStart storage ids of puts and rebases in progress when the GC started
     * @param registeredSince storage ids registered since (grows while the mark runs)
     */
    static Result mark(Repository repo, Set<ManifestId> deleted, Set<ByteBuffer> activeAtStart,
                       Set<ByteBuffer> registeredSince, GcCancel cancel) throws IOException {
        long estimate = Math.max(1024, repo.db().estimateKeys(Cf.CHUNKS));
        LongHashSet live = new LongHashSet((int) Math.min(1 << 28, estimate));
        LongHashSet sessionLive = new LongHashSet(1024);
        LongHashSet explained = new LongHashSet(1024);
        for (PutSession s : repo.sessions()) {
            s.forEachUnflushed(id -> sessionLive.add(id.prefix64()));
        }
        Set<ByteBuffer> manifestStorage = new HashSet<>();
        List<byte[]> orphans = new ArrayList<>();
        long manifests = 0;
        long refs = 0;
        try (MetaDb.Snapshot snap = repo.db().snapshot()) {
            try (MetaDb.Cursor c = repo.db().scan(Cf.MANIFESTS, null, null, snap)) {
                while (c.next()) {
                    ManifestId id = ManifestId.fromBytes(c.key());
                    StoredManifest m = StoredManifestCodec.decode(id, c.value());
                    if (deleted.contains(id)) {
                        // A dry run: the real run deletes these first and keeps their segments,
                        // so their storage is an orphan that explains their chunks, here too.
                        continue;
                    }
                    manifests++;
                    manifestStorage.add(ByteBuffer.wrap(m.storageId()));
                    if (m.isDelta() && deleted.contains(m.parent())) {
                        refs += markResolved(repo, m, live);
                    }
                }
            }
            cancel.check();
            byte[] previous = null;
            LongHashSet target = null;
            try (MetaDb.Cursor c = repo.db().scan(Cf.SEGMENTS, null, null, snap)) {
                while (c.next()) {
                    byte[] key = c.key();
                    byte[] storage = Arrays.copyOf(key, 16);
                    if (previous == null || !Arrays.equals(previous, storage)) {
                        previous = storage;
                        ByteBuffer sk = ByteBuffer.wrap(storage);
                        if (manifestStorage.contains(sk)) {
                            target = live;
                        } else if (activeAtStart.contains(sk) || registeredSince.contains(sk)) {
                            target = sessionLive;
                        } else {
                            target = explained;
                            orphans.add(storage);
                        }
                    }
                    for (ChunkRef r : Segments.decode(c.value(), "segment during mark")) {
                        target.add(r.id().prefix64());
                        refs++;
                    }
                    if ((refs & 0xffff) == 0) {
                        cancel.check();
                        FaultPoints.reach("gc.mid-mark");
                    }
                }
            }
            FaultPoints.reach("gc.mid-mark");
        }
        return new Result(live, sessionLive, explained, orphans, manifests, refs);
    }
    private static long markResolved(Repository repo, StoredManifest m, LongHashSet live) throws CairnException {
        long[] n = {0};
        repo.manifests().forEachRef(m, r -> {
            live.add(r.id().prefix64());
            n[0]++;
        });
        return n[0];
    }
}
