package dev.cairn.s3;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One store's claim on its prefix (docs/S3.md, "Ownership" and "Leases"): a prefix has one
 * owner, named by its owner object ({@link OwnerRecord}), and the daemon serving it holds a
 * <b>lease</b> on it: the owner object names the store, a fencing epoch and the holder (the data
 * directory), and the holder renews it every {@code lease / 3} by a compare-and-swap of the owner
 * object (a PUT with {@code If-Match} on the ETag it wrote last). Each acquisition takes the next
 * epoch, so pack keys written under it ({@link ObjectKeys#pack(dev.cairn.store.pack.PackId, String, long)})
 * tell a former holder's objects from a newer one's, and a store deletes only keys of epochs up
 * to its own.
 *
 * <p>No wall clock decides anything. The holder measures its lease by its own monotonic clock:
 * it writes (and lets the SDK send a write request, retries included: the {@link Bucket.WriteFence})
 * only until two thirds of the lease after it <em>sent</em> its last successful renewal. A taker
 * that finds the lease of another holder waits until that owner object's ETag stayed unchanged
 * for a whole lease by <em>its</em> monotonic clock before it swaps in its own record; the third
 * of a lease in between covers differing clock rates and requests in flight.
 *
 * <p>Once the store learns that another holder took the prefix (a renewal's compare-and-swap
 * fails and the owner object is not ours, the owner object names another store or epoch, or a
 * conditional write met another store's object) it stops writing for good ({@link #stop}):
 * uploads, commits, backups and deletions then fail with {@link Status#STORE_LOCKED} until the
 * daemon is restarted, which re-runs the start check. A lease that lapsed because renewals failed
 * (the bucket unreachable) only suspends writes: the next successful renewal resumes them (it
 * succeeds only if nobody wrote the owner object since).
 *
 * <p>Thread-safe: lease state is guarded by this object's monitor (held by a renewal while its
 * request runs); the validity and the stop reason are volatile, so the checks on the write path
 * take no lock, and the stop reason is set under a lock of its own.
 */
public final class PrefixOwner implements java.io.Closeable {
    private static final Logger log = LoggerFactory.getLogger(PrefixOwner.class);
    /** Attempts at a compare-and-swap of the owner object at start before giving up. */
    private static final int CLAIM_ATTEMPTS = 4;

    private final Bucket bucket;
    private final ObjectKeys keys;
    private final String storeId;
    private final String holder;
    private final long leaseMillis;
    private final LongSupplier nanoClock;
    private volatile String stopped;
    private final Object stopLock = new Object();
    /** The record we wrote last and its ETag. Guarded by this. */
    private OwnerRecord record;
    private String etag;
    /** Monotonic time until which writes may be sent; the time the last successful renewal was sent. */
    private volatile long validUntil;
    private volatile long renewedAt;
    private volatile long epoch;
    private volatile boolean lapseLogged;
    private ScheduledExecutorService renewer;

    private PrefixOwner(Bucket bucket, ObjectKeys keys, String storeId, String holder, long leaseMillis,
                        LongSupplier nanoClock) {
        this.bucket = bucket;
        this.keys = keys;
        this.storeId = storeId;
        this.holder = holder;
        this.leaseMillis = leaseMillis;
        this.nanoClock = nanoClock;
    }

    /**
     * The start check and lease acquisition for store {@code storeId}, holder {@code holder}
     * (the data directory, {@link #holderOf}), on {@code keys}' prefix: see
     * {@link #claim(Bucket, ObjectKeys, String, String, Duration, LongSupplier)}; renewals start.
     */
    public static PrefixOwner claim(Bucket bucket, ObjectKeys keys, String storeId, String holder, Duration lease)
            throws IOException {
        return claimAndRenew(bucket, keys, storeId, holder, lease, System::nanoTime);
    }

    /** As {@link #claim(Bucket, ObjectKeys, String, String, Duration)} with the monotonic clock {@code nanoClock} (tests). */
    static PrefixOwner claimAndRenew(Bucket bucket, ObjectKeys keys, String storeId, String holder, Duration lease,
                                     LongSupplier nanoClock) throws IOException {
        PrefixOwner o = claim(bucket, keys, storeId, holder, lease, nanoClock);
        o.startRenewing();
        return o;
    }

    /**
     * Acquires the lease of {@code keys}' prefix for store {@code storeId} at the next epoch,
     * without starting renewals (tests renew by hand through {@link #renew()}):
     * <ul>
     * <li>no owner object (a new prefix, or one written before owner objects): created
     *     ({@code If-None-Match: *}) at epoch 1, but only if no other store's backup descriptor or
     *     pack is there;
     * <li>this store's version-1 record (the previous build), or this store's lease held by this
     *     holder (an earlier run of this data directory, which the RocksDB lock proves gone):
     *     swapped ({@code If-Match}) for a lease at the next epoch at once;
     * <li>this store's lease released at a clean shutdown: taken at once;
     * <li>this store's lease held by another holder (a copy restored from the bucket, or a copy
     *     of the data directory): the owner object must stay unchanged for a whole lease by this
     *     process's clock (the other holder stopped renewing); if it changes, the other holder is
     *     alive and this refuses;
     * <li>another store's: refused.
     * </ul>
     *
     * @throws CairnException {@link Status#STORE_LOCKED} if another store owns the prefix, its
     *                        objects are there, or another holder renews the lease, naming both
     *                        and how to take over
     */
    static PrefixOwner claim(Bucket bucket, ObjectKeys keys, String storeId, String holder, Duration lease,
                             LongSupplier nanoClock) throws IOException {
        PrefixOwner o = new PrefixOwner(bucket, keys, storeId, holder, checkLease(lease), nanoClock);
        for (int attempt = 1; ; attempt++) {
            Bucket.Versioned v = bucket.getVersioned(keys.owner());
            OwnerRecord there = v == null ? null : o.decode(v.data());
            OwnerRecord next;
            if (there == null) {
                Set<String> others = otherStores(bucket, keys, storeId);
                if (!others.isEmpty()) {
                    throw new CairnException(Status.STORE_LOCKED, "prefix " + o.where() + " has no owner object but holds"
                            + " backups or packs of " + (others.size() == 1 ? "store " : "stores ") + String.join(", ", others)
                            + "; this is store " + storeId + ". Two stores on one prefix destroy each other's data, so"
                            + " this daemon does not start here. " + takeOverHint(storeId));
                }
                next = OwnerRecord.lease(storeId, 1, holder, o.leaseMillis);
            } else if (!there.storeId().equals(storeId)) {
                throw new CairnException(Status.STORE_LOCKED, "prefix " + o.where() + " is owned by " + there.describe()
                        + "; this is store " + storeId + ". Two stores on one prefix destroy each other's"
                        + " data, so this daemon does not start here: give it its own prefix. " + takeOverHint(storeId));
            } else {
                if (there.isLease() && !there.holder().equals(holder) && !there.released()) {
                    v = o.awaitLapse(v, there);
                }
                next = OwnerRecord.lease(storeId, there.epoch() + 1, holder, o.leaseMillis);
            }
            if (o.swap(v, next)) {
                log.info("store {} holds the lease of prefix {} at epoch {} ({}; lease {} ms)", storeId, o.where(),
                        next.epoch(), there == null ? "new owner object: a new prefix, or one written by an earlier Cairn"
                                : there.isLease() ? "was epoch " + there.epoch() + " of holder " + there.holder()
                                : "migrated from an owner object without a lease", o.leaseMillis);
                return o;
            }
            if (attempt == CLAIM_ATTEMPTS) {
                throw new CairnException(Status.STORE_LOCKED, "the owner object of " + o.where() + " kept changing while"
                        + " store " + storeId + " tried to take its lease (" + attempt + " attempts): another daemon"
                        + " uses this prefix");
            }
        }
    }

    private static long checkLease(Duration lease) {
        long ms = lease.toMillis();
        if (ms <= 0 || ms > OwnerRecord.MAX_LEASE_MILLIS) {
            throw new IllegalArgumentException("s3.lease must be within 1ms..1h, is " + lease);
        }
        return ms;
    }

    /**
     * Writes {@code next} in place of the owner object {@code v} (create if null) as a
     * compare-and-swap; on success this holds the lease from the moment the request was sent.
     *
     * @return false if the owner object changed meanwhile (412) and is not our own retried write
     */
    private synchronized boolean swap(Bucket.Versioned v, OwnerRecord next) throws IOException {
        byte[] body = next.encode();
        long sent = nanoClock.getAsLong();
        String e;
        try {
            e = v == null ? bucket.put(keys.owner(), body, true) : bucket.putIfMatch(keys.owner(), body, v.etag());
        } catch (BucketException failed) {
            if (failed.status() != 412 && failed.status() != 404) {
                throw failed;
            }
            Bucket.Versioned now = bucket.getVersioned(keys.owner());
            if (now == null || !java.util.Arrays.equals(now.data(), body)) {
                return false;
            }
            e = now.etag(); // our own write, retried after a lost answer
        }
        held(next, e, sent);
        return true;
    }

    private void held(OwnerRecord r, String e, long sentAt) {
        record = r;
        etag = e;
        epoch = r.epoch();
        renewedAt = sentAt;
        // Two thirds: the last third of the lease is the margin for differing clock rates and
        // requests in flight (docs/S3.md, "Leases").
        validUntil = sentAt + TimeUnit.MILLISECONDS.toNanos(r.leaseMillis()) * 2 / 3;
        if (lapseLogged) {
            lapseLogged = false;
            log.warn("store {} renewed its lease of {} (epoch {}): writes resume", storeId, where(), r.epoch());
        }
        bucket.fence().guard(keys.owner(), this::mayWrite);
    }

    /**
     * Waits until the owner object {@code v} (the lease of another holder) stayed unchanged for
     * its whole lease by this process's clock. Returns the object as it is then.
     *
     * @throws CairnException {@link Status#STORE_LOCKED} if it changed: its holder renews it
     */
    private Bucket.Versioned awaitLapse(Bucket.Versioned v, OwnerRecord there) throws IOException {
        long leaseNanos = TimeUnit.MILLISECONDS.toNanos(there.leaseMillis());
        long since = nanoClock.getAsLong();
        log.warn("store {}'s lease of {} is held by holder {} (host {}, epoch {}), not by this data directory ({}): waiting"
                + " {} ms for it to lapse (it must not be renewed meanwhile)", storeId, where(), there.holder(),
                there.host(), there.epoch(), holder, there.leaseMillis());
        long poll = Math.max(1, there.leaseMillis() / 10);
        while (nanoClock.getAsLong() - since < leaseNanos) {
            try {
                Thread.sleep(poll);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for the lease of " + where());
            }
            Bucket.Versioned now = bucket.getVersioned(keys.owner());
            if (now == null || !now.etag().equals(v.etag())) {
                throw new CairnException(Status.STORE_LOCKED, "the lease of store " + storeId + " on " + where()
                        + " is held by another daemon (holder " + there.holder() + ", host " + there.host() + ", epoch "
                        + there.epoch() + ") that renews it: another copy of this store runs (restored from the"
                        + " bucket, or a copied data directory). Stop it first; this daemon does not start here");
            }
        }
        return v;
    }

    /**
     * Renews the lease once (the scheduled renewal calls it every {@code lease / 3}): a
     * compare-and-swap of the owner object from the ETag written last. If another holder took the
     * prefix meanwhile, writes stop for good; a failed request leaves the lease to lapse by itself.
     */
    synchronized void renew() throws IOException {
        if (stopped != null || record == null) {
            return;
        }
        OwnerRecord next = record.renewed();
        byte[] body = next.encode();
        long sent = nanoClock.getAsLong();
        try {
            held(next, bucket.putIfMatch(keys.owner(), body, etag), sent);
        } catch (BucketException e) {
            if (e.status() != 412 && e.status() != 404) {
                throw e;
            }
            Bucket.Versioned now = bucket.getVersioned(keys.owner());
            if (now != null && java.util.Arrays.equals(now.data(), body)) {
                held(next, now.etag(), sent); // our own renewal, retried after a lost answer
                return;
            }
            String by;
            try {
                by = now == null ? "no owner object (it was deleted)" : OwnerRecord.decode(now.data()).describe();
            } catch (IllegalArgumentException damaged) {
                by = "an unreadable owner object (" + damaged.getMessage() + ")";
            }
            stop("the lease of epoch " + record.epoch() + " was lost: the owner object of " + where() + " now holds "
                    + by + ": another daemon took over this prefix");
        }
    }

    private void startRenewing() {
        long every = Math.max(1, leaseMillis / 3);
        renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-s3-lease");
            t.setDaemon(true);
            return t;
        });
        renewer.scheduleWithFixedDelay(() -> {
            try {
                renew();
            } catch (IOException | RuntimeException e) {
                if (!mayWrite() && !lapseLogged && stopped == null) {
                    lapseLogged = true;
                    log.error("store {}'s lease of {} lapsed (last renewed {} ms ago, renewals fail: {}): writes are"
                            + " suspended until a renewal succeeds", storeId, where(), leaseAgeMillis(), e.toString());
                } else {
                    log.warn("renewing the lease of {} failed: {}", where(), e.toString());
                }
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /** Whether the lease allows sending a write now: held, not lapsed, writes not stopped. */
    boolean mayWrite() {
        return stopped == null && validUntil - nanoClock.getAsLong() > 0;
    }

    /**
     * Stops the renewals and releases the lease (a compare-and-swap to a released record), so
     * that another holder need not wait for it to lapse; nothing is written through this claim
     * afterwards. If the release fails, the lease lapses by itself. Call it after the last write
     * (the store's close does).
     */
    @Override
    public void close() {
        if (renewer != null) {
            renewer.shutdownNow();
            try {
                renewer.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (record == null || record.released()) {
                return;
            }
            boolean held = mayWrite();
            validUntil = nanoClock.getAsLong(); // from now on the fence refuses every write but the release
            if (!held) {
                return; // stopped or lapsed: the owner object may not be ours to write
            }
            OwnerRecord next = record.releasedNow();
            try {
                etag = bucket.putIfMatch(keys.owner(), next.encode(), etag);
                record = next;
                log.info("store {} released its lease of {} (epoch {})", storeId, where(), next.epoch());
            } catch (IOException | RuntimeException e) {
                log.warn("releasing the lease of {} failed ({}); it lapses by itself {} ms after its last renewal",
                        where(), e.toString(), leaseMillis);
            }
        }
    }

    /** The id of the holder of {@code dir} (32 hex, created and fsynced on first use): it outlives restarts, not restores. */
    public static String holderOf(java.nio.file.Path dir) throws IOException {
        java.nio.file.Path f = dir.resolve("s3-holder");
        if (java.nio.file.Files.exists(f)) {
            String s = java.nio.file.Files.readString(f).trim();
            if (!ObjectKeys.isStoreId(s)) {
                throw new IOException(f + " does not hold a holder id (32 hex characters): delete it to get a new one");
            }
            return s;
        }
        byte[] b = new byte[16];
        new java.security.SecureRandom().nextBytes(b);
        String id = java.util.HexFormat.of().formatHex(b);
        java.nio.file.Path tmp = dir.resolve("s3-holder.tmp");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
                java.nio.file.StandardOpenOption.WRITE)) {
            dev.cairn.store.pack.FileIo.writeFully(ch, java.nio.ByteBuffer.wrap((id + "\n").getBytes(
                    java.nio.charset.StandardCharsets.US_ASCII)), 0);
            ch.force(true);
        }
        java.nio.file.Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        dev.cairn.store.pack.FileIo.fsyncDirectory(dir);
        return id;
    }

    private static String takeOverHint(String storeId) {
        return "If the other store is gone for good (its daemon stopped, its checkpoints no longer needed from this"
                + " prefix), start once with --take-over-prefix to make store " + storeId + " the owner (docs/S3.md,"
                + " \"Taking over a prefix\")";
    }

    /**
     * Makes store {@code storeId} the owner of {@code keys}' prefix whoever owned it
     * ({@code cairnd --take-over-prefix}: the operator has made sure the old owner is gone),
     * at the next epoch, without waiting for the old lease to lapse: a compare-and-swap on the
     * owner object as read, so the old holder's next renewal fails and it stops writing. Logged
     * as a warning naming both stores.
     *
     * @return the owner it replaced, or null if there was none or it was this store already
     */
    public static OwnerRecord takeOver(Bucket bucket, ObjectKeys keys, String storeId, String holder, Duration lease)
            throws IOException {
        PrefixOwner o = new PrefixOwner(bucket, keys, storeId, holder, checkLease(lease), System::nanoTime);
        for (int attempt = 1; ; attempt++) {
            Bucket.Versioned v = bucket.getVersioned(keys.owner());
            OwnerRecord old;
            try {
                old = v == null ? null : OwnerRecord.decode(v.data());
            } catch (IllegalArgumentException damaged) {
                old = null;
                log.warn("replacing the damaged owner object of {}: {}", o.where(), damaged.getMessage());
            }
            if (old != null && old.storeId().equals(storeId)) {
                log.info("--take-over-prefix: store {} owns {} already", storeId, o.where());
                return null;
            }
            OwnerRecord next = OwnerRecord.lease(storeId, old == null ? 1 : old.epoch() + 1, holder, o.leaseMillis);
            if (o.swap(v, next)) {
                log.warn("--take-over-prefix: store {} took over prefix {} from {} at epoch {}; the old store's packs and"
                        + " backups stay in the bucket and are never deleted by this store", storeId, o.where(),
                        old == null ? "nobody (there was no readable owner object)" : old.describe(), next.epoch());
                return old;
            }
            if (attempt == CLAIM_ATTEMPTS) {
                throw new CairnException(Status.STORE_LOCKED, "the owner object of " + o.where() + " kept changing"
                        + " during --take-over-prefix: the old owner still renews its lease? Stop it first");
            }
        }
    }

    /** Every store other than {@code storeId} that has a backup descriptor or a pack under the prefix. */
    private static Set<String> otherStores(Bucket bucket, ObjectKeys keys, String storeId) throws IOException {
        Set<String> others = new TreeSet<>();
        for (Bucket.ObjectInfo info : bucket.list(keys.backupsPrefix())) {
            if (keys.backupNumberOf(info.key()) < 0) {
                continue;
            }
            byte[] b = bucket.get(info.key());
            if (b == null) {
                continue; // pruned meanwhile
            }
            try {
                String s = BackupDescriptor.decode(b).storeId();
                if (!s.equals(storeId)) {
                    others.add(s);
                }
            } catch (IllegalArgumentException e) {
                others.add("unknown (" + info.key() + " is damaged: " + e.getMessage() + ")");
            }
        }
        for (Bucket.ObjectInfo info : bucket.list(keys.packsPrefix())) {
            ObjectKeys.PackKey k = keys.parsePack(info.key());
            if (k != null && !k.legacy() && !k.storeId().equals(storeId)) {
                others.add(k.storeId());
            }
        }
        return others;
    }

    private OwnerRecord decode(byte[] b) throws CairnException {
        try {
            return OwnerRecord.decode(b);
        } catch (IllegalArgumentException e) {
            throw new CairnException(Status.STORE_LOCKED, "the owner object " + keys.owner() + " in bucket "
                    + bucket.name() + " is unreadable (" + e.getMessage() + "); this store (" + storeId
                    + ") does not write to a prefix whose owner it cannot tell. " + takeOverHint(storeId));
        }
    }

    /**
     * Checks that this store still holds the lease of the prefix, before {@code what} (a
     * deletion, a backup): the lease is valid by this process's clock, and the owner object is
     * still ours (same store, holder and epoch). If the owner object names another store or
     * holder or epoch, is gone or unreadable, writes stop ({@link #stop}) and this throws. A
     * failed request throws without stopping anything.
     */
    public void checkOwner(String what) throws IOException {
        checkWritable();
        Bucket.Versioned v = bucket.getVersioned(keys.owner());
        OwnerRecord there;
        try {
            there = v == null ? null : decode(v.data());
        } catch (CairnException damaged) {
            stop(damaged.getMessage());
            throw stoppedException();
        }
        if (there == null || !there.storeId().equals(storeId) || there.epoch() != epoch
                || !holder.equals(there.holder())) {
            stop("before " + what + ", the owner object of " + where() + " holds "
                    + (there == null ? "no store (it was deleted)" : there.describe()) + ", not this store's lease ("
                    + storeId + ", epoch " + epoch + ", holder " + holder + "): another daemon writes to this prefix");
            throw stoppedException();
        }
        checkWritable(); // the read may have taken long
    }

    /**
     * Stops every write of this store to its prefix, for good (until a restart re-runs the start
     * check); logged once as an error. Idempotent: the first reason stays.
     */
    public void stop(String reason) {
        // Its own lock: a renewal holds this object's monitor for as long as its PUT takes.
        synchronized (stopLock) {
            if (stopped != null) {
                return;
            }
            stopped = reason;
        }
        log.error("store {} stopped writing to {}: {}. Puts, backups and GC deletions fail from now on; find the"
                + " other daemon on this prefix, stop one of the two, and restart this one (docs/S3.md, \"Ownership\")",
                storeId, where(), reason);
    }

    /** Throws if writes stopped, or are suspended because the lease lapsed. */
    public void checkWritable() throws CairnException {
        if (stopped != null) {
            throw stoppedException();
        }
        if (!mayWrite()) {
            throw new CairnException(Status.STORE_LOCKED, "writes to " + where() + " are suspended: the lease of store "
                    + storeId + " (epoch " + epoch + ") was last renewed " + leaseAgeMillis() + " ms ago and has lapsed"
                    + " (the bucket is unreachable?); they resume once a renewal succeeds");
        }
    }

    private CairnException stoppedException() {
        return new CairnException(Status.STORE_LOCKED, "writes to " + where() + " stopped: " + stopped
                + "; restart the daemon once only one store uses this prefix");
    }

    /** The lease's fencing epoch (positive once claimed). */
    public long epoch() {
        return epoch;
    }

    /** The holder id (this data directory's). */
    public String holder() {
        return holder;
    }

    /** The lease duration in milliseconds. */
    public long leaseMillis() {
        return leaseMillis;
    }

    /** Milliseconds since the last successful renewal (or acquisition) was sent, by the monotonic clock. */
    public long leaseAgeMillis() {
        return TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - renewedAt);
    }

    /** Whether writes may be sent now (see {@link #mayWrite()}). */
    public boolean leaseValid() {
        return mayWrite();
    }

    /** Why writes stopped, or null while they go on. */
    public String stoppedReason() {
        return stopped;
    }

    /** The id of the store holding this claim (32 hex). */
    public String storeId() {
        return storeId;
    }

    private String where() {
        return "s3://" + bucket.name() + "/" + keys;
    }

    @Override
    public String toString() {
        return "PrefixOwner[" + storeId + " epoch " + epoch + " on " + where() + (stopped == null ? "" : ", stopped")
                + "]";
    }
}
