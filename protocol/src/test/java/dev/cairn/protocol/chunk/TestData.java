package dev.cairn.protocol.chunk;

import java.nio.charset.StandardCharsets;

/** Deterministic test inputs (SplitMix64, so they never depend on a JDK's Random). */
public final class TestData {
    private TestData() {
    }

    /** {@code n} pseudo-random bytes from {@code seed}. */
    public static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        long s = seed;
        for (int i = 0; i < n; i += 8) {
            s += 0x9E3779B97F4A7C15L;
            long z = s;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            for (int k = 0; k < 8 && i + k < n; k++) {
                b[i + k] = (byte) (z >>> (8 * k));
            }
        }
        return b;
    }

    /**
     * A database-like image: 8 KiB pages, each with a small header, a zeroed free-space gap and a
     * row area of random bytes and text, like the dbpages benchmark series.
     */
    public static byte[] pages(long seed, int pages) {
        byte[] out = new byte[pages * 8192];
        byte[] rnd = random(seed, out.length);
        byte[] text = "the quick brown fox jumps over the lazy dog while checkpoints pile up "
                .getBytes(StandardCharsets.US_ASCII);
        for (int p = 0; p < pages; p++) {
            int base = p * 8192;
            System.arraycopy(rnd, base, out, base, 24);
            int free = 2048 + (rnd[base + 24] & 0xff) * 16;
            int row = base + 24 + free;
            for (int i = row; i < base + 8192; i++) {
                out[i] = (i & 3) == 0 ? rnd[i] : text[(i + p) % text.length];
            }
        }
        return out;
    }

    /** {@code a} with {@code ins} inserted at {@code at}. */
    public static byte[] insert(byte[] a, int at, byte[] ins) {
        byte[] b = new byte[a.length + ins.length];
        System.arraycopy(a, 0, b, 0, at);
        System.arraycopy(ins, 0, b, at, ins.length);
        System.arraycopy(a, at, b, at + ins.length, a.length - at);
        return b;
    }
}
