package dev.cairn.bench.jmh;

import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.store.PutResult;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;
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

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Put and get of a 64 MiB checkpoint through the embedded store (real RocksDB, real packs with
 * fsync, in a temp directory): new data, an unchanged checkpoint (dedup), and a restore whose
 * SHA-256 is checked. Divide 64 MiB by the time per operation for throughput.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@Fork(1)
public class EmbeddedStoreBench {
    static final int SIZE = 64 << 20;
    Path dir;
    Repository repo;
    byte[] data;
    byte[] original;
    byte[] digest;
    ManifestId stored;
    long round;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        dir = Files.createTempDirectory("cairn-jmh");
        repo = Repository.open(dir, RepositoryOptions.defaults());
        data = BenchData.random(7, SIZE);
        original = data.clone();
        digest = MessageDigest.getInstance("SHA-256").digest(original);
        stored = repo.put(opts(), new ByteArrayInputStream(original)).id();
    }

    @Setup(Level.Invocation)
    public void freshBytes() {
        round++;
        BenchData.vary(data, original, round);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        repo.close();
        BenchData.deleteTree(dir);
    }

    private PutOptions opts() {
        return PutOptions.of(CheckpointMeta.of("bench", Instant.ofEpochMilli(1_700_000_000_000L + round)));
    }

    @Benchmark
    public PutResult putNew() throws Exception {
        PutResult r = repo.put(opts(), new ByteArrayInputStream(data));
        if (r.logicalBytes() != SIZE || r.newBytes() < SIZE * 0.99) {
            throw new IllegalStateException("expected all-new data: " + r);
        }
        return r;
    }

    @Benchmark
    public PutResult putUnchanged() throws Exception {
        PutResult r = repo.put(opts(), new ByteArrayInputStream(original));
        if (r.newBytes() != 0) {
            throw new IllegalStateException("unchanged checkpoint stored new bytes: " + r);
        }
        return r;
    }

    @Benchmark
    public byte[] get() throws Exception {
        return BenchData.readVerified(repo.open(stored), digest);
    }
}
