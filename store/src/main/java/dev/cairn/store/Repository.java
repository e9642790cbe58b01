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
import dev.cairn.store.catalog.Catalog;
import dev.cairn.store.chunk.ChunkStore;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.ManifestStore;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.LocalPackStore;
import dev.cairn.store.pack.PackCodec;
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
 * data directory: {@code meta/} (RocksDB), {@code catalog/} (the commit log of manifest
 * metadata) and {@code packs/} (pack files); see docs/FORMAT.md.
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
    private final Catalog catalog;
    private final CatalogRecovery.Report recovery;
    private final ExecutorService workers;
    private final Set<PutSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicLong sweepGeneration = new AtomicLong();
    private final AtomicLong metadataGeneration = new AtomicLong();
    /** Storage ids of segment streams being written and not yet committed or discarded. */
    private final Set<java.nio.ByteBuffer> activeStorage = ConcurrentHashMap.newKeySet();
    private volatile Set<java.nio.ByteBuffer> storageWatch;
    private final java.util.concurrent.locks.ReentrantLock maintenanceLock = new java.util.concurrent.locks.ReentrantLock();
    private final Object manifestMutex = new Object();
    private final Reserve reserve;
    /** Set at open if the catalog was missing although the store held data (null: it was not). */
    private volatile String catalogLoss;
    private volatile String restoredFrom;
    private volatile boolean closed;

    private Repository(Path dir, RepositoryOptions options, MetaDb db, PackStore packs) throws IOException {
        this.dir = dir;
        this.options = options;
        this.reserve = new Reserve(dir.resolve("reserve"));
        this.db = db;
        this.packs = packs;
        this.catalog = Catalog.open(dir.resolve("catalog"), Catalog.DEFAULT_MIN_DEAD_BYTES);
        ChunkStore cs = null;
        ExecutorService pool = null;
        try {
            StoreConfig loaded = loadOrCreateConfig(db, options, catalog, packs);
            boolean migrate = loaded.formatVersion() < StoreConfig.CATALOG_VERSION;
            this.config = migrate ? loaded.withFormatVersion(StoreConfig.FORMAT_VERSION) : loaded;
            this.chunker = new Chunker(config.chunker());
            this.manifests = new ManifestStore(db, catalog);
            recoverPacks();
            cs = new ChunkStore(packs, db, options.packTargetBytes(), readEpoch(db));
            this.chunks = cs;
            AtomicInteger n = new AtomicInteger();
            pool = Executors.newFixedThreadPool(options.effectiveWorkers(), r -> {
                Thread t = new Thread(r, "cairn-worker-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            this.workers = pool;
            if (db.get(Cf.META, Keys.INDEX_REBUILD_PENDING) != null && !options.markDamagedOnOpen()) {
                throw new CairnException(Status.CORRUPT, "the chunk index of the store at " + dir + " is incomplete: a"
                        + " rebuild of it (`cairnd --rebuild-index`) was interrupted. Run `cairnd --rebuild-index` again"
                        + " (with the same --data and --config), then start cairnd; nothing was changed");
            }
            java.util.Set<Cf> dropped = db.droppedFamilies();
            if (!dropped.isEmpty()) {
                log.error("the metadata database was damaged ({}); dropped the column families {} to rebuild them",
                        db.droppedWhy(), dropped.stream().map(Cf::label).toList());
            }
            if (dropped.contains(Cf.PACKS)) {
                // recoverPacks, above, found no records and wrote them again from the pack files.
                log.error("pack records rebuilt from the pack files; packs marked damaged before are examined again");
            }
            if (dropped.contains(Cf.JOURNAL)) {
                // Without accounting records every pack would look young, and a young pack's
                // records count as explained: record each existing pack as known with nothing
                // accounted for, as a store created over existing packs does, so that GC keeps
                // whatever the lost records explained.
                List<PackInfo> existing = packs.list();
                try (MetaDb.Batch b = db.batch()) {
                    dev.cairn.store.meta.GcAccounting.putUnaccounted(b, existing);
                    db.write(b, true);
                }
                log.error("the GC journal and trim audit were lost with their table: {} packs recorded with nothing"
                        + " accounted for, so GC keeps the data their lost records explained (reported as unexplained)"
                        + " until `cairn gc --force`; a GC interrupted before this open leaves packs the next GCs collect"
                        + " as they find them dead", existing.size());
            }
            if (dropped.contains(Cf.CHUNKS)) {
                // Before catalog recovery, which checks that restored checkpoints' chunks are indexed.
                RebuildReport r = new IndexRebuilder(this).run();
                log.error("chunk index rebuilt from the footers of {} packs: {} chunks indexed, {} unreadable packs, {}"
                        + " referenced chunks still missing", r.packs(), r.chunks(), r.unreadable().size(),
                        r.missingReferenced());
            }
            // Dropped manifest families are empty now: recovery rolls every checkpoint forward from the catalog.
            this.recovery = recoverCatalog(migrate);
            if (dropped.contains(Cf.MANIFESTS)) {
                log.error("checkpoint metadata rebuilt from the catalog: {} records rolled forward; GC keeps what only"
                        + " the lost tables explained (segments of deleted checkpoints awaiting a sweep) until `cairn gc"
                        + " --force`", recovery.rolledForward());
            }
        } catch (IOException | RuntimeException e) {
            if (pool != null) {
                pool.shutdownNow();
            }
            if (cs != null) {
                try {
                    cs.close();
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            catalog.close();
            throw e;
        }
    }

    /**
     * Checks RocksDB's manifest families against the catalog and repairs whichever lost
     * something (see {@link CatalogRecovery}); a store from before the catalog gets one here,
     * and only then is its format version raised, so a crash during the migration repeats it.
     */
    private CatalogRecovery.Report recoverCatalog(boolean migrate) throws IOException {
        var replay = catalog.replay();
        if (db.walDamage() != null) {
            log.error("the metadata database's write-ahead log is damaged ({}); it was opened with the writes before the"
                    + " damage only, and everything committed after it is restored from the catalog", db.walDamage());
        }
        byte[] end = db.get(Cf.META, Catalog.END_KEY);
        boolean rocksAuthoritative;
        if (migrate) {
            log.info("store {} has format version {}: writing its catalog from the metadata database (format {})",
                    config.storeIdHex(), StoreConfig.CATALOG_VERSION - 1, StoreConfig.FORMAT_VERSION);
            rocksAuthoritative = true;
        } else if (!catalog.existed() || catalog.fileCount() == 0) {
            // Deleted, or its files deleted (an empty directory): missing as a whole.
            checkMissingCatalog();
            rocksAuthoritative = true;
        } else {
            String cut = catalog.missingBefore(end);
            if (cut != null) {
                log.error("the catalog lost committed records ({}); the metadata database's state wins every"
                        + " disagreement and is appended to the catalog again", cut);
            }
            rocksAuthoritative = replay.damaged() || cut != null;
        }
        catalog.start(config.encode(), Catalog.generationOf(end) + 1);
        CatalogRecovery.Report r = new CatalogRecovery(this, catalog).run(rocksAuthoritative, migrate,
                options.markDamagedOnOpen(), replay.damage());
        if (migrate) {
            db.put(Cf.META, Keys.CONFIG, config.encode(), true);
        }
        // RocksDB now agrees with the catalog up to here.
        db.put(Cf.META, Catalog.END_KEY, catalog.endValue(), true);
        RestoreMarker.delete(dir); // the catalog of a restored database is written now
        if (replay.damaged() || catalog.fileCount() > 1) {
            catalog.maybeCompact();
        }
        return r;
    }

    /**
     * The catalog is missing. Expected for a new store and right after a restore from a metadata
     * backup ({@link RestoreMarker}); otherwise it is damage, logged at ERROR, and the catalog is
     * written again from the database. If the database holds checkpoints, that repairs what can
     * be repaired (whatever the database lost with the catalog, e.g. a deleted log, cannot be
     * told, let alone recovered), and verify stays clean, as after other damage the open repaired.
     * If it holds none while packs hold records, every checkpoint's metadata was lost: verify
     * reports it, together with the packs whose records nothing accounts for (GC's accounting).
     */
    private void checkMissingCatalog() throws IOException {
        String restored = RestoreMarker.read(dir);
        if (restored != null) {
            log.info("the metadata database was restored from a backup ({}); writing its catalog from it", restored);
            restoredFrom = restored;
            return;
        }
        long manifestCount = manifests.allIds().size();
        if (manifestCount > 0) {
            log.error("the catalog directory {} is missing; this store (format {}) must have one. Writing it again from"
                    + " the metadata database; changes committed only to the lost catalog cannot be recovered",
                    catalog.dir(), config.formatVersion());
            return;
        }
        long packsWithData = packs.list().stream().filter(p -> p.sealed() || p.size() > PackCodec.HEADER_SIZE).count();
        if (packsWithData == 0) {
            return; // a new store, or one that never stored anything
        }
        catalogLoss = "the catalog (" + catalog.dir() + ") was missing when the store opened and the metadata"
                + " database held no checkpoint, although " + packsWithData + " packs hold data: the metadata of"
                + " every checkpoint stored in them was lost";
        log.error("{}. GC keeps their data; `cairn verify` lists the packs. {}", catalogLoss, Verifier.LOST_ADVICE);
    }

    /** What {@link RestoreMarker} said if this open wrote the catalog of a restored database, else null. */
    String restoredFrom() {
        return restoredFrom;
    }

    /**
     * Set at this open if the catalog was missing and the database empty while packs held
     * records (see {@link #checkMissingCatalog}), else null.
     */
    String catalogLoss() {
        return catalogLoss;
    }

    /** What the catalog check at open found and repaired. */
    CatalogRecovery.Report recovery() {
        return recovery;
    }

    /** The catalog (the commit log of manifest metadata). */
    public Catalog catalog() {
        return catalog;
    }

    /**
     * Checkpoints the catalog records as committed (live or in the trash) that the metadata
     * database does not hold: metadata lost while the store was open, which nothing explains and
     * which the next open restores. Empty when the two agree. Taken under the manifest mutex, so a
     * commit between its catalog append and its database write is not counted. GC refuses to
     * sweep while this is not empty (docs/GC.md, "What GC may free").
     */
    public List<ManifestId> committedButMissing() throws CairnException {
        synchronized (manifestMutex) {
            Set<ManifestId> indexed = new java.util.HashSet<>(manifests.allIds());
            List<ManifestId> missing = new ArrayList<>();
            for (Catalog.Known k : catalog.known()) {
                if (k.hasManifest() && !indexed.contains(k.id())) {
                    missing.add(k.id());
                }
            }
            return missing;
        }
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
        // Maintenance opens (--rebuild-index) may drop damaged rebuildable families; the constructor rebuilds them.
        MetaDb db = MetaDb.open(dir.resolve("meta"), options.markDamagedOnOpen(), () -> catalogIntact(dir));
        PackStore packs = null;
        try {
            packs = new LocalPackStore(dir);
            return open(dir, options, db, packs);
        } catch (IOException | RuntimeException e) {
            if (packs != null) {
                try {
                    packs.close();
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            db.close();
            throw e;
        }
    }

    /**
     * Whether the catalog in {@code dir} is present, holds records and replays without damage, so
     * that damaged manifest families can be rebuilt from it ({@link MetaDb#open(Path, boolean,
     * java.util.function.BooleanSupplier)}). Reads the catalog without changing it; false if it
     * cannot be read.
     */
    public static boolean catalogIntact(Path dir) {
        Path c = dir.resolve("catalog");
        if (!Files.isDirectory(c)) {
            return false;
        }
        try {
            dev.cairn.store.catalog.CatalogReader.Result r = dev.cairn.store.catalog.CatalogReader.read(c);
            return !r.fileBytes().isEmpty() && !r.replay().damaged();
        } catch (IOException | RuntimeException e) {
            log.warn("cannot read the catalog in {}: {}", c, e.toString());
            return false;
        }
    }

    /** Opens a store whose packs live in {@code packs} (e.g. object storage). */
    public static Repository open(Path dir, RepositoryOptions options, MetaDb db, PackStore packs) throws IOException {
        return new Repository(dir, options, db, packs);
    }

    /**
     * The store's config record, created (with a new random store id) if neither the database nor
     * the catalog in {@code dir} has one. Public for backends that need the store id before the
     * repository opens (S3: whose prefix it is, before any of its packs can be listed); {@link
     * #open} calls it again and then finds the record.
     *
     * @throws CairnException {@link Status#PARAMS_MISMATCH} as for {@link #open}
     */
    public static StoreConfig loadOrCreateConfig(Path dir, MetaDb db, RepositoryOptions options) throws IOException {
        try (Catalog catalog = Catalog.open(dir.resolve("catalog"), Catalog.DEFAULT_MIN_DEAD_BYTES)) {
            return loadOrCreateConfig(db, options, catalog, null);
        }
    }

    /** As above; {@code packs} (null: none to list) are the packs that metadata created now must not trust. */
    private static StoreConfig loadOrCreateConfig(MetaDb db, RepositoryOptions options, Catalog catalog,
                                                  PackStore packs) throws IOException {
        byte[] v = db.get(Cf.META, Keys.CONFIG);
        byte[] fromCatalog = catalog.replay().config();
        if (v == null && fromCatalog != null) {
            // RocksDB lost even its first write (a deleted or damaged WAL before any flush): the
            // catalog's file headers carry the config, so the store keeps its identity and chunker.
            StoreConfig c = StoreConfig.decode(fromCatalog);
            log.error("the metadata database has no store config but the catalog has one (store {}): the database lost"
                    + " its recent writes; restoring them from the catalog", c.storeIdHex());
            db.put(Cf.META, Keys.CONFIG, fromCatalog, true);
            v = fromCatalog;
        }
        if (v != null && fromCatalog != null
                && !java.util.Arrays.equals(StoreConfig.decode(v).storeId(), StoreConfig.decode(fromCatalog).storeId())) {
            throw new CairnException(Status.CORRUPT, "the catalog in " + catalog.dir() + " belongs to store "
                    + StoreConfig.decode(fromCatalog).storeIdHex() + ", the metadata database to store "
                    + StoreConfig.decode(v).storeIdHex() + "; a directory was copied from another store. Put the"
                    + " right catalog back, or move it aside (the store then rewrites it from the database)");
        }
        if (v == null) {
            ChunkerParams p = options.chunker() != null ? options.chunker() : ChunkerParams.DEFAULT;
            byte[] id = new byte[16];
            new SecureRandom().nextBytes(id);
            StoreConfig c = new StoreConfig(StoreConfig.FORMAT_VERSION, p, Instant.now(), id);
            // Packs that exist before the metadata does (lost or deleted metadata over old data)
            // are recorded as known with nothing accounted for: GC must not take their records
            // for garbage it can explain (docs/GC.md, "What GC may free").
            List<PackInfo> existing = packs == null ? List.of() : packs.list();
            try (MetaDb.Batch b = db.batch()) {
                b.put(Cf.META, Keys.CONFIG, c.encode());
                dev.cairn.store.meta.GcAccounting.putUnaccounted(b, existing);
                db.write(b, true);
            }
            if (existing.isEmpty()) {
                log.info("created store {} (chunker {})", c.storeIdHex(), p);
            } else {
                log.warn("created store metadata {} (chunker {}) over {} existing packs: GC will not free their data"
                        + " without --force", c.storeIdHex(), p, existing.size());
            }
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

    /**
     * Seals packs a crash left open (their indexed records stay valid, the rest is left for GC),
     * records sealed packs that have no pack record yet, and leaves damaged packs as they are,
     * reporting them ({@link PackRecovery}).
     */
    private void recoverPacks() throws IOException {
        new PackRecovery(db, packs).recoverAll();
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

    /**
     * Store-wide numbers. If the metadata database is damaged (a table that went bad while the
     * store was open: the open checks them all), every part that can still be counted is
     * counted, and the {@link Status#CORRUPT} thrown names the damage and carries those counts in
     * its message (the reply has no field for a partial answer).
     */
    public StoreStats stats() throws IOException {
        List<String> damage = new ArrayList<>();
        List<String> counted = new ArrayList<>();
        long live = 0;
        long trashed = 0;
        long logical = 0;
        long seriesCount = 0;
        try {
            for (ManifestId id : manifests.allIds()) {
                StoredManifest m = manifests.get(id);
                logical += m.header().logicalBytes();
                if (manifests.labels(id).inTrash()) {
                    trashed++;
                } else {
                    live++;
                }
            }
            seriesCount = manifests.seriesNames().size();
            counted.add(live + " checkpoints, " + trashed + " in the trash, " + seriesCount + " series, "
                    + logical + " logical bytes");
        } catch (CairnException e) {
            if (e.status() != Status.CORRUPT) {
                throw e;
            }
            damage.add("checkpoints: " + e.getMessage());
        }
        long chunkCount = 0;
        long chunkBytes = 0;
        try (MetaDb.Cursor c = db.scan(Cf.CHUNKS, null, null)) {
            while (c.next()) {
                chunkCount++;
                chunkBytes += dev.cairn.store.chunk.ChunkIndexCodec.decode(c.value()).location().rawLength();
            }
            counted.add(chunkCount + " chunks of " + chunkBytes + " bytes");
        } catch (CairnException e) {
            if (e.status() != Status.CORRUPT) {
                throw e;
            }
            damage.add("chunk index (read as far as " + chunkCount + " chunks): " + e.getMessage());
        }
        long packBytes = 0;
        List<PackInfo> all = packs.list();
        for (PackInfo p : all) {
            packBytes += p.size();
        }
        counted.add(all.size() + " packs of " + packBytes + " bytes");
        if (!damage.isEmpty()) {
            throw new CairnException(Status.CORRUPT, "stats: the metadata database is damaged: "
                    + String.join("; ", damage) + ". Counted: " + String.join(", ", counted)
                    + ". `cairn verify` lists the checkpoints affected; restart cairnd to have every table checked");
        }
        return new StoreStats(live, trashed, seriesCount, logical, chunkCount, chunkBytes, packBytes,
                all.size(), db.sizeOnDisk());
    }

    /** Checks the store; with {@code readData}, re-reads and re-hashes every chunk. */
    public VerifyReport verify(boolean readData) throws IOException {
        return new Verifier(this).run(readData);
    }

    /**
     * Restores the manifests, labels and deletions the catalog holds and RocksDB lacks, then
     * rebuilds the chunk index from the packs' footers; checkpoints whose chunks are in no pack
     * are marked damaged. Run only with no other activity; it takes the maintenance lock, so it
     * never overlaps a GC of this process.
     */
    public RebuildReport rebuildIndex() throws IOException {
        if (!maintenanceLock.tryLock()) {
            throw new CairnException(Status.CONFLICT, "a GC or another index rebuild is running on this store");
        }
        try {
            chunks.sealCurrent();
            CatalogRecovery.Report cr;
            synchronized (manifestMutex) {
                cr = new CatalogRecovery(this, catalog).run(false, false, true, List.of());
            }
            if (cr.rolledForward() > 0) {
                bumpMetadataGeneration();
            }
            RebuildReport r = new IndexRebuilder(this).run();
            return r.withCatalog(cr.rolledForward(), cr.damaged().size(), r.missingReferenced());
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

    /**
     * Batches all puts together may have between the cut and the end of their write ({@link
     * Ingest}): a batch holds up to 4 MiB of chunk data plus its compressed copies, so this bounds
     * the heap that concurrent puts take whatever their number (a quarter of the heap's limit, at
     * least one put's own window). Thread-safe.
     */
    final java.util.concurrent.Semaphore ingestBatches = new java.util.concurrent.Semaphore(Math.max(Ingest.MAX_IN_FLIGHT,
            (int) Math.min(1024, Runtime.getRuntime().maxMemory() / 4 / (2L * Ingest.BATCH_BYTES))));

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

    /** The headroom file GC releases on a full disk ({@code <data>/reserve}); created by the daemon. */
    public Reserve reserve() {
        return reserve;
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
                try {
                    catalog.close();
                } finally {
                    db.close();
                }
            }
        }
    }
}
