package dev.cairn.store.meta;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.store.chunk.ChunkIndexCodec;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.PackCodec;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackIndex;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * What lets GC tell garbage it can account for from data whose metadata was lost (docs/GC.md,
 * "What GC may free"). Two kinds of record, both small and written only by GC, store creation
 * and the index rebuild:
 *
 * <ul>
 *   <li><b>explained-from epoch</b> ({@code meta} family, key {@code gc-explained-from}): index
 *       entries stamped with this epoch or a later one were written (or re-stamped) since the
 *       last GC that completed its sweep began; an unreferenced one of them is an aborted or
 *       crashed upload's and may be freed. Absent: 0 (every entry; a store that never completed a
 *       GC under this rule).</li>
 *   <li><b>pack accounting</b> ({@code journal} family, key {@code 'F' ‖ pack id (u64)}): how many
 *       records of a pack are legitimately not indexed: freed by a sweep, or absent already when a
 *       completed GC first saw the pack. A pack without the record is <em>young</em> (no completed
 *       GC has seen it), and its unindexed records count as crash leftovers.</li>
 * </ul>
 *
 * <p>Values (14 bytes, big-endian): u8 magic {@code 0xA7}, u8 version 1, u64 value, u32 CRC32C of
 * the preceding 10 bytes. Stateless, thread-safe.
 *
 * <p>It also holds the one rule that says which of a pack's records nothing accounts for
 * ({@link #census}, {@link #unaccounted}): GC keeps a pack for them (its brake) and {@code verify}
 * reports them as lost metadata, so both always agree.
 */
public final class GcAccounting {
    static final byte MAGIC = (byte) 0xA7;
    static final int VERSION = 1;
    static final int LENGTH = 14;
    public static final byte[] EXPLAINED_FROM = Keys.ascii("gc-explained-from");
    static final byte PACK_PREFIX = 'F';

    private GcAccounting() {
    }

    /** The key of a pack's accounting record. */
    public static byte[] packKey(PackId id) {
        byte[] k = new byte[9];
        k[0] = PACK_PREFIX;
        Keys.putLong(k, 1, id.value());
        return k;
    }

    public static byte[] encode(long value) {
        byte[] v = new byte[LENGTH];
        v[0] = MAGIC;
        v[1] = VERSION;
        Keys.putLong(v, 2, value);
        CRC32C crc = new CRC32C();
        crc.update(v, 0, 10);
        Keys.putInt(v, 10, (int) crc.getValue());
        return v;
    }

    public static long decode(byte[] v, String what) throws CairnException {
        if (v.length != LENGTH || v[0] != MAGIC) {
            throw new CairnException(Status.CORRUPT, "GC accounting record " + what + " is damaged (length " + v.length + ")");
        }
        if (v[1] != VERSION) {
            throw new CairnException(Status.UNSUPPORTED_VERSION, "GC accounting record " + what + " has version "
                    + v[1] + "; this Cairn reads version " + VERSION);
        }
        CRC32C crc = new CRC32C();
        crc.update(v, 0, 10);
        int stored = (v[10] & 0xff) << 24 | (v[11] & 0xff) << 16 | (v[12] & 0xff) << 8 | (v[13] & 0xff);
        if ((int) crc.getValue() != stored) {
            throw new CairnException(Status.CORRUPT, "GC accounting record " + what + " fails its checksum");
        }
        return Keys.getLong(v, 2);
    }

    /** The explained-from epoch (0 if no GC under this rule completed). */
    public static long explainedFrom(MetaDb db) throws CairnException {
        byte[] v = db.get(Cf.META, EXPLAINED_FROM);
        return v == null ? 0 : decode(v, "gc-explained-from");
    }

    public static void putExplainedFrom(MetaDb.Batch b, long epoch) throws CairnException {
        b.put(Cf.META, EXPLAINED_FROM, encode(epoch));
    }

    public static void putPack(MetaDb.Batch b, PackId id, long accounted) throws CairnException {
        b.put(Cf.JOURNAL, packKey(id), encode(accounted));
    }

    /**
     * Records every pack of {@code packs} as known with nothing accounted for: for packs that
     * exist before the metadata that explained them (a store created over existing packs, a lost
     * GC journal), so that GC does not take their unindexed records for garbage it can explain.
     */
    public static void putUnaccounted(MetaDb.Batch b, java.util.List<dev.cairn.store.pack.PackInfo> packs)
            throws CairnException {
        for (dev.cairn.store.pack.PackInfo p : packs) {
            putPack(b, p.id(), 0);
        }
    }

    public static void deletePack(MetaDb.Batch b, PackId id) throws CairnException {
        b.delete(Cf.JOURNAL, packKey(id));
    }

    /** Every pack accounting record: pack → records legitimately not indexed. */
    public static Map<PackId, Long> packs(MetaDb db) throws CairnException {
        Map<PackId, Long> out = new HashMap<>();
        try (MetaDb.Cursor c = db.scanPrefix(Cf.JOURNAL, new byte[] {PACK_PREFIX})) {
            while (c.next()) {
                byte[] k = c.key();
                if (k.length != 9) {
                    continue; // not ours
                }
                PackId id = new PackId(Keys.getLong(k, 1));
                out.put(id, decode(c.value(), "of pack " + id));
            }
        }
        return out;
    }

    /**
     * What the chunk index says about the records of one pack.
     *
     * @param absent      records whose chunk has no index entry at all
     * @param absentBytes their bytes (record headers and payloads)
     * @param notHere     records the index does not point at: the absent ones and copies of
     *                    chunks indexed in another record (what a young pack's first accounting
     *                    record counts, docs/GC.md "Packs")
     */
    public record Census(long absent, long absentBytes, long notHere) {
    }

    /** Records of a pack that nothing accounts for, and (pro rata) their bytes. */
    public record Unaccounted(long records, long bytes) {
        public static final Unaccounted NONE = new Unaccounted(0, 0);
    }

    /** An index entry the caller is about to delete (a dry run of a sweep): counted as absent. */
    @FunctionalInterface
    public interface Dropped {
        boolean test(byte[] key, ChunkIndexCodec.Entry entry);
    }

    private static final int BATCH = 4096;

    /**
     * Counts the records of the pack whose footer is {@code idx} against the chunk index as it is
     * now ({@code dropped}: entries to count as deleted already; null for none).
     */
    public static Census census(MetaDb db, PackIndex idx, Dropped dropped) throws CairnException {
        long absent = 0;
        long bytes = 0;
        long notHere = 0;
        List<PackIndex.Entry> entries = idx.entries();
        for (int from = 0; from < entries.size(); from += BATCH) {
            List<PackIndex.Entry> part = entries.subList(from, Math.min(entries.size(), from + BATCH));
            List<byte[]> keys = new ArrayList<>(part.size());
            for (PackIndex.Entry en : part) {
                keys.add(Keys.chunk(en.id()));
            }
            List<byte[]> values = db.multiGet(Cf.CHUNKS, keys);
            for (int k = 0; k < part.size(); k++) {
                byte[] v = values.get(k);
                if (v != null) {
                    ChunkIndexCodec.Entry e = ChunkIndexCodec.decode(v);
                    if (dropped == null || !dropped.test(keys.get(k), e)) {
                        if (!e.location().equals(part.get(k).location())) {
                            notHere++; // a copy: the chunk is indexed elsewhere
                        }
                        continue; // indexed: here, or as a copy elsewhere
                    }
                }
                notHere++;
                absent++;
                bytes += PackCodec.RECORD_HEADER_SIZE + part.get(k).location().storedLength();
            }
        }
        return new Census(absent, bytes, notHere);
    }

    /**
     * The rule of docs/GC.md "Packs": of a pack's absent records, those beyond what its accounting
     * record allows (raised by {@code freedSince}, entries a sweep in progress freed there) are
     * unaccounted for. A young pack ({@code accounted} null: no completed GC has seen it) has none:
     * its absent records are crash leftovers. A copy of a chunk indexed elsewhere is never
     * unaccounted (the index still names its chunk).
     */
    public static Unaccounted unaccounted(Census c, Long accounted, long freedSince) {
        if (accounted == null) {
            return Unaccounted.NONE;
        }
        long n = Math.max(0, c.absent() - accounted - freedSince);
        return n == 0 ? Unaccounted.NONE : new Unaccounted(n, c.absentBytes() * n / c.absent());
    }

    /** A pack's accounting record, or null if it has none (a young pack). */
    public static Long pack(MetaDb db, PackId id) throws CairnException {
        byte[] v = db.get(Cf.JOURNAL, packKey(id));
        return v == null ? null : decode(v, "of pack " + id);
    }
}
