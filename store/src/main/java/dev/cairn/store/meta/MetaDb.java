package dev.cairn.store.meta;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The store's RocksDB: one database, one column family per kind of record (docs/FORMAT.md,
 * "RocksDB"). This class is the only place that opens and closes RocksDB native objects, and the
 * boundary where {@link RocksDBException} becomes a {@link CairnException}.
 *
 * <p>Thread-safe: RocksDB handles concurrent reads and writes; this class adds no locking.
 */
public final class MetaDb implements Closeable {

    /** Column families, in the order they are opened. Never reorder or rename: they are on disk. */
    public enum Cf {
        /** Store config and counters (ASCII keys). RocksDB's own default family. */
        META("default"),
        /** chunk id → location. */
        CHUNKS("chunks"),
        /** manifest id → storage form. */
        MANIFESTS("manifests"),
        /** storage id ‖ entry ‖ stream ‖ segment → chunk refs. */
        SEGMENTS("segments"),
        /** manifest id → mutable labels (tags, holds, trash state). */
        LABELS("labels"),
        /** series ‖ 0 ‖ time ‖ manifest id → empty: the live checkpoints of each series in time order. */
        SERIES("series"),
        /** parent id ‖ child id → empty: which deltas build on a manifest. */
        CHILDREN("children"),
        /** trash expiry ‖ manifest id → empty. */
        TRASH("trash"),
        /** pack id → pack record. */
        PACKS("packs"),
        /** GC journal and trim audit records. */
        JOURNAL("journal");

        final byte[] name;

        Cf(String name) {
            this.name = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }

        /** The family's name in RocksDB. */
        public String label() {
            return new String(name, java.nio.charset.StandardCharsets.US_ASCII);
        }

        static Cf byName(byte[] name) {
            for (Cf cf : values()) {
                if (Arrays.equals(cf.name, name)) {
                    return cf;
                }
            }
            return null;
        }
    }

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    // Native objects, closed in reverse order of creation in close().
    private final LRUCache blockCache;
    private final List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
    private final DBOptions dbOptions;
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    private final RocksDB db;
    private final WriteOptions syncWrite;
    private final WriteOptions asyncWrite;
    private final ReadOptions readOptions;
    /**
     * Calls and cursors in progress. close() waits for them before freeing native objects: a
     * RocksDB call on a closed handle would crash the JVM, not throw.
     */
    private final java.util.concurrent.atomic.AtomicInteger inUse = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closing;
    /** Set when the WAL was damaged and the database was opened by replaying only its good prefix. */
    private final String walDamage;
    /** The families open dropped as damaged (maintenance only); see {@link #droppedFamilies()}. */
    private volatile java.util.Set<Cf> dropped = java.util.Set.of();
    /** Which damaged files made open drop them, or null. */
    private volatile String droppedWhy;

    private MetaDb(Path dir, boolean pointInTime, String walDamage) throws CairnException {
        this.dir = dir;
        this.walDamage = walDamage;
        blockCache = new LRUCache(64L << 20);
        // RocksDB preallocates the WAL in blocks of 1.1 x the largest write buffer (64 MiB): ~70 MB
        // on disk for a log of kilobytes, space a full small volume does not have (issue 10). The
        // block is capped by max_total_wal_size, so that caps it, sized for the volume: 1/64 of it,
        // 4..16 MiB (it also makes RocksDB flush memtables once the logs exceed it, which keeps
        // the logs, and the replay after a crash, short). The MANIFEST's 4 MiB preallocation
        // shrinks with it.
        long walBlock = Math.max(4L << 20, Math.min(16L << 20, volumeBytes(dir) / 64));
        // WAL recovery: RocksDB's default (point-in-time) stops replay at the first bad record and
        // says nothing, so committed metadata after it vanished silently (issue 10). Tolerating
        // only an incomplete tail record (what a crash during an unsynced append leaves) makes a
        // damaged record in the middle fail the open; open() then retries in point-in-time mode
        // and reports it, and the store's catalog rolls the lost commits forward.
        dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setParanoidChecks(true)
                .setWalRecoveryMode(pointInTime ? WALRecoveryMode.PointInTimeRecovery
                        : WALRecoveryMode.TolerateCorruptedTailRecords)
                .setKeepLogFileNum(4)
                .setMaxBackgroundJobs(2)
                .setMaxTotalWalSize(walBlock)
                .setManifestPreallocationSize(Math.min(4L << 20, walBlock / 4));
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        for (Cf cf : Cf.values()) {
            BlockBasedTableConfig table = new BlockBasedTableConfig()
                    .setBlockCache(blockCache)
                    .setBlockSize(16 << 10);
            if (cf == Cf.CHUNKS) {
                // Most dedup lookups of new data miss: a Bloom filter answers those without a disk read.
                table.setFilterPolicy(new BloomFilter(10));
                table.setOptimizeFiltersForMemory(true);
            }
            ColumnFamilyOptions o = new ColumnFamilyOptions()
                    .setTableFormatConfig(table)
                    .setCompressionType(cf == Cf.CHUNKS ? CompressionType.NO_COMPRESSION : CompressionType.LZ4_COMPRESSION);
            cfOptions.add(o);
            descriptors.add(new ColumnFamilyDescriptor(cf.name, o));
        }
        try {
            Files.createDirectories(dir);
            db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
        } catch (RocksDBException e) {
            closeQuietly();
            String msg = String.valueOf(e.getMessage());
            // RocksDB: "While lock file: …/LOCK: Resource temporarily unavailable". Not any "lock":
            // a damaged table says "block checksum mismatch".
            if (msg.contains("lock file") || msg.contains("LOCK:")) {
                throw new CairnException(Status.STORE_LOCKED, "the store at " + dir.getParent()
                        + " is in use by another process (RocksDB lock held: " + msg
                        + "); stop the other cairnd or choose another --data directory", e);
            }
            if (e.getStatus() != null && e.getStatus().getCode() == org.rocksdb.Status.Code.Corruption) {
                throw new CairnException(Status.CORRUPT, "cannot open the metadata database at " + dir + ": it is"
                        + " damaged (RocksDB: " + msg + "). Restore the directory from a backup (for an s3 store:"
                        + " `cairnd --restore-from-bucket`); `cairnd --rebuild-index` cannot help, it needs this"
                        + " database open." + WITHOUT_BACKUP.apply(dir), e);
            }
            throw new CairnException(Status.CORRUPT, "cannot open the metadata database at " + dir + ": " + msg, e);
        } catch (IOException e) {
            closeQuietly();
            throw new CairnException(Status.IO_ERROR, "cannot create " + dir + ": " + e.getMessage(), e);
        }
        syncWrite = new WriteOptions().setSync(true);
        asyncWrite = new WriteOptions().setSync(false);
        readOptions = new ReadOptions().setVerifyChecksums(true);
    }

    /** Size of the file system {@code dir} is (or will be) on; 0 if unknown. */
    private static long volumeBytes(Path dir) {
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            try {
                if (Files.exists(p)) {
                    return Files.getFileStore(p).getTotalSpace();
                }
            } catch (IOException e) {
                return 0;
            }
        }
        return 0;
    }

    /**
     * Opens (creating if needed) the database in {@code dir}. If its WAL has a damaged record
     * that is not an incomplete tail, the database is opened with the WAL replayed up to that
     * record only, and {@link #walDamage()} says so: writes after the damage are lost from RocksDB
     * and the caller must restore them from elsewhere (the store's catalog).
     */
    public static MetaDb open(Path dir) throws CairnException {
        return open(dir, false, () -> false);
    }

    /**
     * Opens the database as {@link #open(Path)} does, then verifies the checksum of every block of
     * every table file ({@code *.sst}; RocksDB itself checks a block only when a read touches it,
     * so a damaged block would otherwise surface as CORRUPT reads of a store that started
     * cleanly). Cost: it reads every table file once at open, about as long as reading {@code
     * meta/} from disk: ~120 bytes of tables per chunk; measured with the files in the page cache,
     * 10-15 ms for 100,000 chunks (12 MB) and 80-150 ms for 1,000,000 (134 MB); from a cold disk,
     * that size at the disk's sequential read rate (docs/FORMAT.md, "Table check at open").
     *
     * <p>A damaged table is refused (nothing is changed; the error names each damaged file, its
     * column family and what to run), except in a maintenance open ({@code repair}: {@code cairnd
     * --rebuild-index}) when every damaged family is one that exists elsewhere in full ({@link
     * #rebuildable}): such families are dropped and created empty, {@link #droppedFamilies()} says
     * which, and the caller must fill them again before serving: the chunk index from the pack
     * footers, the pack records from the pack files, the manifest families (all six together, they
     * index each other) from the catalog. Dropping a family rather than deleting its keys is what
     * keeps the damaged file from being read again: a range deletion only hides it, and the next
     * compaction that reads it fails.
     *
     * @param repair        a maintenance open that may drop rebuildable damaged families
     * @param catalogCheck  asked only when a table is damaged: whether the store's catalog is
     *                      present and replays without damage, so that the manifest families can
     *                      be rebuilt from it
     * @throws CairnException {@link Status#CORRUPT} for a damaged table
     */
    public static MetaDb open(Path dir, boolean repair, java.util.function.BooleanSupplier catalogCheck)
            throws CairnException {
        checkCurrentFile(dir);
        MetaDb m;
        try {
            m = new MetaDb(dir, false, null);
        } catch (CairnException e) {
            // Any corruption: if point-in-time replay then opens the database, what was corrupt
            // was a WAL record (SST or MANIFEST damage fails that open too, and is thrown).
            if (!(e.getCause() instanceof RocksDBException re) || re.getStatus() == null
                    || re.getStatus().getCode() != org.rocksdb.Status.Code.Corruption) {
                throw e;
            }
            m = new MetaDb(dir, true, String.valueOf(re.getMessage()));
        }
        try {
            List<DamagedTable> bad = m.damagedTables();
            if (bad.isEmpty()) {
                return m;
            }
            boolean catalogIntact = catalogCheck.getAsBoolean();
            boolean fixable = bad.stream().allMatch(t -> t.family() != null && rebuildable(t.family(), catalogIntact));
            if (repair && fixable) {
                java.util.EnumSet<Cf> drop = java.util.EnumSet.noneOf(Cf.class);
                for (DamagedTable t : bad) {
                    drop.addAll(MANIFEST_FAMILIES.contains(t.family()) ? MANIFEST_FAMILIES : java.util.EnumSet.of(t.family()));
                }
                if (drop.contains(Cf.CHUNKS)) {
                    // Durable before the drop: if the rebuild is cut short, the next open knows.
                    m.put(Cf.META, Keys.INDEX_REBUILD_PENDING, new byte[] {1}, true);
                }
                for (Cf cf : drop) {
                    m.recreate(cf);
                }
                m.dropped = java.util.Collections.unmodifiableSet(drop);
                m.droppedWhy = describe(bad);
                return m;
            }
            throw tableDamage(dir, bad, catalogIntact);
        } catch (CairnException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The families that index manifests: rebuilt together from the catalog, or not at all. */
    public static final java.util.Set<Cf> MANIFEST_FAMILIES = java.util.Collections.unmodifiableSet(
            java.util.EnumSet.of(Cf.MANIFESTS, Cf.SEGMENTS, Cf.LABELS, Cf.SERIES, Cf.CHILDREN, Cf.TRASH));

    /**
     * Whether a damaged {@code cf} can be dropped and filled again from what the store holds
     * elsewhere: the chunk index (pack footers), the pack records (the pack files), the GC journal
     * (GC then keeps what its lost records explained until {@code gc --force}, docs/GC.md), the
     * manifest families while the catalog is intact. Never the default family (config, counters,
     * epochs), which exists nowhere else.
     */
    static boolean rebuildable(Cf cf, boolean catalogIntact) {
        return switch (cf) {
            case CHUNKS, PACKS, JOURNAL -> true;
            case MANIFESTS, SEGMENTS, LABELS, SERIES, CHILDREN, TRASH -> catalogIntact;
            case META -> false;
        };
    }

    /**
     * A table file whose checksums do not verify.
     *
     * @param file   its path
     * @param family the column family it belongs to, or null if the database does not list it
     * @param error  RocksDB's report (names the block and its offset)
     */
    public record DamagedTable(Path file, Cf family, String error) {
        @Override
        public String toString() {
            return file.getFileName() + " (column family " + (family == null ? "unknown" : family.label()) + ": "
                    + error + ")";
        }
    }

    /**
     * Every live table file whose blocks do not all verify, empty if none: one {@code
     * verifyChecksum} over the database, and only if that fails one per file, to name them all.
     */
    public List<DamagedTable> damagedTables() throws CairnException {
        enter();
        try {
            try {
                db.verifyChecksum();
                return List.of();
            } catch (RocksDBException e) {
                if (e.getStatus() != null && e.getStatus().getCode() != org.rocksdb.Status.Code.Corruption
                        && !String.valueOf(e.getMessage()).contains("hecksum")) {
                    throw wrap("table check", e);
                }
            }
            List<DamagedTable> out = new ArrayList<>();
            try (org.rocksdb.Options o = new org.rocksdb.Options()) {
                for (org.rocksdb.LiveFileMetaData f : db.getLiveFilesMetaData()) {
                    Path file = Path.of(f.path(), f.fileName().replaceFirst("^/", ""));
                    try (org.rocksdb.SstFileReader r = new org.rocksdb.SstFileReader(o)) {
                        r.open(file.toString());
                        r.verifyChecksum();
                    } catch (RocksDBException e) {
                        out.add(new DamagedTable(file, Cf.byName(f.columnFamilyName()), String.valueOf(e.getMessage())));
                    }
                }
            }
            if (out.isEmpty()) {
                // The database-wide check failed but no file alone did: still damage, unnamed.
                try {
                    db.verifyChecksum();
                } catch (RocksDBException e) {
                    out.add(new DamagedTable(dir, null, String.valueOf(e.getMessage())));
                }
            }
            return out;
        } finally {
            exit();
        }
    }

    /** The live table files of {@code cf} (for tools and tests that examine them). */
    public List<Path> tableFiles(Cf cf) throws CairnException {
        enter();
        try {
            List<Path> out = new ArrayList<>();
            for (org.rocksdb.LiveFileMetaData f : db.getLiveFilesMetaData()) {
                if (Cf.byName(f.columnFamilyName()) == cf) {
                    out.add(Path.of(f.path(), f.fileName().replaceFirst("^/", "")));
                }
            }
            return out;
        } finally {
            exit();
        }
    }

    private static String describe(List<DamagedTable> bad) {
        StringBuilder sb = new StringBuilder();
        for (DamagedTable t : bad) {
            sb.append(sb.length() == 0 ? "" : "; ").append(t);
        }
        return sb.toString();
    }

    private static CairnException tableDamage(Path dir, List<DamagedTable> bad, boolean catalogIntact) {
        boolean fixable = bad.stream().allMatch(t -> t.family() != null && rebuildable(t.family(), catalogIntact));
        boolean manifests = bad.stream().anyMatch(t -> MANIFEST_FAMILIES.contains(t.family()));
        String what;
        if (fixable) {
            what = "Every damaged family exists elsewhere in full (the chunk index in the pack footers, the pack records"
                    + " in the pack files, the checkpoints' metadata in the catalog): run `cairnd --rebuild-index` (with"
                    + " the same --data and --config; it drops the damaged families and rebuilds them, then checks every"
                    + " checkpoint's chunks), then start cairnd again";
        } else if (manifests && !catalogIntact) {
            what = "The damaged checkpoint metadata could be rebuilt from the catalog, but the catalog is missing or"
                    + " damaged too: restore " + dir + " and its catalog from a backup (for an s3 store: `cairnd"
                    + " --restore-from-bucket`)";
        } else {
            what = "`cairnd --rebuild-index` cannot rebuild the store's own records (the default column family: config,"
                    + " counters, GC epochs exist nowhere else): restore " + dir + " from a backup (for an s3 store:"
                    + " `cairnd --restore-from-bucket`)";
        }
        return new CairnException(Status.CORRUPT, "the metadata database at " + dir + " is damaged: " + bad.size()
                + " table file(s) fail their checksums: " + describe(bad) + ". Cairn did not open the store and changed"
                + " nothing in it. " + what);
    }

    /** Drops {@code cf} with every file it has, without reading them, and creates it again empty. */
    private void recreate(Cf cf) throws CairnException {
        ColumnFamilyHandle old = handle(cf);
        try {
            db.dropColumnFamily(old);
            ColumnFamilyHandle fresh = db.createColumnFamily(new ColumnFamilyDescriptor(cf.name,
                    cfOptions.get(cf.ordinal())));
            handles.set(cf.ordinal(), fresh);
        } catch (RocksDBException e) {
            throw wrap("drop of the damaged family " + cf.label(), e);
        } finally {
            if (handles.get(cf.ordinal()) != old) {
                old.close();
            }
        }
    }

    /** The families {@link #open(Path, boolean, java.util.function.BooleanSupplier)} dropped as damaged (empty: none); they must be filled again. */
    public java.util.Set<Cf> droppedFamilies() {
        return dropped;
    }

    /** Which damaged table files made {@link #open(Path, boolean, java.util.function.BooleanSupplier)} drop families, or null if none. */
    public String droppedWhy() {
        return droppedWhy;
    }

    /**
     * Refuses a database directory that holds RocksDB data but no {@code CURRENT} (the file naming
     * the live MANIFEST): RocksDB would then fail with "wal_dir contains existing log file" or,
     * without logs, start an empty database beside the old files. Neither says what happened.
     */
    private static void checkCurrentFile(Path dir) throws CairnException {
        if (!Files.isDirectory(dir) || Files.exists(dir.resolve("CURRENT"))) {
            return;
        }
        List<String> manifests = new ArrayList<>();
        int tables = 0;
        int logs = 0;
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String n = p.getFileName().toString();
                if (n.matches("MANIFEST-[0-9]+")) {
                    manifests.add(n);
                } else if (n.matches("[0-9]+\\.sst")) {
                    tables++;
                } else if (n.matches("[0-9]+\\.log")) {
                    logs++;
                }
            }
        } catch (IOException e) {
            throw new CairnException(Status.IO_ERROR, "cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (manifests.isEmpty() && tables == 0 && logs == 0) {
            return; // nothing of a database yet: RocksDB creates one
        }
        manifests.sort(java.util.Comparator.comparingLong(n -> Long.parseLong(n.substring("MANIFEST-".length()))));
        String repair = manifests.isEmpty()
                ? "no MANIFEST file is left either, so the database cannot be opened as it is"
                : "if only CURRENT was lost and the MANIFEST files are intact, writing the newest one's name into it"
                        + " (`echo " + manifests.get(manifests.size() - 1) + " > " + dir.resolve("CURRENT")
                        + "`) lets it open; then run `cairn verify --read-data`";
        throw new CairnException(Status.CORRUPT, "the metadata database at " + dir + " is damaged: its CURRENT file"
                + " (which names the live MANIFEST) is missing, beside " + tables + " table file(s), " + logs
                + " log file(s) and " + manifests.size() + " MANIFEST file(s). Cairn does not open it: RocksDB would"
                + " misread it or start an empty database beside it. Restore the directory from a backup (for an s3"
                + " store: `cairnd --restore-from-bucket`); " + repair + ". `cairnd --rebuild-index` cannot help: it"
                + " needs this database open." + WITHOUT_BACKUP.apply(dir));
    }

    /**
     * The last resort for a database that cannot be opened, as advice: without {@code meta/}, the
     * open of a format-2 store rolls every checkpoint forward from the catalog (docs/FORMAT.md,
     * "Catalog: recovery at open") and records existing packs as unaccounted (GC keeps them).
     */
    private static final java.util.function.Function<Path, String> WITHOUT_BACKUP = dir -> " Without a backup: move "
            + dir + " aside (keep it for analysis) and start cairnd; if the store's catalog is intact, the open rebuilds"
            + " the metadata from it and from the pack footers (every committed checkpoint; GC then keeps the data it"
            + " cannot explain until `cairn gc --force`); check with `cairn verify --read-data`";

    /**
     * Null, or the error RocksDB reported for a damaged WAL record at open: the database then
     * holds only the writes before that record.
     */
    public String walDamage() {
        return walDamage;
    }

    public Path dir() {
        return dir;
    }

    public byte[] get(Cf cf, byte[] key) throws CairnException {
        enter();
        try {
            return db.get(handle(cf), readOptions, key);
        } catch (RocksDBException e) {
            throw wrap("read", e);
        } finally {
            exit();
        }
    }

    /**
     * The greatest key of a family that starts with {@code prefix}, or null if there is none: one
     * reverse seek, where a prefix scan would read every key to reach the last.
     */
    public byte[] lastKeyWithPrefix(Cf cf, byte[] prefix) throws CairnException {
        enter();
        byte[] end = Keys.prefixEnd(prefix);
        try (ReadOptions ro = new ReadOptions().setVerifyChecksums(true);
             Slice lower = new Slice(prefix);
             Slice upper = end == null ? null : new Slice(end)) {
            ro.setIterateLowerBound(lower);
            if (upper != null) {
                ro.setIterateUpperBound(upper);
            }
            try (RocksIterator it = db.newIterator(handle(cf), ro)) {
                it.seekToLast();
                if (it.isValid()) {
                    return it.key();
                }
                it.status();
                return null;
            }
        } catch (RocksDBException e) {
            throw wrap("read", e);
        } finally {
            exit();
        }
    }

    /** Values for {@code keys} in one call; a missing key yields null at its position. */
    public List<byte[]> multiGet(Cf cf, List<byte[]> keys) throws CairnException {
        if (keys.isEmpty()) {
            return List.of();
        }
        enter();
        try {
            return db.multiGetAsList(readOptions, Collections.nCopies(keys.size(), handle(cf)), keys);
        } catch (RocksDBException e) {
            throw wrap("read", e);
        } finally {
            exit();
        }
    }

    public void put(Cf cf, byte[] key, byte[] value, boolean sync) throws CairnException {
        enter();
        try {
            db.put(handle(cf), sync ? syncWrite : asyncWrite, key, value);
        } catch (RocksDBException e) {
            throw wrap("write", e);
        } finally {
            exit();
        }
    }

    /** A new batch; callers fill it with {@link Batch#put}/{@link Batch#delete} and {@link #write} it. */
    public Batch batch() {
        return new Batch(new WriteBatch());
    }

    /**
     * Applies a batch atomically. With {@code sync}, the WAL is fsynced before returning, which
     * also makes every earlier unsynced write durable (the WAL is one ordered log).
     */
    public void write(Batch batch, boolean sync) throws CairnException {
        Attachment a = batch.attachment;
        if (a != null) {
            // e.g. the catalog's append + fsync: it must be durable before the batch it describes.
            a.beforeWrite(batch);
        }
        enter();
        try {
            db.write(sync ? syncWrite : asyncWrite, batch.wb);
        } catch (RocksDBException e) {
            throw wrap("write", e);
        } finally {
            exit();
        }
        if (a != null) {
            a.afterWrite();
        }
    }

    /**
     * Work bound to a batch by a higher layer, run by {@link #write} around the RocksDB write, so
     * that no caller that writes the batch can forget it.
     */
    public interface Attachment {
        /**
         * Runs before RocksDB applies the batch, and may still add to it; if it throws, the batch
         * is not applied.
         */
        void beforeWrite(Batch batch) throws CairnException;

        /** Runs after RocksDB applied the batch; must not throw. */
        void afterWrite();
    }

    /**
     * Iterates keys in {@code [from, to)} of a family ({@code to == null}: to the end). The cursor
     * must be closed.
     */
    public Cursor scan(Cf cf, byte[] from, byte[] to) throws CairnException {
        enter();
        return new Cursor(cf, from, to);
    }

    /** Iterates all keys starting with {@code prefix}. */
    public Cursor scanPrefix(Cf cf, byte[] prefix) throws CairnException {
        return scan(cf, prefix, Keys.prefixEnd(prefix));
    }

    /**
     * A consistent point-in-time view for several scans (GC's mark). Must be closed before the
     * database; it counts as a call in progress until then.
     */
    public Snapshot snapshot() throws CairnException {
        enter();
        return new Snapshot(db.getSnapshot());
    }

    /** Iterates keys in {@code [from, to)} of a family as of {@code snap}. */
    public Cursor scan(Cf cf, byte[] from, byte[] to, Snapshot snap) throws CairnException {
        enter();
        return new Cursor(cf, from, to, snap);
    }

    /** A RocksDB snapshot. Close it (releases the snapshot). */
    public final class Snapshot implements AutoCloseable {
        private final org.rocksdb.Snapshot snap;
        private boolean released;

        private Snapshot(org.rocksdb.Snapshot snap) {
            this.snap = snap;
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                db.releaseSnapshot(snap);
                exit();
            }
        }
    }

    /** Forces the memtables to disk; used before copying the database (backups). */
    public void flush() throws CairnException {
        enter();
        try (org.rocksdb.FlushOptions fo = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
            db.flush(fo, handles);
        } catch (RocksDBException e) {
            throw wrap("flush", e);
        } finally {
            exit();
        }
    }

    /**
     * Writes a consistent, openable copy of the database to {@code target} (which must not exist)
     * with RocksDB's Checkpoint: memtables are flushed, SST files are hard-linked (same file
     * system) or copied, the rest is copied. Used by the metadata backup to object storage.
     */
    public void checkpoint(Path target) throws CairnException {
        enter();
        try (org.rocksdb.Checkpoint cp = org.rocksdb.Checkpoint.create(db)) {
            cp.createCheckpoint(target.toString());
        } catch (RocksDBException e) {
            throw wrap("checkpoint", e);
        } finally {
            exit();
        }
    }

    /**
     * The sequence number of the last write. It moves with every write batch, so two equal
     * readings mean nothing was written in between (a backup can be skipped).
     */
    public long latestSequenceNumber() throws CairnException {
        enter();
        try {
            return db.getLatestSequenceNumber();
        } finally {
            exit();
        }
    }

    /** An estimate of the number of keys in a family (RocksDB's "rocksdb.estimate-num-keys"). */
    public long estimateKeys(Cf cf) throws CairnException {
        enter();
        try {
            return db.getLongProperty(handle(cf), "rocksdb.estimate-num-keys");
        } catch (RocksDBException e) {
            throw wrap("read", e);
        } finally {
            exit();
        }
    }

    /** Total size of the SST and WAL files. */
    public long sizeOnDisk() {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return -1;
        }
    }

    ColumnFamilyHandle handle(Cf cf) {
        return handles.get(cf.ordinal());
    }

    private void enter() throws CairnException {
        inUse.incrementAndGet();
        if (closing) {
            inUse.decrementAndGet();
            throw new CairnException(Status.SHUTTING_DOWN, "the metadata database is closed");
        }
    }

    private void exit() {
        inUse.decrementAndGet();
    }

    /**
     * Closes the database after the calls and cursors in progress have finished (waiting up to a
     * minute; a cursor left open longer is a bug, and closing under it would crash the JVM).
     */
    @Override
    public void close() {
        closing = true;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (inUse.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inUse.get() > 0) {
            throw new IllegalStateException(inUse.get() + " metadata calls or cursors still open at close");
        }
        // Reverse order of creation: handles before the db, options after the db that uses them.
        if (readOptions != null) {
            readOptions.close();
            syncWrite.close();
            asyncWrite.close();
        }
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        handles.clear();
        if (db != null) {
            try {
                db.syncWal();
            } catch (RocksDBException ignored) {
                // closing anyway; every commit already synced its own writes
            }
            db.close();
        }
        closeQuietly();
    }

    private void closeQuietly() {
        dbOptions.close();
        cfOptions.forEach(ColumnFamilyOptions::close);
        blockCache.close();
    }

    static CairnException wrap(String op, RocksDBException e) {
        String msg = String.valueOf(e.getMessage());
        // An iterator's error carries the code only in its status, not in its message text.
        boolean corrupt = msg.contains("Corruption") || (e.getStatus() != null
                && e.getStatus().getCode() == org.rocksdb.Status.Code.Corruption);
        Status st = msg.contains("No space") || msg.contains("ENOSPC") ? Status.NO_SPACE
                : corrupt ? Status.CORRUPT : Status.IO_ERROR;
        String hint = st == Status.NO_SPACE ? "; free disk space and retry (nothing committed was lost)"
                : st == Status.CORRUPT ? " (the metadata database is damaged; `cairn verify` lists what it affects)" : "";
        return new CairnException(st, "metadata " + op + " failed: " + msg + hint, e);
    }

    /** A write batch bound to this database's column families. Not thread-safe. */
    public final class Batch implements AutoCloseable {
        final WriteBatch wb;
        private Attachment attachment;

        /** The attachment {@link #write} runs around this batch, or null. */
        public Attachment attachment() {
            return attachment;
        }

        /** Binds {@code a} to this batch (one per batch; a second call replaces the first). */
        public void attach(Attachment a) {
            this.attachment = a;
        }

        private Batch(WriteBatch wb) {
            this.wb = wb;
        }

        public Batch put(Cf cf, byte[] key, byte[] value) throws CairnException {
            try {
                wb.put(handle(cf), key, value);
            } catch (RocksDBException e) {
                throw wrap("batch", e);
            }
            return this;
        }

        public Batch delete(Cf cf, byte[] key) throws CairnException {
            try {
                wb.delete(handle(cf), key);
            } catch (RocksDBException e) {
                throw wrap("batch", e);
            }
            return this;
        }

        /** Deletes every key in {@code [from, to)}. */
        public Batch deleteRange(Cf cf, byte[] from, byte[] to) throws CairnException {
            try {
                wb.deleteRange(handle(cf), from, to);
            } catch (RocksDBException e) {
                throw wrap("batch", e);
            }
            return this;
        }

        public int count() {
            return wb.count();
        }

        @Override
        public void close() {
            wb.close();
        }
    }

    /** A forward cursor over a key range. Not thread-safe; close it. */
    public final class Cursor implements AutoCloseable {
        private final ReadOptions ro;
        private final Slice upper;
        private final RocksIterator it;
        private boolean started;

        private Cursor(Cf cf, byte[] from, byte[] to) {
            this(cf, from, to, null);
        }

        private Cursor(Cf cf, byte[] from, byte[] to, Snapshot snap) {
            ro = new ReadOptions().setVerifyChecksums(true);
            if (snap != null) {
                ro.setSnapshot(snap.snap);
            }
            upper = to == null ? null : new Slice(to);
            if (upper != null) {
                ro.setIterateUpperBound(upper);
            }
            it = db.newIterator(handle(cf), ro);
            if (from == null) {
                it.seekToFirst();
            } else {
                it.seek(from);
            }
        }

        /** Advances to the next key; false at the end of the range. */
        public boolean next() throws CairnException {
            if (started) {
                it.next();
            }
            started = true;
            if (!it.isValid()) {
                try {
                    it.status();
                } catch (RocksDBException e) {
                    throw wrap("scan", e);
                }
                return false;
            }
            return true;
        }

        public byte[] key() {
            return it.key();
        }

        public byte[] value() {
            return it.value();
        }

        private boolean released;

        @Override
        public void close() {
            if (released) {
                return;
            }
            released = true;
            it.close();
            ro.close();
            if (upper != null) {
                upper.close();
            }
            exit();
        }
    }

    @Override
    public String toString() {
        return "MetaDb[" + dir + ", cfs=" + Arrays.toString(Cf.values()) + "]";
    }
}
