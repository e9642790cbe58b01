package dev.cairn.bench.jmh;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.EncodedChunk;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Per-chunk LZ4 through {@link ChunkCodec} on 16 KiB chunks of 16 MiB of data: float-like weights
 * (stored raw: LZ4 does not pay) and text-like pages (LZ4 pays). Decode checks every byte
 * against the original. Divide 16 MiB by the time per operation for throughput.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CompressionBench {
    static final int SIZE = 16 << 20;
    static final int CHUNK = 16 << 10;

    @Param({"float", "text"})
    public String kind;

    byte[] data;
    EncodedChunk[] encoded;
    long expectedStored;

    @Setup
    public void setup() {
        data = kind.equals("float") ? floatLike() : textLike();
        encoded = new EncodedChunk[SIZE / CHUNK];
        for (int i = 0; i < encoded.length; i++) {
            EncodedChunk e = ChunkCodec.shared().encode(data, i * CHUNK, CHUNK);
            encoded[i] = new EncodedChunk(e.codec(), e.rawLength(), Arrays.copyOfRange(e.data(), e.offset(),
                    e.offset() + e.length()), 0, e.length());
            expectedStored += e.length();
        }
    }

    static byte[] floatLike() {
        byte[] b = BenchData.random(3, SIZE);
        for (int i = 3; i < b.length; i += 4) {
            b[i] = (byte) (0x3c + (b[i] & 3)); // sign + high exponent bits of small weights
        }
        return b;
    }

    static byte[] textLike() {
        byte[] words = "checkpoint store chunk pack manifest retention trim garbage collection dedup "
                .getBytes(StandardCharsets.US_ASCII);
        byte[] rnd = BenchData.random(4, SIZE);
        byte[] b = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            b[i] = (rnd[i] & 7) == 0 ? rnd[i] : words[(i + (rnd[i] & 31)) % words.length];
        }
        return b;
    }

    @Benchmark
    public long encode() {
        long stored = 0;
        for (int i = 0; i < encoded.length; i++) {
            stored += ChunkCodec.shared().encode(data, i * CHUNK, CHUNK).length();
        }
        if (stored != expectedStored) {
            throw new IllegalStateException("encoding changed: " + stored + " != " + expectedStored);
        }
        return stored;
    }

    @Benchmark
    public int decode() throws Exception {
        byte[] out = new byte[CHUNK];
        for (int i = 0; i < encoded.length; i++) {
            ChunkCodec.shared().decodeInto(encoded[i], out, 0);
            if (!Arrays.equals(out, 0, CHUNK, data, i * CHUNK, i * CHUNK + CHUNK)) {
                throw new IllegalStateException("chunk " + i + " decoded wrong");
            }
        }
        return encoded.length;
    }
}
