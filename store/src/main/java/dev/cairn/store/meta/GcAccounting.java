package dev.cairn.store.meta;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.PackId;

import java.util.HashMap;
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
}
