package dev.cairn.s3;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.FileIo;
import dev.cairn.store.pack.LocalPackStore;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackInfo;
import dev.cairn.store.pack.PackNotFoundException;
import dev.cairn.store.pack.PackStore;
import dev.cairn.store.pack.PackWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Packs as objects in an S3-compatible bucket, with the local disk as staging area and cache
 * (docs/S3.md). A pack is written locally through {@link LocalPackStore}, sealed, uploaded
 * ({@link PackUploader}) and only then exists for everyone else: listed, readable by key,
 * indexable. Reads are served by the cache ({@link PackCache}: complete copies, or partial copies
 * filled with ranged GETs).
 *
 * <p>Durability: only a sealed and uploaded pack is durable ({@link #durableOnSync()} is false),
 * so a commit seals the open pack and waits for its upload before its manifest is written, and
 * GC's new packs are uploaded before its index switch. Deletions go to the bucket in batches
 * ({@link #deleteAll}), each preceded by {@code beforeDelete}: the metadata backup that makes the
 * switch itself recoverable, so a store restored from the bucket never names a deleted pack.
 *
 * <p>Ownership (docs/S3.md, "Ownership"): the store writes only to a prefix it owns
 * ({@link PrefixOwner}, checked before this store is opened and again before every deletion).
 * Its packs carry its store id in their keys ({@link ObjectKeys#pack(PackId, String)}), so a
 * listing tells its packs from another store's: {@link #list()} returns only this store's packs,
 * {@link #deleteAll} deletes only those, and unknown packs are reported, never deleted. Packs
 * written before keys carried a store id count as this store's if its chunk index references
 * them. Keys also carry the lease epoch the store held when it uploaded them; a key of this
 * store's id under a later epoch is a newer holder's (docs/S3.md, "Leases"): never listed as
 * this store's, never deleted, and it stops writes. Once writes stopped (another store or holder
 * on the prefix), or while the lease has lapsed, uploads and deletions fail.
 *
 * <p>Thread-safe, as {@link PackStore} requires. Owns the bucket client and the local store; the
 * hooks given to {@link #onClose} run first at {@link #close()} (the final metadata backup).
 */
public final class S3PackStore implements PackStore {
    private static final Logger log = LoggerFactory.getLogger(S3PackStore.class);
    /** Whole-object downloads (scans) go in ranged GETs of this size, each retried on its own. */
    private static final int DOWNLOAD_PIECE = 8 << 20;

    /** Runs before packs are deleted from the bucket; may fail, which stops the deletion. */
    public interface DeleteBarrier {
        void beforeDelete() throws IOException;
    }

    /** The packs the store's chunk index references (a scan of the index: call only when needed). */
    public interface IndexedPacks {
        Set<PackId> packs() throws IOException;

        /**
         * Every pack counts as referenced ({@code contains} is always true; nothing to iterate): for
         * a store whose chunk index is being rebuilt, when no pack may be taken for unreferenced.
         */
        IndexedPacks ALL = () -> new java.util.AbstractSet<>() {
            @Override
            public boolean contains(Object o) {
                return o instanceof PackId;
            }

            @Override
            public java.util.Iterator<PackId> iterator() {
                return java.util.Collections.emptyIterator();
            }

            @Override
            public int size() {
                return 0;
            }
        };
    }

    /**
     * A pack object this store may read: its key and size; legacy: a key without a store id;
     * epoch: the lease epoch in the key (0 for keys written before keys carried one).
     */
    private record Remote(String key, long size, boolean legacy, long epoch) {
    }

    /** One listing of the packs: readable ones by id, and the keys of other stores' packs. */
    private record Listing(Map<PackId, Remote> readable, List<String> otherStores) {
    }

    private final Bucket bucket;
    private final ObjectKeys keys;
    private final PrefixOwner owner;
    private final String storeId;
    private final IndexedPacks indexed;
    private final LocalPackStore local;
    private final Path tmpDir;
    private final PackCache cache;
    private final PackUploader uploader;
    private final ExecutorService partPool;
    /**
     * Packs whose local file is the one to use, not uploaded: being written, sealed or uploading,
     * and packs the index references that the bucket lacks until they are uploaded again.
     */
    private final Set<PackId> staging = ConcurrentHashMap.newKeySet();
    /**
     * Keys and sizes of the packs known to be in the bucket that this store may read: its own and
     * those without a store id (listing at open, uploads, list()); never other stores' packs.
     */
    private final Map<PackId, Remote> remote = new ConcurrentHashMap<>();
    /** The epochs in this store's pack keys that listings found (a handful: one per lease acquisition). */
    private final Set<Long> epochsSeen = ConcurrentHashMap.newKeySet();
    /**
     * Packs without a store id in their key that the chunk index referenced when they were
     * listed: this store's, written by an earlier Cairn. Only these and packs whose key carries
     * this store's id are ever deleted.
     */
    private final Set<PackId> legacyOwned = ConcurrentHashMap.newKeySet();
    /** Keys of the packs the last listing found that are not this store's (reported, never deleted). */
    private volatile List<String> unknown = List.of();
    private final List<Closeable> onClose = new ArrayList<>();
    private volatile DeleteBarrier barrier = () -> { };
    private volatile MetadataBackup metadataBackup;
    private final AtomicInteger tmpCounter = new AtomicInteger();

    private S3PackStore(Bucket bucket, ObjectKeys keys, Path cacheDir, S3Settings s, PrefixOwner owner,
                        IndexedPacks indexed) throws IOException {
        this.bucket = bucket;
        this.keys = keys;
        this.owner = owner;
        this.storeId = owner.storeId();
        this.indexed = indexed;
        this.local = new LocalPackStore(cacheDir);
        Path partialDir = cacheDir.resolve("partial");
        this.tmpDir = cacheDir.resolve("tmp");
        LocalFiles.deleteTree(partialDir);
        LocalFiles.deleteTree(tmpDir);
        Files.createDirectories(partialDir);
        Files.createDirectories(tmpDir);
        this.cache = new PackCache(local, partialDir, s.cacheBytes());
        AtomicInteger n = new AtomicInteger();
        this.partPool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "cairn-s3-part-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.uploader = new PackUploader(bucket, s.multipartThreshold(), s.partBytes(), partPool);
    }

    /**
     * Opens the pack store of {@code keys}' prefix in {@code bucket}, caching under {@code cacheDir},
     * for the store holding {@code owner} (its claim on the prefix, checked by
     * {@link PrefixOwner#claim}). Lists the bucket; keeps local copies of packs that are in it
     * (they are the cache); uploads again local packs that are missing from the bucket but that
     * the chunk index ({@code indexed}) references; deletes the other local packs (a crashed
     * writer's staging files: nothing indexes a pack before its upload completed); aborts this
     * store's multipart uploads left by a crash, and no other store's.
     */
    public static S3PackStore open(Bucket bucket, ObjectKeys keys, Path cacheDir, S3Settings s, PrefixOwner owner,
                                   IndexedPacks indexed) throws IOException {
        S3PackStore store = new S3PackStore(bucket, keys, cacheDir, s, owner, indexed);
        try {
            store.start();
            return store;
        } catch (IOException | RuntimeException e) {
            store.closeLocal();
            throw e;
        }
    }

    private void start() throws IOException {
        Listing listing = refreshRemote();
        int kept = 0;
        int uploaded = 0;
        Set<PackId> referenced = null;
        for (PackInfo p : local.list()) {
            Remote r = remote.get(p.id());
            if (r != null && r.size() == p.size() && p.sealed()) {
                cache.addComplete(p.id(), r.size());
                kept++;
                continue;
            }
            if (referenced == null) {
                referenced = indexed.packs();
            }
            if (!referenced.contains(p.id())) {
                log.warn("deleting local pack {} ({} bytes, {}): it is not in the bucket{} and this store's index does"
                        + " not reference it, so a crash interrupted its upload", p.id(), p.size(),
                        p.sealed() ? "sealed" : "unsealed", r == null ? "" : " as it is here");
                local.delete(p.id());
            } else if (r != null) {
                log.error("local pack {} ({} bytes) and its object {} ({} bytes) differ in size, and this store's index"
                        + " references the pack: keeping the local file untouched, reading the object; run verify",
                        p.id(), p.size(), r.key(), r.size());
            } else if (reupload(p)) {
                uploaded++;
            }
        }
        int others = 0;
        for (Bucket.Upload u : bucket.multipartUploads(keys.packsPrefix())) {
            ObjectKeys.PackKey k = keys.parsePack(u.key());
            if (k != null && storeId.equals(k.storeId()) && k.epoch() <= owner.epoch()) {
                log.warn("aborting the multipart upload of {} left by an earlier run", u.key());
                bucket.abortMultipart(u.key(), u.uploadId());
            } else {
                others++;
                log.info("leaving the multipart upload of {} alone: its key does not carry this store's id and an epoch up"
                        + " to this store's ({})", u.key(), owner.epoch());
            }
        }
        log.info("packs in {} under {}: {} of this store's or without a store id ({} cached locally, {} uploaded again),"
                        + " {} of other stores; {} multipart uploads not this store's", bucket.name(), keys, remote.size(),
                kept, uploaded, listing.otherStores().size(), others);
    }

    /**
     * Puts back a local pack that the index references but the bucket lacks (deleted by someone
     * else, or an object lost): never deletes the local copy, which may be the last one. While it
     * is not uploaded it stays a staging pack, so reads are served from it and GC leaves it alone;
     * an unsealed one is recovered and uploaded by the repository's open ({@link #recover}).
     *
     * @return whether it is in the bucket now
     */
    private boolean reupload(PackInfo p) {
        staging.add(p.id());
        if (!p.sealed()) {
            log.warn("local pack {} ({} bytes) is unsealed, referenced by this store's index and not in the bucket:"
                    + " it is recovered and uploaded when the store opens", p.id(), p.size());
            return false;
        }
        log.warn("pack {} ({} bytes) is referenced by this store's index but missing from the bucket: uploading the"
                + " local copy again", p.id(), p.size());
        try {
            local.readIndex(p.id()); // footer checksum: the copy is a whole sealed pack
            putObject(p.id());
            return true;
        } catch (IOException | RuntimeException e) {
            log.error("uploading local pack {} again failed: {}. The local copy stays and serves reads; the next start"
                    + " tries again", p.id(), e.toString());
            return false;
        }
    }

    /** Sets what runs before packs are deleted from the bucket (the metadata backup). */
    public void setDeleteBarrier(DeleteBarrier b) {
        this.barrier = b;
    }

    /**
     * Attaches the store's metadata backup: it runs before every deletion from the bucket (see
     * the class comment) and takes its final backup first thing at {@link #close()}.
     */
    public void attach(MetadataBackup backup) {
        this.metadataBackup = backup;
        setDeleteBarrier(backup::backupIfChanged);
        onClose(backup);
    }

    /** The attached metadata backup, or null. */
    public MetadataBackup metadataBackup() {
        return metadataBackup;
    }

    /** Registers something to close first at {@link #close()}, in registration order. */
    public synchronized void onClose(Closeable c) {
        onClose.add(c);
    }

    public Bucket bucket() {
        return bucket;
    }

    /** This store's claim on its prefix. */
    public PrefixOwner owner() {
        return owner;
    }

    /** Why this store stopped writing to its prefix, or null while it writes. */
    public String writesStopped() {
        return owner.stoppedReason();
    }

    /** The key pack {@code id} has (or gets) in the bucket. */
    public String keyOf(PackId id) {
        Remote r = remote.get(id);
        return r != null ? r.key() : keys.pack(id, storeId, owner.epoch());
    }

    /**
     * Keys of the packs the last {@link #list()} found under the prefix that are not this
     * store's: other stores' packs, and packs without a store id that its index does not
     * reference. They are never deleted by this store.
     */
    public List<String> unknownPacks() {
        return unknown;
    }

    public ObjectKeys keys() {
        return keys;
    }

    @Override
    public PackWriter create() throws IOException {
        owner.checkWritable();
        PackWriter w = local.create();
        staging.add(w.id());
        return new S3PackWriter(this, w);
    }

    /** False: only sealed, uploaded packs are durable here (see the class comment). */
    @Override
    public boolean durableOnSync() {
        return false;
    }

    /** Uploads a locally sealed pack; the pack is listed and cached once this returns. */
    void upload(PackIndex idx) throws IOException {
        PackId id = idx.pack();
        long size;
        try {
            size = putObject(id);
        } catch (IOException | RuntimeException e) {
            abandon(id);
            throw e;
        }
        log.debug("uploaded pack {} ({} records, {} bytes)", id, idx.entries().size(), size);
    }

    /** Uploads the local file of a staging pack under this store's key; it is listed and cached when this returns. */
    private long putObject(PackId id) throws IOException {
        owner.checkWritable();
        long epoch = owner.epoch();
        String key = keys.pack(id, storeId, epoch);
        long size = uploader.upload(id, key, local.pathOf(id));
        remote.put(id, new Remote(key, size, false, epoch));
        // Cache entry before leaving staging, so a reader always finds a local copy or an entry.
        cache.addComplete(id, size);
        staging.remove(id);
        return size;
    }

    /** Drops the staging file of a pack that will not be uploaded; a no-op for uploaded packs. */
    void abandon(PackId id) {
        if (!staging.remove(id)) {
            return;
        }
        try {
            Files.deleteIfExists(local.pathOf(id));
        } catch (IOException e) {
            log.warn("could not delete the staging file of abandoned pack {}: {}", id, e.toString());
        }
    }

    @Override
    public EncodedChunk read(ChunkLocation loc, ChunkId expectedId) throws IOException {
        return read(loc, expectedId, null);
    }

    /** {@inheritDoc} Uses {@code scratch} as {@link LocalPackStore#read(ChunkLocation, ChunkId, byte[])} does. */
    @Override
    public EncodedChunk read(ChunkLocation loc, ChunkId expectedId, byte[] scratch) throws IOException {
        PackId p = loc.pack();
        if (staging.contains(p)) {
            try {
                return local.read(loc, expectedId, scratch); // a pending chunk, not uploaded yet
            } catch (PackNotFoundException e) {
                // uploaded and evicted meanwhile: read it from the bucket
            }
        }
        PackCache.Entry e = pinOrPartial(p);
        try {
            if (e.complete()) {
                return local.read(loc, expectedId, scratch);
            }
            return e.partial.read(loc, expectedId, scratch, (off, len) -> fetch(p, off, len));
        } finally {
            cache.unpin(e);
        }
    }

    private PackCache.Entry pinOrPartial(PackId p) throws IOException {
        PackCache.Entry e = cache.pin(p);
        return e != null ? e : cache.pinOrCreatePartial(p, remoteSize(p));
    }

    private byte[] fetch(PackId p, long offset, int length) throws IOException {
        byte[] b = bucket.get(keyOf(p), offset, length);
        if (b == null) {
            remote.remove(p);
            throw notFound(p);
        }
        return b;
    }

    private long remoteSize(PackId p) throws IOException {
        Remote r = remote.get(p);
        if (r != null) {
            return r.size();
        }
        // Not listed (the listing at open or the last list() predates it, or the object is gone):
        // this store's key under its own epoch, then under the epochs listings found, newest
        // first, then without an epoch, then without a store id. A few HEADs, never a listing.
        List<Long> epochs = new ArrayList<>(epochsSeen);
        epochs.add(owner.epoch());
        epochs.add(0L);
        epochs.sort(Comparator.reverseOrder());
        long last = -1;
        for (long e : epochs) {
            if (e == last || e > owner.epoch()) {
                continue;
            }
            last = e;
            Bucket.ObjectInfo o = bucket.head(e == 0 ? keys.packWithoutEpoch(p, storeId) : keys.pack(p, storeId, e));
            if (o != null) {
                remote.putIfAbsent(p, new Remote(o.key(), o.size(), false, e));
                return o.size();
            }
        }
        Bucket.ObjectInfo o = bucket.head(keys.legacyPack(p));
        if (o == null) {
            throw notFound(p);
        }
        remote.putIfAbsent(p, new Remote(o.key(), o.size(), true, 0));
        return o.size();
    }

    private PackNotFoundException notFound(PackId p) {
        return new PackNotFoundException(p, "s3://" + bucket.name() + "/" + keyOf(p), null);
    }

    /**
     * This store's packs in the bucket (one listing: keys carrying its store id, and keys without
     * a store id that its chunk index references), plus its packs that are still being written
     * (unsealed). Other packs under the prefix are left out, so GC never deletes them, and
     * reported ({@link #unknownPacks()}, a warning).
     */
    @Override
    public List<PackInfo> list() throws IOException {
        Listing listing = refreshRemote();
        Map<PackId, Remote> listed = listing.readable();
        List<String> notOurs = new ArrayList<>(listing.otherStores());
        boolean unsure = false;
        for (Map.Entry<PackId, Remote> e : listed.entrySet()) {
            unsure |= e.getValue().legacy() && !legacyOwned.contains(e.getKey());
        }
        if (unsure) {
            Set<PackId> referenced = indexed.packs();
            for (Map.Entry<PackId, Remote> e : listed.entrySet()) {
                if (e.getValue().legacy() && referenced.contains(e.getKey())) {
                    legacyOwned.add(e.getKey());
                }
            }
        }
        List<PackInfo> out = new ArrayList<>(listed.size() + staging.size());
        int legacyUnknown = 0;
        for (Map.Entry<PackId, Remote> e : listed.entrySet()) {
            Remote r = e.getValue();
            if (!r.legacy() || legacyOwned.contains(e.getKey())) {
                out.add(new PackInfo(e.getKey(), r.size(), true));
            } else {
                notOurs.add(r.key());
                legacyUnknown++;
            }
        }
        notOurs.sort(null);
        boolean changed = !notOurs.equals(unknown);
        unknown = List.copyOf(notOurs);
        // A warning when the set changes, not at every listing (stats list the packs every 30 s).
        if (!notOurs.isEmpty() && changed) {
            log.warn("{} packs under s3://{}/{} are not this store's ({} of other stores, {} without a store id that this"
                    + " store's index does not reference), e.g. {}: this store never deletes them", notOurs.size(),
                    bucket.name(), keys, listing.otherStores().size(), legacyUnknown, notOurs.get(0));
        }
        for (PackId id : staging) {
            if (!listed.containsKey(id)) {
                try {
                    out.add(new PackInfo(id, Files.size(local.pathOf(id)), false));
                } catch (NoSuchFileException e) {
                    // uploaded or abandoned meanwhile
                }
            }
        }
        out.sort(Comparator.comparing(PackInfo::id));
        return out;
    }

    private Listing refreshRemote() throws IOException {
        Map<PackId, Remote> listed = new java.util.HashMap<>();
        List<String> others = new ArrayList<>();
        long mine = owner.epoch();
        String newer = null;
        for (Bucket.ObjectInfo o : bucket.list(keys.packsPrefix())) {
            ObjectKeys.PackKey k = keys.parsePack(o.key());
            if (k == null) {
                log.warn("ignoring unexpected object {} among the packs (never deleted)", o.key());
            } else if (k.legacy()) {
                listed.putIfAbsent(k.id(), new Remote(o.key(), o.size(), true, 0));
            } else if (k.storeId().equals(storeId) && k.epoch() <= mine) {
                epochsSeen.add(k.epoch());
                // This store's key wins over one without store id; of two keys of one pack
                // (uploaded again under a later epoch), the later epoch's.
                listed.merge(k.id(), new Remote(o.key(), o.size(), false, k.epoch()), S3PackStore::preferred);
            } else {
                if (k.storeId().equals(storeId)) {
                    newer = o.key();
                }
                others.add(o.key());
            }
        }
        if (newer != null) {
            // Only a later holder of this store's lease writes such keys: it took the prefix.
            owner.stop("the bucket holds " + newer + ", a pack of this store under a later lease epoch than this"
                    + " daemon's (" + mine + "): another daemon took over this store's lease");
        }
        // Merge rather than replace: an upload that completed during the listing stays known,
        // and a key of this store's is never replaced by one without a store id.
        listed.forEach((id, r) -> remote.merge(id, r, S3PackStore::preferred));
        return new Listing(listed, others);
    }

    /** Of two keys of one pack, the one to read and delete: a store id over none, then the later epoch. */
    private static Remote preferred(Remote a, Remote b) {
        if (a.legacy() != b.legacy()) {
            return a.legacy() ? b : a;
        }
        return b.epoch() >= a.epoch() ? b : a;
    }

    @Override
    public PackIndex readIndex(PackId id) throws IOException {
        if (staging.contains(id)) {
            try {
                return local.readIndex(id);
            } catch (PackNotFoundException e) {
                // uploaded and evicted meanwhile
            }
        }
        PackCache.Entry e = pinOrPartial(id);
        try {
            if (e.complete()) {
                return local.readIndex(id);
            }
            return e.partial.readIndex((off, len) -> fetch(id, off, len));
        } finally {
            cache.unpin(e);
        }
    }

    /** Scans a complete local copy, downloading the whole object first if there is none. */
    @Override
    public void scan(PackId id, RecordVisitor visitor) throws IOException {
        if (staging.contains(id)) {
            try {
                local.scan(id, visitor);
                return;
            } catch (PackNotFoundException e) {
                // uploaded and evicted meanwhile
            }
        }
        PackCache.Entry e = pinComplete(id);
        try {
            local.scan(id, visitor);
        } finally {
            cache.unpin(e);
        }
    }

    /** A pinned complete local copy of a remote pack, downloaded if needed. */
    private PackCache.Entry pinComplete(PackId id) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            PackCache.Entry e = cache.pin(id);
            if (e != null && e.complete()) {
                return e;
            }
            if (e != null) {
                cache.unpin(e);
            }
            download(id);
        }
        throw new IOException("pack " + id + " was evicted from the cache three times while downloading it;"
                + " the cache is too small for the packs read concurrently");
    }

    private void download(PackId id) throws IOException {
        long size = remoteSize(id);
        Path tmp = tmpDir.resolve(id.toHex() + "." + tmpCounter.incrementAndGet() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (long off = 0; off < size; off += DOWNLOAD_PIECE) {
                    FileIo.writeFully(ch, ByteBuffer.wrap(fetch(id, off, (int) Math.min(DOWNLOAD_PIECE, size - off))), off);
                }
            }
            Path target = local.pathOf(id);
            cache.installComplete(id, size, () -> {
                Files.createDirectories(target.getParent());
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            });
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Remote packs are always sealed, so this only reads their index. A local unsealed pack (a
     * crashed writer's, kept by an index rebuild, or one the index references) is recovered
     * locally and uploaded. If the upload fails the local file stays (its records may be
     * indexed), as a staging pack that serves reads.
     */
    @Override
    public PackIndex recover(PackId id, long keep) throws IOException {
        if (remote.containsKey(id) || !Files.exists(local.pathOf(id))) {
            return readIndex(id);
        }
        staging.add(id);
        PackIndex idx = local.recover(id, keep);
        putObject(id);
        return idx;
    }

    @Override
    public void delete(PackId id) throws IOException {
        deleteAll(List.of(id));
    }

    /**
     * Deletes packs: staging files of packs never uploaded directly; this store's objects after
     * {@code beforeDelete} (the metadata backup) and a check that it still owns the prefix, in
     * DeleteObjects batches of 1000, then their local copies. Packs not in the bucket are skipped
     * (already deleted, or another store's: those are not in this store's view at all); packs
     * without a store id that are not known to be this store's are refused (logged, kept).
     */
    @Override
    public void deleteAll(List<PackId> ids) throws IOException {
        List<PackId> objects = new ArrayList<>();
        List<String> objectKeys = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        List<PackId> staged = new ArrayList<>();
        List<PackId> notInBucket = new ArrayList<>();
        for (PackId id : ids) {
            Remote r = remote.get(id);
            if (staging.contains(id)) {
                staged.add(id);
            } else if (r != null && ((!r.legacy() && r.epoch() <= owner.epoch()) || legacyOwned.contains(id))) {
                objects.add(id);
                objectKeys.add(r.key());
            } else if (r != null) {
                refused.add(r.key());
            } else {
                notInBucket.add(id);
            }
        }
        if (!staged.isEmpty()) {
            local.deleteAll(staged); // refuses (deleting none) if a writer still holds one
            staged.forEach(staging::remove);
        }
        cache.removeAll(notInBucket);
        if (!refused.isEmpty()) {
            log.warn("not deleting {} packs without a store id in their key that this store's index did not reference"
                    + " when they were listed (they may be another store's), e.g. {}", refused.size(), refused.get(0));
        }
        if (objects.isEmpty()) {
            return;
        }
        owner.checkWritable();
        barrier.beforeDelete();
        owner.checkOwner("deleting " + objects.size() + " packs");
        bucket.delete(objectKeys); // DeleteObjects, 1000 keys per request
        for (PackId id : objects) {
            remote.remove(id);
            legacyOwned.remove(id);
        }
        cache.removeAll(objects);
        log.debug("deleted {} packs from the bucket", objects.size());
    }

    /** Bytes held by the local cache (complete and partial copies). */
    public long cachedBytes() {
        return cache.usedBytes();
    }

    /** Cache entries evicted so far. */
    public long cacheEvictions() {
        return cache.evictions();
    }

    /**
     * Runs the close hooks (the final metadata backup), then drops partial copies and closes the
     * local store, the part uploaders and the bucket client.
     */
    @Override
    public void close() throws IOException {
        IOException failure = null;
        List<Closeable> hooks;
        synchronized (this) {
            hooks = List.copyOf(onClose);
            onClose.clear();
        }
        for (Closeable c : hooks) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                log.error("closing {} failed: {}", c, e.toString());
                if (failure == null) {
                    failure = e instanceof IOException io ? io : new IOException(e);
                }
            }
        }
        closeLocal();
        if (failure != null) {
            throw failure;
        }
    }

    private void closeLocal() {
        owner.close();
        cache.closePartials();
        local.close();
        partPool.shutdownNow();
        bucket.close();
    }

    @Override
    public String toString() {
        return "S3PackStore[s3://" + bucket.name() + "/" + keys + "]";
    }
}
