package dev.cairn.store.manifest;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.ChunkRef;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * Expresses a new entry's chunk list as edits of the parent's same-named entry, while the refs
 * stream in. Alignment is greedy with a bounded look-ahead: the next parent ref is tried first;
 * otherwise the ref is looked up among the next {@code window} parent refs (which resynchronises
 * after insertions and rewritten regions); otherwise it is a new ref. Memory is the window plus
 * the op list, which is capped: past {@code maxOps} the builder gives up and the store writes a
 * full manifest.
 *
 * <p>Any copy it emits is exact: a copied parent ref has the same id, hence the same bytes and
 * length, as the new ref it stands for. Not thread-safe.
 */
public final class DeltaBuilder {
    private final RefCursor parent;
    private final int parentEntry;
    private final int window;
    private final int maxOps;
    private final Segments.Writer newRefs;

    private final ArrayDeque<Slot> ahead = new ArrayDeque<>();
    private final HashMap<ChunkId, Long> where = new HashMap<>();
    private long nextParent;
    private final List<DeltaOp> ops = new ArrayList<>();
    private long runStart = -1;
    private long runLength;
    private long newRun;
    private boolean gaveUp;

    private record Slot(long index, ChunkId id) {
    }

    /**
     * @param parent      cursor on the parent's entry, or null when the parent has no such entry
     * @param parentEntry index of that entry in the parent
     * @param newRefs     where refs that are not copies go
     */
    public DeltaBuilder(RefCursor parent, int parentEntry, int window, int maxOps, Segments.Writer newRefs) {
        this.parent = parent;
        this.parentEntry = parentEntry;
        this.window = window;
        this.maxOps = maxOps;
        this.newRefs = newRefs;
    }

    public void add(ChunkRef ref) throws CairnException {
        if (gaveUp) {
            return;
        }
        fill();
        Slot head = ahead.peekFirst();
        if (head != null && head.id().equals(ref.id())) {
            copy(head.index());
            dropThrough(head.index());
            return;
        }
        Long at = where.get(ref.id());
        if (at != null && at >= nextParent) {
            copy(at);
            dropThrough(at);
            return;
        }
        endCopyRun();
        newRun++;
        newRefs.add(ref);
    }

    /** Ends the entry. Returns its body, or null if the builder gave up (too many ops). */
    public EntryBody.Delta finish() throws CairnException {
        if (gaveUp) {
            return null;
        }
        endCopyRun();
        endNewRun();
        newRefs.finish();
        if (ops.size() > maxOps) {
            return null;
        }
        return new EntryBody.Delta(newRefs.count(), ops);
    }

    private void copy(long index) {
        endNewRun();
        if (runStart >= 0 && runStart + runLength == index) {
            runLength++;
        } else {
            endCopyRun();
            runStart = index;
            runLength = 1;
        }
    }

    private void endCopyRun() {
        if (runStart >= 0) {
            addOp(new DeltaOp.Copy(parentEntry, runStart, runLength));
            runStart = -1;
            runLength = 0;
        }
    }

    private void endNewRun() {
        if (newRun > 0) {
            addOp(new DeltaOp.New(newRun));
            newRun = 0;
        }
    }

    private void addOp(DeltaOp op) {
        ops.add(op);
        if (ops.size() > maxOps) {
            gaveUp = true;
            ahead.clear();
            where.clear();
            ops.clear();
        }
    }

    /** Keeps the look-ahead filled with the parent refs in [nextParent, nextParent + window). */
    private void fill() throws CairnException {
        if (parent == null) {
            return;
        }
        while (parent.position() < parent.size() && parent.position() < nextParent + window) {
            long idx = parent.position();
            ChunkRef r = parent.next();
            ahead.addLast(new Slot(idx, r.id()));
            where.putIfAbsent(r.id(), idx);
        }
    }

    private void dropThrough(long index) {
        while (!ahead.isEmpty() && ahead.peekFirst().index() <= index) {
            Slot s = ahead.removeFirst();
            where.remove(s.id(), s.index());
        }
        nextParent = index + 1;
    }
}
