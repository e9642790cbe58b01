package dev.cairn.s3;

import dev.cairn.store.RestoreMarker;
import dev.cairn.store.pack.FileIo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Rebuilds a store's metadata directory from the newest complete backup of the prefix's owner
 * in the bucket ({@code cairnd --restore-from-bucket}, docs/S3.md "Restore"). Files are downloaded into a
 * temporary directory, each checked against its size and SHA-256, synced, and the directory is
 * renamed into place only when all arrived: an interrupted restore leaves no half-restored store.
 * Stateless.
 */
public final class BackupRestorer {
    private static final Logger log = LoggerFactory.getLogger(BackupRestorer.class);
    private static final int PIECE = 8 << 20;
    /** A file in the store directory naming the backup number a restore picked, until the first open checked it. */
    static final String RESTORED_MARKER = "s3-restored";

    private BackupRestorer() {
    }

    /**
     * Restores {@code storeDir/meta} from the newest backup under {@code keys} of the store that
     * owns the prefix (its owner object). Without an owner object (a prefix written before owner
     * objects existed) the newest backup, if every backup there is of one store.
     *
     * @return the backup restored
     * @throws IOException if {@code storeDir/meta} already holds a database, no backup of the
     *                     owner exists, the owner cannot be told, or a file is missing or does
     *                     not match its descriptor
     */
    public static BackupDescriptor restore(Bucket bucket, ObjectKeys keys, Path storeDir) throws IOException {
        Path meta = storeDir.resolve("meta");
        if (Files.isDirectory(meta)) {
            try (Stream<Path> s = Files.list(meta)) {
                if (s.findAny().isPresent()) {
                    throw new IOException(meta + " already holds a metadata database; restoring from the bucket would"
                            + " replace it. Move it away first (or start without --restore-from-bucket)");
                }
            }
        }
        BackupDescriptor d = pick(bucket, keys);
        long t0 = System.nanoTime();
        Files.createDirectories(storeDir);
        Path tmp = storeDir.resolve("meta.restoring");
        LocalFiles.deleteTree(tmp);
        Files.createDirectories(tmp);
        for (BackupDescriptor.FileEntry f : d.files()) {
            download(bucket, keys.file(f.sha256()), f, tmp.resolve(f.name()));
        }
        FileIo.fsyncDirectory(tmp);
        // Before meta/ appears: the first open then knows the missing catalog is expected (it
        // writes it from the restored database) rather than damage.
        RestoreMarker.write(storeDir, "metadata backup " + d.number() + " of store " + d.storeId() + " from s3://"
                + bucket.name() + "/" + keys.backupsPrefix() + ", RocksDB sequence " + d.sequence());
        if (Files.exists(meta)) {
            Files.delete(meta); // empty, checked above
        }
        Files.move(tmp, meta, StandardCopyOption.ATOMIC_MOVE);
        // The first open checks, once it holds the lease, that the old holder wrote no newer
        // backup after this pick (S3Stores.open; docs/S3.md, "Leases").
        Path marker = storeDir.resolve(RESTORED_MARKER);
        try (FileChannel ch = FileChannel.open(marker, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            FileIo.writeFully(ch, ByteBuffer.wrap((d.number() + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                    0);
            ch.force(true);
        }
        FileIo.fsyncDirectory(storeDir);
        log.info("restored metadata backup {} (store {}, RocksDB sequence {}): {} files, {} bytes in {} ms into {}",
                d.number(), d.storeId(), d.sequence(), d.files().size(), d.bytes(), (System.nanoTime() - t0) / 1_000_000,
                meta);
        return d;
    }

    /**
     * The descriptor to restore: the highest-numbered one of the owner's store. Descriptors are
     * read newest first until one of the owner's turns up; a damaged one on the way fails the
     * restore (it may be the owner's newest).
     */
    private static BackupDescriptor pick(Bucket bucket, ObjectKeys keys) throws IOException {
        List<Long> numbers = new ArrayList<>();
        for (Bucket.ObjectInfo o : bucket.list(keys.backupsPrefix())) {
            long n = keys.backupNumberOf(o.key());
            if (n >= 0) {
                numbers.add(n);
            }
        }
        String where = "s3://" + bucket.name() + "/" + keys.backupsPrefix();
        if (numbers.isEmpty()) {
            throw new IOException("no metadata backup under " + where + "; nothing to restore");
        }
        numbers.sort(Comparator.reverseOrder());
        OwnerRecord owner = readOwner(bucket, keys);
        Set<String> stores = new TreeSet<>();
        BackupDescriptor newest = null;
        for (long n : numbers) {
            byte[] raw = bucket.get(keys.backup(n));
            if (raw == null) {
                continue; // pruned meanwhile: an older one
            }
            BackupDescriptor d;
            try {
                d = BackupDescriptor.decode(raw);
            } catch (IllegalArgumentException e) {
                throw new IOException("backup " + keys.backup(n) + " is damaged: " + e.getMessage(), e);
            }
            if (owner != null && d.storeId().equals(owner.storeId())) {
                if (!stores.isEmpty()) {
                    log.warn("restoring backup {} of {}, the owner of the prefix; newer backups of {} are not restored",
                            d.number(), owner.describe(), stores);
                }
                return d;
            }
            stores.add(d.storeId());
            newest = newest == null ? d : newest;
        }
        if (owner != null) {
            throw new IOException("no metadata backup under " + where + " is of " + owner.describe()
                    + ", which owns the prefix; the backups there are of " + stores);
        }
        if (newest == null) {
            throw new IOException("no metadata backup under " + where + " (they were deleted while restoring)");
        }
        if (stores.size() > 1) {
            throw new IOException("the prefix has no owner object and holds backups of several stores " + stores + " (two"
                    + " daemons wrote to it): cannot tell which one to restore. Move the other stores' descriptors away"
                    + " (" + where + "<n>.backup, whose 'store' line names the store), then restore again");
        }
        return newest;
    }

    private static OwnerRecord readOwner(Bucket bucket, ObjectKeys keys) throws IOException {
        byte[] b = bucket.get(keys.owner());
        if (b == null) {
            return null;
        }
        try {
            return OwnerRecord.decode(b);
        } catch (IllegalArgumentException e) {
            throw new IOException("the owner object " + keys.owner() + " is unreadable (" + e.getMessage() + "): cannot"
                    + " tell whose backup to restore", e);
        }
    }

    private static void download(Bucket bucket, String key, BackupDescriptor.FileEntry f, Path target) throws IOException {
        MessageDigest sha = Hashes.digest("SHA-256");
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long off = 0; off < f.size(); off += PIECE) {
                int len = (int) Math.min(PIECE, f.size() - off);
                byte[] b = bucket.get(key, off, len);
                if (b == null) {
                    throw new IOException("backup file " + f.name() + " (" + key + ") is missing from the bucket");
                }
                sha.update(b);
                FileIo.writeFully(ch, ByteBuffer.wrap(b), off);
            }
            if (f.size() == 0 && bucket.head(key) == null) {
                throw new IOException("backup file " + f.name() + " (" + key + ") is missing from the bucket");
            }
            ch.force(true);
        }
        String actual = Hashes.hex(sha.digest());
        if (!actual.equals(f.sha256())) {
            throw new IOException("backup file " + f.name() + " (" + key + ") does not match its descriptor: SHA-256 "
                    + actual + ", expected " + f.sha256());
        }
    }
}
