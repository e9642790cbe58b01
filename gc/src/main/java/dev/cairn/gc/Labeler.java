package dev.cairn.gc;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.PreparedForm;
import dev.cairn.store.Repository;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Changes to the mutable side of checkpoints: holds, tags, and the trash (listing and restoring).
 * Each change is one synced batch under the repository's manifest mutex, so it serialises with
 * commits and trims.
 */
public final class Labeler {
    /** Longest owner or reason of a hold, in characters. */
    static final int MAX_TEXT = 500;

    private final Repository repo;
    private final Clock clock;

    public Labeler(Repository repo, Clock clock) {
        this.repo = repo;
        this.clock = clock;
    }

    /**
     * Adds or renews {@code owner}'s hold on a live checkpoint. A checkpoint may have many holders;
     * an owner has at most one hold per checkpoint (adding again replaces reason and expiry).
     *
     * @param ttl null: held until released
     */
    public Labels.Hold addHold(ManifestId id, String owner, String reason, Duration ttl) throws CairnException {
        checkText("owner", owner);
        checkText("reason", reason);
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
            throw new CairnException(Status.BAD_REQUEST, "a hold's ttl must be positive");
        }
        synchronized (repo.manifestMutex()) {
            Labels l = repo.labels(existing(id).id());
            if (l.inTrash()) {
                throw new CairnException(Status.CONFLICT, "checkpoint " + id.shortHex()
                        + " is in the trash; restore it before holding it");
            }
            Instant now = clock.instant();
            Labels.Hold h = new Labels.Hold(owner, reason, now, ttl == null ? null : now.plus(ttl));
            List<Labels.Hold> holds = new ArrayList<>();
            for (Labels.Hold o : l.holds()) {
                if (!o.owner().equals(owner)) {
                    holds.add(o);
                }
            }
            holds.add(h);
            write(id, l.withHolds(holds));
            return h;
        }
    }

    /**
     * Releases {@code owner}'s hold.
     *
     * @throws CairnException {@link Status#NOT_FOUND} if that owner holds nothing on it
     */
    public void removeHold(ManifestId id, String owner) throws CairnException {
        synchronized (repo.manifestMutex()) {
            Labels l = repo.labels(existing(id).id());
            List<Labels.Hold> holds = new ArrayList<>(l.holds());
            if (!holds.removeIf(h -> h.owner().equals(owner))) {
                throw new CairnException(Status.NOT_FOUND, "no hold by '" + owner + "' on checkpoint " + id.shortHex());
            }
            write(id, l.withHolds(holds));
        }
    }

    /** Adds and removes tags. */
    public Labels retag(ManifestId id, List<String> add, List<String> remove) throws CairnException {
        add.forEach(CheckpointMeta::validateTag);
        synchronized (repo.manifestMutex()) {
            Labels l = repo.labels(existing(id).id());
            TreeSet<String> tags = new TreeSet<>(l.tags());
            tags.removeAll(remove);
            tags.addAll(add);
            Labels n = l.withTags(tags);
            write(id, n);
            return n;
        }
    }

    /** The trash, soonest expiry first. */
    public List<TrashEntry> trash() throws CairnException {
        List<TrashEntry> out = new ArrayList<>();
        try (MetaDb.Cursor c = repo.db().scan(Cf.TRASH, null, null)) {
            while (c.next()) {
                ManifestId id = Keys.trashKeyId(c.key());
                StoredManifest m = repo.manifests().find(id);
                if (m == null) {
                    continue;
                }
                Labels l = repo.labels(id);
                if (l.trash() == null) {
                    continue;
                }
                out.add(new TrashEntry(id.toHex(), m.header().meta().series(), m.header().meta().createdAt(),
                        m.header().logicalBytes(), l.trash().trashedAt(), l.trash().expiresAt(), l.trash().reason()));
            }
        }
        return out;
    }

    /**
     * Brings a checkpoint back from the trash exactly as it was (tags, holds, metrics; same id). If
     * it is a delta whose parent is still in the trash, it is rebased onto its nearest live
     * ancestor (or materialised) in the same batch: a live delta always has a live parent, so
     * trims and GC never have to look into the trash to keep a live checkpoint restorable.
     */
    public void restore(ManifestId id) throws CairnException {
        synchronized (repo.manifestMutex()) {
            StoredManifest m = existing(id);
            Labels l = repo.labels(id);
            if (!l.inTrash()) {
                throw new CairnException(Status.CONFLICT, "checkpoint " + id.shortHex() + " is not in the trash");
            }
            PreparedForm rebase = null;
            if (m.isDelta() && repo.labels(m.parent()).inTrash()) {
                rebase = repo.prepareRebase(m, nearestLiveAncestor(m));
            }
            try (MetaDb.Batch b = repo.db().batch()) {
                if (rebase != null) {
                    rebase.commitInto(b, repo.manifests(), m);
                }
                repo.manifests().untrash(b, m, l);
                repo.db().write(b, true);
            } finally {
                if (rebase != null) {
                    rebase.release();
                }
            }
            repo.bumpMetadataGeneration();
        }
    }

    private StoredManifest nearestLiveAncestor(StoredManifest m) throws CairnException {
        StoredManifest p = m;
        while (p.isDelta()) {
            p = repo.manifests().get(p.parent());
            if (!repo.labels(p.id()).inTrash()) {
                return p;
            }
        }
        return null;
    }

    private StoredManifest existing(ManifestId id) throws CairnException {
        return repo.manifests().get(id);
    }

    private void write(ManifestId id, Labels l) throws CairnException {
        try (MetaDb.Batch b = repo.db().batch()) {
            repo.manifests().putLabels(b, id, l);
            repo.db().write(b, true);
        }
        repo.bumpMetadataGeneration();
    }

    private static void checkText(String what, String s) throws CairnException {
        if (s == null || s.isBlank() || s.length() > MAX_TEXT) {
            throw new CairnException(Status.BAD_REQUEST, "a hold's " + what + " must be 1.." + MAX_TEXT + " characters");
        }
    }
}
