package dev.cairn.bench.jmh;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ChunkListDigest;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.ManifestHeader;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.store.PutResult;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;
import dev.cairn.store.manifest.RefCursor;
import dev.cairn.store.manifest.StoredManifest;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Manifest encoding and chain resolution: the canonical header of a 1,000-file directory
 * checkpoint (encode, decode, id), and resolving the 4,096-chunk list of the newest checkpoint of
 * a delta chain of depth 10 (the default cap), checked against the list digest in its header.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ManifestBench {
    ManifestHeader header;
    byte[] encoded;
    ManifestId id;

    Path dir;
    Repository repo;
    StoredManifest tip;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        List<EntryHeader> entries = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            ChunkListDigest d = new ChunkListDigest();
            d.add(new ChunkRef(ChunkId.fromBytes(BenchData.random(i, 32)), 1 << 20));
            entries.add(d.finish("layers/" + i + "/weights.bin"));
        }
        header = new ManifestHeader(CheckpointMeta.of("bench/run", Instant.ofEpochMilli(1_700_000_000_000L))
                .withStep(1000).withMetric("val_loss", 0.25), entries);
        encoded = header.encode();
        id = header.id();

        // A chain: a 64 MiB checkpoint with 1 KiB chunks... kept small: 4096 chunks of the
        // default size, each version rewriting one region.
        dir = Files.createTempDirectory("cairn-jmh-manifest");
        repo = Repository.open(dir, RepositoryOptions.defaults());
        byte[] data = BenchData.random(9, 64 << 20);
        PutResult last = null;
        for (int v = 0; v <= 10; v++) {
            System.arraycopy(BenchData.random(100 + v, 200_000), 0, data, (v * 5_000_000) % (data.length - 200_000),
                    200_000);
            last = repo.put(PutOptions.of(CheckpointMeta.of("chain", Instant.ofEpochMilli(1_700_000_000_000L + v))),
                    new ByteArrayInputStream(data));
        }
        tip = repo.manifests().get(last.id());
        if (!tip.isDelta() || tip.depth() != 10) {
            throw new IllegalStateException("expected the tip at depth 10, got " + tip.kind() + "/" + tip.depth());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        repo.close();
        BenchData.deleteTree(dir);
    }

    @Benchmark
    public byte[] encodeHeader() {
        byte[] b = header.encode();
        if (b.length != encoded.length) {
            throw new IllegalStateException("encoding changed");
        }
        return b;
    }

    @Benchmark
    public ManifestId decodeHeaderAndId() {
        ManifestHeader h = ManifestHeader.decode(encoded);
        ManifestId got = h.id();
        if (!got.equals(id)) {
            throw new IllegalStateException("round trip changed the id");
        }
        return got;
    }

    @Benchmark
    public long resolveDepth10Chain() throws Exception {
        RefCursor c = repo.manifests().cursor(tip, 0);
        ChunkListDigest d = new ChunkListDigest();
        ChunkRef r;
        while ((r = c.next()) != null) {
            d.add(r);
        }
        EntryHeader e = d.finish("");
        if (!Arrays.equals(e.listDigest(), tip.header().entries().get(0).listDigest())) {
            throw new IllegalStateException("resolved chunk list does not match the header digest");
        }
        return e.chunkCount();
    }
}
