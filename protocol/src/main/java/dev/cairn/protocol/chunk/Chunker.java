package dev.cairn.protocol.chunk;

/**
 * FastCDC-style content-defined chunker (Xia et al., "The Design of Fast Content-Defined Chunking
 * for Data Deduplication Based Storage Systems", TPDS 2020): a gear rolling hash with normalized
 * chunking (a harder mask before the average size, an easier one after it).
 *
 * <p>Where a chunk ends depends only on the bytes from the chunk's first byte up to the cut, never
 * on how the input was sliced or on anything after the cut. That is what makes client and daemon
 * cut identically, and what lets a stream be re-chunked from any earlier cut point.
 *
 * <p>Two details differ from the paper, on purpose:
 * <ul>
 *   <li>The cut test uses the <em>top</em> bits of the gear hash. Bit k of a gear hash depends on
 *       the last k+1 bytes only, so the top bits are the ones with a full 64-byte window.</li>
 *   <li>Hashing of a chunk starts 64 bytes before {@code minSize}, so at every candidate position
 *       the hash covers a full window of content. A candidate cut is then a property of the 64
 *       bytes before it, not of where the previous chunk happened to end, which makes boundaries
 *       resynchronise right after an insertion instead of drifting.</li>
 * </ul>
 * Long runs of one byte value (zeroed free space in database pages, padding) give a constant hash;
 * the gear table below is chosen so that the constant of an all-zero window is not a cut point,
 * and such runs are cut at {@code maxSize} relative to the last content-defined cut before them.
 * The content after the run cuts by content again, so an insertion before a zero region changes
 * nothing after the region.
 *
 * <p>Immutable and thread-safe.
 */
public final class Chunker {

    /** The gear table. Part of the store format: changing it changes every chunk id. */
    static final long[] GEAR = gearTable();

    private final ChunkerParams params;
    private final int min;
    private final int avg;
    private final int max;
    private final long maskHard;
    private final long maskEasy;

    public Chunker(ChunkerParams params) {
        this.params = params;
        this.min = params.minSize();
        this.avg = params.avgSize();
        this.max = params.maxSize();
        int bits = Integer.numberOfTrailingZeros(avg);
        // Normalization level 2, as in the paper: 2 more bits before avg, 2 fewer after.
        this.maskHard = topBits(bits + 2);
        this.maskEasy = topBits(bits - 2);
    }

    public ChunkerParams params() {
        return params;
    }

    /**
     * Finds the end of the chunk that starts at {@code buf[off]}.
     *
     * @param len bytes available from {@code off}
     * @param eof true if no bytes follow the available ones
     * @return the chunk length (1..maxSize), or -1 if more input is needed to decide. With
     *         {@code eof} it never returns -1 for {@code len > 0}; it returns 0 only for {@code len == 0}.
     */
    public int cut(byte[] buf, int off, int len, boolean eof) {
        if (len <= min) {
            // No candidate cut lies before minSize: the rest is one chunk at the end of input,
            // otherwise wait for more bytes.
            return eof ? len : -1;
        }
        int end = Math.min(len, max);
        int normal = Math.min(end, avg);
        long h = 0;
        // Warm the window: the candidate at minSize sees the 64 bytes before it.
        int i = off + Math.max(0, min - 64);
        int firstCandidate = off + min - 1;
        for (; i < firstCandidate; i++) {
            h = (h << 1) + GEAR[buf[i] & 0xff];
        }
        int stop = off + normal;
        for (; i < stop; i++) {
            h = (h << 1) + GEAR[buf[i] & 0xff];
            if ((h & maskHard) == 0) {
                return i - off + 1;
            }
        }
        stop = off + end;
        for (; i < stop; i++) {
            h = (h << 1) + GEAR[buf[i] & 0xff];
            if ((h & maskEasy) == 0) {
                return i - off + 1;
            }
        }
        if (end == max || eof) {
            return end;
        }
        return -1;
    }

    private static long topBits(int n) {
        return -1L << (64 - n);
    }

    /**
     * 256 pseudo-random 64-bit values from SplitMix64 seeded with the ASCII of "cairn-gear-v1".
     * Seeds are tried in order until the hash of an all-zero window (-GEAR[0]) is not a cut point
     * under any mask we allow, so zero runs never cut by content (see class comment).
     */
    private static long[] gearTable() {
        long seed = 0x636169726e2d6765L; // "cairn-ge"
        while (true) {
            long[] t = new long[256];
            long s = seed;
            for (int i = 0; i < 256; i++) {
                s += 0x9E3779B97F4A7C15L;
                long z = s;
                z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
                z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
                t[i] = z ^ (z >>> 31);
            }
            // A window of 64 zero bytes hashes to sum(GEAR[0] << k) = GEAR[0] * (2^64 - 1) = -GEAR[0].
            // Its top 6 bits (the smallest mask we allow, avg >= 256) must not all be zero.
            if (((-t[0]) & topBits(6)) != 0) {
                return t;
            }
            seed++;
        }
    }
}
