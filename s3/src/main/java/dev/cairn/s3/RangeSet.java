package dev.cairn.s3;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of half-open byte ranges {@code [from, to)}, kept merged: which parts of a remote pack a
 * partial local copy holds. Not thread-safe; {@link PartialPack} guards it.
 */
final class RangeSet {
    private final TreeMap<Long, Long> ranges = new TreeMap<>();
    private long bytes;

    /** True if every byte of {@code [from, to)} is present. */
    boolean covers(long from, long to) {
        if (from >= to) {
            return true;
        }
        Map.Entry<Long, Long> e = ranges.floorEntry(from);
        return e != null && e.getValue() >= to;
    }

    /** The parts of {@code [from, to)} that are missing, in order, as {from, to} pairs. */
    List<long[]> missing(long from, long to) {
        List<long[]> out = new ArrayList<>();
        long pos = from;
        Map.Entry<Long, Long> e = ranges.floorEntry(from);
        if (e != null && e.getValue() > pos) {
            pos = e.getValue();
        }
        for (Map.Entry<Long, Long> r : ranges.tailMap(from, false).entrySet()) {
            if (pos >= to || r.getKey() >= to) {
                break;
            }
            if (r.getKey() > pos) {
                out.add(new long[] {pos, r.getKey()});
            }
            pos = Math.max(pos, r.getValue());
        }
        if (pos < to) {
            out.add(new long[] {pos, to});
        }
        return out;
    }

    /** Adds {@code [from, to)}, merging with neighbours. */
    void add(long from, long to) {
        if (from >= to) {
            return;
        }
        long start = from;
        long end = to;
        Map.Entry<Long, Long> before = ranges.floorEntry(from);
        if (before != null && before.getValue() >= from) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
        }
        for (Map.Entry<Long, Long> r = ranges.ceilingEntry(start); r != null && r.getKey() <= end;
             r = ranges.ceilingEntry(start)) {
            end = Math.max(end, r.getValue());
            bytes -= r.getValue() - r.getKey();
            ranges.remove(r.getKey());
        }
        ranges.put(start, end);
        bytes += end - start;
    }

    /** Bytes present. */
    long bytes() {
        return bytes;
    }

    @Override
    public String toString() {
        return ranges.toString();
    }
}
