package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.Chunker;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.manifest.DirectoryLayout;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.Patch;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.store.chunk.ChunkStore;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.ManifestStore;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.LocalPackStore;
import dev.cairn.store.pack.PackInfo;
import dev.cairn.store.pack.PackStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A Cairn store on disk: the library API that the daemon serves and tests drive. Layout of the
 * data directory: {@code meta/} (RocksDB) and {@code packs/} (pack files); see docs/FORMAT.md.
 *
 * <p>Thread-safe. Puts, gets and listing run concurrently. Commits of manifests are serialised by
 * a short critical section ({@link #manifestMutex()}) that also covers trims, so chain checks and
 * the writes they justify are atomic with respect to each other; GC's index switch takes
 * {@link #commitLock()} exclusively for the duration of one batch. Lock order: the manifest mutex
 * before the commit (index) lock; never the other way round.
 */
public final class Repository implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Repository.class);

    private final Path dir;
    private final RepositoryOptions options;
    private final StoreConfig config;
    private final Chunker chunker;
    private final MetaDb db;
    private final PackStore packs;
    private final ChunkStore chunks;
    private final ManifestStore manifests;
    private final ExecutorService workers;
    private final Set<PutSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicLong sweepGeneration = new AtomicLong();
    private final AtomicLong metadataGeneration = new AtomicLong();
    /** Storage ids of segment streams being written and not yet committed or discarded. */
    private final Set<java.nio.ByteBuffer> activeStorage = ConcurrentHashMap.newKeySet();
    private volatile Set<java.nio.ByteBuffer> storageWatch;
    private final java.util.concurrent.locks.ReentrantLock maintenanceLock = new java.util.concurrent.locks.ReentrantLock();
    private final Object manifestMutex = new Object();
    private volatile boolean closed;

    private Repository(Path dir, RepositoryOptions options, MetaDb db, PackStore packs) throws IOException {
        this.dir = dir;
        this.options = options;
        this.db = db;
        this.packs = packs;
        this.config = loadOrCreateConfig(db, options);
        this.chunker = new Chunker(config.chunker());
        this.manifests = new ManifestStore(db);
        recoverPacks();
        this.chunks = new ChunkStore(packs, db, options.packTargetBytes(), readEpoch(db));
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(options.effectiveWorkers(), r -> {
            Thread t = new Thread(r, "cairn-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens the store in {@code dir}, creating it if the directory is empty or missing. Packs
     * live on the local disk under {@code dir/packs}.
     *
     * @throws CairnException {@link Status#STORE_LOCKED} if another process has it open,
     *                        {@link Status#PARAMS_MISMATCH} if {@code options} name other chunker
     *                        parameters than the store was created with,
     *                        {@link Status#UNSUPPORTED_VERSION} if a newer Cairn wrote it
     */
    public static Repository open(Path dir, RepositoryOptions options) throws IOException {
        Files.createDirectories(dir);
        MetaDb db = MetaDb.open(dir.resolve("meta"));
        try {
            return open(dir, options, db, new LocalPackStore(dir));
        } catch (IOException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /** Opens a store whose packs live in {@code packs} (e.g. object storage). */
    public static Repository open(Path dir, RepositoryOptions options, MetaDb db, PackStore packs) throws IOException {
        return new Repository(dir, options, db, packs);
    }

    private static StoreConfig loadOrCreateConfig(MetaDb db, RepositoryOptions options) throws CairnException {
        byte[] v = db.get(Cf.META, Keys.CONFIG);
        if (v == null) {
            ChunkerParams p = options.chunker() != null ? options.chunker() : ChunkerParams.DEFAULT;
            byte[] id = new byte[16];
            new SecureRandom().nextBytes(id);
            StoreConfig c = new StoreConfig(StoreConfig.FORMAT_VERSION, p, Instant.now(), id);
            db.put(Cf.META, Keys.CONFIG, c.encode(), true);
            log.info("created store {} (chunker {})", c.storeIdHex(), p);
            return c;
        }
        StoreConfig c = StoreConfig.decode(v);
        if (options.chunker() != null && !options.chunker().equals(c.chunker())) {
            throw new CairnException(Status.PARAMS_MISMATCH, "this store was created with chunker parameters "
                    + c.chunker() + " but " + options.chunker() + " were requested; chunks cut differently never"
                    + " deduplicate, so the store refuses to mix them. Open it without chunker settings, or use"
                    + " a new --data directory");
        }
        return c;
    }

    private static long readEpoch(MetaDb db) throws CairnException {
        byte[] v = db.get(Cf.META, Keys.SWEEP_GENERATION);
        return v == null ? 0 : Keys.getLong(v, 0);
    }

    /** Seals packs a crash left open; their indexed records stay valid, the rest is left for GC. */
    private void recoverPacks() throws IOException {
        for (PackInfo p : packs.list()) {
            if (!p.sealed()) {
                try {
                    var idx = packs.recover(p.id());
                    log.warn("recovered unsealed pack {} after an unclean shutdown: {} complete records kept", p.id(),
                            idx.entries().size());
                } catch (IOException e) {
                    // One bad file must not keep the store from opening; verify reports it, and
                    // reads of chunks inside it fail with a typed error.
                    log.error("cannot recover pack {}: {}", p.id(), e.getMessage());
                }
            }
        }
    }

    // ------------------------------------------------------------------ put

    /** Starts a put; the caller adds entries through the session and commits it. */
    public PutSession begin(PutOptions opts) throws CairnException {
        checkOpen();
        StoredManifest parent = null;
        if (opts.parent() != null) {
            parent = manifests.find(opts.parent());
            if (parent == null) {
                throw new CairnException(Status.NOT_FOUND, "delta parent " + opts.parent().toHex() + " does not exist");
            }
            if (manifests.labels(parent.id()).inTrash()) {
                throw new CairnException(Status.CONFLICT, "delta parent " + opts.parent().shortHex()
                        + " is in the trash; restore it first or put without --parent");
            }
        } else if (opts.autoDelta()) {
            ManifestId newest = manifests.newest(opts.meta().series());
            parent = newest == null ? null : manifests.find(newest);
        }
        if (opts.meta().derivedFrom().isPresent() && manifests.find(opts.meta().derivedFrom().get()) == null) {
            throw new CairnException(Status.NOT_FOUND, "derived-from checkpoint "
                    + opts.meta().derivedFrom().get().toHex() + " does not exist");
        }
        PutSession s = new PutSession(this, opts, parent);
        sessions.add(s);
        return s;
    }

    /** Puts a single-stream checkpoint read from {@code in} (to its end). */
    public PutResult put(PutOptions opts, InputStream in) throws IOException {
        try (PutSession s = begin(opts)) {
            Ingest ingest = new Ingest(this, s, s.entry(""));
            try {
                ingest.readFrom(in);
                ingest.finish();
            } catch (IOException | RuntimeException e) {
                ingest.cancel();
                throw e;
            }
            return s.commit();
        }
    }

    /**
     * A writer the caller fills with the bytes of a single-stream checkpoint; {@link
     * CheckpointWriter#commit()} stores it. Closing without commit aborts.
     */
    public CheckpointWriter newCheckpoint(PutOptions opts) throws CairnException {
        return new CheckpointWriter(this, begin(opts));
    }

    /**
     * Puts a directory checkpoint: every regular file below {@code root} becomes an entry named by
     * its relative path, every empty directory a directory entry. Symbolic links and special
     * files are refused (a checkpoint that silently lost them would not restore what was there).
     * The rules are {@link DirectoryLayout#scan}'s, shared with the client.
     */
    public PutResult putDirectory(PutOptions opts, Path root) throws IOException {
        List<DirectoryLayout.Item> items = DirectoryLayout.scan(root, CairnException::new);
        try (PutSession s = begin(opts)) {
            for (DirectoryLayout.Item it : items) {
                if (it.directory()) {
                    s.directory(it.name());
                    continue;
                }
                Ingest ingest = new Ingest(this, s, s.entry(it.name()));
                try (InputStream in = Files.newInputStream(it.path(), LinkOption.NOFOLLOW_LINKS)) {
                    ingest.readFrom(in);
                    ingest.finish();
                } catch (IOException | RuntimeException e) {
                    ingest.cancel();
                    throw e;
                }
            }
            return s.commit();
        }
    }

    /**
     * Puts a checkpoint that is {@code opts.parent()} with {@code patches} applied, reading only
     * the parent's chunks that the patches touch (docs/FORMAT.md, "Delta puts").
     */
    public PutResult putDelta(PutOptions opts, List<Patch> patches) throws IOException {
        if (opts.parent() == null) {
            throw new CairnException(Status.BAD_REQUEST, "a delta put needs a parent");
        }
        try (PutSession s = begin(opts)) {
            s.applyPatches(patches);
            return s.commit();
        }
    }

    /**
     * Prepares a new storage form of {@code m}: a delta against {@code newParent} if that is allowed
     * and pays, else a full manifest ({@code newParent == null}: always full). The resolved chunk
     * list, hence the id, stays the same. Reads {@code m}'s current chain, so call it before the
     * batch that removes anything of that chain. Only metadata is written; no chunk data moves.
     */
    public PreparedForm prepareRebase(StoredManifest m, StoredManifest newParent) throws CairnException {
        FormBuilder fb = new FormBuilder(this, newParent);
        List<EntryHeader> es = m.header().entries();
        for (int i = 0; i < es.size(); i++) {
            FormBuilder.Entry e = fb.entry(es.get(i).name());
            if (es.get(i).kind() == EntryKind.DIRECTORY) {
                e.finishEmpty();
                continue;
            }
            dev.cairn.store.manifest.RefCursor cur = manifests.cursor(m, i);
            dev.cairn.protocol.manifest.ChunkRef r;
            while ((r = cur.next()) != null) {
                e.add(r);
            }
            e.finish();
        }
        return new PreparedForm(fb.choose(m.id(), m.header(), m.headerBytes(), newParent), fb);
    }

    // ------------------------------------------------------------------ get

    /** Opens a single-stream checkpoint (or a one-file directory checkpoint) for reading. */
    public InputStream open(ManifestId id) throws IOException {
        StoredManifest m = manifests.get(id);
        if (m.header().entries().size() != 1 || m.header().entries().get(0).kind() != EntryKind.FILE) {
            throw new CairnException(Status.BAD_REQUEST, "checkpoint " + id.shortHex() + " is a directory of "
                    + m.header().entries().size() + " entries; open one entry or restore it to a path");
        }
        return openEntry(m, 0);
    }

    /** Opens one entry of a checkpoint. */
    public InputStream open(ManifestId id, String entry) throws IOException {
        StoredManifest m = manifests.get(id);
        int i = m.header().indexOf(entry);
        if (i < 0 || m.header().entries().get(i).kind() != EntryKind.FILE) {
            throw new CairnException(Status.NOT_FOUND, "checkpoint " + id.shortHex() + " has no file '" + entry + "'");
        }
        return openEntry(m, i);
    }

    InputStream openEntry(StoredManifest m, int entry) throws CairnException {
        String what = "checkpoint " + m.id().shortHex() + (m.header().isStream() ? "" : " entry '"
                + m.header().entries().get(entry).name() + "'");
        return new CheckpointInputStream(chunks, workers, manifests.cursor(m, entry), options.readAhead(), false, what);
    }

    /**
     * Restores a checkpoint to {@code target}: a file for a single stream, a directory otherwise.
     * Data goes to a temporary sibling first and is renamed into place when complete, so a failed
     * restore leaves no partial result. {@code target} must not exist ({@link DirectoryLayout#restore}).
     */
    public void restore(ManifestId id, Path target) throws IOException {
        StoredManifest m = manifests.get(id);
        DirectoryLayout.restore(target, m.header().isStream(), m.header().entries(), (i, e, file) -> writeEntry(m, i, file),
                CairnException::new);
    }

    private void writeEntry(StoredManifest m, int entry, Path file) throws IOException {
        try (InputStream in = openEntry(m, entry);
             OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            in.transferTo(out);
        }
    }

    // ------------------------------------------------------------ metadata

    /** Resolves a full id or a unique hex prefix. */
    public ManifestId resolve(String idOrPrefix) throws CairnException {
        return manifests.resolve(idOrPrefix);
    }

    public CheckpointInfo show(ManifestId id) throws CairnException {
        StoredManifest m = manifests.get(id);
        return CheckpointInfo.of(m, manifests.labels(id));
    }

    /** Live checkpoints of {@code series} (null: of every series), oldest first within a series. */
    public List<CheckpointInfo> list(String series) throws CairnException {
        List<CheckpointInfo> out = new ArrayList<>();
        List<String> names = series == null ? manifests.seriesNames() : List.of(series);
        for (String s : names) {
            for (ManifestId id : manifests.list(s)) {
                out.add(show(id));
            }
        }
        return out;
    }

    public StoreStats stats() throws IOException {
        long live = 0;
        long trashed = 0;
        long logical = 0;
        for (ManifestId id : manifests.allIds()) {
            StoredManifest m = manifests.get(id);
            logical += m.header().logicalBytes();
            if (manifests.labels(id).inTrash()) {
                trashed++;
            } else {
                live++;
            }
        }
        long chunkCount = 0;
        long chunkBytes = 0;
        try (MetaDb.Cursor c = db.scan(Cf.CHUNKS, null, null)) {
            while (c.next()) {
                chunkCount++;
                chunkBytes += dev.cairn.store.chunk.ChunkIndexCodec.decode(c.value()).location().rawLength();
            }
        }
        long packBytes = 0;
        List<PackInfo> all = packs.list();
        for (PackInfo p : all) {
            packBytes += p.size();
        }
        return new StoreStats(live, trashed, manifests.seriesNames().size(), logical, chunkCount, chunkBytes, packBytes,
                all.size(), db.sizeOnDisk());
    }

    /** Checks the store; with {@code readData}, re-reads and re-hashes every chunk. */
    public VerifyReport verify(boolean readData) throws IOException {
        return new Verifier(this).run(readData);
    }

    /**
     * Rebuilds the chunk index from the packs' footers. Run only with no other activity; it takes
     * the maintenance lock, so it never overlaps a GC of this process.
     */
    public RebuildReport rebuildIndex() throws IOException {
        if (!maintenanceLock.tryLock()) {
            throw new CairnException(Status.CONFLICT, "a GC or another index rebuild is running on this store");
        }
        try {
            chunks.sealCurrent();
            return new IndexRebuilder(this).run();
        } finally {
            maintenanceLock.unlock();
        }
    }

    // ------------------------------------------------------------- internals

    public Path dir() {
        return dir;
    }

    public StoreConfig config() {
        return config;
    }

    public RepositoryOptions options() {
        return options;
    }

    public Chunker chunker() {
        return chunker;
    }

    public MetaDb db() {
        return db;
    }

    public ChunkStore chunks() {
        return chunks;
    }

    public ManifestStore manifests() {
        return manifests;
    }

    public PackStore packs() {
        return packs;
    }

    public ExecutorService workers() {
        return workers;
    }

    /** Open put sessions (GC marks what they reference). */
    public Set<PutSession> sessions() {
        return sessions;
    }

    void sessionEnded(PutSession s) {
        sessions.remove(s);
    }

    /**
     * Incremented by every change to manifests or labels (commit, trash, restore, holds, rebase,
     * delete). A trim computes its plan without locks and applies it only if this did not move.
     */
    public long metadataGeneration() {
        return metadataGeneration.get();
    }

    public void bumpMetadataGeneration() {
        metadataGeneration.incrementAndGet();
    }

    /** Incremented by every GC sweep that removes index entries. */
    public long sweepGeneration() {
        return sweepGeneration.get();
    }

    public void bumpSweepGeneration() {
        sweepGeneration.incrementAndGet();
    }

    /**
     * Commits hold it shared; a GC index switch holds it exclusively, so no commit checks
     * chunk presence on one side of a sweep and writes on the other.
     */
    public ReentrantReadWriteLock commitLock() {
        return chunks.indexLock();
    }

    /**
     * Storage ids whose segments are being written by a put or a rebase that has not committed or
     * discarded yet. GC treats their segments as live; it only deletes segments of storage ids that
     * no manifest names and that were not active when its snapshot was taken.
     */
    public Set<java.nio.ByteBuffer> activeStorage() {
        return Set.copyOf(activeStorage);
    }

    void registerStorage(byte[] id) {
        java.nio.ByteBuffer key = java.nio.ByteBuffer.wrap(id);
        Set<java.nio.ByteBuffer> watch = storageWatch;
        if (watch != null) {
            watch.add(key);
        }
        activeStorage.add(key);
    }

    void releaseStorage(byte[] id) {
        activeStorage.remove(java.nio.ByteBuffer.wrap(id));
    }

    /**
     * Starts recording every storage id registered from now on (GC: segments of such ids are never
     * orphans to that GC). Returns the live set; {@link #unwatchStorage()} ends it.
     */
    public Set<java.nio.ByteBuffer> watchStorage() {
        Set<java.nio.ByteBuffer> w = ConcurrentHashMap.newKeySet();
        storageWatch = w;
        return w;
    }

    public void unwatchStorage() {
        storageWatch = null;
    }

    /** Held by whoever runs maintenance that must not overlap itself (GC, index rebuild). */
    public java.util.concurrent.locks.ReentrantLock maintenanceLock() {
        return maintenanceLock;
    }

    /** Serialises manifest-level changes: commits, trims, trash and hold changes, rebases. */
    public Object manifestMutex() {
        return manifestMutex;
    }

    /** Labels of a manifest; convenience for callers outside the store package. */
    public Labels labels(ManifestId id) throws CairnException {
        return manifests.labels(id);
    }

    private void checkOpen() throws CairnException {
        if (closed) {
            throw new CairnException(Status.SHUTTING_DOWN, "the store is closed");
        }
    }

    /**
     * Closes the store: aborts open sessions, seals the current pack, then closes the workers,
     * the pack layer and RocksDB, in that order (each uses the next).
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        for (PutSession s : List.copyOf(sessions)) {
            s.abort();
        }
        try {
            chunks.close();
        } finally {
            // Workers may still be reading ahead for a stream nobody reads any more; let them
            // finish before the pack layer and RocksDB go away under them.
            workers.shutdown();
            try {
                if (!workers.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    log.warn("store workers did not stop within 60 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                packs.close();
            } finally {
                db.close();
            }
        }
    }
}
