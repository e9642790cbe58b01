package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.List;

/**
 * Pack parsing for pack backends outside this package (object storage keeps partial local copies
 * of remote packs): the same checks {@link LocalPackStore} makes, on a channel the caller owns.
 * Stateless and thread-safe; every method uses positional reads only.
 */
public final class PackFiles {
    /** Bytes at the end of a sealed pack that hold the footer start, entry count, CRC and end magic. */
    public static final int TRAILER_SIZE = PackCodec.TRAILER_SIZE;
    /** A reader checking a pack's header reads at most this many bytes from its start. */
    public static final int MAX_HEADER_SIZE = PackCodec.MAX_HEADER_SIZE;

    private PackFiles() {
    }

    /**
     * Reads the record at {@code loc} and verifies it (CRC32C, lengths, codec and id against
     * {@code loc} and {@code expectedId}); see {@link PackStore#read(ChunkLocation, ChunkId, byte[])}
     * for how {@code scratch} is used.
     *
     * @throws CorruptPackException if the bytes do not match
     */
    public static EncodedChunk readRecord(FileChannel ch, ChunkLocation loc, ChunkId expectedId, byte[] scratch)
            throws IOException {
        return PackFileReader.readRecord(ch, loc, expectedId, scratch);
    }

    /**
     * The index of the pack in {@code ch}: from its footer if sealed (reads only the header, the
     * footer and the trailer), otherwise by scanning the records.
     */
    public static PackIndex readIndex(FileChannel ch, PackId id) throws IOException {
        return PackFileReader.readIndex(ch, id);
    }

    /** Visits every record of the pack in {@code ch}; see {@link PackStore#scan}. */
    public static void scan(FileChannel ch, PackId id, PackStore.RecordVisitor visitor) throws IOException {
        PackFileReader.scan(ch, id, visitor);
    }

    /**
     * The footer start recorded in a trailer ({@link #TRAILER_SIZE} bytes at {@code off}), or -1 if
     * the bytes do not end with the end magic (not a sealed pack). Not checksummed: the caller
     * reads the footer through {@link #readIndex}, which verifies it.
     */
    public static long footerStart(byte[] trailer, int off) {
        if (!PackCodec.isEndMagic(trailer, off + PackCodec.T_MAGIC)) {
            return -1;
        }
        return PackCodec.trailerFooterStart(trailer, off);
    }

    /**
     * The footer CRC32C a sealed pack with {@code index}'s entries carries in its trailer (the
     * footer is a pure function of the entries). Pack records keep it, so that a footer found
     * later can be told to be this pack's.
     */
    public static int footerCrc(PackIndex index) {
        List<PackIndex.Entry> entries = index.entries();
        byte[] bytes = new byte[entries.size() * PackCodec.FOOTER_ENTRY_SIZE];
        for (int i = 0; i < entries.size(); i++) {
            ChunkLocation loc = entries.get(i).location();
            PackCodec.encodeFooterEntry(bytes, i * PackCodec.FOOTER_ENTRY_SIZE, entries.get(i).id(), loc.offset(),
                    loc.storedLength(), loc.rawLength(), loc.codec());
        }
        byte[] footer = PackCodec.encodeFooterWithoutMagic(bytes, entries.size(), index.recordsEnd());
        return PackCodec.trailerCrc(footer, footer.length - PackCodec.T_MAGIC);
    }
}
