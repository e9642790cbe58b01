package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkId;

import java.util.List;

/**
 * The records of one pack in file order, as read from its footer, recovered by a scan, or salvaged
 * from a damaged pack ({@link PackStore#salvage}).
 *
 * @param pack    the pack
 * @param sealed  true if read from a verified footer; false if recovered by scanning records
 * @param size    the file's length in bytes when it was read (for an unsealed pack this may include
 *                a torn record after the last entry)
 * @param entries one entry per record, in file order (immutable): every record the footer names,
 *                or, without a footer, every record whose CRC checks out
 * @param damage  what failed its checks while reading (immutable); empty for a cleanly sealed
 *                pack and for the torn tail a crash leaves in an unsealed one
 */
public record PackIndex(PackId pack, boolean sealed, long size, List<Entry> entries, List<Damage> damage) {

    public PackIndex(PackId pack, boolean sealed, long size, List<Entry> entries) {
        this(pack, sealed, size, entries, List.of());
    }

    /** One chunk record: its id and its location. */
    public record Entry(ChunkId id, ChunkLocation location) {
    }

    /**
     * A region of the file that failed its checks.
     *
     * @param offset first damaged byte (a record's header, the footer, the trailer)
     * @param length bytes skipped until the next intact structure (0 if unknown)
     * @param detail what was wrong, with expected and actual values where known
     */
    public record Damage(long offset, long length, String detail) {
        @Override
        public String toString() {
            return "offset " + offset + (length > 0 ? " (+" + length + " bytes)" : "") + ": " + detail;
        }
    }

    /** True if nothing failed its checks. */
    public boolean intact() {
        return damage.isEmpty();
    }

    /**
     * End of the records that follow each other without a gap from the header on: where a crash
     * recovery would cut. Equals the footer start for a sealed pack.
     */
    public long contiguousEnd() {
        long end = PackCodec.HEADER_SIZE;
        for (Entry e : entries) {
            if (e.location().offset() != end) {
                break;
            }
            end += PackCodec.RECORD_HEADER_SIZE + e.location().storedLength();
        }
        return end;
    }

    /** End of the last record listed (the header's end if none). */
    public long recordsEnd() {
        if (entries.isEmpty()) {
            return PackCodec.HEADER_SIZE;
        }
        ChunkLocation last = entries.get(entries.size() - 1).location();
        return last.offset() + PackCodec.RECORD_HEADER_SIZE + last.storedLength();
    }
}
