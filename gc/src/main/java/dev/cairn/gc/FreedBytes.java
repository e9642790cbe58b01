package dev.cairn.gc;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.Repository;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.PackCodec;
import dev.cairn.store.util.LongHashSet;

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
 * series). Memory: one set of 64-bit chunk-id prefixes for the survivors' chunks; a prefix
 * collision can only make a chunk look shared, i.e. under-report what is freed.
 */
public final class FreedBytes {
    private FreedBytes() {
    }

    /** Freed bytes per removed checkpoint, in {@code removed} order. */
    public static Map<ManifestId, Long> compute(Repository repo, Collection<ManifestId> live, List<ManifestId> removed)
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
        Map<ManifestId, Long> out = new LinkedHashMap<>();
        LongHashSet counted = new LongHashSet();
        for (ManifestId id : removed) {
            long[] sum = {0};
            repo.manifests().forEachRef(repo.manifests().get(id), r -> {
                long p = r.id().prefix64();
                if (!kept.contains(p) && counted.add(p)) {
                    ChunkLocation loc = repo.chunks().locate(r.id());
                    if (loc != null) {
                        sum[0] += loc.storedLength() + PACK_RECORD_OVERHEAD;
                    }
                }
            });
            out.put(id, sum[0]);
        }
        return out;
    }

    /** Pack record header plus footer entry per chunk (docs/FORMAT.md, "Pack files"). */
    static final int PACK_RECORD_OVERHEAD = PackCodec.RECORD_HEADER_SIZE + PackCodec.FOOTER_ENTRY_SIZE;
}
