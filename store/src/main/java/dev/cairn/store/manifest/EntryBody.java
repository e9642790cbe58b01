package dev.cairn.store.manifest;

import java.util.List;

/** How one entry's chunk list is stored: all refs (full) or edits against the parent (delta). */
public sealed interface EntryBody {

    /** Refs in this manifest's own segment stream for the entry. */
    long storedRefs();

    /** The entry's refs are stream 0 of its segments, {@code refs} of them. */
    record Full(long refs) implements EntryBody {
        @Override
        public long storedRefs() {
            return refs;
        }
    }

    /** The entry is {@code ops} applied to the parent; {@code newRefs} refs are in stream 0. */
    record Delta(long newRefs, List<DeltaOp> ops) implements EntryBody {
        public Delta {
            ops = List.copyOf(ops);
        }

        @Override
        public long storedRefs() {
            return newRefs;
        }
    }
}
