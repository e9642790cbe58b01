package dev.cairn.s3;

import dev.cairn.store.meta.MetaDb;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Keeps the store's RocksDB metadata recoverable from the bucket (docs/S3.md, "Metadata backup").
 * A backup is a RocksDB checkpoint (consistent, SST files hard-linked) whose files are uploaded
 * content-addressed ({@code meta/files/<sha-256>}: an SST file unchanged since the last backup is
 * not uploaded again), completed by a numbered descriptor written last. The newest complete
 * descriptor is what {@link BackupRestorer} restores.
 *
 * <p>When: every {@code every} if anything was written since the last backup (RocksDB's sequence
 * number moved; commits in between coalesce into one backup), before packs are deleted from the
 * bucket ({@link #backupIfChanged} as {@link S3PackStore}'s delete barrier: the GC switch that
 * made them deletable is then part of the backup, so a restored store never names a deleted
 * pack), and at close. The newest {@value #KEEP} backups are kept; files only older ones use are
 * deleted after a new backup completed.
 *
 * <p>Ownership (docs/S3.md, "Ownership"): before its descriptor is written and before pruning,
 * a backup checks that this store still owns the prefix ({@link PrefixOwner#checkOwner}).
 * Descriptors are written conditionally; a number taken by another store's descriptor means a
 * second store writes to the prefix, and writes stop. Pruning deletes only this store's
 * descriptors, and only files that no remaining descriptor of any store names.
 *
 * <p>Thread-safe: backups are serialised on this object's monitor. Backup numbers come from the
 * bucket (highest + 1), never from a clock.
 */
public final class MetadataBackup implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(MetadataBackup.class);
    /** Backups kept in the bucket; older descriptors and the files only they name are deleted. */
    static final int KEEP = 3;
    /** Descriptor writes that find their number taken by this store's own older descriptor before giving up. */
    private static final int NUMBER_ATTEMPTS = 4;

    private final MetaDb db;
    private final Bucket bucket;
    private final ObjectKeys keys;
    private final Path workDir;
    private final Duration every;
    private final PrefixOwner owner;
    /** Descriptors read so far, by number (a descriptor never changes once written). Guarded by this. */
    private final Map<Long, BackupDescriptor> descriptors = new HashMap<>();
    private final ScheduledExecutorService timer;
    /** SHA-256 of SST files hashed before, by name and size: SST files never change. Guarded by this. */
    private final Map<String, String> sstHashes = new HashMap<>();
    /** Files known to be in the bucket; null until listed. Guarded by this. */
    private Set<String> uploaded;
    private long nextNumber = -1;
    private long lastSequence = -1;
    private boolean closed;
    private boolean skipFinal;

    public MetadataBackup(MetaDb db, Bucket bucket, ObjectKeys keys, Path workDir, Duration every, PrefixOwner owner) {
        this.db = db;
        this.owner = owner;
        this.bucket = bucket;
        this.keys = keys;
        this.workDir = workDir;
        this.every = every;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-metadata-backup");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the schedule. */
    public void start() {
        long ms = every.toMillis();
        timer.scheduleWithFixedDelay(this::scheduled, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void scheduled() {
        if (owner.stoppedReason() != null) {
            return; // logged once when writes stopped
        }
        try {
            backupIfChanged();
        } catch (IOException | RuntimeException e) {
            // The next run tries again; until a backup succeeds the recovery point stays older.
            log.error("metadata backup to {} failed: {}", bucket.name(), e.toString());
        }
    }

    /**
     * Backs up the metadata if anything was written since the last backup, and returns when the
     * backup is complete in the bucket.
     *
     * @return the new backup, or null if nothing changed
     */
    public synchronized BackupDescriptor backupIfChanged() throws IOException {
        if (closed) {
            throw new IOException("the metadata backup is closed");
        }
        owner.checkWritable();
        // Read before the checkpoint: everything up to this number is in it (maybe more, which
        // only means the next run backs up once more than needed).
        long seq = db.latestSequenceNumber();
        if (seq == lastSequence) {
            return null;
        }
        return backup(seq);
    }

    private BackupDescriptor backup(long seq) throws IOException {
        long t0 = System.nanoTime();
        if (uploaded == null) {
            Set<String> there = new HashSet<>();
            for (Bucket.ObjectInfo o : bucket.list(keys.filesPrefix())) {
                there.add(o.key().substring(keys.filesPrefix().length()));
            }
            nextNumber = highestNumber() + 1;
            uploaded = there; // last: a failed listing is simply repeated next time
        }
        Path ck = workDir.resolve("checkpoint");
        LocalFiles.deleteTree(ck);
        Files.createDirectories(workDir);
        db.checkpoint(ck);
        try {
            List<BackupDescriptor.FileEntry> files = new ArrayList<>();
            long sent = 0;
            int sentFiles = 0;
            List<Path> paths;
            try (Stream<Path> s = Files.list(ck)) {
                paths = s.sorted().toList();
            }
            for (Path p : paths) {
                if (!Files.isRegularFile(p)) {
                    throw new IOException("unexpected entry " + p + " in a RocksDB checkpoint");
                }
                String name = p.getFileName().toString();
                long size = Files.size(p);
                String sha = hash(p, name, size);
                if (!uploaded.contains(sha)) {
                    bucket.put(keys.file(sha), p, 0, size, Hashes.ofFile("MD5", p, 0, size), false);
                    uploaded.add(sha);
                    sent += size;
                    sentFiles++;
                }
                files.add(new BackupDescriptor.FileEntry(name, size, sha));
            }
            owner.checkOwner("writing metadata backup " + nextNumber);
            BackupDescriptor d = writeDescriptor(seq, files);
            nextNumber = d.number() + 1;
            lastSequence = seq;
            log.info("metadata backup {} to s3://{}/{}: {} files, {} bytes ({} files, {} bytes uploaded), {} ms",
                    d.number(), bucket.name(), keys.backup(d.number()), files.size(), d.bytes(), sentFiles, sent,
                    (System.nanoTime() - t0) / 1_000_000);
            prune();
            return d;
        } finally {
            LocalFiles.deleteTree(ck);
        }
    }

    private String hash(Path p, String name, long size) throws IOException {
        if (name.endsWith(".sst")) {
            String key = name + "/" + size;
            String h = sstHashes.get(key);
            if (h == null) {
                h = Hashes.hex(Hashes.ofFile("SHA-256", p, 0, size));
                sstHashes.put(key, h);
            }
            return h;
        }
        return Hashes.hex(Hashes.ofFile("SHA-256", p, 0, size));
    }

    private long highestNumber() throws IOException {
        long highest = 0;
        for (Bucket.ObjectInfo o : bucket.list(keys.backupsPrefix())) {
            highest = Math.max(highest, keys.backupNumberOf(o.key()));
        }
        return highest;
    }

    /**
     * Writes the descriptor at {@link #nextNumber} only if that number is free (a conditional
     * PUT): two stores on one prefix would otherwise overwrite each other's backups. On a 412 the
     * object there decides: equal to ours, it is a retry of our own successful write; another
     * descriptor of this store (an earlier write that failed after all, or a stale number), the
     * bucket is listed again and the next free number tried; anything else is another store
     * writing to the prefix, and writes stop.
     *
     * @return the descriptor written
     */
    private BackupDescriptor writeDescriptor(long seq, List<BackupDescriptor.FileEntry> files) throws IOException {
        long number = nextNumber;
        for (int attempt = 1; ; attempt++) {
            BackupDescriptor d = new BackupDescriptor(number, seq, owner.storeId(), files);
            byte[] body = d.encode();
            String key = keys.backup(number);
            try {
                bucket.put(key, body, true);
                descriptors.put(number, d);
                return d;
            } catch (BucketException e) {
                if (e.status() != 412) {
                    throw e;
                }
                byte[] there = bucket.get(key);
                if (there != null && java.util.Arrays.equals(there, body)) {
                    descriptors.put(number, d);
                    return d;
                }
                String by = there == null ? null : storeOf(there);
                if (!owner.storeId().equals(by)) {
                    owner.stop("metadata backup " + key + " exists already and was written by "
                            + (by == null ? "another store (it is unreadable or was deleted meanwhile)" : "store " + by)
                            + ", not by this store (" + owner.storeId() + "): another daemon writes to this prefix");
                    owner.checkWritable(); // throws
                }
                if (attempt == NUMBER_ATTEMPTS) {
                    throw new IOException("metadata backup " + key + " exists already (an earlier backup of this store);"
                            + " gave up after " + attempt + " attempts to find a free number", e);
                }
                long relisted = highestNumber() + 1;
                log.warn("metadata backup number {} is taken by an earlier backup of this store; listing again, next is {}",
                        number, Math.max(relisted, number + 1));
                number = Math.max(relisted, number + 1);
            }
        }
    }

    /** The store id a descriptor names, or null if it does not decode. */
    private static String storeOf(byte[] descriptor) {
        try {
            return BackupDescriptor.decode(descriptor).storeId();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Deletes this store's descriptors older than its newest {@value #KEEP}, then files no
     * remaining descriptor (of any store) names. Another store's descriptors are never deleted;
     * if one cannot be read, nothing is pruned (its files are unknown).
     */
    private void prune() throws IOException {
        List<Long> numbers = new ArrayList<>();
        for (Bucket.ObjectInfo o : bucket.list(keys.backupsPrefix())) {
            long n = keys.backupNumberOf(o.key());
            if (n >= 0) {
                numbers.add(n);
            }
        }
        descriptors.keySet().retainAll(numbers);
        numbers.sort(Comparator.reverseOrder());
        List<Long> own = new ArrayList<>();
        Set<Long> others = new HashSet<>();
        for (long n : numbers) {
            BackupDescriptor d = descriptors.get(n);
            if (d == null) {
                byte[] b = bucket.get(keys.backup(n));
                if (b == null) {
                    return; // changed under us; try again next time
                }
                try {
                    d = BackupDescriptor.decode(b);
                } catch (IllegalArgumentException e) {
                    log.warn("not pruning metadata backups: {} is unreadable ({})", keys.backup(n), e.getMessage());
                    return;
                }
                descriptors.put(n, d);
            }
            if (d.storeId().equals(owner.storeId())) {
                own.add(n);
            } else {
                others.add(n);
            }
        }
        if (own.size() <= KEEP) {
            return;
        }
        Set<Long> remaining = new HashSet<>(others);
        remaining.addAll(own.subList(0, KEEP));
        Set<String> referenced = new HashSet<>();
        for (long n : remaining) {
            descriptors.get(n).files().forEach(f -> referenced.add(f.sha256()));
        }
        List<String> drop = new ArrayList<>();
        for (long n : own.subList(KEEP, own.size())) {
            drop.add(keys.backup(n));
        }
        owner.checkOwner("pruning " + drop.size() + " metadata backups");
        // Descriptors first: a backup whose files went must never look complete.
        bucket.delete(drop);
        own.subList(KEEP, own.size()).forEach(descriptors::remove);
        List<String> files = new ArrayList<>();
        for (Bucket.ObjectInfo o : bucket.list(keys.filesPrefix())) {
            String sha = o.key().substring(keys.filesPrefix().length());
            if (!referenced.contains(sha)) {
                files.add(o.key());
                uploaded.remove(sha);
            }
        }
        bucket.delete(files);
        sstHashes.values().removeIf(h -> !referenced.contains(h));
        log.debug("pruned {} old backups and {} files", drop.size(), files.size());
    }

    /**
     * Makes {@link #close()} skip its final backup, as if the machine died: tests use it to leave
     * the bucket with an older backup than the store's state.
     */
    synchronized void skipFinalBackup() {
        skipFinal = true;
    }

    /** Stops the schedule and takes a last backup if anything changed. */
    @Override
    public void close() throws IOException {
        timer.shutdown(); // a backup in progress finishes; no new one starts
        try {
            timer.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                if (owner.stoppedReason() != null) {
                    log.warn("no final metadata backup to {}: writes to it stopped ({})", bucket.name(),
                            owner.stoppedReason());
                } else if (!skipFinal) {
                    backupIfChanged();
                }
            } finally {
                closed = true;
            }
        }
    }

    @Override
    public String toString() {
        return "MetadataBackup[s3://" + bucket.name() + "/" + keys + "]";
    }
}
