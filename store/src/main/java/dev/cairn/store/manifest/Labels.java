package dev.cairn.store.manifest;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.codec.ByteReader;
import dev.cairn.protocol.codec.ByteWriter;
import dev.cairn.protocol.codec.MalformedDataException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The mutable state beside an immutable manifest: tags, holds, trash state, and what the store
 * learned about it (bytes it added at put, damage). Stored in the {@code labels}
 * family (docs/FORMAT.md, "Labels"). Immutable value; changes produce a new one.
 *
 * @param trash    null while the checkpoint is live
 * @param newBytes raw bytes of the chunks the put added to the store (retention simulation)
 * @param damage   null, or why the checkpoint is not restorable: set when a checkpoint restored from
 *                 the catalog references chunks that are in no pack ({@code cairnd --rebuild-index});
 *                 retention honours it (verify reports damage without recording it here)
 */
public record Labels(SortedSet<String> tags, List<Hold> holds, Trash trash, long newBytes, String damage) {
    static final int VERSION = 1;

    public Labels {
        tags = Collections.unmodifiableSortedSet(new TreeSet<>(tags));
        holds = List.copyOf(holds);
    }

    public static Labels of(java.util.Collection<String> tags, long newBytes) {
        return new Labels(new TreeSet<>(tags), List.of(), null, newBytes, null);
    }

    public boolean inTrash() {
        return trash != null;
    }

    public Labels withTags(java.util.Collection<String> t) {
        return new Labels(new TreeSet<>(t), holds, trash, newBytes, damage);
    }

    public Labels withHolds(List<Hold> h) {
        return new Labels(tags, h, trash, newBytes, damage);
    }

    public Labels withTrash(Trash t) {
        return new Labels(tags, holds, t, newBytes, damage);
    }

    public Labels withDamage(String d) {
        return new Labels(tags, holds, trash, newBytes, d);
    }

    /** False if the last verify found the checkpoint damaged. */
    public boolean restorable() {
        return damage == null;
    }

    /**
     * A lease on a checkpoint by a named owner.
     *
     * @param expiresAt null: held until released
     */
    public record Hold(String owner, String reason, Instant createdAt, Instant expiresAt) {
        public Hold {
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(createdAt, "createdAt");
        }

        public boolean activeAt(Instant now) {
            return expiresAt == null || expiresAt.isAfter(now);
        }
    }

    /**
     * Trash state of a soft-deleted checkpoint.
     *
     * @param expiresAt when GC may delete it for good
     * @param reason    why it was trashed (e.g. the trim audit id)
     */
    public record Trash(Instant trashedAt, Instant expiresAt, String reason) {
    }

    public byte[] encode() {
        ByteWriter w = new ByteWriter();
        w.u8(VERSION);
        w.i32(tags.size());
        tags.forEach(w::str);
        w.i32(holds.size());
        for (Hold h : holds) {
            w.str(h.owner()).str(h.reason()).i64(h.createdAt().toEpochMilli())
                    .i64(h.expiresAt() == null ? Long.MIN_VALUE : h.expiresAt().toEpochMilli());
        }
        w.bool(trash != null);
        if (trash != null) {
            w.i64(trash.trashedAt().toEpochMilli()).i64(trash.expiresAt().toEpochMilli()).str(trash.reason());
        }
        w.i64(newBytes);
        w.bool(damage != null);
        if (damage != null) {
            w.str(damage.length() > 1000 ? damage.substring(0, 1000) : damage);
        }
        return w.toByteArray();
    }

    public static Labels decode(byte[] v) throws CairnException {
        try {
            ByteReader r = new ByteReader(v);
            int version = r.u8();
            if (version != VERSION) {
                throw new CairnException(Status.UNSUPPORTED_VERSION, "labels record version " + version);
            }
            int nt = r.count(100_000, "tag count");
            TreeSet<String> tags = new TreeSet<>();
            for (int i = 0; i < nt; i++) {
                tags.add(r.str());
            }
            int nh = r.count(100_000, "hold count");
            List<Hold> holds = new ArrayList<>(nh);
            for (int i = 0; i < nh; i++) {
                String owner = r.str();
                String reason = r.str();
                Instant created = Instant.ofEpochMilli(r.i64());
                long exp = r.i64();
                holds.add(new Hold(owner, reason, created, exp == Long.MIN_VALUE ? null : Instant.ofEpochMilli(exp)));
            }
            Trash trash = null;
            if (r.bool()) {
                trash = new Trash(Instant.ofEpochMilli(r.i64()), Instant.ofEpochMilli(r.i64()), r.str());
            }
            long newBytes = r.i64();
            String damage = r.bool() ? r.str() : null;
            r.expectEnd("labels");
            return new Labels(tags, holds, trash, newBytes, damage);
        } catch (MalformedDataException e) {
            throw new CairnException(Status.CORRUPT, "labels record damaged: " + e.getMessage(), e);
        }
    }
}
