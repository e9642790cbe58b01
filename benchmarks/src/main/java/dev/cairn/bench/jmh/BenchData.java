package dev.cairn.bench.jmh;

/** Deterministic benchmark inputs (SplitMix64), so every run and fork times the same bytes. */
final class BenchData {
    private BenchData() {
    }

    static byte[] random(long seed, int n) {
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
}
