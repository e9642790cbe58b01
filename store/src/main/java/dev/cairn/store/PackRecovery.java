package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.store.chunk.ChunkIndexCodec;
import dev.cairn.store.chunk.ChunkStore;
import dev.cairn.store.chunk.PackRecord;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.CorruptPackException;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackInfo;
import dev.cairn.store.pack.PackStore;
import dev.cairn.store.pack.UnsupportedPackVersionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Tells crash leftovers from damaged packs and treats each as it must (docs/FORMAT.md, "Sealed and
 * unsealed", "Pack records"): a pack that a crash left unsealed is cut after its last valid record
 * and sealed; a pack that was sealed (its pack record says so), or whose records the chunk index
 * references past the cut, is damaged and is left exactly as it is, marked {@code DAMAGED} in its
 * record, and reported at ERROR with what to do. Sealed packs without a record (written by a build
 * that kept none, or sealed just before a crash) get one.
 *
 * <p>Used at open (before any writer exists) and by the index rebuild (under the maintenance
 * lock). Not thread-safe; each run makes its own instance. Idempotent and crash-safe: every change
 * to a file is a recovery that is itself crash-safe, records are written after it, and a crash
 * before they are written leaves what the next run handles the same way.
 */
final class PackRecovery {
    private static final Logger log = LoggerFactory.getLogger(PackRecovery.class);

    private final MetaDb db;
    private final PackStore packs;
    private final Map<PackId, PackRecord> records;
    private Map<PackId, Long> indexedEnds;
    private int recovered;
    private int backfilled;
    private int damaged;

    /** What became of one pack. */
    record Outcome(PackIndex index, boolean damaged, boolean recovered, String unreadable) {
    }

    PackRecovery(MetaDb db, PackStore packs) throws CairnException {
        this.db = db;
        this.packs = packs;
        this.records = ChunkStore.readPackRecords(db);
    }

    /**
     * At open: recovers crash leftovers, backfills records of sealed packs, reports damaged
     * packs. Only packs that are not sealed-and-recorded are read, so an open after a clean
     * shutdown costs one record lookup per pack.
     */
    void recoverAll() throws IOException {
        try (MetaDb.Batch b = db.batch()) {
            for (PackInfo p : packs.list()) {
                PackRecord rec = records.get(p.id());
                if (rec != null && !rec.isDamaged() && p.sealed()) {
                    continue;
                }
                examine(p, b, false);
            }
            // One synced write for all records: a crash before it loses only records that the
            // next open derives again from the same files.
            if (b.count() > 0) {
                db.write(b, true);
            }
        }
        if (recovered + backfilled + damaged > 0) {
            log.info("pack recovery: {} unsealed packs recovered, {} records of sealed packs backfilled, {} damaged packs",
                    recovered, backfilled, damaged);
        }
    }

    /**
     * Examines one pack: recovers it if it is a crash leftover, backfills its record if it is
     * sealed, marks and reports it if it is damaged. Record writes go to {@code b}.
     *
     * @param wantIndex also return the usable index of a damaged pack ({@link PackStore#salvage})
     */
    Outcome examine(PackInfo p, MetaDb.Batch b, boolean wantIndex) throws IOException {
        PackId id = p.id();
        PackRecord rec = records.get(id);
        if (rec != null && rec.isDamaged()) {
            log.error("pack {} is damaged (found {}: {}); it is kept as it is. {}", id,
                    rec.atMillis() == 0 ? "earlier" : java.time.Instant.ofEpochMilli(rec.atMillis()), rec.reason(), ADVICE);
            return new Outcome(wantIndex ? salvage(id) : null, true, false, null);
        }
        if (p.sealed()) {
            try {
                PackIndex idx = packs.readIndex(id);
                if (rec == null) {
                    put(b, id, PackRecord.sealed(idx, System.currentTimeMillis()));
                    backfilled++;
                }
                return new Outcome(idx, false, false, null);
            } catch (CorruptPackException e) {
                return markDamaged(id, rec, "it ends with the end magic, but " + e.getMessage(), b);
            } catch (UnsupportedPackVersionException e) {
                log.error("pack {} was written by a newer Cairn and is left alone: {}", id, e.getMessage());
                return new Outcome(null, false, false, e.getMessage());
            } catch (IOException e) {
                log.error("cannot read the footer of pack {}: {}", id, e.getMessage());
                return new Outcome(null, false, false, e.getMessage());
            }
        }
        if (rec != null) {
            // Sealed once (durably, or its record would not exist): whatever its end looks like
            // now, it is not a crash leftover, and cutting it would destroy valid records.
            return markDamaged(id, rec, "it was sealed with " + rec.count() + " records and " + rec.sealedLength()
                    + " bytes, and its end no longer checks out (file now " + p.size() + " bytes)", b);
        }
        long keep = indexedEnd(id);
        try {
            PackIndex idx = packs.recover(id, keep);
            put(b, id, PackRecord.sealed(idx, System.currentTimeMillis()));
            recovered++;
            log.warn("recovered unsealed pack {} after an unclean shutdown: {} complete records kept", id, idx.entries().size());
            return new Outcome(idx, false, true, null);
        } catch (CorruptPackException e) {
            return markDamaged(id, null, "recovery refused to cut it: " + e.getMessage(), b);
        } catch (UnsupportedPackVersionException e) {
            log.error("pack {} was written by a newer Cairn and is left alone: {}", id, e.getMessage());
            return new Outcome(null, false, false, e.getMessage());
        } catch (IOException e) {
            // One bad file must not keep the store from opening; verify reports it, and reads of
            // chunks inside it fail with a typed error.
            log.error("cannot recover pack {}: {}", id, e.getMessage());
            return new Outcome(null, false, false, e.getMessage());
        }
    }

    private static final String ADVICE = "Nothing in it was cut or rewritten; its intact records stay readable, and"
            + " reads of chunks in its damaged parts fail with CORRUPT. Run `cairn verify --read-data` to list the"
            + " affected checkpoints and `cairnd --rebuild-index` to index every intact record; put the affected"
            + " checkpoints again from their source if you can; keep a copy of the file for analysis.";

    private Outcome markDamaged(PackId id, PackRecord rec, String why, MetaDb.Batch b) throws CairnException {
        PackIndex salvaged = salvage(id);
        StringBuilder found = new StringBuilder(why);
        if (salvaged != null) {
            found.append("; ").append(salvaged.sealed() ? "a footer that checks out names " : "a scan finds ")
                    .append(salvaged.entries().size()).append(" records");
            int shown = 0;
            for (PackIndex.Damage d : salvaged.damage()) {
                if (shown++ == 3) {
                    found.append("; ").append(salvaged.damage().size() - 3).append(" more damaged regions");
                    break;
                }
                found.append("; damaged at ").append(d);
            }
        }
        long now = System.currentTimeMillis();
        PackRecord marked = rec != null ? rec.damaged(found.toString(), now) : PackRecord.damagedUnsealed(found.toString(), now);
        put(b, id, marked);
        records.put(id, marked);
        damaged++;
        log.error("pack {} is damaged, not a crash leftover: {}. {}", id, found, ADVICE);
        return new Outcome(salvaged, true, false, null);
    }

    private PackIndex salvage(PackId id) {
        try {
            return packs.salvage(id);
        } catch (IOException e) {
            log.error("pack {}: nothing of it can be read: {}", id, e.getMessage());
            return null;
        }
    }

    private static void put(MetaDb.Batch b, PackId id, PackRecord r) throws CairnException {
        b.put(Cf.PACKS, Keys.pack(id.value()), r.encode());
    }

    /**
     * End of the furthest record the chunk index references in pack {@code id}. Computed for all
     * packs in one scan of the index, the first time an unrecorded unsealed pack needs it; an
     * index that cannot be read counts as referencing nothing (recovery still refuses to cut
     * anything but a torn tail).
     */
    long indexedEnd(PackId id) {
        if (indexedEnds == null) {
            indexedEnds = new HashMap<>();
            try (MetaDb.Cursor c = db.scan(Cf.CHUNKS, null, null)) {
                while (c.next()) {
                    ChunkLocation loc;
                    try {
                        loc = ChunkIndexCodec.decode(c.value()).location();
                    } catch (CairnException e) {
                        continue;
                    }
                    indexedEnds.merge(loc.pack(), loc.offset() + dev.cairn.store.pack.PackCodec.RECORD_HEADER_SIZE
                            + loc.storedLength(), Math::max);
                }
            } catch (CairnException e) {
                log.error("cannot read the chunk index to check what it references in unsealed packs: {}", e.getMessage());
            }
        }
        return indexedEnds.getOrDefault(id, 0L);
    }

    /** The records read at the start, with the changes of this run. */
    Map<PackId, PackRecord> records() {
        return records;
    }

    int recovered() {
        return recovered;
    }
}
