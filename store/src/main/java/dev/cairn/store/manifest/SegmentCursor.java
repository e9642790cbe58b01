package dev.cairn.store.manifest;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;

import java.util.HexFormat;

/** A {@link RefCursor} over one segment stream (a full entry, or a delta's new refs). */
final class SegmentCursor implements RefCursor {
    private final MetaDb db;
    private final byte[] storageId;
    private final int entry;
    private final long size;
    private long pos;
    private ChunkRef[] seg;
    private int segNo = -1;

    SegmentCursor(MetaDb db, byte[] storageId, int entry, long size) {
        this.db = db;
        this.storageId = storageId;
        this.entry = entry;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long position() {
        return pos;
    }

    @Override
    public void seek(long index) {
        if (index < 0 || index > size) {
            throw new IndexOutOfBoundsException("seek to " + index + " of " + size);
        }
        pos = index;
    }

    @Override
    public ChunkRef next() throws CairnException {
        if (pos >= size) {
            return null;
        }
        int want = (int) (pos / Segments.REFS_PER_SEGMENT);
        if (want != segNo) {
            String where = HexFormat.of().formatHex(storageId) + "/" + entry + "/" + want;
            seg = Segments.decode(db.get(MetaDb.Cf.SEGMENTS, Keys.segment(storageId, entry, 0, want)), where);
            segNo = want;
            long expected = Math.min(Segments.REFS_PER_SEGMENT, size - (long) want * Segments.REFS_PER_SEGMENT);
            if (seg.length != expected) {
                throw new CairnException(Status.CORRUPT, "chunk-list segment " + where + " holds " + seg.length
                        + " refs, expected " + expected);
            }
        }
        return seg[(int) (pos++ % Segments.REFS_PER_SEGMENT)];
    }
}
