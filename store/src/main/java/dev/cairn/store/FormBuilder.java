package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.ManifestHeader;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.manifest.DeltaBuilder;
import dev.cairn.store.manifest.EntryBody;
import dev.cairn.store.manifest.ManifestStore;
import dev.cairn.store.manifest.RefCursor;
import dev.cairn.store.manifest.Segments;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.manifest.StoredManifestCodec;
import dev.cairn.store.meta.MetaDb;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the two candidate storage forms of one manifest while its entries' refs stream in — the
 * full chunk lists, and a delta against {@code parent} if there is one — then picks one and lets
 * the caller delete the other in its commit batch. Used by puts and by rebases, so a checkpoint's
 * form is decided by one rule (docs/FORMAT.md, "Puts: full and delta manifests").
 *
 * <p>Not thread-safe. Segment writes are unsynced; until a committed manifest names a storage id
 * its segments are garbage.
 */
final class FormBuilder {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Repository repo;
    private final StoredManifest parent;
    private final byte[] fullStorage = newStorageId();
    private final byte[] deltaStorage = newStorageId();
    private final List<Entry> entries = new ArrayList<>();

    FormBuilder(Repository repo, StoredManifest parent) {
        this.repo = repo;
        this.parent = parent;
        // Registered before any segment is written, so a GC snapshot never sees our segments
        // without also knowing they are in use.
        repo.registerStorage(fullStorage);
        repo.registerStorage(deltaStorage);
    }

    /** Called once the batch that commits or discards this builder's segments is written. */
    void release() {
        repo.releaseStorage(fullStorage);
        repo.releaseStorage(deltaStorage);
    }

    byte[] fullStorage() {
        return fullStorage;
    }

    /** Starts the next entry (entries come in header order). */
    Entry entry(String name) throws CairnException {
        int index = entries.size();
        DeltaBuilder delta = null;
        if (parent != null) {
            int pe = parent.header().indexOf(name);
            RefCursor pc = pe < 0 ? null : repo.manifests().cursor(parent, pe);
            delta = new DeltaBuilder(pc, Math.max(pe, 0), repo.options().deltaWindow(), StoredManifestCodec.MAX_OPS,
                    new Segments.Writer(repo.db(), deltaStorage, index));
        }
        Entry e = new Entry(index, new Segments.Writer(repo.db(), fullStorage, index), delta);
        entries.add(e);
        return e;
    }

    long totalRefs() {
        long n = 0;
        for (Entry e : entries) {
            n += e.refs();
        }
        return n;
    }

    /**
     * The form to commit: a delta against {@code liveParent} when the chain stays within the cap,
     * the ops fit, and the delta's metadata is at most {@code deltaMaxRatio} of the full form's;
     * otherwise the full form. {@code liveParent} is the parent as it is now (null if it went away
     * or into the trash meanwhile).
     */
    StoredManifest choose(ManifestId id, ManifestHeader header, byte[] headerBytes, StoredManifest liveParent) {
        List<EntryBody> full = new ArrayList<>();
        for (Entry e : entries) {
            full.add(new EntryBody.Full(e.refs()));
        }
        StoredManifest fullForm = new StoredManifest(id, header, headerBytes, null, 0, fullStorage, full);
        if (parent == null || liveParent == null || liveParent.depth() + 1 > repo.options().maxChainDepth()) {
            return fullForm;
        }
        List<EntryBody> deltas = new ArrayList<>();
        long stored = 0;
        int ops = 0;
        for (Entry e : entries) {
            EntryBody.Delta d = e.deltaBody;
            if (d == null) {
                return fullForm;
            }
            deltas.add(d);
            stored += d.newRefs();
            ops += d.ops().size();
        }
        if (ops > StoredManifestCodec.MAX_OPS) {
            return fullForm;
        }
        // Compare metadata sizes: a ref is 36 bytes in a segment, an op at most 21 in the record.
        double deltaCost = stored * 36.0 + ops * 21.0;
        double fullCost = totalRefs() * 36.0;
        if (deltaCost > fullCost * repo.options().deltaMaxRatio()) {
            return fullForm;
        }
        return new StoredManifest(id, header, headerBytes, liveParent.id(), liveParent.depth() + 1, deltaStorage, deltas);
    }

    /** Adds the deletion of the storage {@code chosen} does not use to {@code b}. */
    void dropUnused(MetaDb.Batch b, StoredManifest chosen) throws CairnException {
        ManifestStore.deleteSegments(b, chosen.isDelta() ? fullStorage : deltaStorage);
    }

    /** Adds the deletion of both storages to {@code b} (abort, or the manifest already existed). */
    void dropAll(MetaDb.Batch b) throws CairnException {
        ManifestStore.deleteSegments(b, fullStorage);
        ManifestStore.deleteSegments(b, deltaStorage);
    }

    /** One entry's two streams. */
    static final class Entry {
        final int index;
        private final Segments.Writer full;
        private final DeltaBuilder delta;
        private EntryBody.Delta deltaBody;

        private Entry(int index, Segments.Writer full, DeltaBuilder delta) {
            this.index = index;
            this.full = full;
            this.delta = delta;
        }

        void add(ChunkRef ref) throws CairnException {
            full.add(ref);
            if (delta != null) {
                delta.add(ref);
            }
        }

        void finish() throws CairnException {
            full.finish();
            deltaBody = delta == null ? null : delta.finish();
        }

        /** Ends an empty directory entry: no refs, an empty delta. */
        void finishEmpty() throws CairnException {
            full.finish();
            deltaBody = new EntryBody.Delta(0, List.of());
        }

        long refs() {
            return full.count();
        }

        void forEachBuffered(java.util.function.Consumer<ChunkRef> c) {
            full.forEachBuffered(c);
        }
    }

    private static byte[] newStorageId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return b;
    }
}
