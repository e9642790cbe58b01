package dev.cairn.store.manifest;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.catalog.Catalog;
import dev.cairn.store.catalog.CatalogCodec;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Manifests, their chunk-list segments, labels and the secondary indexes (series, children,
 * trash) in the metadata database. Reads go straight to RocksDB; every mutation is added to a
 * caller's {@link MetaDb.Batch} so that one logical change (a commit, a trim, a rebase) is one
 * atomic write.
 *
 * <p>Every mutation also stages the matching catalog record on the batch (a MANIFEST record with
 * the form's segments, a LABELS record, or a FORGET), which {@link MetaDb#write} appends and
 * fsyncs to the {@link Catalog} before RocksDB applies the batch: the catalog is the commit point
 * (docs/FORMAT.md, "Catalog"). Callers therefore only build batches here and write them; they
 * cannot forget the catalog.
 *
 * <p>Thread-safe (stateless over a thread-safe database). Callers serialise conflicting changes
 * to the same manifest.
 */
public final class ManifestStore {
    /** A chain deeper than this is treated as damage (a cycle), whatever the configured cap. */
    static final int MAX_RESOLVE_DEPTH = 1000;

    private final MetaDb db;
    private final Catalog catalog;

    public ManifestStore(MetaDb db, Catalog catalog) {
        this.db = db;
        this.catalog = catalog;
    }

    /** The catalog pending on {@code b}, attached on first use. */
    private Catalog.Pending staged(MetaDb.Batch b) {
        if (b.attachment() instanceof Catalog.Pending p) {
            return p;
        }
        if (b.attachment() != null) {
            throw new IllegalStateException("batch already carries " + b.attachment());
        }
        Catalog.Pending p = catalog.pending();
        b.attach(p);
        return p;
    }

    /**
     * The segment rows of a storage form, as RocksDB holds them now. The writers put them (unsynced)
     * before the commit, so they are readable here; the catalog record carries them so that the
     * form can be recreated if RocksDB loses them.
     */
    public List<CatalogCodec.Segment> segmentRows(byte[] storageId) throws CairnException {
        byte[][] r = Segments.range(storageId);
        List<CatalogCodec.Segment> out = new ArrayList<>();
        try (MetaDb.Cursor c = db.scan(Cf.SEGMENTS, r[0], r[1])) {
            while (c.next()) {
                out.add(new CatalogCodec.Segment(c.key(), c.value()));
            }
        }
        return out;
    }

    private void stageManifest(MetaDb.Batch b, StoredManifest m, byte[] record) throws CairnException {
        staged(b).manifest(m.id(), record, segmentRows(m.storageId()));
    }

    /** The manifest, or null if there is none with this id. */
    public StoredManifest find(ManifestId id) throws CairnException {
        byte[] v = db.get(Cf.MANIFESTS, Keys.manifest(id));
        return v == null ? null : StoredManifestCodec.decode(id, v);
    }

    /** @throws CairnException {@link Status#NOT_FOUND} if absent */
    public StoredManifest get(ManifestId id) throws CairnException {
        StoredManifest m = find(id);
        if (m == null) {
            throw new CairnException(Status.NOT_FOUND, "no checkpoint " + id.toHex());
        }
        return m;
    }

    /** Labels of an existing manifest. */
    public Labels labels(ManifestId id) throws CairnException {
        byte[] v = db.get(Cf.LABELS, Keys.manifest(id));
        if (v == null) {
            throw new CairnException(Status.NOT_FOUND, "no labels for checkpoint " + id.toHex());
        }
        return Labels.decode(v);
    }

    /**
     * Resolves a full id or an unambiguous hex prefix (at least 6 characters) to the id of a
     * stored manifest (in the trash or not).
     *
     * @throws CairnException {@link Status#NOT_FOUND} if no stored manifest has that id or prefix
     *                        (a full id too: it is looked up, not echoed), {@link Status#BAD_REQUEST}
     *                        if the text is not hex, too short or ambiguous
     */
    public ManifestId resolve(String text) throws CairnException {
        String hex = text.trim().toLowerCase(Locale.ROOT);
        if (hex.length() == ManifestId.LENGTH * 2) {
            ManifestId id;
            try {
                id = ManifestId.parse(hex);
            } catch (IllegalArgumentException e) {
                throw new CairnException(Status.BAD_REQUEST, e.getMessage());
            }
            if (db.get(Cf.MANIFESTS, Keys.manifest(id)) == null) {
                throw new CairnException(Status.NOT_FOUND, "no checkpoint with id " + hex);
            }
            return id;
        }
        if (hex.length() < 6 || hex.length() > 64 || !hex.matches("[0-9a-f]+")) {
            throw new CairnException(Status.BAD_REQUEST, "'" + text + "' is not a checkpoint id (64 hex characters,"
                    + " or a unique prefix of at least 6)");
        }
        byte[] prefix = HexFormat.of().parseHex(hex.length() % 2 == 0 ? hex : hex.substring(0, hex.length() - 1));
        List<ManifestId> found = new ArrayList<>();
        try (MetaDb.Cursor c = db.scanPrefix(Cf.MANIFESTS, prefix)) {
            while (c.next() && found.size() < 2) {
                ManifestId id = ManifestId.fromBytes(c.key());
                if (id.toHex().startsWith(hex)) {
                    found.add(id);
                }
            }
        }
        if (found.isEmpty()) {
            throw new CairnException(Status.NOT_FOUND, "no checkpoint with id prefix " + hex);
        }
        if (found.size() > 1) {
            throw new CairnException(Status.BAD_REQUEST, "id prefix " + hex + " is ambiguous; give more characters");
        }
        return found.get(0);
    }

    /**
     * A cursor over the resolved chunk list of entry {@code entry} of {@code m}. It survives a
     * concurrent rebase of {@code m} or of any manifest in its chain: the resolved list of a
     * manifest never changes, so when a storage form it was reading is replaced, it continues at
     * the same position in the new form.
     */
    public RefCursor cursor(StoredManifest m, int entry) throws CairnException {
        return new FollowingCursor(m, entry, 0);
    }

    /** Receives chunk refs; may fail with the caller's store error. */
    @FunctionalInterface
    public interface RefVisitor {
        void visit(ChunkRef ref) throws CairnException;
    }

    /**
     * Visits the resolved chunk list of every entry of {@code m}, entry by entry, in order
     * (through {@link #cursor}, so it too survives concurrent rebases).
     */
    public void forEachRef(StoredManifest m, RefVisitor v) throws CairnException {
        for (int i = 0; i < m.header().entries().size(); i++) {
            RefCursor cur = cursor(m, i);
            ChunkRef r;
            while ((r = cur.next()) != null) {
                v.visit(r);
            }
        }
    }

    /** Follows rebases: see {@link #cursor(StoredManifest, int)}. */
    private final class FollowingCursor implements RefCursor {
        private final int entry;
        private final int level;
        private StoredManifest form;
        private RefCursor inner;

        FollowingCursor(StoredManifest m, int entry, int level) throws CairnException {
            this.entry = entry;
            this.level = level;
            this.form = m;
            this.inner = formCursor(m, entry, level);
        }

        @Override
        public long size() {
            return inner.size();
        }

        @Override
        public long position() {
            return inner.position();
        }

        @Override
        public void seek(long index) throws CairnException {
            inner.seek(index);
        }

        @Override
        public dev.cairn.protocol.manifest.ChunkRef next() throws CairnException {
            for (int attempt = 0; ; attempt++) {
                try {
                    return inner.next();
                } catch (Segments.SegmentMissingException e) {
                    StoredManifest now = find(form.id());
                    if (now == null) {
                        throw new CairnException(Status.NOT_FOUND, "checkpoint " + form.id().shortHex()
                                + " was deleted while it was being read", e);
                    }
                    if (attempt > 3 || java.util.Arrays.equals(now.storageId(), form.storageId())) {
                        throw e; // the same form lost a segment: damage
                    }
                    long pos = inner.position();
                    form = now;
                    inner = formCursor(now, entry, level);
                    inner.seek(pos);
                }
            }
        }
    }

    private RefCursor formCursor(StoredManifest m, int entry, int level) throws CairnException {
        EntryBody body = m.bodies().get(entry);
        long size = m.header().entries().get(entry).chunkCount();
        SegmentCursor own = new SegmentCursor(db, m.storageId(), entry, body.storedRefs());
        if (body instanceof EntryBody.Full) {
            if (body.storedRefs() != size) {
                throw new CairnException(Status.CORRUPT, "manifest " + m.id().shortHex() + " entry " + entry
                        + " stores " + body.storedRefs() + " refs, header says " + size);
            }
            return own;
        }
        if (level > MAX_RESOLVE_DEPTH) {
            throw new CairnException(Status.CORRUPT, "delta chain through " + m.id().shortHex() + " is deeper than "
                    + MAX_RESOLVE_DEPTH + " (a cycle?)");
        }
        StoredManifest parent = find(m.parent());
        if (parent == null) {
            throw new CairnException(Status.CORRUPT, "delta " + m.id().shortHex() + " names parent "
                    + m.parent().shortHex() + ", which does not exist");
        }
        // A depth is an upper bound of the chain length below a manifest (a rebase can shorten a
        // chain without rewriting the descendants), so it must strictly decrease towards the base.
        if (parent.depth() >= m.depth()) {
            throw new CairnException(Status.CORRUPT, "delta " + m.id().shortHex() + " has depth " + m.depth()
                    + " but its parent has depth " + parent.depth());
        }
        return new DeltaCursor(m.id().shortHex() + "/" + entry, (EntryBody.Delta) body, own,
                parent.header().entries().size(), e -> new FollowingCursor(parent, e, level + 1), size);
    }

    /** A cursor over the first {@code size} refs of one segment stream (e.g. of an open put session). */
    public RefCursor segmentCursor(byte[] storageId, int entry, long size) {
        return new SegmentCursor(db, storageId, entry, size);
    }

    /** Ids of the deltas whose parent is {@code parent}. */
    public List<ManifestId> children(ManifestId parent) throws CairnException {
        List<ManifestId> out = new ArrayList<>();
        try (MetaDb.Cursor c = db.scanPrefix(Cf.CHILDREN, Keys.manifest(parent))) {
            while (c.next()) {
                out.add(Keys.childKeyChild(c.key()));
            }
        }
        return out;
    }

    /** Live checkpoints of a series, oldest first. */
    public List<ManifestId> list(String series) throws CairnException {
        List<ManifestId> out = new ArrayList<>();
        try (MetaDb.Cursor c = db.scanPrefix(Cf.SERIES, Keys.seriesPrefix(series))) {
            while (c.next()) {
                out.add(Keys.seriesKeyId(c.key()));
            }
        }
        return out;
    }

    /** The newest live checkpoint of a series, or null. */
    public ManifestId newest(String series) throws CairnException {
        byte[] last = db.lastKeyWithPrefix(Cf.SERIES, Keys.seriesPrefix(series));
        return last == null ? null : Keys.seriesKeyId(last);
    }

    /** Names of the series that have live checkpoints, sorted. */
    public List<String> seriesNames() throws CairnException {
        List<String> out = new ArrayList<>();
        try (MetaDb.Cursor c = db.scan(Cf.SERIES, null, null)) {
            while (c.next()) {
                String name = Keys.seriesKeyName(c.key());
                if (out.isEmpty() || !out.get(out.size() - 1).equals(name)) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    /** Every manifest id (live and trash), in id order. */
    public List<ManifestId> allIds() throws CairnException {
        List<ManifestId> out = new ArrayList<>();
        try (MetaDb.Cursor c = db.scan(Cf.MANIFESTS, null, null)) {
            while (c.next()) {
                out.add(ManifestId.fromBytes(c.key()));
            }
        }
        return out;
    }

    // ---- mutations, always into a caller's batch ----

    /** Adds a newly committed, live manifest with its labels and index entries. */
    public void addNew(MetaDb.Batch b, StoredManifest m, Labels labels) throws CairnException {
        byte[] record = StoredManifestCodec.encode(m);
        byte[] lv = labels.encode();
        stageManifest(b, m, record);
        staged(b).labels(m.id(), lv);
        writeRows(b, m, record, lv, labels);
    }

    /**
     * The RocksDB rows of a manifest whose catalog records already exist: manifest record,
     * labels, and the series / trash / children entries. Used by {@link #addNew} and by recovery.
     */
    private void writeRows(MetaDb.Batch b, StoredManifest m, byte[] record, byte[] lv, Labels labels)
            throws CairnException {
        b.put(Cf.MANIFESTS, Keys.manifest(m.id()), record);
        b.put(Cf.LABELS, Keys.manifest(m.id()), lv);
        if (labels.inTrash()) {
            b.put(Cf.TRASH, Keys.trash(labels.trash().expiresAt().toEpochMilli(), m.id()), new byte[0]);
        }
        if (!labels.inTrash()) {
            b.put(Cf.SERIES, seriesKey(m), new byte[0]);
        }
        if (m.isDelta()) {
            b.put(Cf.CHILDREN, Keys.child(m.parent(), m.id()), new byte[0]);
        }
    }

    /**
     * Replaces the storage form of a manifest (rebase or materialise): the record, the children
     * link, and the old form's segments go in the same batch. The id and labels stay.
     */
    public void replaceStorage(MetaDb.Batch b, StoredManifest old, StoredManifest neu) throws CairnException {
        if (!old.id().equals(neu.id())) {
            throw new IllegalArgumentException("a rebase keeps the id");
        }
        byte[] record = StoredManifestCodec.encode(neu);
        stageManifest(b, neu, record);
        b.put(Cf.MANIFESTS, Keys.manifest(neu.id()), record);
        if (old.isDelta()) {
            b.delete(Cf.CHILDREN, Keys.child(old.parent(), old.id()));
        }
        if (neu.isDelta()) {
            b.put(Cf.CHILDREN, Keys.child(neu.parent(), neu.id()), new byte[0]);
        }
        if (!StoredManifestCodec.sameStorage(old.storageId(), neu.storageId())) {
            deleteSegments(b, old.storageId());
        }
    }

    /** Updates labels in place (tags, holds). */
    public void putLabels(MetaDb.Batch b, ManifestId id, Labels labels) throws CairnException {
        byte[] lv = labels.encode();
        staged(b).labels(id, lv);
        b.put(Cf.LABELS, Keys.manifest(id), lv);
    }

    /** Moves a live manifest to the trash. */
    public void trash(MetaDb.Batch b, StoredManifest m, Labels labels, Labels.Trash t) throws CairnException {
        byte[] lv = labels.withTrash(t).encode();
        staged(b).labels(m.id(), lv);
        b.put(Cf.LABELS, Keys.manifest(m.id()), lv);
        b.delete(Cf.SERIES, seriesKey(m));
        b.put(Cf.TRASH, Keys.trash(t.expiresAt().toEpochMilli(), m.id()), new byte[0]);
    }

    /** Brings a trashed manifest back, exactly as it was. */
    public void untrash(MetaDb.Batch b, StoredManifest m, Labels labels) throws CairnException {
        b.delete(Cf.TRASH, Keys.trash(labels.trash().expiresAt().toEpochMilli(), m.id()));
        byte[] lv = labels.withTrash(null).encode();
        staged(b).labels(m.id(), lv);
        b.put(Cf.LABELS, Keys.manifest(m.id()), lv);
        b.put(Cf.SERIES, seriesKey(m), new byte[0]);
    }

    /** Deletes a manifest for good: record, labels, indexes and segments. */
    public void delete(MetaDb.Batch b, StoredManifest m, Labels labels) throws CairnException {
        deleteKeepingSegments(b, m, labels);
        deleteSegments(b, m.storageId());
    }

    /**
     * Deletes a manifest's record, labels and indexes but leaves its segments, which then name no
     * manifest (an orphan storage id). GC deletes manifests this way: the segments say which chunks
     * the deletion freed until the sweep that frees them has completed, also across a crash.
     */
    public void deleteKeepingSegments(MetaDb.Batch b, StoredManifest m, Labels labels) throws CairnException {
        staged(b).forget(m.id());
        deleteRows(b, m, labels);
    }

    /** The rows of a manifest other than its segments. */
    private void deleteRows(MetaDb.Batch b, StoredManifest m, Labels labels) throws CairnException {
        b.delete(Cf.MANIFESTS, Keys.manifest(m.id()));
        b.delete(Cf.LABELS, Keys.manifest(m.id()));
        if (labels == null) {
            b.delete(Cf.SERIES, seriesKey(m));
        } else if (labels.inTrash()) {
            b.delete(Cf.TRASH, Keys.trash(labels.trash().expiresAt().toEpochMilli(), m.id()));
        } else {
            b.delete(Cf.SERIES, seriesKey(m));
        }
        if (m.isDelta()) {
            b.delete(Cf.CHILDREN, Keys.child(m.parent(), m.id()));
        }
    }

    // ---- recovery: RocksDB rows for state the catalog already holds; nothing is staged ----

    /**
     * Recovery: makes RocksDB hold {@code rec} with {@code labels} (the catalog's state), replacing
     * whatever it holds for the id ({@code old}/{@code oldLabels}, each null if absent).
     */
    public void recoverManifest(MetaDb.Batch b, CatalogCodec.ManifestRecord rec, Labels labels, StoredManifest old,
                                Labels oldLabels) throws CairnException {
        StoredManifest m = StoredManifestCodec.decode(rec.id(), rec.manifest());
        if (old != null) {
            deleteRows(b, old, oldLabels);
            deleteSegments(b, old.storageId()); // before the new form's puts: a batch applies in order
        }
        byte[][] range = Segments.range(m.storageId());
        for (CatalogCodec.Segment s : rec.segments()) {
            if (java.util.Arrays.compareUnsigned(s.key(), range[0]) < 0
                    || java.util.Arrays.compareUnsigned(s.key(), range[1]) >= 0) {
                throw new CairnException(Status.CORRUPT, "catalog record of " + rec.id().shortHex()
                        + " holds a segment of another storage form");
            }
            b.put(Cf.SEGMENTS, s.key(), s.value());
        }
        writeRows(b, m, rec.manifest(), labels.encode(), labels);
    }

    /** Recovery: replaces the labels of an existing manifest, and its series / trash entry. */
    public void recoverLabels(MetaDb.Batch b, StoredManifest m, Labels oldLabels, Labels labels) throws CairnException {
        if (oldLabels != null) {
            if (oldLabels.inTrash()) {
                b.delete(Cf.TRASH, Keys.trash(oldLabels.trash().expiresAt().toEpochMilli(), m.id()));
            } else {
                b.delete(Cf.SERIES, seriesKey(m));
            }
        }
        b.put(Cf.LABELS, Keys.manifest(m.id()), labels.encode());
        if (labels.inTrash()) {
            b.put(Cf.TRASH, Keys.trash(labels.trash().expiresAt().toEpochMilli(), m.id()), new byte[0]);
        } else {
            b.put(Cf.SERIES, seriesKey(m), new byte[0]);
        }
    }

    /**
     * Recovery: deletes a manifest the catalog says GC deleted. Its segments stay, as GC's own
     * delete leaves them: they account for the chunks the deletion frees (docs/GC.md).
     */
    public void recoverForget(MetaDb.Batch b, StoredManifest m, Labels labels) throws CairnException {
        deleteRows(b, m, labels);
    }

    /** Labels of a manifest, or null if RocksDB holds none (or only a damaged record). */
    public Labels findLabels(ManifestId id) throws CairnException {
        byte[] v = db.get(Cf.LABELS, Keys.manifest(id));
        return v == null ? null : Labels.decode(v);
    }

    /** Deletes every segment of a storage id. */
    public static void deleteSegments(MetaDb.Batch b, byte[] storageId) throws CairnException {
        byte[][] r = Segments.range(storageId);
        b.deleteRange(Cf.SEGMENTS, r[0], r[1]);
    }

    private static byte[] seriesKey(StoredManifest m) {
        return Keys.series(m.header().meta().series(), m.header().meta().createdAt().toEpochMilli(), m.id());
    }
}
