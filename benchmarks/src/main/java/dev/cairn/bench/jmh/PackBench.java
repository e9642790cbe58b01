package dev.cairn.bench.jmh;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.LocalPackStore;
import dev.cairn.store.pack.PackWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The pack layer alone: appending 1024 records of 64 KiB (64 MiB) to a new pack without syncing,
 * and positional reads of those records (CRC-checked by the pack layer, payload compared here).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(1)
public class PackBench {
    static final int RECORDS = 1024;
    static final int SIZE = 64 << 10;

    Path dir;
    LocalPackStore packs;
    byte[][] payloads;
    ChunkId[] ids;
    ChunkLocation[] written;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        dir = Files.createTempDirectory("cairn-jmh-pack");
        packs = new LocalPackStore(dir);
        payloads = new byte[RECORDS][];
        ids = new ChunkId[RECORDS];
        for (int i = 0; i < RECORDS; i++) {
            payloads[i] = BenchData.random(100 + i, SIZE);
            ids[i] = ChunkId.of(payloads[i], 0, SIZE);
        }
        written = appendAll();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        packs.close();
        BenchData.deleteTree(dir);
    }

    private ChunkLocation[] appendAll() throws Exception {
        ChunkLocation[] locs = new ChunkLocation[RECORDS];
        try (PackWriter w = packs.create()) {
            for (int i = 0; i < RECORDS; i++) {
                locs[i] = w.append(ids[i], new EncodedChunk(ChunkCodec.RAW, SIZE, payloads[i], 0, SIZE));
            }
            w.seal();
        }
        return locs;
    }

    @Benchmark
    public ChunkLocation[] append() throws Exception {
        ChunkLocation[] locs = appendAll();
        if (locs[RECORDS - 1].offset() != written[RECORDS - 1].offset()) {
            throw new IllegalStateException("record offsets changed");
        }
        packs.delete(locs[0].pack()); // keep the disk use of a long run bounded
        return locs;
    }

    @Benchmark
    public long read() throws Exception {
        long sum = 0;
        for (int i = 0; i < RECORDS; i++) {
            EncodedChunk e = packs.read(written[i], ids[i]);
            if (e.length() != SIZE || e.data()[e.offset() + 17] != payloads[i][17]) {
                throw new IllegalStateException("record " + i + " read back wrong");
            }
            sum += e.length();
        }
        return sum;
    }
}
