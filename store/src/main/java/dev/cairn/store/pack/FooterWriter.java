package dev.cairn.store.pack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Seals a pack: writes its footer index and trailer. Shared by {@link LocalPackWriter#seal()} and
 * crash recovery so that both produce the same bytes in the same order.
 */
final class FooterWriter {
    private FooterWriter() {
    }

    /**
     * Writes the footer for {@code count} entries ({@code entries[0, count * FOOTER_ENTRY_SIZE)})
     * at {@code footerStart}, the end of the last record, and returns the sealed file's size.
     *
     * <p>Order (docs/FORMAT.md, "Ordering rules"): footer and trailer fields, cut the file there,
     * fsync; only then the 8-byte end magic, fsync. A crash before the second fsync leaves a pack
     * without end magic, which readers treat as unsealed and recovery seals again; a pack never
     * looks sealed with a footer that is not on disk.
     */
    static long seal(FileChannel ch, long footerStart, byte[] entries, int count) throws IOException {
        byte[] body = PackCodec.encodeFooterWithoutMagic(entries, count, footerStart);
        long magicAt = footerStart + body.length;
        FileIo.writeFully(ch, ByteBuffer.wrap(body), footerStart);
        // A failed append, or a torn record before a crash, may have left bytes past the last
        // record; the trailer must be the last thing in the file.
        ch.truncate(magicAt);
        ch.force(true);
        FileIo.writeFully(ch, ByteBuffer.wrap(PackCodec.END_MAGIC.clone()), magicAt);
        ch.force(true);
        return magicAt + PackCodec.END_MAGIC.length;
    }
}
