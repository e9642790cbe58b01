package dev.cairn.store.meta;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.codec.ByteReader;
import dev.cairn.protocol.codec.ByteWriter;
import dev.cairn.protocol.codec.MalformedDataException;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.PackId;

import java.util.ArrayList;
import java.util.List;

/**
 * The GC's progress record, key {@code 'G'} in the {@code journal} family. It is written in the
 * same atomic batch as the index switch and names the packs that the switch made deletable; it is
 * removed once they are gone. A GC that finds it at start (the previous one crashed or was
 * cancelled after its switch) deletes those packs first. Everything else a crashed GC leaves
 * behind — packs it wrote but never indexed, segments nobody references — has no index entries
 * pointing at it, and the next GC's normal sweep removes it.
 *
 * <p>Written and cleared only by GC; it lives in the store because {@code verify} reads it too:
 * the packs it names are deleted by the next GC without further checks, so their records are
 * accounted for ({@link GcAccounting#unaccounted}).
 *
 * <p>Value: u8 version 1, str gc id, i64 epoch, i32 n, n × u64 pack id. Stateless, thread-safe.
 */
public final class GcJournal {
    static final byte[] KEY = {'G'};

    public record Entry(String gcId, long epoch, List<PackId> packsToDelete) {
    }

    private GcJournal() {
    }

    public static void put(MetaDb.Batch b, Entry e) throws CairnException {
        ByteWriter w = new ByteWriter().u8(1).str(e.gcId()).i64(e.epoch()).i32(e.packsToDelete().size());
        for (PackId p : e.packsToDelete()) {
            w.i64(p.value());
        }
        b.put(Cf.JOURNAL, KEY, w.toByteArray());
    }

    public static Entry read(MetaDb db) throws CairnException {
        byte[] v = db.get(Cf.JOURNAL, KEY);
        if (v == null) {
            return null;
        }
        try {
            ByteReader r = new ByteReader(v);
            if (r.u8() != 1) {
                throw new CairnException(Status.UNSUPPORTED_VERSION, "GC journal has an unknown version");
            }
            String id = r.str();
            long epoch = r.i64();
            int n = r.count(10_000_000, "pack count");
            List<PackId> packs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                packs.add(new PackId(r.i64()));
            }
            return new Entry(id, epoch, packs);
        } catch (MalformedDataException e) {
            throw new CairnException(Status.CORRUPT, "GC journal is damaged: " + e.getMessage(), e);
        }
    }

    public static void clear(MetaDb db) throws CairnException {
        try (MetaDb.Batch b = db.batch()) {
            b.delete(Cf.JOURNAL, KEY);
            db.write(b, true);
        }
    }
}
