package dev.cairn.s3;

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
import java.util.stream.Stream;

/**
 * Rebuilds a store's metadata directory from the newest complete backup in the bucket
 * ({@code cairnd --restore-from-bucket}, docs/S3.md "Restore"). Files are downloaded into a
 * temporary directory, each checked against its size and SHA-256, synced, and the directory is
 * renamed into place only when all arrived: an interrupted restore leaves no half-restored store.
 * Stateless.
 */
public final class BackupRestorer {
    private static final Logger log = LoggerFactory.getLogger(BackupRestorer.class);
    private static final int PIECE = 8 << 20;

    private BackupRestorer() {
    }

    /**
     * Restores {@code storeDir/meta} from the newest backup under {@code keys}.
     *
     * @return the backup restored
     * @throws IOException if {@code storeDir/meta} already holds a database, no backup exists,
     *                     or a file is missing or does not match its descriptor
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
        long newest = -1;
        for (Bucket.ObjectInfo o : bucket.list(keys.backupsPrefix())) {
            newest = Math.max(newest, keys.backupNumberOf(o.key()));
        }
        if (newest < 0) {
            throw new IOException("no metadata backup under s3://" + bucket.name() + "/" + keys.backupsPrefix()
                    + "; nothing to restore");
        }
        byte[] raw = bucket.get(keys.backup(newest));
        if (raw == null) {
            throw new IOException("backup " + keys.backup(newest) + " disappeared while restoring");
        }
        BackupDescriptor d;
        try {
            d = BackupDescriptor.decode(raw);
        } catch (IllegalArgumentException e) {
            throw new IOException("backup " + keys.backup(newest) + " is damaged: " + e.getMessage(), e);
        }
        long t0 = System.nanoTime();
        Files.createDirectories(storeDir);
        Path tmp = storeDir.resolve("meta.restoring");
        LocalFiles.deleteTree(tmp);
        Files.createDirectories(tmp);
        for (BackupDescriptor.FileEntry f : d.files()) {
            download(bucket, keys.file(f.sha256()), f, tmp.resolve(f.name()));
        }
        FileIo.fsyncDirectory(tmp);
        if (Files.exists(meta)) {
            Files.delete(meta); // empty, checked above
        }
        Files.move(tmp, meta, StandardCopyOption.ATOMIC_MOVE);
        FileIo.fsyncDirectory(storeDir);
        log.info("restored metadata backup {} (store {}, RocksDB sequence {}): {} files, {} bytes in {} ms into {}",
                d.number(), d.storeId(), d.sequence(), d.files().size(), d.bytes(), (System.nanoTime() - t0) / 1_000_000,
                meta);
        return d;
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
