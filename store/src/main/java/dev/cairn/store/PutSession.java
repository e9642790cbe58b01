package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.EntryNames;
import dev.cairn.protocol.manifest.ManifestHeader;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.Patch;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.ManifestStore;
import dev.cairn.store.manifest.RefCursor;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.util.FaultPoints;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One checkpoint being written: entries are added in ascending name order (UTF-8 byte order, the
 * order of the canonical header), each as a stream of chunk refs, then the session commits or
 * aborts. The chunk lists go to RocksDB segments as they arrive, so memory stays bounded.
 *
 * <p>Commit order (docs/FORMAT.md, "Ordering rules"): chunk data durable and indexed
 * ({@link dev.cairn.store.chunk.ChunkStore#flush()}), then the manifest's catalog records appended
 * and fsynced (the commit point; {@link MetaDb#write} does it for the batch), then one synced batch
 * with the manifest, its labels and index entries. Until the catalog fsync nothing of the session
 * is visible, and a crash leaves only unreferenced segments and chunks, which GC removes.
 *
 * <p>Not thread-safe: one writer drives a session. Open sessions are registered with the
 * repository so that GC treats what they reference as live.
 */
public final class PutSession implements AutoCloseable {
    private final Repository repo;
    private final PutOptions options;
    private final StoredManifest parent;
    private final long sweepGenerationAtStart;
    private final long sealFailuresAtStart;
    private final FormBuilder forms;
    private final List<EntryBuilder> entries = new ArrayList<>();
    /** Chunks this session is about to reference (looked up or uploaded, refs not added yet). */
    private final java.util.Set<ChunkId> needed = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The commit rule on entry names ({@link EntryNames}), applied as entries are added. */
    private final EntryNames.Checker names = new EntryNames.Checker();
    private EntryBuilder open;
    private long newBytes;
    private long storedBytes;
    private long newChunks;
    private boolean done;

    PutSession(Repository repo, PutOptions options, StoredManifest parent) {
        this.repo = repo;
        this.options = options;
        this.parent = parent;
        this.sweepGenerationAtStart = repo.sweepGeneration();
        this.sealFailuresAtStart = repo.chunks().sealFailures();
        this.forms = new FormBuilder(repo, parent);
    }

    public PutOptions options() {
        return options;
    }

    /** The parent the session aligns against (explicit or automatic), or null. */
    public ManifestId parent() {
        return parent == null ? null : parent.id();
    }

    Repository repository() {
        return repo;
    }

    /**
     * Starts the next file entry ({@code ""} for a single-stream checkpoint).
     *
     * @throws CairnException {@link Status#BAD_REQUEST} if the name breaks the {@link EntryNames}
     *                        rules (invalid, too long, not after the previous entry's, below a
     *                        file entry); the session stays usable
     */
    public EntryBuilder entry(String name) throws CairnException {
        checkNext(name, EntryKind.FILE);
        open = new EntryBuilder(this, name, forms.entry(name));
        entries.add(open);
        return open;
    }

    /** Adds an empty directory entry; refused as {@link #entry} refuses a name. */
    public void directory(String name) throws CairnException {
        if (name.isEmpty()) {
            throw new CairnException(Status.BAD_REQUEST, "a directory entry needs a name");
        }
        checkNext(name, EntryKind.DIRECTORY);
        EntryBuilder e = new EntryBuilder(this, name, forms.entry(name));
        entries.add(e);
        e.finishAsDirectory();
    }

    /**
     * The put path's GC-safety step for chunks this session is about to reference: declares every
     * id needed, then looks them all up, in that order (see {@link ChunkAdmission}); the result
     * stores what is missing. From this call until the session adds an id's ref, GC treats the
     * chunk as live. Thread-safe: the ingest's workers admit batches concurrently.
     *
     * @throws CairnException if the lookup fails (the ids stay declared until the session ends)
     */
    public ChunkAdmission admit(List<ChunkId> ids) throws CairnException {
        // Declared before the lookup, never after: see ChunkAdmission.
        needed.addAll(ids);
        return new ChunkAdmission(this, ids, repo.chunks().contains(ids));
    }

    /**
     * Declares one id needed without a lookup: only for tests that stage a race step by step.
     * Production paths use {@link #admit}.
     */
    void noteNeeded(ChunkId id) {
        needed.add(id);
    }

    void referenced(ChunkId id) {
        if (!needed.isEmpty()) {
            needed.remove(id);
        }
    }

    /**
     * For GC: every chunk this session references that is not yet in its flushed segments — refs
     * still buffered, and chunks declared {@link #noteNeeded needed}. Consistent with the writer:
     * it holds the session's monitor, as adding a ref does.
     */
    public synchronized void forEachUnflushed(Consumer<ChunkId> c) {
        for (EntryBuilder e : entries) {
            e.forEachBuffered(ref -> c.accept(ref.id()));
        }
        needed.forEach(c);
    }

    /**
     * Adds every entry of the parent with {@code patches} applied (a delta put driven by a remote
     * writer): the session must have a parent and no entries yet. See {@link PatchApplier}.
     *
     * @throws CairnException {@link Status#BAD_REQUEST} if a patch names no file of the parent,
     *                        starts past its end, or overlaps another
     */
    public void applyPatches(List<Patch> patches) throws java.io.IOException {
        checkActive();
        if (parent == null) {
            throw new CairnException(Status.BAD_REQUEST, "a delta put needs a parent");
        }
        if (!entries.isEmpty()) {
            throw new IllegalStateException("patches apply to a session without entries");
        }
        new PatchApplier(repo, this).apply(patches);
    }

    /** Counts a chunk this session appended to the store (for the result's newBytes); see ChunkAdmission. */
    void recordStored(int rawLength, int storedLength) {
        newBytes += rawLength;
        storedBytes += storedLength;
        newChunks++;
    }

    void entryFinished(EntryBuilder e) {
        if (e == open) {
            open = null;
        }
    }

    /**
     * Commits the checkpoint: makes its chunks durable, re-checks them if a sweep ran meanwhile,
     * decides full or delta, and writes manifest + labels + indexes in one synced batch.
     *
     * @throws MissingChunksException if a referenced chunk is gone (swept by a concurrent GC)
     */
    public PutResult commit() throws java.io.IOException {
        checkActive();
        if (open != null) {
            throw new IllegalStateException("entry '" + open.name + "' is not finished");
        }
        if (entries.isEmpty()) {
            throw new CairnException(Status.BAD_REQUEST, "a checkpoint needs at least one entry");
        }
        repo.chunks().flush();
        FaultPoints.reach("commit.after-flush");
        List<EntryHeader> headers = new ArrayList<>();
        for (EntryBuilder e : entries) {
            headers.add(e.header());
        }
        try {
            // Again for the whole set: entries may also come from a parent (a delta put).
            EntryNames.checkAll(headers);
        } catch (IllegalArgumentException e) {
            throw new CairnException(Status.BAD_REQUEST, "checkpoint refused: " + e.getMessage());
        }
        ManifestHeader header = new ManifestHeader(options.meta(), headers);
        byte[] headerBytes = header.encode();
        ManifestId id = ManifestId.ofHeader(headerBytes);
        ManifestStore ms = repo.manifests();
        // Lock order, everywhere: manifest mutex, then the index lock. (Trims hold the mutex and
        // look chunks up; GC's switch takes the index lock alone.)
        synchronized (repo.manifestMutex()) {
            repo.commitLock().readLock().lock();
            try {
                StoredManifest existing = ms.find(id);
                if (existing != null) {
                    return commitExisting(existing, header);
                }
                // A sweep, or a pack that failed to seal, may have taken chunks this session found.
                if (repo.sweepGeneration() != sweepGenerationAtStart
                        || repo.chunks().sealFailures() != sealFailuresAtStart) {
                    verifyChunksPresent();
                }
                StoredManifest m = forms.choose(id, header, headerBytes, liveParent());
                try (MetaDb.Batch b = repo.db().batch()) {
                    ms.addNew(b, m, Labels.of(options.tags(), newBytes));
                    forms.dropUnused(b, m);
                    FaultPoints.reach("commit.before-batch");
                    repo.db().write(b, true);
                }
                repo.bumpMetadataGeneration();
                forms.release();
                done = true;
                FaultPoints.reach("commit.after-batch");
                return new PutResult(id, m.kind(), header.logicalBytes(), newBytes, storedBytes, totalRefs(),
                        newChunks, m.parent(), false);
            } finally {
                repo.commitLock().readLock().unlock();
                if (done) {
                    repo.sessionEnded(this);
                }
            }
        }
    }

    /** Abandons the session: its segments are deleted; chunks it stored stay for GC to judge. */
    public void abort() {
        if (done) {
            return;
        }
        done = true;
        try (MetaDb.Batch b = repo.db().batch()) {
            forms.dropAll(b);
            repo.db().write(b, false);
        } catch (CairnException e) {
            // Leftover segments are unreferenced; GC removes them.
        } finally {
            forms.release();
            repo.sessionEnded(this);
        }
    }

    @Override
    public void close() {
        abort();
    }

    public boolean isDone() {
        return done;
    }

    private PutResult commitExisting(StoredManifest existing, ManifestHeader header) throws CairnException {
        // An identical checkpoint (same metadata, same bytes) is already stored: keep it, add tags,
        // and bring it back from the trash if it was there. Our own segments are dropped.
        Labels labels = repo.manifests().labels(existing.id());
        try (MetaDb.Batch b = repo.db().batch()) {
            java.util.TreeSet<String> tags = new java.util.TreeSet<>(labels.tags());
            tags.addAll(options.tags());
            Labels updated = labels.withTags(tags);
            if (labels.inTrash()) {
                repo.manifests().untrash(b, existing, updated);
            } else {
                repo.manifests().putLabels(b, existing.id(), updated);
            }
            forms.dropAll(b);
            repo.db().write(b, true);
        }
        repo.bumpMetadataGeneration();
        forms.release();
        done = true;
        return new PutResult(existing.id(), existing.kind(), header.logicalBytes(), newBytes, storedBytes, totalRefs(),
                newChunks, existing.parent(), true);
    }

    /** The parent as it is now, or null if it was removed or trashed since the session began. */
    private StoredManifest liveParent() throws CairnException {
        if (parent == null) {
            return null;
        }
        StoredManifest current = repo.manifests().find(parent.id());
        return current == null || repo.manifests().labels(parent.id()).inTrash() ? null : current;
    }

    private void verifyChunksPresent() throws CairnException {
        List<ChunkId> batch = new ArrayList<>(4096);
        List<ChunkId> missing = new ArrayList<>();
        for (EntryBuilder e : entries) {
            RefCursor cur = repo.manifests().segmentCursor(forms.fullStorage(), e.index, e.refs());
            ChunkRef r;
            while ((r = cur.next()) != null) {
                batch.add(r.id());
                if (batch.size() == 4096) {
                    collectMissing(batch, missing);
                }
            }
        }
        collectMissing(batch, missing);
        if (!missing.isEmpty()) {
            throw new MissingChunksException(missing);
        }
    }

    private void collectMissing(List<ChunkId> ids, List<ChunkId> missing) throws CairnException {
        boolean[] have = repo.chunks().contains(ids);
        for (int i = 0; i < have.length; i++) {
            if (!have[i]) {
                missing.add(ids.get(i));
            }
        }
        ids.clear();
    }

    private long totalRefs() {
        return forms.totalRefs();
    }

    private void checkNext(String name, EntryKind kind) throws CairnException {
        checkActive();
        if (open != null) {
            throw new IllegalStateException("finish entry '" + open.name + "' before starting '" + name + "'");
        }
        try {
            names.add(name, kind);
        } catch (IllegalArgumentException e) {
            throw new CairnException(Status.BAD_REQUEST, e.getMessage());
        }
    }

    private void checkActive() {
        if (done) {
            throw new IllegalStateException("the session is already committed or aborted");
        }
    }

}
