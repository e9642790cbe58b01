package dev.cairn.store.manifest;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ChunkRef;

import java.util.Arrays;
import java.util.List;

/**
 * A {@link RefCursor} over a delta entry: walks its ops, reading copy runs through cursors on the
 * parent's entries (themselves deltas, recursively, down to a full base) and new refs from its own
 * segment stream. Holds the op table (bounded by {@link StoredManifestCodec#MAX_OPS}) and one
 * cursor per chain level.
 */
final class DeltaCursor implements RefCursor {

    /** Opens a cursor on one entry of the parent. */
    interface ParentEntries {
        RefCursor open(int entry) throws CairnException;
    }

    private final String where;
    private final List<DeltaOp> ops;
    private final long[] opStart;
    private final long[] newBefore;
    private final long size;
    private final RefCursor newRefs;
    private final ParentEntries parents;
    private final RefCursor[] parentCursors;
    private final int parentEntryCount;

    private long pos;
    private int op;
    private long inOp;
    private RefCursor source;

    DeltaCursor(String where, EntryBody.Delta body, RefCursor newRefs, int parentEntryCount, ParentEntries parents,
                long expectedSize) throws CairnException {
        this.where = where;
        this.ops = body.ops();
        this.newRefs = newRefs;
        this.parents = parents;
        this.parentEntryCount = parentEntryCount;
        this.parentCursors = new RefCursor[parentEntryCount];
        opStart = new long[ops.size()];
        newBefore = new long[ops.size()];
        long out = 0;
        long news = 0;
        for (int i = 0; i < ops.size(); i++) {
            opStart[i] = out;
            newBefore[i] = news;
            DeltaOp o = ops.get(i);
            out += o.count();
            if (o instanceof DeltaOp.New) {
                news += o.count();
            } else if (((DeltaOp.Copy) o).parentEntry() >= parentEntryCount) {
                throw corrupt("copies from parent entry " + ((DeltaOp.Copy) o).parentEntry() + " of " + parentEntryCount);
            }
        }
        if (out != expectedSize || news != body.newRefs() || newRefs.size() != news) {
            throw corrupt("ops produce " + out + " refs (" + news + " new), header says " + expectedSize
                    + " (" + body.newRefs() + " new)");
        }
        this.size = out;
        seek(0);
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
        int i = Arrays.binarySearch(opStart, index);
        op = i >= 0 ? i : -i - 2;
        if (op < 0) {
            op = 0;
        }
        inOp = ops.isEmpty() ? 0 : index - opStart[op];
        source = null;
    }

    @Override
    public ChunkRef next() throws CairnException {
        if (pos >= size) {
            return null;
        }
        while (inOp >= ops.get(op).count()) {
            op++;
            inOp = 0;
            source = null;
        }
        if (source == null) {
            DeltaOp o = ops.get(op);
            if (o instanceof DeltaOp.Copy c) {
                RefCursor p = parentCursors[c.parentEntry()];
                if (p == null) {
                    p = parents.open(c.parentEntry());
                    parentCursors[c.parentEntry()] = p;
                }
                if (c.start() + c.count() > p.size()) {
                    throw corrupt("copies refs " + c.start() + ".." + (c.start() + c.count()) + " of a parent entry with "
                            + p.size());
                }
                p.seek(c.start() + inOp);
                source = p;
            } else {
                newRefs.seek(newBefore[op] + inOp);
                source = newRefs;
            }
        }
        ChunkRef r = source.next();
        if (r == null) {
            throw corrupt("source ended early at ref " + pos);
        }
        inOp++;
        pos++;
        return r;
    }

    private CairnException corrupt(String what) {
        return new CairnException(Status.CORRUPT, "delta manifest " + where + " is damaged: " + what);
    }

}
