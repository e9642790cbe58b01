package dev.cairn.store.util;

/**
 * A set of longs with open addressing and linear probing: 8 bytes per slot at a load factor of at
 * most 0.6, so ~13 bytes per element, no boxing. Used for sets of 64-bit chunk-id prefixes (GC
 * mark, verify), where a collision of two ids' prefixes can only make a check err on the side of
 * "seen". Not thread-safe.
 */
public final class LongHashSet {
    private long[] slots;
    private int size;
    private boolean hasZero;
    private int mask;

    public LongHashSet() {
        this(1024);
    }

    public LongHashSet(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, (int) Math.min(1 << 30, expected / 0.6 + 1)) * 2 - 1);
        slots = new long[cap];
        mask = cap - 1;
    }

    /** Adds {@code v}; returns true if it was not present. */
    public boolean add(long v) {
        if (v == 0) {
            boolean added = !hasZero;
            hasZero = true;
            if (added) {
                size++;
            }
            return added;
        }
        int i = mix(v) & mask;
        while (true) {
            long s = slots[i];
            if (s == 0) {
                slots[i] = v;
                if (++size > slots.length * 0.6) {
                    grow();
                }
                return true;
            }
            if (s == v) {
                return false;
            }
            i = (i + 1) & mask;
        }
    }

    public boolean contains(long v) {
        if (v == 0) {
            return hasZero;
        }
        int i = mix(v) & mask;
        while (true) {
            long s = slots[i];
            if (s == 0) {
                return false;
            }
            if (s == v) {
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    public int size() {
        return size;
    }

    /** Bytes of heap the table uses. */
    public long memoryBytes() {
        return (long) slots.length * 8;
    }

    private void grow() {
        long[] old = slots;
        slots = new long[old.length * 2];
        mask = slots.length - 1;
        size = hasZero ? 1 : 0;
        for (long v : old) {
            if (v != 0) {
                int i = mix(v) & mask;
                while (slots[i] != 0) {
                    i = (i + 1) & mask;
                }
                slots[i] = v;
                size++;
            }
        }
    }

    private static int mix(long v) {
        long h = v * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
