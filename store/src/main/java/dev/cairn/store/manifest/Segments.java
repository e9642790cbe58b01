package dev.cairn.store.manifest;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;

/**
 * Chunk-ref segments: an entry's refs split into records of at most {@link #REFS_PER_SEGMENT}, so
 * neither writing nor reading a checkpoint's chunk list ever holds more than one segment, whatever
 * the checkpoint's size. Value layout: u8 version, i32 count, count × (32-byte id, i32 length).
 */
public final class Segments {
    public static final int REFS_PER_SEGMENT = 4096;
    static final int VERSION = 1;

    private Segments() {
    }

    static byte[] encode(ChunkRef[] refs, int count) {
        byte[] v = new byte[5 + count * ChunkRef.ENCODED_LENGTH];
        v[0] = VERSION;
        Keys.putInt(v, 1, count);
        int o = 5;
        for (int i = 0; i < count; i++) {
            refs[i].id().writeTo(v, o);
            Keys.putInt(v, o + 32, refs[i].length());
            o += ChunkRef.ENCODED_LENGTH;
        }
        return v;
    }

    public static ChunkRef[] decode(byte[] v, String where) throws CairnException {
        if (v == null) {
            throw new SegmentMissingException(where);
        }
        if (v.length < 5 || v[0] != VERSION) {
            throw new CairnException(Status.CORRUPT, "chunk-list segment damaged (version/length): " + where);
        }
        int n = (v[1] & 0xff) << 24 | (v[2] & 0xff) << 16 | (v[3] & 0xff) << 8 | (v[4] & 0xff);
        if (n < 0 || n > REFS_PER_SEGMENT || v.length != 5 + n * ChunkRef.ENCODED_LENGTH) {
            throw new CairnException(Status.CORRUPT, "chunk-list segment damaged (count " + n + "): " + where);
        }
        ChunkRef[] refs = new ChunkRef[n];
        int o = 5;
        for (int i = 0; i < n; i++) {
            int len = (v[o + 32] & 0xff) << 24 | (v[o + 33] & 0xff) << 16 | (v[o + 34] & 0xff) << 8 | (v[o + 35] & 0xff);
            refs[i] = new ChunkRef(ChunkId.fromBytes(v, o), len);
            o += ChunkRef.ENCODED_LENGTH;
        }
        return refs;
    }

    /** Appends refs to one entry's segment stream. Not thread-safe. */
    public static final class Writer {
        private final MetaDb db;
        private final byte[] storageId;
        private final int entry;
        private final ChunkRef[] buf = new ChunkRef[REFS_PER_SEGMENT];
        private int fill;
        private int segment;
        private long count;

        public Writer(MetaDb db, byte[] storageId, int entry) {
            this.db = db;
            this.storageId = storageId;
            this.entry = entry;
        }

        public void add(ChunkRef ref) throws CairnException {
            buf[fill++] = ref;
            count++;
            if (fill == REFS_PER_SEGMENT) {
                flush();
            }
        }

        /**
         * Writes the last partial segment. Segment writes are not synced: they only matter once a
         * manifest that points at them commits, and that commit's synced batch comes after them in
         * the WAL.
         */
        public void finish() throws CairnException {
            if (fill > 0) {
                flush();
            }
        }

        public long count() {
            return count;
        }

        /** Refs added but not yet written (GC marks them from memory). */
        public void forEachBuffered(java.util.function.Consumer<ChunkRef> c) {
            for (int i = 0; i < fill; i++) {
                c.accept(buf[i]);
            }
        }

        private void flush() throws CairnException {
            db.put(MetaDb.Cf.SEGMENTS, Keys.segment(storageId, entry, 0, segment), encode(buf, fill), false);
            segment++;
            fill = 0;
        }
    }

    /**
     * A segment is not there. Either damage, or a reader held a storage form that a rebase has
     * just replaced; {@link ManifestStore}'s cursors tell the two apart.
     */
    public static final class SegmentMissingException extends CairnException {
        SegmentMissingException(String where) {
            super(Status.CORRUPT, "chunk-list segment missing: " + where);
        }
    }

    /** The key range holding every segment of one storage id. */
    public static byte[][] range(byte[] storageId) {
        byte[] from = java.util.Arrays.copyOf(storageId, 16);
        return new byte[][] {from, Keys.prefixEnd(from)};
    }
}
