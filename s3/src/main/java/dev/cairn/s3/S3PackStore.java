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

    private final Bucket bucket;
    private final ObjectKeys keys;
    private final LocalPackStore local;
    private final Path tmpDir;
    private final PackCache cache;
    private final PackUploader uploader;
    private final ExecutorService partPool;
    /** Packs created here and not uploaded (being written, sealed or uploading). */
    private final Set<PackId> staging = ConcurrentHashMap.newKeySet();
    /** Object sizes of the packs known to be in the bucket (listing at open, uploads, list()). */
    private final Map<PackId, Long> remote = new ConcurrentHashMap<>();
    private final List<Closeable> onClose = new ArrayList<>();
    private volatile DeleteBarrier barrier = () -> { };
    private volatile MetadataBackup metadataBackup;
    private final AtomicInteger tmpCounter = new AtomicInteger();

    private S3PackStore(Bucket bucket, ObjectKeys keys, Path cacheDir, S3Settings s) throws IOException {
        this.bucket = bucket;
        this.keys = keys;
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
        this.uploader = new PackUploader(bucket, keys, s.multipartThreshold(), s.partBytes(), partPool);
    }

    /**
     * Opens the pack store of {@code keys}' prefix in {@code bucket}, caching under {@code cacheDir}.
     * Lists the bucket; keeps local copies of packs that are in it (they are the cache) and deletes
     * the rest (a crashed writer's staging files: nothing indexes a pack before its upload
     * completed); aborts multipart uploads left by a crashed writer.
     */
    public static S3PackStore open(Bucket bucket, ObjectKeys keys, Path cacheDir, S3Settings s) throws IOException {
        S3PackStore store = new S3PackStore(bucket, keys, cacheDir, s);
        try {
            store.start();
            return store;
        } catch (IOException | RuntimeException e) {
            store.closeLocal();
            throw e;
        }
    }

    private void start() throws IOException {
        refreshRemote();
        int kept = 0;
        for (PackInfo p : local.list()) {
            Long size = remote.get(p.id());
            if (size != null && size == p.size() && p.sealed()) {
                cache.addComplete(p.id(), size);
                kept++;
            } else {
                log.warn("deleting local pack {} ({} bytes, {}): it is not in the bucket, so a crash interrupted"
                        + " its upload and nothing refers to it", p.id(), p.size(), p.sealed() ? "sealed" : "unsealed");
                local.delete(p.id());
            }
        }
        for (Bucket.Upload u : bucket.multipartUploads(keys.packsPrefix())) {
            log.warn("aborting the multipart upload of {} left by an earlier run", u.key());
            bucket.abortMultipart(u.key(), u.uploadId());
        }
        log.info("packs in {} under {}: {} ({} cached locally)", bucket.name(), keys, remote.size(), kept);
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

    public ObjectKeys keys() {
        return keys;
    }

    @Override
    public PackWriter create() throws IOException {
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
            size = uploader.upload(id, local.pathOf(id));
        } catch (IOException | RuntimeException e) {
            abandon(id);
            throw e;
        }
        remote.put(id, size);
        // Cache entry before leaving staging, so a reader always finds a local copy or an entry.
        cache.addComplete(id, size);
        staging.remove(id);
        log.debug("uploaded pack {} ({} records, {} bytes)", id, idx.entries().size(), size);
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
        byte[] b = bucket.get(keys.pack(p), offset, length);
        if (b == null) {
            remote.remove(p);
            throw notFound(p);
        }
        return b;
    }

    private long remoteSize(PackId p) throws IOException {
        Long size = remote.get(p);
        if (size != null) {
            return size;
        }
        Bucket.ObjectInfo o = bucket.head(keys.pack(p));
        if (o == null) {
            throw notFound(p);
        }
        remote.put(p, o.size());
        return o.size();
    }

    private PackNotFoundException notFound(PackId p) {
        return new PackNotFoundException(p, "s3://" + bucket.name() + "/" + keys.pack(p), null);
    }

    /** The packs in the bucket (one listing), plus this store's packs that are still being written (unsealed). */
    @Override
    public List<PackInfo> list() throws IOException {
        Map<PackId, Long> listed = refreshRemote();
        List<PackInfo> out = new ArrayList<>(listed.size() + staging.size());
        listed.forEach((id, size) -> out.add(new PackInfo(id, size, true)));
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

    private Map<PackId, Long> refreshRemote() throws IOException {
        Map<PackId, Long> listed = new java.util.HashMap<>();
        for (Bucket.ObjectInfo o : bucket.list(keys.packsPrefix())) {
            PackId id = keys.packOf(o.key());
            if (id == null) {
                log.warn("ignoring unexpected object {} among the packs", o.key());
                continue;
            }
            listed.put(id, o.size());
        }
        // Merge rather than replace: an upload that completed during the listing stays known.
        remote.putAll(listed);
        return listed;
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
     * crashed writer's, kept by an index rebuild) is recovered locally and uploaded.
     */
    @Override
    public PackIndex recover(PackId id, long keep) throws IOException {
        if (remote.containsKey(id) || !Files.exists(local.pathOf(id))) {
            return readIndex(id);
        }
        staging.add(id);
        PackIndex idx = local.recover(id, keep);
        upload(idx);
        return idx;
    }

    @Override
    public void delete(PackId id) throws IOException {
        deleteAll(List.of(id));
    }

    /**
     * Deletes packs: staging files of packs never uploaded directly; objects after
     * {@code beforeDelete} (the metadata backup) in DeleteObjects batches of 1000, then their
     * local copies. Packs unknown to the bucket are skipped (already deleted).
     */
    @Override
    public void deleteAll(List<PackId> ids) throws IOException {
        List<PackId> objects = new ArrayList<>();
        for (PackId id : ids) {
            if (staging.contains(id)) {
                local.delete(id); // refuses a pack a writer still holds
                staging.remove(id);
            } else if (remote.containsKey(id)) {
                objects.add(id);
            } else {
                cache.remove(id);
            }
        }
        if (objects.isEmpty()) {
            return;
        }
        barrier.beforeDelete();
        List<String> objectKeys = new ArrayList<>(objects.size());
        objects.forEach(id -> objectKeys.add(keys.pack(id)));
        bucket.delete(objectKeys);
        for (PackId id : objects) {
            remote.remove(id);
            cache.remove(id);
        }
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
