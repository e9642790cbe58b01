package dev.cairn.store.catalog;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.pack.FileIo;
import dev.cairn.store.util.FaultPoints;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * The catalog under {@code <data>/catalog/}: files {@code <16-hex generation>.log}, each a header
 * and then records (docs/FORMAT.md, "Catalog"). Replaying the files in generation order, the last
 * record per manifest id wins, gives the committed metadata state; a snapshot file (a compaction)
 * holds the whole state of every generation below it, which replay then skips.
 *
 * <p>Writing: changes are collected per RocksDB batch ({@link #pending}) and appended and fsynced
 * by {@link MetaDb#write} just before the batch is applied. Appends from concurrent commits are
 * serialised; their fsyncs are grouped (one fsync covers every append before it). Callers
 * serialise conflicting changes to the same manifest (the repository's manifest mutex), so the
 * catalog's order per id is RocksDB's. A failed write (a full disk: {@code NO_SPACE}) is cut off
 * again and only fails its commit; a failed fsync poisons the catalog: every later commit fails
 * until the store is reopened, because what reached the disk is unknown.
 *
 * <p>Thread-safe. Lock order: the compaction lock, then {@code syncLock}, then {@code writeLock}.
 */
public final class Catalog implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Catalog.class);
    private static final Pattern NAME = Pattern.compile("[0-9a-f]{16}\\.log");
    /** Compact when dead bytes exceed this and half of the catalog. */
    public static final long DEFAULT_MIN_DEAD_BYTES = 16L << 20;
    /** Compact at open when there are more files than this (every open starts a new one). */
    static final int MAX_FILES = 16;

    private final Path dir;
    private final long minDeadBytes;
    private final boolean existed;
    private final Replay replay;
    private final ReentrantLock compactionLock = new ReentrantLock();
    private final Object syncLock = new Object();
    private final Object writeLock = new Object();
    // Guarded by writeLock.
    private final State state;
    /** generation → record bytes in that file (header excluded); files replay reads. */
    private final TreeMap<Long, Long> files = new TreeMap<>();
    /** Generations whose files had damage: a compaction moves them aside instead of deleting them. */
    private final Set<Long> damagedFiles = new HashSet<>();
    /** generation → where its valid records end, as found at open. */
    private final Map<Long, Long> replayEnds = new HashMap<>();
    private long replaySnapshot = -1;
    /** Replay found damage: compact once, so that the next open replays a clean catalog. */
    private volatile boolean damagedAtOpen;
    /** The store config record, for the headers of new files; set once by {@link #start}. */
    private byte[] config;
    private FileChannel active;
    private long activeGen = -1;
    private long activePos;
    private long written;
    private IOException failure;
    private boolean closed;
    // Guarded by syncLock.
    private long synced;

    private Catalog(Path dir, long minDeadBytes, boolean existed, Replay replay, State state) {
        this.dir = dir;
        this.minDeadBytes = minDeadBytes;
        this.existed = existed;
        this.replay = replay;
        this.state = state;
    }

    /**
     * Opens the catalog in {@code dir} and replays it; nothing is appended until {@link #start}.
     * Crash leftovers are cleaned up here: temporary files of a compaction, files a completed
     * compaction superseded, and the incomplete last record of the newest file (cut, with a WARN).
     * Damage anywhere else is not repaired here: it is reported in {@link #replay()} (and logged
     * as an ERROR), and the caller re-protects what it lost.
     *
     * @throws CairnException {@link Status#UNSUPPORTED_VERSION} if a newer Cairn wrote a file
     */
    public static Catalog open(Path dir, long minDeadBytes) throws CairnException {
        try {
            if (!Files.isDirectory(dir)) {
                return new Catalog(dir, minDeadBytes, false, Replay.EMPTY, new State());
            }
            try (var s = Files.list(dir)) {
                for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList()) {
                    Files.delete(p);
                }
            }
            CatalogReader.Result r = CatalogReader.read(dir);
            boolean changed = false;
            for (Path p : r.superseded()) {
                // A compaction wrote its snapshot but crashed before deleting what it replaces.
                Files.delete(p);
                changed = true;
            }
            if (r.tornFile() != null) {
                if (r.tornAt() == 0) {
                    Files.delete(r.tornFile());
                } else {
                    try (FileChannel ch = FileChannel.open(r.tornFile(), StandardOpenOption.WRITE)) {
                        ch.truncate(r.tornAt());
                        ch.force(true);
                    }
                }
                changed = true;
                log.warn("catalog: cut the incomplete last record at offset {} of {} ({} bytes), left by a crash"
                        + " during an append that no commit was waiting for", r.tornAt(), r.tornFile(), r.tornBytes());
            }
            if (changed) {
                FileIo.fsyncDirectory(dir);
            }
            for (Replay.Damage d : r.replay().damage()) {
                log.error("catalog: damaged data in {} at offset {} ({} bytes): {}; the records there are lost from the"
                        + " catalog and are re-protected from the metadata database", d.file(), d.offset(), d.length(),
                        d.why());
            }
            Catalog c = new Catalog(dir, minDeadBytes, true, r.replay(), r.state());
            for (long g : r.damagedGenerations()) {
                c.files.put(g, 0L); // so that a compaction moves it aside
            }
            c.files.putAll(r.fileBytes());
            c.damagedFiles.addAll(r.damagedGenerations());
            c.replayEnds.putAll(r.ends());
            c.damagedAtOpen = r.replay().damaged();
            c.replaySnapshot = r.snapshot();
            return c;
        } catch (CairnException e) {
            throw e;
        } catch (IOException e) {
            throw io("open the catalog in " + dir, e);
        }
    }

    /** What replay found at open. */
    public Replay replay() {
        return replay;
    }

    /** Whether the catalog directory existed at open (false: a store from before the catalog, or it was deleted). */
    public boolean existed() {
        return existed;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Starts appending: creates a new generation after every existing one and at least
     * {@code minGeneration}, with {@code config} (the store config record) in its header.
     */
    public void start(byte[] config, long minGeneration) throws CairnException {
        synchronized (syncLock) {
            synchronized (writeLock) {
                try {
                    Files.createDirectories(dir);
                    // Above every generation RocksDB may name, so a recreated catalog never reuses one.
                    long gen = Math.max(minGeneration, files.isEmpty() ? 1 : files.lastKey() + 1);
                    openActive(gen, 0, config);
                    FileIo.fsyncDirectory(dir.getParent());
                } catch (IOException e) {
                    throw io("start the catalog in " + dir, e);
                }
            }
        }
    }

    private void openActive(long gen, int flags, byte[] cfg) throws IOException {
        this.config = cfg;
        Path p = dir.resolve(name(gen));
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        try {
            byte[] h = CatalogCodec.header(CatalogCodec.KIND_LOG, flags, gen, cfg);
            FileIo.writeFully(ch, ByteBuffer.wrap(h), 0);
            ch.force(true);
            FileIo.fsyncDirectory(dir);
            if (active != null) {
                active.close();
            }
            active = ch;
            activeGen = gen;
            activePos = h.length;
            files.put(gen, 0L);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    static String name(long gen) {
        return String.format(Locale.ROOT, "%016x.log", gen);
    }

    // ------------------------------------------------------------------ writing

    /** Changes to append with one RocksDB batch; {@link MetaDb#write} appends them first. */
    public Pending pending() {
        return new Pending();
    }

    /** One record about to be appended. */
    record Rec(int type, ManifestId id, byte[] bytes, long fingerprint, byte[] labels) {
    }

    /**
     * The catalog records of one batch. Not thread-safe (like the batch). {@link #beforeWrite}
     * appends and fsyncs them; the fault point {@code commit.after-catalog} follows, just before
     * RocksDB applies the batch.
     */
    public final class Pending implements MetaDb.Attachment {
        private final List<Rec> recs = new ArrayList<>();
        private long bytes;
        private boolean forgets;

        public void manifest(ManifestId id, byte[] manifest, List<CatalogCodec.Segment> segments) {
            add(new Rec(CatalogCodec.MANIFEST, id,
                    CatalogCodec.record(CatalogCodec.MANIFEST, CatalogCodec.manifestPayload(id, manifest, segments)),
                    CatalogCodec.fingerprint(manifest), null));
        }

        public void labels(ManifestId id, byte[] labels) {
            add(new Rec(CatalogCodec.LABELS, id,
                    CatalogCodec.record(CatalogCodec.LABELS, CatalogCodec.labelsPayload(id, labels)), 0, labels));
        }

        public void forget(ManifestId id) {
            add(new Rec(CatalogCodec.FORGET, id,
                    CatalogCodec.record(CatalogCodec.FORGET, CatalogCodec.forgetPayload(id)), 0, null));
            forgets = true;
        }

        public boolean isEmpty() {
            return recs.isEmpty();
        }

        /** Bytes of the records collected so far. */
        public long bytes() {
            return bytes;
        }

        private void add(Rec r) {
            recs.add(r);
            bytes += r.bytes().length;
        }

        @Override
        public void beforeWrite(MetaDb.Batch batch) throws CairnException {
            long[] end = append(recs);
            // RocksDB learns how far the catalog reached: a catalog later found shorter than
            // that was cut short (damage), not torn by a crash; see Replay#endBefore.
            batch.put(MetaDb.Cf.META, END_KEY, encodeEnd(end));
            try {
                FaultPoints.reach("commit.after-catalog");
            } catch (IOException e) {
                throw new CairnException(Status.IO_ERROR, e.getMessage(), e);
            }
        }

        @Override
        public void afterWrite() {
            if (forgets) {
                // After the RocksDB write, never before: a compaction drops forgotten ids, and the
                // catalog must not forget an id RocksDB still holds.
                maybeCompactInBackground();
            }
        }
    }

    /**
     * Appends and fsyncs {@code recs} (one commit's records, in order). Returns once they are
     * durable.
     */
    long[] append(List<Rec> recs) throws CairnException {
        if (recs.isEmpty()) {
            synchronized (writeLock) {
                return new long[] {activeGen, activePos};
            }
        }
        int n = 0;
        for (Rec r : recs) {
            n += r.bytes().length;
        }
        ByteBuffer buf = ByteBuffer.allocate(n);
        recs.forEach(r -> buf.put(r.bytes()));
        buf.flip();
        long seq;
        long[] end;
        synchronized (writeLock) {
            checkUsable();
            long pos = activePos;
            try {
                FaultPoints.reach("catalog.write");
                FileIo.writeFully(active, buf, pos);
            } catch (IOException e) {
                // A failed write (e.g. a full disk) may have left part of the records: cut them,
                // so that the next append does not follow garbage, and stay usable. Only if even
                // that fails is the file's state unknown.
                try {
                    active.truncate(pos);
                } catch (IOException again) {
                    e.addSuppressed(again);
                    throw fail("append to", e);
                }
                throw io("append to the catalog file " + dir.resolve(name(activeGen)), e);
            }
            activePos += n;
            files.merge(activeGen, (long) n, Long::sum);
            for (Rec r : recs) {
                state.apply(r.type(), r.id(), activeGen, pos, r.bytes().length, r.fingerprint(), r.labels());
                pos += r.bytes().length;
            }
            seq = ++written;
            end = new long[] {activeGen, activePos};
        }
        sync(seq);
        return end;
    }

    /** META key: generation and end offset of the catalog as of the last commit RocksDB applied. */
    public static final byte[] END_KEY = dev.cairn.store.meta.Keys.ascii("catalog-end");

    static byte[] encodeEnd(long[] end) {
        return ByteBuffer.allocate(16).putLong(end[0]).putLong(end[1]).array();
    }

    /**
     * Null if the catalog holds everything up to the position RocksDB recorded ({@link #END_KEY}
     * value, or null), else why not: the catalog was cut short or lost files, so the commits it
     * lacks are in RocksDB only.
     */
    public byte[] endValue() {
        synchronized (writeLock) {
            return encodeEnd(new long[] {activeGen, activePos});
        }
    }

    /** The generation in an {@link #END_KEY} value, or 0. */
    public static long generationOf(byte[] endValue) {
        return endValue == null || endValue.length != 16 ? 0 : ByteBuffer.wrap(endValue).getLong();
    }

    public String missingBefore(byte[] endValue) {
        if (endValue == null || endValue.length != 16) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(endValue);
        long gen = b.getLong();
        long off = b.getLong();
        synchronized (writeLock) {
            Long have = replayEnds.get(gen);
            if (have == null) {
                boolean superseded = !replayEnds.isEmpty() && replaySnapshot > gen;
                return superseded ? null : "catalog file " + name(gen) + ", which the metadata database recorded commits"
                        + " in, is missing";
            }
            return have >= off ? null : "catalog file " + name(gen) + " ends at " + have
                    + " but the metadata database recorded commits up to offset " + off + ": it was cut short";
        }
    }

    private void sync(long seq) throws CairnException {
        synchronized (syncLock) {
            if (synced >= seq) {
                return; // another commit's fsync covered ours
            }
            long target;
            FileChannel ch;
            synchronized (writeLock) {
                checkUsable();
                target = written;
                ch = active;
            }
            try {
                ch.force(false);
            } catch (IOException e) {
                synchronized (writeLock) {
                    throw fail("fsync", e);
                }
            }
            synced = target;
        }
    }

    /**
     * Appends records that re-protect state RocksDB holds and the catalog lost (recovery at open),
     * durably, without a RocksDB write.
     */
    public void appendDirect(Pending p) throws CairnException {
        append(p.recs);
    }

    private void checkUsable() throws CairnException {
        if (closed) {
            throw new CairnException(Status.SHUTTING_DOWN, "the catalog is closed");
        }
        if (failure != null) {
            throw new CairnException(Status.IO_ERROR, "the catalog in " + dir + " failed earlier ("
                    + failure.getMessage() + "); no change can be committed until the store is reopened", failure);
        }
        if (active == null) {
            throw new IllegalStateException("catalog not started");
        }
    }

    private CairnException fail(String what, IOException e) {
        failure = e;
        log.error("catalog: cannot {} {}: {}; refusing further commits until the store is reopened", what,
                dir.resolve(name(activeGen)), e.getMessage());
        return io(what + " the catalog file " + dir.resolve(name(activeGen)), e);
    }

    static CairnException io(String what, IOException e) {
        String m = String.valueOf(e.getMessage());
        boolean full = m.contains("No space left") || m.contains("ENOSPC");
        return new CairnException(full ? Status.NO_SPACE : Status.IO_ERROR, "cannot " + what + ": " + m
                + (full ? "; free disk space and retry (nothing committed was lost)" : ""), e);
    }

    // ------------------------------------------------------------------ state

    /** What the catalog knows about one manifest id. */
    public record Known(ManifestId id, boolean hasManifest, long fingerprint, byte[] labels) {
    }

    /** The live state (ids whose last record is not FORGET), in no particular order. */
    public List<Known> known() {
        synchronized (writeLock) {
            List<Known> out = new ArrayList<>(state.entries.size());
            state.entries.forEach((id, e) -> out.add(new Known(id, e.mGen >= 0, e.fingerprint, e.labels)));
            return out;
        }
    }

    /** The MANIFEST record the catalog holds for {@code id}, or null. */
    public CatalogCodec.ManifestRecord manifest(ManifestId id) throws CairnException {
        State.Entry e;
        synchronized (writeLock) {
            State.Entry cur = state.entries.get(id);
            if (cur == null || cur.mGen < 0) {
                return null;
            }
            e = cur.copy();
        }
        compactionLock.lock(); // the file must not be deleted under us
        try {
            synchronized (writeLock) {
                State.Entry cur = state.entries.get(id);
                if (cur != null && cur.mGen >= 0) {
                    e = cur.copy();
                }
            }
            byte[] rec = readRecord(e.mGen, e.mOff, e.mLen);
            return CatalogCodec.decodeManifest(java.util.Arrays.copyOfRange(rec, 5, rec.length - 4));
        } catch (IOException | IllegalArgumentException ex) {
            throw new CairnException(Status.CORRUPT, "catalog record of " + id.shortHex() + " in "
                    + dir.resolve(name(e.mGen)) + " at offset " + e.mOff + " cannot be read: " + ex.getMessage(), ex);
        } finally {
            compactionLock.unlock();
        }
    }

    /** Read channels by generation; guarded by the compaction lock, which every reader holds. */
    private final Map<Long, FileChannel> readers = new HashMap<>();

    private byte[] readRecord(long gen, long off, int len) throws IOException {
        FileChannel ch = readers.get(gen);
        if (ch == null) {
            ch = FileChannel.open(dir.resolve(name(gen)), StandardOpenOption.READ);
            readers.put(gen, ch);
        }
        ByteBuffer b = ByteBuffer.allocate(len);
        if (FileIo.readFully(ch, b, off) != len) {
            throw new IOException("record at " + off + " runs past the end of the file");
        }
        byte[] a = b.array();
        int stored = ByteBuffer.wrap(a, len - 4, 4).getInt();
        if (stored != CatalogCodec.crc(a, 0, len - 4) || ByteBuffer.wrap(a, 0, 4).getInt() != len - 8) {
            throw new IOException("record at " + off + " fails its CRC32C (damaged since it was written)");
        }
        return a;
    }

    /** Record bytes in the catalog, and those of the records replay would keep. */
    public long[] sizes() {
        synchronized (writeLock) {
            long total = 0;
            for (long v : files.values()) {
                total += v;
            }
            return new long[] {total, state.liveBytes};
        }
    }

    /** Number of catalog files. */
    public int fileCount() {
        synchronized (writeLock) {
            return files.size();
        }
    }

    /** Re-reads the files on disk (verify): what a replay would give now. */
    public CatalogReader.Result reread() throws CairnException {
        compactionLock.lock();
        try {
            // Nothing half-written is on disk beyond what a concurrent append is fsyncing; the
            // reader reports that as a torn tail of the newest file, which verify ignores.
            return CatalogReader.read(dir);
        } catch (CairnException e) {
            throw e;
        } catch (IOException e) {
            throw io("read the catalog in " + dir, e);
        } finally {
            compactionLock.unlock();
        }
    }

    // --------------------------------------------------------------- compaction

    /**
     * Compacts now if the dead share is large (or there are many files, or damaged ones);
     * failures are logged. Used at open.
     */
    public void maybeCompact() {
        if (compactionDue()) {
            try {
                compact();
            } catch (CairnException e) {
                log.warn("catalog compaction failed (it is retried later; nothing is lost): {}", e.getMessage());
            }
        }
    }

    /**
     * Like {@link #maybeCompact} but on the catalog's own thread: the committer that triggers it
     * (GC, holding the manifest mutex) must not wait for it, nor must the commits behind it.
     */
    void maybeCompactInBackground() {
        if (compactionDue() && compactionQueued.compareAndSet(false, true)) {
            try {
                compactor.execute(() -> {
                    compactionQueued.set(false);
                    maybeCompact();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                compactionQueued.set(false); // closing
            }
        }
    }

    private boolean compactionDue() {
        long[] s = sizes();
        long dead = s[0] - s[1];
        return (dead > minDeadBytes && dead > s[0] / 2) || fileCount() > MAX_FILES || !damagedFilesEmpty()
                || damagedAtOpen;
    }

    private final java.util.concurrent.atomic.AtomicBoolean compactionQueued = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.ExecutorService compactor = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cairn-catalog-compactor");
        t.setDaemon(true);
        return t;
    });

    private boolean damagedFilesEmpty() {
        synchronized (writeLock) {
            return damagedFiles.isEmpty();
        }
    }

    /**
     * Writes the live state as a snapshot generation and deletes the files it supersedes,
     * without blocking appends: appends are first rolled to a new file (generation g+2), the
     * snapshot of everything up to g is written as g+1 from the old files only (never from
     * RocksDB), fsynced and renamed into place, and then the old files are deleted. A crash at any
     * step replays to the same state (docs/FORMAT.md, "Catalog compaction"). Files that had
     * damage are renamed to {@code *.damaged} instead of deleted. No-op if a compaction runs.
     */
    public void compact() throws CairnException {
        if (!compactionLock.tryLock()) {
            return;
        }
        try {
            long old;
            Map<ManifestId, State.Entry> snap = new HashMap<>();
            synchronized (syncLock) {
                synchronized (writeLock) {
                    checkUsable();
                    try {
                        active.force(false);
                        synced = written;
                        old = activeGen;
                        openActive(old + 2, CatalogCodec.FLAG_AFTER_SNAPSHOT, config);
                    } catch (IOException e) {
                        throw fail("roll", e);
                    }
                    state.entries.forEach((id, e) -> snap.put(id, e.copy()));
                }
            }
            reach("catalog.compact.after-roll");
            long snapGen = old + 1;
            Path tmp = dir.resolve(name(snapGen) + ".tmp");
            Map<ManifestId, long[]> moved = new HashMap<>();
            long bytes = 0;
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                byte[] h = CatalogCodec.header(CatalogCodec.KIND_SNAPSHOT, snapGen, config);
                long pos = h.length;
                FileIo.writeFully(out, ByteBuffer.wrap(h), 0);
                List<ManifestId> ids = new ArrayList<>(snap.keySet());
                ids.sort(null);
                for (ManifestId id : ids) {
                    State.Entry e = snap.get(id);
                    long[] at = {-1, -1};
                    if (e.mGen >= 0) {
                        byte[] r = readRecord(e.mGen, e.mOff, e.mLen);
                        FileIo.writeFully(out, ByteBuffer.wrap(r), pos);
                        at[0] = pos;
                        pos += r.length;
                    }
                    if (e.lGen >= 0) {
                        byte[] r = readRecord(e.lGen, e.lOff, e.lLen);
                        FileIo.writeFully(out, ByteBuffer.wrap(r), pos);
                        at[1] = pos;
                        pos += r.length;
                    }
                    moved.put(id, at);
                }
                bytes = pos - h.length;
                out.force(true);
            } catch (IOException e) {
                deleteQuietly(tmp);
                throw io("write the catalog snapshot " + tmp, e);
            }
            reach("catalog.compact.before-rename");
            List<Long> superseded;
            try {
                Files.move(tmp, dir.resolve(name(snapGen)), StandardCopyOption.ATOMIC_MOVE);
                FileIo.fsyncDirectory(dir);
            } catch (IOException e) {
                deleteQuietly(tmp);
                throw io("install the catalog snapshot " + name(snapGen), e);
            }
            synchronized (writeLock) {
                // Point entries at their copies unless a newer record replaced them meanwhile.
                for (Map.Entry<ManifestId, long[]> m : moved.entrySet()) {
                    State.Entry was = snap.get(m.getKey());
                    State.Entry cur = state.entries.get(m.getKey());
                    if (cur == null) {
                        continue;
                    }
                    if (m.getValue()[0] >= 0 && cur.mGen == was.mGen && cur.mOff == was.mOff) {
                        cur.mGen = snapGen;
                        cur.mOff = m.getValue()[0];
                    }
                    if (m.getValue()[1] >= 0 && cur.lGen == was.lGen && cur.lOff == was.lOff) {
                        cur.lGen = snapGen;
                        cur.lOff = m.getValue()[1];
                    }
                }
                superseded = new ArrayList<>(files.headMap(snapGen).keySet());
                files.headMap(snapGen).clear();
                files.put(snapGen, bytes);
            }
            reach("catalog.compact.after-rename");
            try {
                for (long g : superseded) {
                    Path p = dir.resolve(name(g));
                    FileChannel reader = readers.remove(g);
                    if (reader != null) {
                        reader.close();
                    }
                    boolean damaged;
                    synchronized (writeLock) {
                        damaged = damagedFiles.remove(g);
                    }
                    if (damaged) {
                        Files.move(p, dir.resolve(name(g) + ".damaged"), StandardCopyOption.REPLACE_EXISTING);
                        log.warn("catalog: moved the damaged file {} aside to {}.damaged; its readable records live on"
                                + " in generation {}", p, name(g), snapGen);
                    } else {
                        Files.deleteIfExists(p);
                    }
                    reach("catalog.compact.after-delete");
                }
                FileIo.fsyncDirectory(dir);
            } catch (IOException e) {
                // The snapshot is in place, so leftovers are deleted at the next open.
                throw io("delete superseded catalog files", e);
            }
            damagedAtOpen = false;
            log.info("catalog compacted into generation {}: {} manifests, {} bytes, {} files replaced", snapGen,
                    snap.size(), bytes, superseded.size());
        } finally {
            compactionLock.unlock();
        }
    }

    private static void reach(String point) throws CairnException {
        try {
            FaultPoints.reach(point);
        } catch (IOException e) {
            throw new CairnException(Status.IO_ERROR, e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover .tmp is deleted at the next open
        }
    }

    /** Waits for a background compaction, then fsyncs and closes the active file. */
    @Override
    public void close() {
        compactor.shutdown();
        try {
            if (!compactor.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) {
                log.warn("catalog compaction still running at close; the next open finishes or undoes it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        compactionLock.lock();
        try {
            for (FileChannel ch : readers.values()) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // read-only
                }
            }
            readers.clear();
        } finally {
            compactionLock.unlock();
        }
        synchronized (syncLock) {
            synchronized (writeLock) {
                if (closed) {
                    return;
                }
                closed = true;
                if (active != null) {
                    try {
                        active.force(false);
                        active.close();
                    } catch (IOException e) {
                        log.warn("catalog: closing {} failed: {}", dir, e.getMessage());
                    }
                }
            }
        }
    }
}
