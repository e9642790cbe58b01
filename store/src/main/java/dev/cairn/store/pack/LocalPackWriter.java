package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32C;

import static dev.cairn.store.pack.PackCodec.FOOTER_ENTRY_SIZE;
import static dev.cairn.store.pack.PackCodec.HEADER_SIZE;
import static dev.cairn.store.pack.PackCodec.MAX_PAYLOAD;
import static dev.cairn.store.pack.PackCodec.RECORD_HEADER_SIZE;

/**
 * Appends records to one new local pack file. Not thread-safe (see {@link PackWriter}).
 *
 * <p>Each record goes out as one positional write from a reused direct buffer (records up to
 * {@value #WRITE_BUFFER_SIZE} payload bytes; larger ones in buffer-sized pieces), so the hot path
 * allocates only the returned {@link ChunkLocation}. Footer entries accumulate as bytes in a
 * growing array, written at {@link #seal()}.
 *
 * <p>If an fsync fails, the writer refuses all further work: after a failed fsync the kernel may
 * have dropped the dirty pages and a retry could report success for data that is gone, so nothing
 * in this pack may be declared durable (the caller abandons it; its records are written again to
 * a new pack).
 */
final class LocalPackWriter implements PackWriter {
    static final int WRITE_BUFFER_SIZE = 1 << 20;

    private enum State { OPEN, SEALED, CLOSED, FAILED }

    private final PackId id;
    private final Path path;
    private final FileChannel channel;
    private final Runnable onClose;
    private final byte[] recordHeader = new byte[RECORD_HEADER_SIZE];
    private final ByteBuffer out = ByteBuffer.allocateDirect(RECORD_HEADER_SIZE + WRITE_BUFFER_SIZE);
    private final CRC32C crc = new CRC32C();
    private byte[] footer = new byte[256 * FOOTER_ENTRY_SIZE];
    private int count;
    private long size;
    private State state = State.OPEN;
    private IOException failure;

    /**
     * Writes and fsyncs the header of a new, empty pack file open for writing as {@code channel}.
     * The channel is owned by the writer from here on; {@code onClose} runs once when it ends.
     */
    LocalPackWriter(PackId id, Path path, FileChannel channel, Runnable onClose) throws IOException {
        this.id = id;
        this.path = path;
        this.channel = channel;
        this.onClose = onClose;
        byte[] header = new byte[HEADER_SIZE];
        PackCodec.encodeHeader(id, header);
        try {
            FileIo.writeFully(channel, ByteBuffer.wrap(header), 0);
            // Durable before anyone can append: a pack file with a partial header can then only
            // come from a crash inside create(), which is what recovery assumes.
            channel.force(true);
        } catch (IOException e) {
            throw ioError("writing the header of", e);
        }
        this.size = HEADER_SIZE;
    }

    @Override
    public PackId id() {
        return id;
    }

    @Override
    public ChunkLocation append(ChunkId chunkId, EncodedChunk chunk) throws IOException {
        Objects.requireNonNull(chunkId, "chunkId");
        int codec = chunk.codec();
        int raw = chunk.rawLength();
        int stored = chunk.length();
        if (!ChunkCodec.isKnown(codec)) {
            throw new IllegalArgumentException("unknown chunk codec " + codec + " for chunk " + chunkId.shortHex());
        }
        if (stored < 0 || stored > MAX_PAYLOAD || raw < 0 || raw > MAX_PAYLOAD) {
            throw new IllegalArgumentException("chunk " + chunkId.shortHex() + ": stored length " + stored
                    + " / raw length " + raw + " outside the record limit [0, " + MAX_PAYLOAD + "]");
        }
        if (codec == ChunkCodec.RAW && raw != stored) {
            throw new IllegalArgumentException("raw chunk " + chunkId.shortHex() + " has stored length " + stored
                    + " but raw length " + raw);
        }
        Objects.checkFromIndexSize(chunk.offset(), stored, chunk.data().length);
        ensureWritable();
        if (count == PackCodec.MAX_RECORDS) {
            throw new IllegalStateException("pack " + id + " holds the maximum of " + PackCodec.MAX_RECORDS + " records");
        }

        long offset = size;
        PackCodec.encodeRecordHeader(recordHeader, 0, chunkId, codec, raw, stored);
        PackCodec.putU32(recordHeader, PackCodec.R_CRC,
                PackCodec.recordCrc(crc, recordHeader, 0, chunk.data(), chunk.offset(), stored));
        try {
            writeRecord(offset, chunk.data(), chunk.offset(), stored);
        } catch (IOException e) {
            // Nothing below ran: size, count and the footer do not mention this record, and the
            // next append (or the footer) overwrites whatever part of it reached the file.
            throw ioError("appending " + (RECORD_HEADER_SIZE + stored) + " bytes at offset " + offset + " of", e);
        }
        int at = count * FOOTER_ENTRY_SIZE;
        if (at + FOOTER_ENTRY_SIZE > footer.length) {
            footer = Arrays.copyOf(footer, Math.max(at + FOOTER_ENTRY_SIZE, footer.length * 2));
        }
        PackCodec.encodeFooterEntry(footer, at, chunkId, offset, stored, raw, codec);
        count++;
        size = offset + RECORD_HEADER_SIZE + stored;
        return new ChunkLocation(id, offset, stored, raw, codec);
    }

    private void writeRecord(long offset, byte[] data, int off, int len) throws IOException {
        out.clear();
        out.put(recordHeader);
        int done = 0;
        long pos = offset;
        while (true) {
            int n = Math.min(out.remaining(), len - done);
            out.put(data, off + done, n);
            done += n;
            out.flip();
            int bytes = out.remaining();
            FileIo.writeFully(channel, out, pos);
            pos += bytes;
            if (done == len) {
                return;
            }
            out.clear();
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int count() {
        return count;
    }

    /**
     * Forces the records to disk with {@code force(true)} (fsync). Appends grow the file, so the
     * inode's size must reach the disk with the data anyway: fdatasync would write it too, and
     * {@code force(false)}'s contract does not promise the size on every platform. The full fsync
     * therefore costs nothing extra and states the requirement plainly.
     */
    @Override
    public void sync() throws IOException {
        if (state == State.SEALED) {
            return; // seal() forced everything
        }
        ensureWritable();
        try {
            channel.force(true);
        } catch (IOException e) {
            fail(e);
            throw ioError("fsync of", e);
        }
    }

    @Override
    public PackIndex seal() throws IOException {
        ensureWritable();
        long end;
        try {
            end = FooterWriter.seal(channel, size, footer, count);
        } catch (IOException e) {
            fail(e);
            throw ioError("sealing", e);
        }
        state = State.SEALED;
        List<PackIndex.Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int e = i * FOOTER_ENTRY_SIZE;
            entries.add(new PackIndex.Entry(PackCodec.entryId(footer, e), new ChunkLocation(id,
                    PackCodec.entryOffset(footer, e), PackCodec.entryStoredLength(footer, e),
                    PackCodec.entryRawLength(footer, e), PackCodec.entryCodec(footer, e))));
        }
        size = end;
        footer = null;
        closeChannel();
        return new PackIndex(id, true, end, List.copyOf(entries));
    }

    /** Abandons an unsealed pack as it is on disk; a no-op after {@link #seal()}. */
    @Override
    public void close() throws IOException {
        if (state == State.SEALED || state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        footer = null;
        closeChannel();
    }

    private void closeChannel() throws IOException {
        try {
            channel.close();
        } finally {
            onClose.run();
        }
    }

    private void fail(IOException e) {
        state = State.FAILED;
        failure = e;
    }

    private void ensureWritable() throws IOException {
        switch (state) {
            case OPEN -> { }
            case FAILED -> throw new IOException("pack " + id + " (" + path + ") cannot be used: an earlier "
                    + "fsync or seal failed, so what reached the disk is unknown; abandon this pack", failure);
            case SEALED -> throw new IllegalStateException("pack " + id + " is sealed");
            case CLOSED -> throw new IllegalStateException("pack writer " + id + " is closed");
        }
    }

    private IOException ioError(String what, IOException e) {
        IOException full = FileIo.classify(what + " pack " + id + " (" + path + ")", e);
        return full != e ? full : new IOException(what + " pack " + id + " (" + path + ") failed: " + e, e);
    }

    @Override
    public String toString() {
        return "LocalPackWriter[" + id + ", " + count + " records, " + size + " bytes, " + state + "]";
    }
}
