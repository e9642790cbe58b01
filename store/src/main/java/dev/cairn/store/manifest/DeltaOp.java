package dev.cairn.store.manifest;

/**
 * One edit of a delta entry. Applied in order, the ops of an entry produce its resolved chunk list.
 */
public sealed interface DeltaOp {

    /** Chunks this op contributes. */
    long count();

    /** Copy {@code count} refs of the parent's entry {@code parentEntry}, starting at ref {@code start}. */
    record Copy(int parentEntry, long start, long count) implements DeltaOp {
        public Copy {
            if (parentEntry < 0 || start < 0 || count <= 0) {
                throw new IllegalArgumentException("bad copy op " + parentEntry + "/" + start + "/" + count);
            }
        }
    }

    /** Take the next {@code count} refs of this manifest's own new-ref stream. */
    record New(long count) implements DeltaOp {
        public New {
            if (count <= 0) {
                throw new IllegalArgumentException("bad new op " + count);
            }
        }
    }
}
