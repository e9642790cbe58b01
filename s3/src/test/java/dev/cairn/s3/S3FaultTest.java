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
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.store.EntryBuilder;
import dev.cairn.store.PutSession;
import dev.cairn.store.MissingChunksException;
import dev.cairn.store.PutResult;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;
import dev.cairn.store.StoreFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.cairn.s3.FaultyHttpClient.Fault.HANG;
import static dev.cairn.s3.FaultyHttpClient.Fault.INTERNAL_500;
import static dev.cairn.s3.FaultyHttpClient.Fault.RESET;
import static dev.cairn.s3.FaultyHttpClient.Fault.SEND_THEN_500;
import static dev.cairn.s3.FaultyHttpClient.Fault.SLOW_DOWN_503;
import static dev.cairn.s3.FaultyHttpClient.Op.COMPLETE_MULTIPART;
import static dev.cairn.s3.FaultyHttpClient.Op.DELETE_OBJECTS;
import static dev.cairn.s3.FaultyHttpClient.Op.GET;
import static dev.cairn.s3.FaultyHttpClient.Op.HEAD;
import static dev.cairn.s3.FaultyHttpClient.Op.PUT;
import static dev.cairn.s3.FaultyHttpClient.Op.UPLOAD_PART;
import static dev.cairn.s3.FaultyHttpClient.op;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Failures of the object store, injected below the SDK's retries ({@link FaultyHttpClient}):
 * transient ones are retried away; persistent ones fail the put or GC that met them, and then a
 * put has committed completely or not at all, GC has deleted nothing a manifest needs, and
 * {@code verify --read-data} finds nothing wrong.
 */
class S3FaultTest {
    @TempDir
    Path dir;
    FaultyHttpClient faults;
    final Clock clock = Clock.fixed(Instant.parse("2026-11-02T00:00:00Z"), ZoneOffset.UTC);
    final Clock later = Clock.offset(clock, Duration.ofDays(30));

    /** 4 attempts, 2 s per attempt; a 1 MiB cache so reads go to the bucket. */
    S3Settings settings() {
        return S3ProxyServer.shared().settings(null).withRetries(4, Duration.ofSeconds(2))
                .withBackupEvery(Duration.ofHours(1)).withCacheBytes(1L << 20);
    }

    Repository open(Path store, S3Settings s, RepositoryOptions o, long seed) throws IOException {
        return S3Stores.open(store, o, s, http -> faults = new FaultyHttpClient(http, seed));
    }

    @Test
    void transientFailuresOfEveryKindAreRetriedAway() throws Exception {
        S3Settings s = settings();
        try (Repository repo = open(dir, s, StoreFixture.smallOptions().withPackTargetBytes(12L << 20), 1)) {
            faults.next(op(PUT), SLOW_DOWN_503, 2)
                    .next(op(UPLOAD_PART), RESET, 2)
                    .next(op(UPLOAD_PART), SEND_THEN_500, 1)
                    .next(op(COMPLETE_MULTIPART), SEND_THEN_500, 1)
                    .next(op(HEAD), HANG, 1)
                    .next(op(GET), INTERNAL_500, 3)
                    .next(op(DELETE_OBJECTS), SEND_THEN_500, 1);
            byte[] big = TestData.random(1, 16_000_000);
            byte[] small = TestData.random(2, 300_000);
            ManifestId b = StoreFixture.put(repo, StoreFixture.opts("f", 1), big).id();
            ManifestId sm = StoreFixture.put(repo, StoreFixture.opts("f", 2), small).id();
            assertThat(StoreFixture.get(repo, b)).isEqualTo(big);
            assertThat(StoreFixture.get(repo, sm)).isEqualTo(small);
            trimAndGc(repo, "f", 1);
            assertThat(StoreFixture.get(repo, sm)).isEqualTo(small);
            StoreConformanceTest.assertClean(repo);
            assertThat(faults.injected.get()).as("faults injected").isEqualTo(11);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"PUT", "UPLOAD_PART", "COMPLETE_MULTIPART", "HEAD"})
    void aPutWhoseUploadKeepsFailingCommitsNothingAndTheRetryCommitsAll(String failing) throws Exception {
        S3Settings s = settings();
        FaultyHttpClient.Op failOp = FaultyHttpClient.Op.valueOf(failing);
        try (Repository repo = open(dir, s, StoreFixture.smallOptions().withPackTargetBytes(12L << 20), 2)) {
            byte[] data = failOp == FaultyHttpClient.Op.PUT || failOp == FaultyHttpClient.Op.HEAD
                    ? TestData.random(3, 700_000) : TestData.random(3, 8_000_000);
            faults.always(op(failOp), failOp == FaultyHttpClient.Op.HEAD ? RESET : SLOW_DOWN_503);
            assertThatThrownBy(() -> StoreFixture.put(repo, StoreFixture.opts("p", 1), data))
                    .isInstanceOf(IOException.class);
            faults.clear();
            assertThat(repo.list("p")).as("nothing of the failed put is visible").isEmpty();
            try (Bucket b = Bucket.open(s, null)) {
                assertThat(b.multipartUploads(new ObjectKeys(s.prefix()).packsPrefix())).as("no parts left behind").isEmpty();
            }
            PutResult again = StoreFixture.put(repo, StoreFixture.opts("p", 1), data);
            assertThat(again.newBytes()).as("every chunk stored again").isEqualTo(data.length);
            assertThat(StoreFixture.get(repo, again.id())).isEqualTo(data);
            StoreConformanceTest.assertClean(repo);
            // whatever the failed upload left in the bucket is unreferenced: GC removes it
            new GarbageCollector(repo, later, GcOptions.defaults()).run(false, new GcCancel());
            StoreConformanceTest.assertEveryPackLiveAndEveryEntryInAPack(repo);
        }
    }

    @Test
    void aSessionThatFoundChunksInAPackWhoseUploadFailedDoesNotCommitThem() throws Exception {
        S3Settings s = settings();
        try (Repository repo = open(dir, s, StoreFixture.smallOptions(), 5)) {
            // The daemon's path for a remote writer: chunks uploaded (pending in the open pack),
            // then two sessions reference them, as a second client deduplicating against the first.
            List<ChunkRef> refs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                byte[] raw = TestData.random(600 + i, 3000);
                ChunkId id = ChunkId.of(raw, 0, raw.length);
                repo.chunks().store(id, ChunkCodec.shared().encode(raw, 0, raw.length));
                refs.add(new ChunkRef(id, raw.length));
            }
            PutSession a = repo.begin(StoreFixture.opts("a", 1));
            EntryBuilder ea = a.entry("");
            ea.addChecked(refs);
            ea.finish();
            PutSession b = repo.begin(StoreFixture.opts("b", 1));
            EntryBuilder eb = b.entry("");
            eb.addChecked(refs); // found pending: accepted
            eb.finish();
            faults.always(op(PUT), INTERNAL_500);
            assertThatThrownBy(a::commit).isInstanceOf(IOException.class);
            faults.clear();
            // b's chunks were in the pack that never reached the bucket: b must not commit them
            assertThatThrownBy(b::commit).isInstanceOf(MissingChunksException.class);
            a.close();
            b.close();
            assertThat(repo.list(null)).isEmpty();
            // a put that finds nothing new afterwards is not failed by the old failure
            byte[] data = TestData.random(7, 300_000);
            StoreFixture.put(repo, StoreFixture.opts("c", 1), data);
            PutResult d = StoreFixture.put(repo, StoreFixture.opts("c", 2).withAutoDelta(false), data);
            assertThat(d.newBytes()).isZero();
            assertThat(StoreFixture.get(repo, d.id())).isEqualTo(data);
            StoreConformanceTest.assertClean(repo);
        }
    }

    @Test
    void aGcWhoseDeletesOrBackupsFailDeletesNothingNeededAndTheNextGcFinishes() throws Exception {
        S3Settings s = settings();
        try (Repository repo = open(dir, s, StoreFixture.smallOptions(), 3)) {
            Map<ManifestId, byte[]> all = history(repo, "g", 5);
            String yaml = "policies:\n  - series: g\n    last: 2\n    max_remove: 100%\n";
            new Trimmer(repo, clock).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));

            faults.always(op(DELETE_OBJECTS), INTERNAL_500);
            assertThatThrownBy(() -> new GarbageCollector(repo, later, GcOptions.defaults()).run(false, new GcCancel()))
                    .isInstanceOf(IOException.class);
            faults.clear();
            assertSurvivorsExact(repo, all);
            StoreConformanceTest.assertClean(repo);

            // the next GC finishes the deletion from its journal
            new GarbageCollector(repo, later, GcOptions.defaults()).run(false, new GcCancel());
            assertSurvivorsExact(repo, all);
            StoreConformanceTest.assertClean(repo);

            // uploads fail (the repack's new packs, the metadata backup before a deletion): nothing is deleted
            String last1 = "policies:\n  - series: g\n    last: 1\n    max_remove: 100%\n";
            new Trimmer(repo, clock).trim(new TrimRequest(PolicyParser.parse(last1), "t", last1, null, false, false, "t"));
            int packs = repo.packs().list().size();
            faults.always(op(PUT), SLOW_DOWN_503);
            trimAndGcExpectingFailure(repo);
            faults.clear();
            assertThat(repo.packs().list()).hasSize(packs);
            assertSurvivorsExact(repo, all);
            StoreConformanceTest.assertClean(repo);

            GcReport done = new GarbageCollector(repo, later, GcOptions.defaults()).run(false, new GcCancel());
            assertThat(done.packsDeleted() + done.packsRewritten()).isPositive();
            assertSurvivorsExact(repo, all);
            StoreConformanceTest.assertClean(repo);
            StoreConformanceTest.assertEveryPackLiveAndEveryEntryInAPack(repo);
        }
    }

    @Test
    void aRepackWhoseUploadFailsLeavesTheIndexOnTheOldPacks() throws Exception {
        S3Settings s = settings();
        try (Repository repo = open(dir, s, StoreFixture.smallOptions(), 4)) {
            Map<ManifestId, byte[]> all = history(repo, "r", 6);
            String yaml = "policies:\n  - series: r\n    last: 3\n    max_remove: 100%\n";
            new Trimmer(repo, clock).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
            // new packs of the repack cannot be uploaded; deletes of fully dead packs still work
            faults.always(op(PUT, UPLOAD_PART), INTERNAL_500);
            try {
                new GarbageCollector(repo, later, new GcOptions(0.05, 1L << 20)).run(false, new GcCancel());
            } catch (IOException expected) {
                // the repack (or the backup before a delete) failed
            }
            faults.clear();
            assertSurvivorsExact(repo, all);
            StoreConformanceTest.assertClean(repo);
            new GarbageCollector(repo, later, new GcOptions(0.05, 1L << 20)).run(false, new GcCancel());
            assertSurvivorsExact(repo, all);
            StoreConformanceTest.assertClean(repo);
            StoreConformanceTest.assertEveryPackLiveAndEveryEntryInAPack(repo);
        }
    }

    /**
     * Random faults on every kind of request (seeded, logged): puts, reads, trims and GCs each
     * succeed or fail as a whole. Afterwards, with the faults gone, every put that returned is
     * stored and restores bit-exact unless a trim and GC removed it, a put that failed left
     * nothing, and the checker finds nothing wrong.
     */
    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13})
    void randomFaultsNeverBreakTheStore(long seed) throws Exception {
        System.out.println("randomFaultsNeverBreakTheStore seed " + seed);
        Random rnd = new Random(seed);
        S3Settings s = settings().withRetries(2, Duration.ofSeconds(2));
        Map<ManifestId, byte[]> committed = new LinkedHashMap<>();
        List<String> failedSeries = new ArrayList<>();
        int ok = 0;
        int failed = 0;
        try (Repository repo = open(dir, s, StoreFixture.smallOptions(), seed)) {
            FaultyHttpClient.Fault[] kinds = {SLOW_DOWN_503, INTERNAL_500, RESET, SEND_THEN_500};
            faults.add(FaultyHttpClient.any(), kinds[rnd.nextInt(kinds.length)], 0.12, -1)
                    .add(FaultyHttpClient.any(), kinds[rnd.nextInt(kinds.length)], 0.08, -1);
            byte[] base = TestData.random(seed, 1_200_000);
            for (int step = 0; step < 14; step++) {
                int action = rnd.nextInt(10);
                try {
                    if (action < 6) {
                        byte[] b = base.clone();
                        System.arraycopy(TestData.random(seed * 100 + step, 200_000), 0, b, rnd.nextInt(1_000_000), 200_000);
                        String series = "s" + step;
                        try {
                            PutResult r = StoreFixture.put(repo, StoreFixture.opts("run", step).withTags(List.of(series)), b);
                            committed.put(r.id(), b);
                        } catch (IOException e) {
                            failedSeries.add(series);
                            throw e;
                        }
                    } else if (action < 8) {
                        for (Map.Entry<ManifestId, byte[]> e : committed.entrySet()) {
                            if (repo.manifests().find(e.getKey()) != null) {
                                assertThat(StoreFixture.get(repo, e.getKey())).isEqualTo(e.getValue());
                            }
                        }
                    } else {
                        trimAndGc(repo, "run", 3);
                    }
                    ok++;
                } catch (IOException e) {
                    failed++;
                }
            }
            faults.clear();
            System.out.println("  " + ok + " steps succeeded, " + failed + " failed, " + faults.injected.get()
                    + " faults injected");
            assertThat(faults.injected.get()).isPositive();
            for (Map.Entry<ManifestId, byte[]> e : committed.entrySet()) {
                if (repo.manifests().find(e.getKey()) != null) {
                    assertThat(StoreFixture.get(repo, e.getKey())).isEqualTo(e.getValue());
                }
            }
            for (String series : failedSeries) {
                assertThat(repo.list("run")).as("a failed put left nothing").noneMatch(c -> c.labels().tags().contains(series));
            }
            StoreConformanceTest.assertClean(repo);
            new GarbageCollector(repo, later, GcOptions.defaults()).run(false, new GcCancel());
            StoreConformanceTest.assertClean(repo);
            StoreConformanceTest.assertEveryPackLiveAndEveryEntryInAPack(repo);
        }
    }

    private Map<ManifestId, byte[]> history(Repository repo, String series, int n) throws IOException {
        Map<ManifestId, byte[]> out = new LinkedHashMap<>();
        byte[] b = TestData.random(50, 1_000_000);
        for (int i = 0; i < n; i++) {
            b = b.clone();
            System.arraycopy(TestData.random(60 + i, 300_000), 0, b, (i * 150_000) % 700_000, 300_000);
            out.put(StoreFixture.put(repo, StoreFixture.opts(series, i).withAutoDelta(false), b).id(), b);
        }
        return out;
    }

    private void trimAndGc(Repository repo, String series, int keep) throws Exception {
        String yaml = "policies:\n  - series: " + series + "\n    last: " + keep + "\n    max_remove: 100%\n";
        new Trimmer(repo, clock).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
        new GarbageCollector(repo, later, GcOptions.defaults()).run(false, new GcCancel());
    }

    private void trimAndGcExpectingFailure(Repository repo) {
        assertThatThrownBy(() -> new GarbageCollector(repo, later, GcOptions.defaults()).run(false, new GcCancel()))
                .isInstanceOf(IOException.class);
    }

    private static void assertSurvivorsExact(Repository repo, Map<ManifestId, byte[]> all) throws IOException {
        int present = 0;
        for (Map.Entry<ManifestId, byte[]> e : all.entrySet()) {
            if (repo.manifests().find(e.getKey()) != null) {
                assertThat(StoreFixture.get(repo, e.getKey())).isEqualTo(e.getValue());
                present++;
            }
        }
        assertThat(present).isPositive();
    }
}
