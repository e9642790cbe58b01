package dev.cairn.s3;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;

/**
 * One store's claim on its prefix (docs/S3.md, "Ownership"): a prefix has one owner, named by
 * its owner object ({@link OwnerRecord}, created with {@code If-None-Match: *}). A store opens
 * its prefix only if it owns it ({@link #claim}); it checks the owner object again before every
 * deletion ({@link #checkOwner}); and once it learns that another store writes to its prefix
 * (the owner object names another store, or a conditional write met another store's object) it
 * stops writing for good ({@link #stop}): uploads, commits, backups and deletions then fail with
 * {@link Status#STORE_LOCKED} until the daemon is restarted, which re-runs the start check.
 *
 * <p>This is ownership, not a lease: nothing expires, and a store that was partitioned away
 * notices the new owner only at its next check. Leases with a fencing epoch build on it (a newer
 * owner-object version).
 *
 * <p>Thread-safe: the stop reason is volatile and set once.
 */
public final class PrefixOwner {
    private static final Logger log = LoggerFactory.getLogger(PrefixOwner.class);

    private final Bucket bucket;
    private final ObjectKeys keys;
    private final String storeId;
    private volatile String stopped;

    private PrefixOwner(Bucket bucket, ObjectKeys keys, String storeId) {
        this.bucket = bucket;
        this.keys = keys;
        this.storeId = storeId;
    }

    /**
     * The start check: returns the claim of store {@code storeId} on {@code keys}' prefix if the
     * owner object names it. With no owner object (a new prefix, or one written before owner
     * objects existed) the store claims the prefix, with a conditional create, but only if no
     * other store's backup descriptor or pack is there.
     *
     * @throws CairnException {@link Status#STORE_LOCKED} if another store owns the prefix or its
     *                        objects are there, naming both stores and how to take over
     */
    public static PrefixOwner claim(Bucket bucket, ObjectKeys keys, String storeId) throws IOException {
        PrefixOwner o = new PrefixOwner(bucket, keys, storeId);
        OwnerRecord there = o.read();
        if (there == null) {
            Set<String> others = otherStores(bucket, keys, storeId);
            if (!others.isEmpty()) {
                throw new CairnException(Status.STORE_LOCKED, "prefix " + o.where() + " has no owner object but holds"
                        + " backups or packs of " + (others.size() == 1 ? "store " : "stores ") + String.join(", ", others)
                        + "; this is store " + storeId + ". Two stores on one prefix destroy each other's data, so"
                        + " this daemon does not start here. " + takeOverHint(storeId));
            }
            try {
                bucket.put(keys.owner(), OwnerRecord.ofThisHost(storeId).encode(), true);
                log.info("store {} claimed prefix {} (it had no owner object: a new prefix, or one written by an"
                        + " earlier Cairn)", storeId, o.where());
                return o;
            } catch (BucketException e) {
                if (e.status() != 412) {
                    throw e;
                }
                there = o.read(); // created meanwhile: by us (a retried PUT) or by another store
            }
        }
        if (there == null || !there.storeId().equals(storeId)) {
            throw new CairnException(Status.STORE_LOCKED, "prefix " + o.where() + " is owned by "
                    + (there == null ? "a store whose owner object vanished while this one was claiming it"
                    : there.describe()) + "; this is store " + storeId + ". Two stores on one prefix destroy each other's"
                    + " data, so this daemon does not start here: give it its own prefix. " + takeOverHint(storeId));
        }
        return o;
    }

    private static String takeOverHint(String storeId) {
        return "If the other store is gone for good (its daemon stopped, its checkpoints no longer needed from this"
                + " prefix), start once with --take-over-prefix to make store " + storeId + " the owner (docs/S3.md,"
                + " \"Taking over a prefix\")";
    }

    /**
     * Makes store {@code storeId} the owner of {@code keys}' prefix whoever owned it
     * ({@code cairnd --take-over-prefix}: the operator has made sure the old owner is gone).
     * Logged as a warning naming both stores.
     *
     * @return the owner it replaced, or null if there was none or it was this store already
     */
    public static OwnerRecord takeOver(Bucket bucket, ObjectKeys keys, String storeId) throws IOException {
        PrefixOwner o = new PrefixOwner(bucket, keys, storeId);
        OwnerRecord old;
        try {
            old = o.read();
        } catch (CairnException damaged) {
            old = null;
            log.warn("replacing the damaged owner object of {}: {}", o.where(), damaged.getMessage());
        }
        if (old != null && old.storeId().equals(storeId)) {
            log.info("--take-over-prefix: store {} owns {} already", storeId, o.where());
            return null;
        }
        // Unconditional: the operator asked for it. (A compare-and-swap on the old record's ETag
        // is the lease protocol's job.)
        bucket.put(keys.owner(), OwnerRecord.ofThisHost(storeId).encode(), false);
        log.warn("--take-over-prefix: store {} took over prefix {} from {}; the old store's packs and backups stay"
                + " in the bucket and are never deleted by this store", storeId, o.where(),
                old == null ? "nobody (there was no owner object)" : old.describe());
        return old;
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

    /** The owner object, or null if there is none. */
    private OwnerRecord read() throws IOException {
        byte[] b = bucket.get(keys.owner());
        if (b == null) {
            return null;
        }
        try {
            return OwnerRecord.decode(b);
        } catch (IllegalArgumentException e) {
            throw new CairnException(Status.STORE_LOCKED, "the owner object " + keys.owner() + " in bucket "
                    + bucket.name() + " is unreadable (" + e.getMessage() + "); this store (" + storeId
                    + ") does not write to a prefix whose owner it cannot tell. " + takeOverHint(storeId));
        }
    }

    /**
     * Checks that this store still owns the prefix, before {@code what} (a deletion, a backup).
     * If the owner object names another store, is gone or unreadable, writes stop
     * ({@link #stop}) and this throws. A failed request throws without stopping anything.
     */
    public void checkOwner(String what) throws IOException {
        checkWritable();
        OwnerRecord there;
        try {
            there = read();
        } catch (CairnException damaged) {
            stop(damaged.getMessage());
            throw stoppedException();
        }
        if (there == null || !there.storeId().equals(storeId)) {
            stop("before " + what + ", the owner object of " + where() + " names "
                    + (there == null ? "no store (it was deleted)" : there.describe()) + ", not this store (" + storeId
                    + "): another daemon writes to this prefix");
            throw stoppedException();
        }
    }

    /**
     * Stops every write of this store to its prefix, for good (until a restart re-runs the start
     * check); logged once as an error. Idempotent: the first reason stays.
     */
    public void stop(String reason) {
        synchronized (this) {
            if (stopped != null) {
                return;
            }
            stopped = reason;
        }
        log.error("store {} stopped writing to {}: {}. Puts, backups and GC deletions fail from now on; find the"
                + " other daemon on this prefix, stop one of the two, and restart this one (docs/S3.md, \"Ownership\")",
                storeId, where(), reason);
    }

    /** Throws if writes stopped. */
    public void checkWritable() throws CairnException {
        if (stopped != null) {
            throw stoppedException();
        }
    }

    private CairnException stoppedException() {
        return new CairnException(Status.STORE_LOCKED, "writes to " + where() + " stopped: " + stopped
                + "; restart the daemon once only one store uses this prefix");
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
        return "PrefixOwner[" + storeId + " on " + where() + (stopped == null ? "" : ", stopped") + "]";
    }
}
