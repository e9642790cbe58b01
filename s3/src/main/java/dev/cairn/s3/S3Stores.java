package dev.cairn.s3;

import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;
import dev.cairn.store.meta.MetaDb;
import software.amazon.awssdk.http.SdkHttpClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * Opens a {@link Repository} whose packs live in a bucket and whose metadata is backed up there,
 * and restores one from the bucket. The one place that wires bucket client, pack store, metadata
 * backup and repository together, in this order (each needs the previous), and closes them in
 * reverse through {@link Repository#close()}: seal and upload the open pack, final metadata
 * backup, local cache, bucket client, RocksDB.
 */
public final class S3Stores {
    private S3Stores() {
    }

    /** Opens (creating if needed) the store in {@code dir} with its packs at {@code s}. */
    public static Repository open(Path dir, RepositoryOptions options, S3Settings s) throws IOException {
        return open(dir, options, s, null);
    }

    /** As {@link #open(Path, RepositoryOptions, S3Settings)}; {@code httpWrapper} decorates the HTTP client (tests). */
    public static Repository open(Path dir, RepositoryOptions options, S3Settings s,
                                  UnaryOperator<SdkHttpClient> httpWrapper) throws IOException {
        Files.createDirectories(dir);
        Bucket bucket = Bucket.open(s, httpWrapper);
        MetaDb db = null;
        S3PackStore packs = null;
        try {
            db = MetaDb.open(dir.resolve("meta"));
            ObjectKeys keys = new ObjectKeys(s.prefix());
            packs = S3PackStore.open(bucket, keys, s.cacheDirFor(dir), s);
            Repository repo = Repository.open(dir, options, db, packs);
            MetadataBackup backup = new MetadataBackup(db, bucket, keys, dir.resolve("backup-work"), s.backupEvery());
            packs.attach(backup);
            backup.start();
            return repo;
        } catch (IOException | RuntimeException e) {
            if (packs != null) {
                packs.close(); // closes the bucket too
            } else {
                bucket.close();
            }
            if (db != null) {
                db.close();
            }
            throw e;
        }
    }

    /**
     * Restores the metadata of the store in {@code dir} from the newest backup under
     * {@code s}'s prefix. Packs stay in the bucket; the store reads them from there once opened.
     */
    public static BackupDescriptor restore(Path dir, S3Settings s) throws IOException {
        try (Bucket bucket = Bucket.open(s, null)) {
            return BackupRestorer.restore(bucket, new ObjectKeys(s.prefix()), dir);
        }
    }

    /** The metadata backup of a store opened by {@link #open}, or null for other stores. */
    public static MetadataBackup backupOf(Repository repo) {
        return repo.packs() instanceof S3PackStore p ? p.metadataBackup() : null;
    }
}
