package dev.cairn.protocol.chunk;

/**
 * A run of consecutive chunks of one stream, sharing one array: chunk {@code i} is
 * {@code data[offset(i) .. offset(i) + length(i))}. Batches are the unit handed between the
 * chunking thread and the hashing/upload threads, so one array allocation serves many chunks.
 *
 * <p>Not thread-safe to mutate; after {@link ChunkBatcher} hands a batch out it never touches it
 * again, so the receiver owns it.
 */
public final class ChunkBatch {
    private final byte[] data;
    private final int[] ends;
    private final int count;
    private final long streamOffset;

    ChunkBatch(byte[] data, int[] ends, int count, long streamOffset) {
        this.data = data;
        this.ends = ends;
        this.count = count;
        this.streamOffset = streamOffset;
    }

    public byte[] data() {
        return data;
    }

    public int count() {
        return count;
    }

    public int offset(int i) {
        return i == 0 ? 0 : ends[i - 1];
    }

    public int length(int i) {
        return ends[i] - offset(i);
    }

    /** Total bytes of the chunks in this batch. */
    public int bytes() {
        return count == 0 ? 0 : ends[count - 1];
    }

    /** Offset of this batch's first byte within the whole stream. */
    public long streamOffset() {
        return streamOffset;
    }

    /** Hashes chunk {@code i}. */
    public ChunkId id(int i) {
        return ChunkId.of(data, offset(i), length(i));
    }
}
