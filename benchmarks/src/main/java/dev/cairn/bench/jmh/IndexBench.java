package dev.cairn.bench.jmh;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;
import dev.cairn.store.chunk.ChunkIndexCodec;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.PackId;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Chunk index lookups in a store with 1,000,000 indexed chunks (real RocksDB, Bloom filter on the
 * chunks family): single lookups that hit and that miss, and the batched presence check a put
 * does per 256 chunks. Each checks its answers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class IndexBench {
    static final int ENTRIES = 1_000_000;
    static final int BATCH = 256;

    Path dir;
    Repository repo;
    ChunkId[] present;
    ChunkId[] absent;
    int cursor;

    static ChunkId id(long seed, long i) {
        return ChunkId.fromBytes(BenchData.random(seed * 1_000_003 + i, 32));
    }

    @Setup(Level.Trial)
    public void setup() throws Exception {
        dir = Files.createTempDirectory("cairn-jmh-index");
        repo = Repository.open(dir, RepositoryOptions.defaults());
        present = new ChunkId[ENTRIES];
        MetaDb.Batch b = repo.db().batch();
        for (int i = 0; i < ENTRIES; i++) {
            present[i] = id(1, i);
            b.put(MetaDb.Cf.CHUNKS, Keys.chunk(present[i]),
                    ChunkIndexCodec.encode(new ChunkLocation(new PackId(i / 4000), 28L + i, 16384, 16384, 0), 0));
            if (b.count() == 50_000) {
                repo.db().write(b, false);
                b.close();
                b = repo.db().batch();
            }
        }
        repo.db().write(b, true);
        b.close();
        repo.db().flush();
        absent = new ChunkId[ENTRIES / 10];
        for (int i = 0; i < absent.length; i++) {
            absent[i] = id(2, i);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        repo.close();
        BenchData.deleteTree(dir);
    }

    @Benchmark
    public ChunkLocation hit() throws Exception {
        ChunkId id = present[(cursor = (cursor + 7919) % ENTRIES)];
        ChunkLocation loc = repo.chunks().locate(id);
        if (loc == null) {
            throw new IllegalStateException("indexed chunk not found");
        }
        return loc;
    }

    @Benchmark
    public ChunkLocation miss() throws Exception {
        ChunkLocation loc = repo.chunks().locate(absent[(cursor = (cursor + 7919) % absent.length)]);
        if (loc != null) {
            throw new IllegalStateException("absent chunk found");
        }
        return null;
    }

    /** Time per chunk of a 256-id presence check, half present. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int batchContains() throws Exception {
        List<ChunkId> ids = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            cursor = (cursor + 7919) % absent.length;
            ids.add((i & 1) == 0 ? present[cursor] : absent[cursor]);
        }
        boolean[] have = repo.chunks().contains(ids);
        for (int i = 0; i < BATCH; i++) {
            if (have[i] != ((i & 1) == 0)) {
                throw new IllegalStateException("wrong presence answer at " + i);
            }
        }
        return BATCH;
    }
}
