package dev.cairn.s3;

import dev.cairn.protocol.CairnException;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;
import dev.cairn.store.StoreConfig;
import dev.cairn.store.chunk.ChunkIndexCodec;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.pack.PackId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.SdkHttpClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Opens a {@link Repository} whose packs live in a bucket and whose metadata is backed up there,
 * and restores one from it. The one place that wires bucket client, prefix ownership, pack store,
 * metadata backup and repository together, in this order (each needs the previous), and closes
 * them in reverse through {@link Repository#close()}: seal and upload the open pack, final
 * metadata backup, local cache, bucket client, RocksDB.
 */
public final class S3Stores {
    private static final Logger log = LoggerFactory.getLogger(S3Stores.class);

    private S3Stores() {
    }

    /** Opens (creating if needed) the store in {@code dir} with its packs at {@code s}. */
    public static Repository open(Path dir, RepositoryOptions options, S3Settings s) throws IOException {
        return open(dir, options, s, null);
    }

    /**
     * As {@link #open(Path, RepositoryOptions, S3Settings)}; {@code httpWrapper} decorates the HTTP client (tests).
     *
     * @throws CairnException {@link dev.cairn.protocol.Status#STORE_LOCKED} if another store owns
     *                        the prefix (see {@link PrefixOwner#claim})
     */
    public static Repository open(Path dir, RepositoryOptions options, S3Settings s,
                                  UnaryOperator<SdkHttpClient> httpWrapper) throws IOException {
        return open(dir, options, s, httpWrapper, System::nanoTime);
    }

    /** As {@link #open(Path, RepositoryOptions, S3Settings, UnaryOperator)}; the lease is measured by {@code nanoClock} (tests). */
    static Repository open(Path dir, RepositoryOptions options, S3Settings s, UnaryOperator<SdkHttpClient> httpWrapper,
                           java.util.function.LongSupplier nanoClock) throws IOException {
        Files.createDirectories(dir);
        Bucket bucket = Bucket.open(s, httpWrapper);
        MetaDb db = null;
        S3PackStore packs = null;
        PrefixOwner owner = null;
        try {
            db = MetaDb.open(dir.resolve("meta"), options.markDamagedOnOpen(), () -> Repository.catalogIntact(dir));
            // The store id decides whose prefix this is, before anything touches the bucket.
            StoreConfig config = Repository.loadOrCreateConfig(dir, db, options);
            ObjectKeys keys = new ObjectKeys(s.prefix());
            owner = PrefixOwner.claimAndRenew(bucket, keys, config.storeIdHex(), PrefixOwner.holderOf(dir), s.lease(),
                    nanoClock);
            checkRestoredIsNewest(dir, bucket, keys, config.storeIdHex());
            MetaDb index = db;
            // A repair open that dropped a damaged chunk index rebuilds it only after the pack store
            // has started: until then the empty index would make every local pack that is not in the
            // bucket (possibly the last copy) and every legacy object look unreferenced. Take them
            // all as referenced for this process (a rebuild, which deletes nothing and then exits).
            boolean indexDropped = db.droppedFamilies().contains(dev.cairn.store.meta.MetaDb.Cf.CHUNKS);
            packs = S3PackStore.open(bucket, keys, s.cacheDirFor(dir), s, owner,
                    indexDropped ? S3PackStore.IndexedPacks.ALL : () -> indexedPacks(index));
            Repository repo = Repository.open(dir, options, db, packs);
            MetadataBackup backup = new MetadataBackup(db, bucket, keys, dir.resolve("backup-work"), s.backupEvery(), owner);
            packs.attach(backup);
            backup.start();
            return repo;
        } catch (IOException | RuntimeException e) {
            if (packs != null) {
                packs.close(); // closes the bucket and the lease renewals too
            } else {
                if (owner != null) {
                    owner.close();
                }
                bucket.close();
            }
            if (db != null) {
                db.close();
            }
            throw e;
        }
    }

    /**
     * After a restore ({@link BackupRestorer} left its marker), once this store holds the lease:
     * refuses to start if a backup of this store newer than the one restored exists. The old
     * holder wrote it after the restore picked its backup (it still ran then), and its deletions
     * after that backup may have removed packs the restored index names: restore again. The
     * marker is removed once the check passed.
     */
    private static void checkRestoredIsNewest(Path dir, Bucket bucket, ObjectKeys keys, String storeId)
            throws IOException {
        Path marker = dir.resolve(BackupRestorer.RESTORED_MARKER);
        if (!Files.exists(marker)) {
            return;
        }
        long restored;
        try {
            restored = Long.parseLong(Files.readString(marker).trim());
        } catch (NumberFormatException e) {
            throw new IOException(marker + " is damaged (" + e.getMessage() + "); restore again", e);
        }
        for (Bucket.ObjectInfo o : bucket.list(keys.backupsPrefix())) {
            long n = keys.backupNumberOf(o.key());
            if (n <= restored) {
                continue;
            }
            byte[] b = bucket.get(o.key());
            String by;
            try {
                by = b == null ? null : BackupDescriptor.decode(b).storeId();
            } catch (IllegalArgumentException damaged) {
                by = null;
            }
            if (storeId.equals(by)) {
                throw new CairnException(dev.cairn.protocol.Status.STORE_LOCKED, "metadata backup " + n + " of store "
                        + storeId + " was written after the restore picked backup " + restored + " (the old daemon still"
                        + " ran then): the restored metadata may name packs deleted since. Move " + dir.resolve("meta")
                        + " away and run --restore-from-bucket again");
            }
        }
        Files.delete(marker);
        dev.cairn.store.pack.FileIo.fsyncDirectory(dir);
    }

    /** Every pack the chunk index of {@code db} references (one scan of the index). */
    static Set<PackId> indexedPacks(MetaDb db) throws IOException {
        Set<PackId> out = new HashSet<>();
        long t0 = System.nanoTime();
        long entries = 0;
        try (MetaDb.Cursor c = db.scan(MetaDb.Cf.CHUNKS, null, null)) {
            while (c.next()) {
                entries++;
                try {
                    out.add(ChunkIndexCodec.decode(c.value()).location().pack());
                } catch (CairnException damaged) {
                    // verify reports it; it names no pack this store could prove its own
                }
            }
        }
        log.debug("chunk index: {} entries name {} packs ({} ms)", entries, out.size(), (System.nanoTime() - t0) / 1_000_000);
        return out;
    }

    /**
     * Restores the metadata of the store in {@code dir} from the newest backup of the owner of
     * {@code s}'s prefix. Packs stay in the bucket; the store reads them from there once opened.
     */
    public static BackupDescriptor restore(Path dir, S3Settings s) throws IOException {
        try (Bucket bucket = Bucket.open(s, null)) {
            return BackupRestorer.restore(bucket, new ObjectKeys(s.prefix()), dir);
        }
    }

    /**
     * {@code cairnd --take-over-prefix}: makes the store in {@code dir} (created if it does not
     * exist yet) the owner of {@code s}'s prefix, whichever store owned it. Only for an operator
     * who made sure the old owner is gone: its daemon stopped, its checkpoints no longer needed
     * from this prefix. The old owner's packs and backups stay; this store never deletes them.
     *
     * @return the owner replaced, or null if there was none or it was this store already
     */
    public static OwnerRecord takeOver(Path dir, RepositoryOptions options, S3Settings s) throws IOException {
        Files.createDirectories(dir);
        String storeId;
        try (MetaDb db = MetaDb.open(dir.resolve("meta"))) {
            storeId = Repository.loadOrCreateConfig(dir, db, options).storeIdHex();
        }
        try (Bucket bucket = Bucket.open(s, null)) {
            return PrefixOwner.takeOver(bucket, new ObjectKeys(s.prefix()), storeId, PrefixOwner.holderOf(dir), s.lease());
        }
    }

    /** The pack store of a store opened by {@link #open}, or null for other stores (metrics). */
    public static S3PackStore packsOf(Repository repo) {
        return repo.packs() instanceof S3PackStore p ? p : null;
    }

    /** The metadata backup of a store opened by {@link #open}, or null for other stores. */
    public static MetadataBackup backupOf(Repository repo) {
        return repo.packs() instanceof S3PackStore p ? p.metadataBackup() : null;
    }

    /**
     * Why the store stopped writing to its prefix (another store writes there), or null while
     * it writes and for stores not opened by {@link #open}.
     */
    public static String writesStopped(Repository repo) {
        return repo.packs() instanceof S3PackStore p ? p.writesStopped() : null;
    }

    /**
     * Throws {@link dev.cairn.protocol.Status#STORE_LOCKED} if the store stopped writing to its
     * prefix; a no-op for other stores. The daemon calls it when a put begins and commits.
     */
    public static void checkWritable(Repository repo) throws CairnException {
        if (repo.packs() instanceof S3PackStore p) {
            p.owner().checkWritable();
        }
    }
}
