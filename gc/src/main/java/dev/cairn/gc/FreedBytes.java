package dev.cairn.gc;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.Repository;
import dev.cairn.store.chunk.ChunkIndexCodec;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.PackCodec;
import dev.cairn.store.util.LongHashSet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How many stored bytes removing some checkpoints would free: the stored size of every chunk that
 * a removed checkpoint references and no surviving one does. A chunk shared by several removed
 * checkpoints is counted once, for the first of them in the given order, so the per-checkpoint
 * numbers add up to the total.
 *
 * <p>Survivors are every live checkpoint not being removed (in any series: chunks dedup across
 * series). Memory: one set of 64-bit chunk-id prefixes for the survivors' chunks and one map of
 * the prefixes of the chunks counted; a prefix collision can misstate one chunk's size (the
 * numbers are an estimate of what GC will free).
 */
public final class FreedBytes {
    private FreedBytes() {
    }

    /** Freed bytes per removed checkpoint, in {@code removed} order. */
    public static Map<ManifestId, Long> compute(Repository repo, Collection<ManifestId> live, List<ManifestId> removed)
            throws CairnException {
        return compute(repo, live, removed, LOOKUP_BATCH);
    }

    /** {@link #compute(Repository, Collection, List)} with {@code batch} index lookups per multi-get. */
    static Map<ManifestId, Long> compute(Repository repo, Collection<ManifestId> live, List<ManifestId> removed, int batch)
            throws CairnException {
        if (removed.isEmpty()) {
            return Map.of(); // nothing is freed: skip the walk over every survivor's chunks
        }
        Set<ManifestId> gone = new java.util.HashSet<>(removed);
        LongHashSet kept = new LongHashSet();
        for (ManifestId id : live) {
            if (!gone.contains(id)) {
                repo.manifests().forEachRef(repo.manifests().get(id), r -> kept.add(r.id().prefix64()));
            }
        }
        // Each chunk only a removed checkpoint references needs its stored size from the index.
        // First collect them (64-bit prefix -> the removed checkpoint it is counted for), then
        // read the sizes in one of two ways: when they are a large share of the index (a trim
        // removing most of a store's data, as the first trim of a long history does), one
        // sequential scan of the chunk index; otherwise batched multi-gets. Point lookups cost
        // ~4 us per chunk here, a scan ~0.5 us per index entry (docs/BENCHMARKS.md, "GC wall
        // time"). Both are reads only: unlike ChunkStore.locate they record no dedup hit for a
        // running GC, which an estimate has no reason to do.
        LongIntMap owner = new LongIntMap();
        int wanted = 0;
        for (int i = 0; i < removed.size(); i++) {
            int idx = i;
            int[] n = {0};
            repo.manifests().forEachRef(repo.manifests().get(removed.get(i)), r -> {
                long p = r.id().prefix64();
                if (!kept.contains(p) && owner.putIfAbsent(p, idx)) {
                    n[0]++;
                }
            });
            wanted += n[0];
        }
        long[] sums = new long[removed.size()];
        if (useScan(repo, wanted)) {
            try (MetaDb.Cursor c = repo.db().scan(Cf.CHUNKS, null, null)) {
                while (c.next()) {
                    int i = owner.get(Keys.chunkKeyPrefix64(c.key()));
                    if (i >= 0) {
                        sums[i] += ChunkIndexCodec.decode(c.value()).location().storedLength() + PACK_RECORD_OVERHEAD;
                    }
                }
            }
        } else {
            // A second walk, so that only one batch of full ids is held at a time.
            LongHashSet looked = new LongHashSet(wanted);
            List<byte[]> keys = new ArrayList<>(batch);
            for (int i = 0; i < removed.size(); i++) {
                int idx = i;
                repo.manifests().forEachRef(repo.manifests().get(removed.get(i)), r -> {
                    long p = r.id().prefix64();
                    if (owner.get(p) == idx && looked.add(p)) {
                        keys.add(Keys.chunk(r.id()));
                        if (keys.size() == batch) {
                            sums[idx] += storedBytes(repo, keys);
                        }
                    }
                });
                sums[i] += storedBytes(repo, keys);
            }
        }
        Map<ManifestId, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < removed.size(); i++) {
            out.put(removed.get(i), sums[i]);
        }
        return out;
    }

    /** Stored bytes of the indexed chunks among {@code keys} (index keys); clears {@code keys}. */
    private static long storedBytes(Repository repo, List<byte[]> keys) throws CairnException {
        long sum = 0;
        for (byte[] v : repo.db().multiGet(Cf.CHUNKS, keys)) {
            if (v != null) {
                sum += ChunkIndexCodec.decode(v).location().storedLength() + PACK_RECORD_OVERHEAD;
            }
        }
        keys.clear();
        return sum;
    }

    /** Scan when the chunks to size are at least 1/{@link #SCAN_SHARE} of the index's entries. */
    private static boolean useScan(Repository repo, int wanted) throws CairnException {
        if (forceMode != null) {
            return forceMode;
        }
        return (long) wanted * SCAN_SHARE >= repo.db().estimateKeys(Cf.CHUNKS);
    }

    /** Index lookups per multi-get. */
    static final int LOOKUP_BATCH = 4096;
    /** A scan reads every entry at ~1/8 the cost of a point lookup (measured; see above). */
    static final int SCAN_SHARE = 8;
    /** Tests: true forces the scan, false the lookups, null decides by size. */
    static Boolean forceMode;

    /**
     * 64-bit chunk-id prefix to the index of the removed checkpoint it is counted for: open
     * addressing, linear probing, no boxing. A prefix collision (two chunks, one prefix) counts
     * one chunk's size for both or neither; the numbers are an estimate either way.
     */
    private static final class LongIntMap {
        private long[] keys = new long[1024];
        private int[] vals = new int[1024];
        private int size;
        private int zeroVal = -1;

        /** Maps {@code k} to {@code v} unless mapped; true if it was not. */
        boolean putIfAbsent(long k, int v) {
            if (k == 0) {
                if (zeroVal >= 0) {
                    return false;
                }
                zeroVal = v;
                return true;
            }
            int mask = keys.length - 1;
            for (int i = mix(k) & mask; ; i = (i + 1) & mask) {
                if (keys[i] == 0) {
                    keys[i] = k;
                    vals[i] = v;
                    if (++size * 2 > keys.length) {
                        grow();
                    }
                    return true;
                }
                if (keys[i] == k) {
                    return false;
                }
            }
        }

        /** The value of {@code k}, or -1. */
        int get(long k) {
            if (k == 0) {
                return zeroVal;
            }
            int mask = keys.length - 1;
            for (int i = mix(k) & mask; ; i = (i + 1) & mask) {
                if (keys[i] == 0) {
                    return -1;
                }
                if (keys[i] == k) {
                    return vals[i];
                }
            }
        }

        private void grow() {
            long[] ok = keys;
            int[] ov = vals;
            keys = new long[ok.length * 2];
            vals = new int[ok.length * 2];
            size = 0;
            for (int i = 0; i < ok.length; i++) {
                if (ok[i] != 0) {
                    putIfAbsent(ok[i], ov[i]);
                }
            }
        }

        private static int mix(long k) {
            long h = k * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 32));
        }
    }

    /** Pack record header plus footer entry per chunk (docs/FORMAT.md, "Pack files"). */
    static final int PACK_RECORD_OVERHEAD = PackCodec.RECORD_HEADER_SIZE + PackCodec.FOOTER_ENTRY_SIZE;
}
