package dev.cairn.gc;

import dev.cairn.protocol.Status;

import dev.cairn.protocol.CairnException;

import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.PutSession;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackInfo;
import dev.cairn.store.pack.PackWriter;
import dev.cairn.store.util.FaultPoints;
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
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * "GC never deletes data whose loss nothing explains" (issue 10 item 1, docs/GC.md "What GC may
 * free"): metadata lost under intact packs is kept and reported, and swept only with force; what a
 * recorded deletion, an aborted upload or a crashed one leaves is freed without force.
 */
class GcUnexplainedTest {
    @TempDir
    Path dir;
    Repository repo;
    final Instant start = Instant.parse("2026-11-02T00:00:00Z");
    final Clock clock = Clock.fixed(start, ZoneOffset.UTC);
    final Clock afterGrace = Clock.offset(clock, Duration.ofDays(2));
    final List<ManifestId> ids = new ArrayList<>();
    final List<byte[]> data = new ArrayList<>();

    @BeforeEach
    void open() throws IOException {
        repo = StoreFixture.open(dir);
    }

    @AfterEach
    void close() throws IOException {
        FaultPoints.disarmAll();
        repo.close();
    }

    private void putCheckpoints(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            byte[] b = TestData.random(100 + i, 700_000);
            data.add(b);
            ids.add(StoreFixture.put(repo, StoreFixture.opts("run", i), b).id());
            repo.chunks().sealCurrent(); // a pack per checkpoint
        }
    }

    private GcReport gc(boolean dryRun, boolean force) throws IOException {
        return new GarbageCollector(repo, afterGrace, GcOptions.defaults()).run(dryRun, force, new GcCancel());
    }

    private Set<PackId> sealedPacks() throws IOException {
        Set<PackId> inUse = repo.chunks().packsInUse();
        return repo.packs().list().stream().filter(p -> !inUse.contains(p.id())).map(PackInfo::id)
                .collect(Collectors.toSet());
    }

    private long packBytes() throws IOException {
        return repo.packs().list().stream().mapToLong(PackInfo::size).sum();
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * The repro (the RocksDB WAL of a store that never flushed was deleted), with the
     * catalog lost too: with the catalog, the open restores everything (store's WalDamageTest);
     * without it, GC is the last line.
     */
    @Test
    void lostMetadataOverIntactPacksIsKeptAndReportedAndSweptOnlyWithForce() throws Exception {
        putCheckpoints(4);
        repo.close();
        deleteTree(dir.resolve("meta"));
        deleteTree(dir.resolve("catalog"));
        repo = StoreFixture.open(dir);
        assertThat(repo.manifests().allIds()).isEmpty();
        assertThat(repo.stats().chunks()).isZero(); // every pack looks dead
        // verify is not fooled either: it reports what GC's brake keeps, by the same rule.
        assertThat(repo.verify(false).problems()).filteredOn(p -> p.subject().startsWith("pack "))
                .hasSizeGreaterThanOrEqualTo(4)
                .allSatisfy(p -> assertThat(p.message()).contains("metadata lost", "no recorded deletion"));
        Set<PackId> before = sealedPacks();
        long bytesBefore = packBytes();
        assertThat(before).hasSizeGreaterThanOrEqualTo(4);

        GcReport dry = gc(true, false);
        GcReport r = gc(false, false);
        assertThat(r.outcome()).isEqualTo(dry.outcome());
        assertThat(r.packsDeleted()).isZero();
        assertThat(r.packsRewritten()).isZero();
        assertThat(r.unexplainedChunks()).isPositive();
        assertThat(r.unexplainedBytes()).isGreaterThan(4 * 700_000L * 9 / 10); // the data, roughly
        assertThat(r.packsKept()).isEqualTo(before.size());
        assertThat(sealedPacks()).containsAll(before);
        assertThat(packBytes()).isGreaterThanOrEqualTo(bytesBefore);
        // A second GC keeps them too: nothing about them became explained.
        assertThat(gc(false, false).packsKept()).isEqualTo(before.size());
        assertThat(sealedPacks()).containsAll(before);

        GcReport forced = gc(false, true);
        assertThat(forced.forced()).isTrue();
        assertThat(forced.packsDeleted()).isEqualTo(before.size());
        assertThat(forced.unexplainedChunks()).isEqualTo(r.unexplainedChunks());
        assertThat(sealedPacks()).doesNotContainAnyElementsOf(before);
        VerifyAssert.clean(repo);
    }

    /** Manifest and segment rows gone, chunk index intact (a damaged metadata store). */
    @Test
    void unreferencedOldIndexEntriesAreKeptWithoutForce() throws Exception {
        putCheckpoints(3);
        assertThat(gc(false, false).chunksFreed()).isZero(); // a completed GC: these entries are old now
        try (MetaDb.Batch b = repo.db().batch()) {
            for (Cf cf : new Cf[] {Cf.MANIFESTS, Cf.LABELS, Cf.SERIES, Cf.SEGMENTS, Cf.CHILDREN}) {
                b.deleteRange(cf, new byte[0], new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                        (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
            }
            repo.db().write(b, true);
        }
        assertThat(repo.manifests().allIds()).isEmpty();
        // The catalog still records them as committed: GC refuses outright, dry run or not.
        assertThat(repo.committedButMissing()).hasSize(3);
        for (boolean dry : new boolean[] {true, false}) {
            assertThatThrownBy(() -> gc(dry, false)).isInstanceOfSatisfying(CairnException.class, e -> {
                assertThat(e.status()).isEqualTo(Status.CORRUPT);
                assertThat(e.getMessage()).contains("GC refused", "3 committed checkpoints", "Restart cairnd");
            });
        }
        assertThat(repo.stats().chunks()).isPositive();
        // Lose the catalog as well (rewritten from the damaged database at the next open): now
        // only GC's own accounting stands between the old entries and a sweep.
        repo.close();
        deleteTree(dir.resolve("catalog"));
        repo = StoreFixture.open(dir);
        assertThat(repo.committedButMissing()).isEmpty();
        // The open found the catalog missing and not one checkpoint over the indexed data: verify says so.
        assertThat(repo.verify(false).problems()).filteredOn(p -> p.subject().equals("catalog"))
                .singleElement().satisfies(p -> assertThat(p.message()).contains("metadata lost", "was missing"));
        long chunks = repo.stats().chunks();
        Set<PackId> before = sealedPacks();
        GcReport dry = gc(true, false);
        GcReport r = gc(false, false);
        assertThat(r.outcome()).isEqualTo(dry.outcome());
        assertThat(r.chunksFreed()).isZero();
        assertThat(r.unexplainedChunks()).isEqualTo(chunks);
        assertThat(repo.stats().chunks()).isEqualTo(chunks);
        assertThat(sealedPacks()).containsAll(before);
        GcReport forced = gc(false, true);
        assertThat(forced.chunksFreed()).isEqualTo(chunks);
        assertThat(repo.stats().chunks()).isZero();
        VerifyAssert.clean(repo);
    }

    @Test
    void trimmedAndExpiredCheckpointsAreFreedWithoutForce() throws Exception {
        putCheckpoints(4);
        gc(false, false); // an earlier completed GC, so that nothing is new any more
        String yaml = "policies:\n  - series: run\n    last: 1\n    max_remove: 100%\n";
        new Trimmer(repo, clock).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
        GcReport dry = gc(true, false);
        GcReport r = gc(false, false);
        assertThat(r.outcome()).isEqualTo(dry.outcome());
        assertThat(r.manifestsDeleted()).isEqualTo(3);
        assertThat(r.unexplainedChunks()).isZero();
        assertThat(r.packsDeleted()).isEqualTo(3);
        assertThat(r.orphanSegments()).isEqualTo(3); // the deleted manifests' segments, gone after the sweep
        assertThat(StoreFixture.get(repo, ids.get(3))).isEqualTo(data.get(3));
        GcReport again = gc(false, false);
        assertThat(again.orphanSegments() + again.chunksFreed() + again.unexplainedChunks()).isZero();
        VerifyAssert.clean(repo);
    }

    @Test
    void anAbortedUploadIsFreedWithoutForceAlsoAfterAnEarlierGc() throws Exception {
        putCheckpoints(1);
        gc(false, false);
        PutSession s = repo.begin(StoreFixture.opts("ghost", 1));
        byte[] junk = TestData.random(77, 100_000);
        ChunkId id = ChunkId.of(junk, 0, junk.length);
        repo.chunks().store(id, ChunkCodec.shared().encode(junk, 0, junk.length));
        s.entry("").add(new dev.cairn.protocol.manifest.ChunkRef(id, junk.length));
        repo.chunks().flush();
        assertThat(gc(false, false).chunksFreed()).isZero(); // the open session holds it
        s.abort();
        GcReport r = gc(false, false);
        assertThat(r.chunksFreed()).isEqualTo(1);
        assertThat(r.unexplainedChunks()).isZero();
        assertThat(repo.chunks().locate(id)).isNull();
        VerifyAssert.clean(repo);
    }

    /** A put that crashed before its chunks were indexed leaves a pack no entry names. */
    @Test
    void aCrashedUploadsUnindexedPackIsDeletedWithoutForce() throws Exception {
        putCheckpoints(1);
        gc(false, false);
        PackWriter w = repo.packs().create();
        byte[] junk = TestData.random(78, 50_000);
        w.append(ChunkId.of(junk, 0, junk.length), ChunkCodec.shared().encode(junk, 0, junk.length));
        PackId leftover = w.id();
        w.seal();
        GcReport r = gc(false, false);
        assertThat(r.unexplainedChunks()).isZero();
        assertThat(r.packsDeleted()).isEqualTo(1);
        assertThat(sealedPacks()).doesNotContain(leftover);
        VerifyAssert.clean(repo);
    }

    /**
     * A chunk of an expired checkpoint that a session finds (dedup hit) while the GC that deletes
     * the checkpoint runs survives that GC; when the session then aborts, the next GC frees it
     * without force, although the segments that explained it are gone by then.
     */
    @Test
    void aDedupHitDuringGcThatAbortsIsFreedByTheNextGc() throws Exception {
        putCheckpoints(2);
        gc(false, false);
        ManifestId victim = ids.get(0);
        List<ChunkId> chunks = new ArrayList<>();
        repo.manifests().forEachRef(repo.manifests().get(victim), ref -> chunks.add(ref.id()));
        try (MetaDb.Batch b = repo.db().batch()) {
            var m = repo.manifests().get(victim);
            repo.manifests().trash(b, m, repo.labels(victim),
                    new dev.cairn.store.manifest.Labels.Trash(start, start.plusSeconds(60), "t"));
            repo.db().write(b, true);
        }
        PutSession s = repo.begin(StoreFixture.opts("late", 1));
        FaultPoints.arm("gc.mid-mark", p -> {
            FaultPoints.disarmAll();
            boolean[] have = repo.chunks().contains(chunks); // the session's dedup lookup
            for (boolean h : have) {
                assertThat(h).isTrue();
            }
        });
        GcReport first = gc(false, false);
        assertThat(first.manifestsDeleted()).isEqualTo(1);
        assertThat(repo.chunks().locate(chunks.get(0))).as("protected by the dedup hit").isNotNull();
        s.abort();
        GcReport next = gc(false, false);
        assertThat(next.unexplainedChunks()).as(next.outcome()).isZero();
        assertThat(next.chunksFreed()).isEqualTo(chunks.stream().distinct().count());
        for (ChunkId c : chunks) {
            assertThat(repo.chunks().locate(c)).isNull();
        }
        assertThat(StoreFixture.get(repo, ids.get(1))).isEqualTo(data.get(1));
        VerifyAssert.clean(repo);
    }
}
