package dev.cairn.bench.jmh;

import dev.cairn.protocol.chunk.ChunkId;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Deterministic benchmark inputs (SplitMix64), so every run and fork times the same bytes, and
 * the checks and clean-up the store benchmarks share.
 */
public final class BenchData {
    private BenchData() {
    }

    /** {@code n} pseudo-random (incompressible) bytes from {@code seed} (SplitMix64). */
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
     * Rewrites {@code data} as {@code original} with two bytes of {@code round} in every 4 KiB:
     * each round's bytes differ from all earlier rounds' (a cumulative XOR would come back to
     * earlier contents), so every chunk of a "new data" put is new.
     */
    static void vary(byte[] data, byte[] original, long round) {
        for (int i = 0; i + 1 < data.length; i += 4096) {
            data[i] = (byte) (original[i] ^ round);
            data[i + 1] = (byte) (original[i + 1] ^ (round >>> 8) ^ 0x5a);
        }
    }

    /**
     * Reads {@code in} to its end and checks its SHA-256 against {@code expected}, so a fast
     * wrong read fails instead of scoring; returns the digest for JMH to consume.
     */
    public static byte[] readVerified(InputStream in, byte[] expected) throws IOException {
        MessageDigest md = ChunkId.newDigest();
        byte[] buf = new byte[1 << 20];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        byte[] d = md.digest();
        if (!MessageDigest.isEqual(d, expected)) {
            throw new IllegalStateException("restored bytes differ");
        }
        return d;
    }

    /** Deletes a benchmark's data directory and everything in it. */
    public static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
