package dev.cairn.bench.jmh;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.Chunker;
import dev.cairn.protocol.chunk.ChunkerParams;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;

/**
 * Chunking and hashing of 64 MiB of incompressible data with the default parameters. Each
 * benchmark checks its result against the value computed once in setup, so a fast wrong answer
 * fails the run. Divide 64 MiB by the reported time for throughput.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ChunkerBench {
    static final int SIZE = 64 << 20;
    byte[] data;
    Chunker chunker;
    int expectedChunks;
    long expectedLengthHash;
    byte[] expectedDigest;

    @Setup
    public void setup() throws Exception {
        data = BenchData.random(42, SIZE);
        chunker = new Chunker(ChunkerParams.DEFAULT);
        int pos = 0;
        while (pos < data.length) {
            int n = chunker.cut(data, pos, data.length - pos, true);
            expectedChunks++;
            expectedLengthHash = expectedLengthHash * 31 + n;
            pos += n;
        }
        expectedDigest = MessageDigest.getInstance("SHA-256").digest(data);
    }

    @Benchmark
    public int cut() {
        int count = 0;
        long lengths = 0;
        int pos = 0;
        while (pos < data.length) {
            int n = chunker.cut(data, pos, data.length - pos, true);
            count++;
            lengths = lengths * 31 + n;
            pos += n;
        }
        if (count != expectedChunks || lengths != expectedLengthHash) {
            throw new IllegalStateException("chunker produced different cuts");
        }
        return count;
    }

    /** SHA-256 over the whole buffer in 16 KiB steps (the default average chunk). */
    @Benchmark
    public byte[] sha256() throws Exception {
        MessageDigest md = ChunkId.newDigest();
        for (int i = 0; i < data.length; i += 16 << 10) {
            md.update(data, i, Math.min(16 << 10, data.length - i));
        }
        byte[] d = md.digest();
        if (!MessageDigest.isEqual(d, expectedDigest)) {
            throw new IllegalStateException("wrong digest");
        }
        return d;
    }

    /** Cut and hash every chunk: the client's and the embedded store's per-byte work. */
    @Benchmark
    public int cutAndHash() {
        int count = 0;
        int pos = 0;
        while (pos < data.length) {
            int n = chunker.cut(data, pos, data.length - pos, true);
            ChunkId.of(data, pos, n);
            count++;
            pos += n;
        }
        if (count != expectedChunks) {
            throw new IllegalStateException("chunk count changed");
        }
        return count;
    }
}
