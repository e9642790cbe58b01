package dev.cairn.store.chunk;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.util.FaultPoints;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackStore;
import dev.cairn.store.pack.PackWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Chunk storage: appends chunk records to packs, indexes them in RocksDB, finds and reads them.
 *
 * <p>A chunk is <em>pending</em> from its append until its pack is durable and its index entry
 * written; pending chunks are found through an in-memory map, so concurrent sessions dedup
 * against each other at once. Ordering (docs/FORMAT.md, "Ordering rules"): a chunk's index entry
 * is written only after the pack bytes holding it are synced, and {@link #flush()} returns only
 * when every chunk appended before the call is durable and indexed. A commit calls it before its
 * own synced batch.
 *
 * <p>Thread-safe. Appends are serialised by one lock around the current pack writer; hashing,
 * compression and reads run outside it. Full packs are sealed on a background thread.
 */
public final class ChunkStore implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ChunkStore.class);

    private final PackStore packs;
    private final MetaDb db;
    private final long packTargetBytes;
    private final AtomicLong epoch;
    private final AtomicLong sealFailures = new AtomicLong();

    private final ConcurrentHashMap<ChunkId, ChunkLocation> pending = new ConcurrentHashMap<>();
    private final java.util.concurrent.locks.ReentrantReadWriteLock indexLock =
            new java.util.concurrent.locks.ReentrantReadWriteLock();
    private volatile java.util.Set<Long> gcProtected;
    /**
     * Packs handed to the sealer and not yet indexed. Concurrent, not guarded by writeLock: the
     * sealer must never wait for writeLock, because a writer holding it may wait for the sealer
     * (for the pack created ahead).
     */
    private final java.util.Set<dev.cairn.store.pack.PackId> sealingPacks = ConcurrentHashMap.newKeySet();
    private final ReentrantLock writeLock = new ReentrantLock();
    /** The pack being filled; guarded by writeLock. */
    private OpenPack current;
    /**
     * The next pack, created ahead on the sealer thread: creating a pack syncs its header and
     * directory entry, and that must not stall the writers. Guarded by writeLock.
     */
    private Future<PackWriter> spare;
    /** Seals of rolled packs still running; guarded by writeLock. */
    private final List<Future<?>> sealing = new ArrayList<>();
    private final ExecutorService sealer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cairn-pack-sealer");
        t.setDaemon(true);
        return t;
    });

    /** A pack writer and the records not yet indexed. */
    private static final class OpenPack {
        final PackWriter writer;
        final List<PackIndex.Entry> unindexed = new ArrayList<>();

        OpenPack(PackWriter writer) {
            this.writer = writer;
        }
    }

    public ChunkStore(PackStore packs, MetaDb db, long packTargetBytes, long epoch) {
        this.packs = packs;
        this.db = db;
        this.packTargetBytes = packTargetBytes;
        this.epoch = new AtomicLong(epoch);
    }

    /** The GC epoch new index entries are stamped with. */
    public long epoch() {
        return epoch.get();
    }

    /**
     * Starts a new GC epoch (the collector persists it first) and returns it. Waits for index
     * writes in progress (they hold the index lock's read side from reading the epoch to their
     * write): when this returns, every entry stamped with an older epoch is in the index, where
     * the GC's sweep sees it, and every later one gets the new epoch. Otherwise an entry stamped
     * just before could land after the sweep passed, keep its old epoch, and, if its upload then
     * aborts, be an unreferenced chunk nothing accounts for (docs/GC.md, "What GC may free").
     */
    public long advanceEpoch(long to) {
        indexLock.writeLock().lock();
        try {
            epoch.accumulateAndGet(to, Math::max);
            return epoch.get();
        } finally {
            indexLock.writeLock().unlock();
        }
    }

    /**
     * Where a chunk lives (pending or indexed), or null if the store does not have it. An indexed
     * hit during a GC protects the chunk from that GC's sweep (the caller is about to use it).
     */
    public ChunkLocation locate(ChunkId id) throws CairnException {
        // Pending first: a chunk leaves the pending map only after its index entry is written, so
        // one that is not pending now is either indexed already or not stored at all.
        ChunkLocation p = pending.get(id);
        if (p != null) {
            return p;
        }
        indexLock.readLock().lock();
        try {
            byte[] v = db.get(Cf.CHUNKS, Keys.chunk(id));
            if (v == null) {
                return null;
            }
            protect(id);
            return ChunkIndexCodec.decode(v).location();
        } finally {
            indexLock.readLock().unlock();
        }
    }

    /**
     * For each id, whether the store has the chunk (pending or indexed): one RocksDB multi-get.
     * Like {@link #locate}, indexed hits during a GC are protected from its sweep.
     */
    public boolean[] contains(List<ChunkId> ids) throws CairnException {
        int[] lengths = rawLengths(ids);
        boolean[] have = new boolean[lengths.length];
        for (int i = 0; i < have.length; i++) {
            have[i] = lengths[i] >= 0;
        }
        return have;
    }

    /** Whether the index has {@code id}; a hit is protected from a running GC, as in {@link #locate}. */
    private boolean indexed(ChunkId id) throws CairnException {
        indexLock.readLock().lock();
        try {
            if (db.get(Cf.CHUNKS, Keys.chunk(id)) == null) {
                return false;
            }
            protect(id);
            return true;
        } finally {
            indexLock.readLock().unlock();
        }
    }

    private void protect(ChunkId id) {
        java.util.Set<Long> p = gcProtected;
        if (p != null) {
            p.add(id.prefix64());
        }
    }

    /**
     * Starts recording every indexed chunk that is found (a dedup hit or a read) into a fresh set,
     * which a running GC must not sweep. Returns the set; {@link #stopProtecting} ends it.
     */
    public java.util.Set<Long> startProtecting() {
        java.util.Set<Long> set = ConcurrentHashMap.newKeySet();
        gcProtected = set;
        return set;
    }

    public void stopProtecting() {
        gcProtected = null;
    }

    /**
     * The lock that orders index lookups against a GC's index switch: lookups and commits hold it
     * shared, the switch exclusively, so a chunk found present is either protected before the
     * switch decides, or found absent after it.
     */
    public java.util.concurrent.locks.ReentrantReadWriteLock indexLock() {
        return indexLock;
    }

    /**
     * Packs a writer still owns: the open pack, the one created ahead, and packs being sealed
     * (their chunks are not indexed yet). GC and index rebuilds leave them alone.
     */
    public java.util.Set<dev.cairn.store.pack.PackId> packsInUse() {
        java.util.Set<dev.cairn.store.pack.PackId> out = new java.util.HashSet<>();
        writeLock.lock();
        try {
            if (current != null) {
                out.add(current.writer.id());
            }
            if (spare != null && spare.isDone() && !spare.isCancelled()) {
                try {
                    out.add(spare.get().id());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException e) {
                    // no spare after all
                }
            }
        } finally {
            writeLock.unlock();
        }
        // A spare still being created is not listed: it is unsealed, and GC and rebuilds only
        // touch sealed packs or skip unsealed ones they cannot recover.
        out.addAll(sealingPacks);
        return out;
    }

    /**
     * For each id, the raw length of the stored chunk (pending or indexed), or -1 if the store
     * does not have it. One RocksDB multi-get; lets a caller check refs sent by a remote writer.
     * Indexed hits during a GC are protected from its sweep (see {@link #locate}).
     */
    public int[] rawLengths(List<ChunkId> ids) throws CairnException {
        int[] lengths = new int[ids.size()];
        // The pending map first, the index second: index() writes the index before it drops a
        // chunk from the pending map, so a chunk absent from the map when we look is either new
        // (legitimately absent) or already in the index when the multi-get reads it. The other
        // order misses chunks whose pack was indexed between the two lookups.
        List<byte[]> keys = new ArrayList<>(ids.size());
        for (int i = 0; i < lengths.length; i++) {
            ChunkLocation p = pending.get(ids.get(i));
            lengths[i] = p == null ? -1 : p.rawLength();
            keys.add(Keys.chunk(ids.get(i)));
        }
        indexLock.readLock().lock();
        try {
            List<byte[]> values = db.multiGet(Cf.CHUNKS, keys);
            for (int i = 0; i < lengths.length; i++) {
                byte[] v = values.get(i);
                if (lengths[i] < 0 && v != null) {
                    lengths[i] = ChunkIndexCodec.decode(v).location().rawLength();
                    protect(ids.get(i));
                }
            }
        } finally {
            indexLock.readLock().unlock();
        }
        return lengths;
    }

    /**
     * Appends a chunk unless the store has it already (pending or indexed). The caller has looked
     * the chunk up and, for untrusted input, checked that {@code chunk} decodes to bytes hashing
     * to {@code id}.
     *
     * <p>The caller's lookup may be stale: another writer may have stored the chunk since, and had
     * it indexed (a commit's flush). So the index is checked again here, under the append lock:
     * a second record of a chunk would be a copy the index does not point at, which GC cannot
     * account for once the chunk is freed (the sweep frees one entry and accounts for the record
     * it names; docs/GC.md, "What GC may free"), and its pack would be kept as unexplained. An
     * indexed hit here is protected from a running GC's sweep, as any lookup is.
     *
     * @return true if a record was appended
     */
    public boolean store(ChunkId id, EncodedChunk chunk) throws IOException {
        writeLock.lock();
        try {
            // Pending first, then the index: index() writes the entry before it drops the chunk
            // from the pending map, so one that is in neither is not stored.
            if (pending.containsKey(id) || indexed(id)) {
                return false;
            }
            if (current == null) {
                current = new OpenPack(nextWriter());
            }
            ChunkLocation loc = current.writer.append(id, chunk);
            FaultPoints.reach("chunk.after-append");
            current.unindexed.add(new PackIndex.Entry(id, loc));
            pending.put(id, loc);
            if (current.writer.size() >= packTargetBytes) {
                roll();
            }
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Makes every chunk appended before this call durable and indexed: syncs the current pack,
     * writes its new index entries, and waits for packs being sealed. Index writes are not synced
     * themselves; the caller's synced commit batch, later in the same WAL, makes them durable.
     */
    public void flush() throws IOException {
        List<Future<?>> waitFor;
        writeLock.lock();
        try {
            if (current != null && !current.unindexed.isEmpty()) {
                if (packs.durableOnSync()) {
                    current.writer.sync();
                    FaultPoints.reach("chunk.after-sync");
                    index(current.unindexed, null);
                    current.unindexed.clear();
                } else {
                    // Only a sealed pack is durable in this backend (object storage: uploaded), so
                    // the commit seals the open pack and waits for it below; small packs that
                    // this leaves are the price of a commit that is durable where the data lives.
                    roll();
                }
            }
            // A seal that failed before this flush is not this flush's to report: the sessions
            // whose chunks it held see the failure count move and re-check them at commit. Left
            // in the list, it would fail every later flush until the next roll.
            sealing.removeIf(Future::isDone);
            waitFor = new ArrayList<>(sealing);
        } finally {
            writeLock.unlock();
        }
        for (Future<?> f : waitFor) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CairnException(Status.CANCELLED, "interrupted while waiting for a pack to be sealed");
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof IOException io) {
                    throw io;
                }
                throw new CairnException(Status.INTERNAL, "sealing a pack failed: " + c, c);
            }
        }
    }

    /**
     * Reads a chunk's stored payload (CRC-checked by the pack layer). If GC moved the chunk to a new
     * pack and deleted the old one between the lookup and the read, the lookup is repeated.
     */
    public EncodedChunk readEncoded(ChunkId id) throws IOException {
        ChunkLocation loc = locate(id);
        for (int attempt = 0; ; attempt++) {
            if (loc == null) {
                throw new CairnException(Status.MISSING_CHUNKS, "chunk " + id.shortHex() + " is not in the store");
            }
            try {
                return packs.read(loc, id);
            } catch (dev.cairn.store.pack.PackNotFoundException e) {
                ChunkLocation again = locate(id);
                if (attempt >= 3 || again == null || again.equals(loc)) {
                    // The index names a pack that is gone: stored data was lost, not an I/O hiccup.
                    throw new CairnException(Status.CORRUPT, "chunk " + id.shortHex() + " is indexed in pack "
                            + loc.pack() + " at offset " + loc.offset() + ", which is missing: " + e.getMessage(), e);
                }
                loc = again;
            } catch (dev.cairn.store.pack.CorruptPackException e) {
                // Names pack, offset, expected and actual value; CORRUPT, not IO_ERROR, for clients.
                throw new CairnException(Status.CORRUPT, "chunk " + id.shortHex() + " is damaged: " + e.getMessage(), e);
            }
        }
    }


    /**
     * Reads and decodes a chunk. With {@code verifyHash} the raw bytes are re-hashed and compared
     * with the id (SHA-256), catching damage the record CRC cannot (a wrong but self-consistent record).
     */
    public byte[] read(ChunkId id, boolean verifyHash) throws IOException {
        EncodedChunk e = readEncoded(id);
        byte[] raw = decode(id, e);
        if (verifyHash) {
            ChunkId actual = ChunkId.of(raw, 0, raw.length);
            if (!actual.equals(id)) {
                throw new CairnException(Status.CORRUPT, "chunk " + id.shortHex() + " is damaged: its bytes hash to "
                        + actual.shortHex());
            }
        }
        return raw;
    }

    /** Decodes a stored payload, turning codec failures into {@link Status#CORRUPT}. */
    public static byte[] decode(ChunkId id, EncodedChunk e) throws CairnException {
        try {
            return ChunkCodec.shared().decode(e);
        } catch (dev.cairn.protocol.chunk.CorruptChunkException | RuntimeException ex) {
            throw new CairnException(Status.CORRUPT, "chunk " + id.shortHex() + " does not decode: " + ex.getMessage(), ex);
        }
    }

    /** Seals the current pack (if any) and waits for all seals; used at shutdown and by tests. */
    public void sealCurrent() throws IOException {
        writeLock.lock();
        try {
            if (current != null) {
                roll();
            }
        } finally {
            writeLock.unlock();
        }
        flush();
    }

    // guarded by writeLock
    private PackWriter nextWriter() throws IOException {
        PackWriter w = null;
        if (spare != null) {
            try {
                w = spare.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CairnException(Status.CANCELLED, "interrupted while opening a pack");
            } catch (ExecutionException e) {
                log.warn("creating a pack ahead failed ({}); creating one now", e.getCause().toString());
            }
        }
        if (w == null) {
            w = packs.create();
        }
        spare = sealer.submit(packs::create);
        return w;
    }

    // guarded by writeLock
    private void roll() {
        OpenPack full = current;
        current = null;
        sealing.removeIf(Future::isDone);
        sealingPacks.add(full.writer.id());
        sealing.add(sealer.submit(() -> {
            try {
                PackIndex idx = full.writer.seal();
                // The pack record goes in the batch that indexes the pack's last chunks, after the
                // seal's fsyncs returned: it never claims a seal that is not on disk, and it is
                // durable no later than any commit that references these chunks (that commit's
                // synced batch follows it in the WAL). Lost in a crash before such a commit, it is
                // backfilled at the next open from the sealed file (docs/FORMAT.md, "Pack records").
                index(full.unindexed, idx);
                log.debug("sealed pack {} ({} records, {} bytes)", idx.pack(), idx.entries().size(), idx.size());
            } catch (IOException | RuntimeException e) {
                lost(full, e);
                throw e;
            } finally {
                sealingPacks.remove(full.writer.id());
            }
            return null;
        }));
    }

    /**
     * A pack whose seal failed (fsync error, upload failed after its retries): its records never
     * become durable, so they stop being pending (later lookups miss and the chunks are stored
     * again), and the failure count moves so that a session that found one of them pending before
     * re-checks its chunks at commit ({@link #sealFailures()}). The counter moves after the pending
     * entries are gone: a session that reads the new count cannot have found them.
     */
    private void lost(OpenPack pack, Exception cause) {
        for (PackIndex.Entry en : pack.unindexed) {
            pending.remove(en.id(), en.location());
        }
        sealFailures.incrementAndGet();
        log.error("pack {} could not be made durable ({} chunks will be stored again): {}", pack.writer.id(),
                pack.unindexed.size(), cause.toString());
    }

    /**
     * Packs whose seal failed so far. A put session notes it at its start; if it moved by commit,
     * the session checks that every chunk it references is still stored before committing.
     */
    public long sealFailures() {
        return sealFailures.get();
    }

    /**
     * Indexes durable records, then drops them from the pending map (never the other way round).
     * With {@code sealed}, the pack's record goes in the same batch.
     */
    private void index(List<PackIndex.Entry> entries, PackIndex sealed) throws IOException {
        if (entries.isEmpty() && sealed == null) {
            return;
        }
        // From reading the epoch to the write, under the index lock's read side: see advanceEpoch.
        indexLock.readLock().lock();
        try (MetaDb.Batch b = db.batch()) {
            long e = epoch.get();
            for (PackIndex.Entry en : entries) {
                b.put(Cf.CHUNKS, Keys.chunk(en.id()), ChunkIndexCodec.encode(en.location(), e));
            }
            if (sealed != null) {
                b.put(Cf.PACKS, Keys.pack(sealed.pack().value()), PackRecord.sealed(sealed, System.currentTimeMillis()).encode());
            }
            FaultPoints.reach("chunk.before-index");
            db.write(b, false);
        } finally {
            indexLock.readLock().unlock();
        }
        for (PackIndex.Entry en : entries) {
            pending.remove(en.id(), en.location());
        }
    }

    // ------------------------------------------------------------------ pack records

    /**
     * A new pack for a writer outside this class (GC's repack). Its {@link PackWriter#seal()}
     * writes the pack's record (unsynced) right after the seal returned, before the caller's
     * synced batch that points the index at its records.
     */
    public PackWriter createPack() throws IOException {
        PackWriter w = packs.create();
        return new PackWriter() {
            @Override
            public dev.cairn.store.pack.PackId id() {
                return w.id();
            }

            @Override
            public ChunkLocation append(ChunkId id, EncodedChunk chunk) throws IOException {
                return w.append(id, chunk);
            }

            @Override
            public long size() {
                return w.size();
            }

            @Override
            public int count() {
                return w.count();
            }

            @Override
            public void sync() throws IOException {
                w.sync();
            }

            @Override
            public PackIndex seal() throws IOException {
                PackIndex idx = w.seal();
                putPackRecord(idx.pack(), PackRecord.sealed(idx, System.currentTimeMillis()), false);
                return idx;
            }

            @Override
            public void close() throws IOException {
                w.close();
            }
        };
    }

    /**
     * Deletes packs (GC, after the index no longer points into them), then their records. The
     * records go after the files: a crash in between leaves a record without a file, which the
     * caller's journal (GC's resume deletes again) explains; the other order would leave a sealed
     * file without a record, which the next open would take for an unrecorded pack and backfill.
     * The record deletes are not synced; the caller's next synced write (GC: clearing its
     * journal) makes them durable, and until then a resumed GC deletes them again.
     */
    public void deletePacks(List<dev.cairn.store.pack.PackId> ids) throws IOException {
        packs.deleteAll(ids);
        try (MetaDb.Batch b = db.batch()) {
            for (dev.cairn.store.pack.PackId id : ids) {
                b.delete(Cf.PACKS, Keys.pack(id.value()));
            }
            db.write(b, false);
        }
    }

    /** Every pack record (one scan of the {@code packs} family). */
    public java.util.Map<dev.cairn.store.pack.PackId, PackRecord> packRecords() throws CairnException {
        return readPackRecords(db);
    }

    /** Every pack record of {@code db}; usable before a ChunkStore exists (recovery at open). */
    public static java.util.Map<dev.cairn.store.pack.PackId, PackRecord> readPackRecords(MetaDb db) throws CairnException {
        java.util.Map<dev.cairn.store.pack.PackId, PackRecord> out = new java.util.HashMap<>();
        try (MetaDb.Cursor c = db.scan(Cf.PACKS, null, null)) {
            while (c.next()) {
                dev.cairn.store.pack.PackId id = new dev.cairn.store.pack.PackId(Keys.getLong(c.key(), 0));
                try {
                    out.put(id, PackRecord.decode(c.value()));
                } catch (CairnException e) {
                    // A damaged record protects nothing it cannot say; treat the pack as damaged
                    // rather than as unrecorded, so that nothing cuts it.
                    out.put(id, PackRecord.damagedUnsealed("its pack record is damaged: " + e.getMessage(), 0));
                }
            }
        }
        return out;
    }

    /** Writes a pack record (recovery, backfill, damage found). */
    public void putPackRecord(dev.cairn.store.pack.PackId id, PackRecord r, boolean sync) throws CairnException {
        db.put(Cf.PACKS, Keys.pack(id.value()), r.encode(), sync);
    }

    @Override
    public void close() throws IOException {
        try {
            sealCurrent();
            dropSpare();
        } finally {
            sealer.shutdown();
        }
    }

    /** Deletes the pack created ahead, which holds nothing. */
    private void dropSpare() {
        writeLock.lock();
        try {
            if (spare != null) {
                PackWriter w = spare.get();
                spare = null;
                w.close();
                packs.delete(w.id());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | IOException e) {
            // an empty pack left behind is recovered at the next open and collected by GC
            log.debug("could not drop the spare pack: {}", e.toString());
        } finally {
            writeLock.unlock();
        }
    }
}
