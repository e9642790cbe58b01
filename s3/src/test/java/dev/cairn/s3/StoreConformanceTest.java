package dev.cairn.s3;

import dev.cairn.gc.GarbageCollector;
import dev.cairn.gc.GcCancel;
import dev.cairn.gc.GcOptions;
import dev.cairn.gc.GcReport;
import dev.cairn.gc.TrimRequest;
import dev.cairn.gc.Trimmer;
import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.Patch;
import dev.cairn.store.PutResult;
import dev.cairn.store.RebuildReport;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import dev.cairn.store.VerifyReport;
import dev.cairn.store.chunk.ChunkIndexCodec;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.pack.PackInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store's contract, whatever keeps the packs: every backend runs these same tests (the local
 * disk in {@link LocalConformanceTest}, S3 through S3Proxy in {@link S3ConformanceTest}). Round
 * trips of streams, directories and deltas; a restart; verify with read-data as the oracle after
 * everything that changes the store; trim and GC (delete and repack) with every surviving
 * checkpoint restoring bit-exact and no pack left without a live chunk; an index rebuild.
 */
abstract class StoreConformanceTest {
    @TempDir
    Path dir;
    Repository repo;
    final Clock clock = Clock.fixed(Instant.parse("2026-11-02T00:00:00Z"), ZoneOffset.UTC);

    /** Opens (or reopens) the store in {@code dir} on the backend under test. */
    abstract Repository open(Path dir) throws IOException;

    @BeforeEach
    void openStore() throws IOException {
        repo = open(dir.resolve("store"));
    }

    @AfterEach
    void closeStore() throws IOException {
        if (repo != null) {
            repo.close();
        }
    }

    void reopen() throws IOException {
        repo.close();
        repo = null;
        repo = open(dir.resolve("store"));
    }

    static void assertClean(Repository r) throws IOException {
        VerifyReport v = r.verify(true);
        assertThat(v.problems()).as("verify problems").isEmpty();
        assertThat(v.damaged()).as("damaged checkpoints").isEmpty();
    }

    @Test
    void streamsOfManySizesRoundTripAndDedup() throws IOException {
        int[] sizes = {1, 511, 8192, 100_000, 2_500_000};
        List<ManifestId> ids = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            ids.add(StoreFixture.put(repo, StoreFixture.opts("s", i), TestData.random(i, sizes[i])).id());
        }
        for (int i = 0; i < sizes.length; i++) {
            assertThat(StoreFixture.get(repo, ids.get(i))).isEqualTo(TestData.random(i, sizes[i]));
        }
        PutResult again = StoreFixture.put(repo, StoreFixture.opts("s", 99).withAutoDelta(false),
                TestData.random(4, sizes[4]));
        assertThat(again.newBytes()).as("a second copy stores nothing new").isZero();
        assertClean(repo);
    }

    @Test
    void directoriesRoundTrip() throws IOException {
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("a/b"));
        Files.createDirectories(src.resolve("empty"));
        Files.write(src.resolve("a/b/model.bin"), TestData.random(1, 700_000));
        Files.write(src.resolve("a/opt.bin"), TestData.random(2, 300_000));
        Files.write(src.resolve("meta.json"), "{\"step\": 7}".getBytes());
        Files.write(src.resolve("zero"), new byte[0]);
        PutResult r = repo.putDirectory(StoreFixture.opts("dir", 1), src);
        Path out = dir.resolve("out");
        repo.restore(r.id(), out);
        assertThat(tree(out)).isEqualTo(tree(src));
        assertClean(repo);
    }

    @Test
    void deltasRoundTrip() throws IOException {
        byte[] base = TestData.random(3, 2_000_000);
        PutResult p = StoreFixture.put(repo, StoreFixture.opts("d", 1), base);
        byte[] patch = TestData.random(4, 5000);
        PutResult d = repo.putDelta(StoreFixture.opts("d", 2).withParent(p.id()),
                List.of(new Patch("", 1_000_000, patch)));
        byte[] expected = base.clone();
        System.arraycopy(patch, 0, expected, 1_000_000, patch.length);
        assertThat(d.kind()).isEqualTo("delta");
        assertThat(d.newBytes()).isLessThan(100_000);
        assertThat(StoreFixture.get(repo, d.id())).isEqualTo(expected);
        assertThat(StoreFixture.get(repo, p.id())).isEqualTo(base);
        assertClean(repo);
    }

    @Test
    void everythingSurvivesARestart() throws IOException {
        List<byte[]> data = new ArrayList<>();
        List<ManifestId> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            data.add(TestData.random(10 + i, 600_000));
            ids.add(StoreFixture.put(repo, StoreFixture.opts("r", i), data.get(i)).id());
        }
        reopen();
        for (int i = 0; i < ids.size(); i++) {
            assertThat(StoreFixture.get(repo, ids.get(i))).isEqualTo(data.get(i));
        }
        assertThat(repo.list("r")).hasSize(4);
        assertClean(repo);
    }

    @Test
    void trimAndGcDeleteAndRepackWhileSurvivorsStayExact() throws Exception {
        List<byte[]> data = new ArrayList<>();
        List<ManifestId> ids = new ArrayList<>();
        byte[] b = TestData.random(20, 1_500_000);
        for (int i = 0; i < 6; i++) {
            b = b.clone();
            // a third of every checkpoint changes: packs end up partly dead after the trim
            System.arraycopy(TestData.random(100 + i, 500_000), 0, b, (i * 333_333) % 1_000_000, 500_000);
            data.add(b);
            ids.add(StoreFixture.put(repo, StoreFixture.opts("run", i).withAutoDelta(false), b).id());
        }
        String yaml = "policies:\n  - series: run\n    last: 2\n    max_remove: 100%\n";
        new Trimmer(repo, clock).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
        GcReport r = new GarbageCollector(repo, Clock.offset(clock, Duration.ofDays(30)), new GcOptions(0.25, 1L << 20))
                .run(false, new GcCancel());
        assertThat(r.manifestsDeleted()).isEqualTo(4);
        assertThat(r.packsDeleted() + r.packsRewritten()).as("packs deleted or rewritten").isPositive();
        for (int i = 4; i < 6; i++) {
            assertThat(StoreFixture.get(repo, ids.get(i))).as("survivor %d", i).isEqualTo(data.get(i));
        }
        assertClean(repo);
        assertEveryPackLiveAndEveryEntryInAPack(repo);
        GcReport second = new GarbageCollector(repo, Clock.offset(clock, Duration.ofDays(30)), GcOptions.defaults())
                .run(false, new GcCancel());
        assertThat(second.chunksFreed()).isZero();
        reopen();
        for (int i = 4; i < 6; i++) {
            assertThat(StoreFixture.get(repo, ids.get(i))).isEqualTo(data.get(i));
        }
        assertClean(repo);
    }

    @Test
    void indexRebuildFromPacksRestoresEverything() throws IOException {
        List<byte[]> data = new ArrayList<>();
        List<ManifestId> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            data.add(TestData.random(30 + i, 900_000));
            ids.add(StoreFixture.put(repo, StoreFixture.opts("ix", i), data.get(i)).id());
        }
        RebuildReport rr = repo.rebuildIndex();
        assertThat(rr.unreadable()).isEmpty();
        assertThat(rr.missingReferenced()).isZero();
        for (int i = 0; i < ids.size(); i++) {
            assertThat(StoreFixture.get(repo, ids.get(i))).isEqualTo(data.get(i));
        }
        assertClean(repo);
    }

    /** Every pack holds a live chunk, and every index entry points into a listed pack. */
    static void assertEveryPackLiveAndEveryEntryInAPack(Repository r) throws IOException {
        // A writer's open pack may hold indexed chunks (local backend) and is not GC's to judge.
        var inUse = r.chunks().packsInUse();
        Set<String> indexed = new HashSet<>();
        try (MetaDb.Cursor c = r.db().scan(MetaDb.Cf.CHUNKS, null, null)) {
            while (c.next()) {
                var pack = ChunkIndexCodec.decode(c.value()).location().pack();
                if (!inUse.contains(pack)) {
                    indexed.add(pack.toHex());
                }
            }
        }
        Set<String> packs = new HashSet<>();
        for (PackInfo p : r.packs().list()) {
            if (!inUse.contains(p.id())) {
                packs.add(p.id().toHex());
            }
        }
        assertThat(packs).as("packs (each with a live chunk)").isEqualTo(indexed);
    }

    static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = root.relativize(p).toString();
                out.put(rel, Files.isDirectory(p) ? "dir" : StoreFixture.sha256(Files.readAllBytes(p)));
            }
        }
        return out;
    }
}
