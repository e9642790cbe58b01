package dev.cairn.protocol.chunk;

/**
 * Content-defined chunking parameters. A store records them in its config when it is created and
 * refuses to open with different ones: chunks cut with other parameters would never dedup against
 * the stored ones, silently.
 *
 * @param minSize smallest chunk (except the last of a stream); no cut is considered before it
 * @param avgSize target average; a power of two, it fixes the cut masks
 * @param maxSize largest chunk; a cut is forced here
 */
public record ChunkerParams(int minSize, int avgSize, int maxSize) {

    /** Hard upper bound on {@link #maxSize}: one chunk must fit comfortably in a frame and a buffer. */
    public static final int LIMIT = 16 << 20;

    /**
     * The defaults, chosen by measurement on the shared benchmark series (docs/CHUNKING.md): a
     * 16 KiB average keeps a database image with 2% of its 8 KiB pages changed deduplicating well,
     * while a 64 KiB maximum bounds the cost of a forced cut and the metadata stays ~0.25% of the data.
     */
    public static final ChunkerParams DEFAULT = new ChunkerParams(4 << 10, 16 << 10, 64 << 10);

    public ChunkerParams {
        if (Integer.bitCount(avgSize) != 1) {
            throw new IllegalArgumentException("avgSize must be a power of two, got " + avgSize);
        }
        if (minSize < 64 || minSize >= avgSize || avgSize >= maxSize || maxSize > LIMIT) {
            throw new IllegalArgumentException("chunker sizes must satisfy 64 <= min < avg < max <= "
                    + LIMIT + ", got min=" + minSize + " avg=" + avgSize + " max=" + maxSize);
        }
        if (avgSize < 256) {
            throw new IllegalArgumentException("avgSize must be at least 256, got " + avgSize);
        }
    }

    @Override
    public String toString() {
        return "min=" + minSize + " avg=" + avgSize + " max=" + maxSize;
    }
}
