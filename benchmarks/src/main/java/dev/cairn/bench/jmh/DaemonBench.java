package dev.cairn.bench.jmh;

import dev.cairn.client.CairnClient;
import dev.cairn.protocol.HostPort;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.client.PutResult;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.server.CairnDaemon;
import dev.cairn.server.config.DaemonConfig;
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
 * Put and get of a 64 MiB checkpoint through a real daemon on loopback (started in this JVM,
 * default chunker, fresh data directory) with {@link CairnClient}: new data, an unchanged
 * checkpoint (only hashes cross the wire), and a verified read. Same checks as
 * {@link EmbeddedStoreBench}, whose numbers these are compared with.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@Fork(1)
public class DaemonBench {
    static final int SIZE = 64 << 20;
    Path dir;
    CairnDaemon daemon;
    CairnClient client;
    byte[] data;
    byte[] original;
    byte[] digest;
    ManifestId stored;
    long round;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        dir = Files.createTempDirectory("cairn-jmh-daemon");
        daemon = CairnDaemon.start(DaemonConfig.defaults().withData(dir)
                .withListen(HostPort.parse("127.0.0.1:0")));
        client = CairnClient.builder().address("127.0.0.1:" + daemon.address().getPort()).build();
        data = BenchData.random(7, SIZE);
        original = data.clone();
        digest = MessageDigest.getInstance("SHA-256").digest(original);
        stored = client.put(opts(), new ByteArrayInputStream(original)).id();
    }

    @Setup(Level.Invocation)
    public void freshBytes() {
        round++;
        BenchData.vary(data, original, round);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        client.close();
        daemon.stop();
        BenchData.deleteTree(dir);
    }

    private PutOptions opts() {
        return PutOptions.of(CheckpointMeta.of("bench", Instant.ofEpochMilli(1_700_000_000_000L + round)));
    }

    @Benchmark
    public PutResult putNew() throws Exception {
        PutResult r = client.put(opts(), new ByteArrayInputStream(data));
        if (r.logicalBytes() != SIZE || r.newBytes() < SIZE * 0.99) {
            throw new IllegalStateException("expected all-new data: " + r);
        }
        return r;
    }

    @Benchmark
    public PutResult putUnchanged() throws Exception {
        PutResult r = client.put(opts(), new ByteArrayInputStream(original));
        if (r.newBytes() != 0) {
            throw new IllegalStateException("unchanged checkpoint stored new bytes: " + r);
        }
        return r;
    }

    @Benchmark
    public byte[] get() throws Exception {
        return BenchData.readVerified(client.open(stored), digest);
    }
}
