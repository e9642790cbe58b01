package dev.cairn.gc;

import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.PutResult;
import dev.cairn.store.PutSession;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.PackInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GcTest {
    @TempDir
    Path dir;
    Repository repo;
    final Instant start = Instant.parse("2026-11-02T00:00:00Z");
    final Clock clock = Clock.fixed(start, ZoneOffset.UTC);
    final Clock afterGrace = Clock.offset(clock, Duration.ofDays(2));
    final List<byte[]> data = new ArrayList<>();
    final List<ManifestId> ids = new ArrayList<>();

    @BeforeEach
    void open() throws IOException {
        repo = StoreFixture.open(dir);
    }

    @AfterEach
    void close() throws IOException {
        repo.close();
    }

    private void putHistory(int n, int size, int changed) throws IOException {
        byte[] b = TestData.random(1, size);
        for (int i = 0; i < n; i++) {
            b = b.clone();
            System.arraycopy(TestData.random(1000 + i, changed), 0, b, (i * 77_777) % (size - changed), changed);
            data.add(b);
            ids.add(StoreFixture.put(repo, StoreFixture.opts("run", i), b).id());
        }
    }

    private TrimReport trimLast(int n) throws Exception {
        String yaml = "policies:\n  - series: run\n    last: " + n + "\n    max_remove: 100%\n";
        return new Trimmer(repo, clock).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
    }

    private GcReport gc(boolean dryRun) throws IOException {
        return new GarbageCollector(repo, afterGrace, GcOptions.defaults()).run(dryRun, new GcCancel());
    }

    private void assertLiveRestoreAndClean() throws IOException {
        for (int i = 0; i < ids.size(); i++) {
            if (repo.manifests().find(ids.get(i)) != null) {
                assertThat(StoreFixture.get(repo, ids.get(i))).as("checkpoint %d", i).isEqualTo(data.get(i));
            }
        }
        VerifyAssert.clean(repo);
    }

    /** Every pack has at least one indexed chunk and every index entry points into an existing pack. */
    private void assertNoOrphans() throws IOException {
        Set<String> indexedPacks = new HashSet<>();
        try (var c = repo.db().scan(Cf.CHUNKS, null, null)) {
            while (c.next()) {
                indexedPacks.add(dev.cairn.store.chunk.ChunkIndexCodec.decode(c.value()).location().pack().toHex());
            }
        }
        Set<String> packs = new HashSet<>();
        var inUse = repo.chunks().packsInUse(); // e.g. the empty pack created ahead for the next writes
        for (PackInfo p : repo.packs().list()) {
            if (!inUse.contains(p.id())) {
                packs.add(p.id().toHex());
            }
        }
        assertThat(packs).as("packs without a live chunk").isEqualTo(indexedPacks);
    }

    @Test
    void gcOnAnEmptyStore() throws IOException {
        GcReport r = gc(false);
        assertThat(r.chunksFreed()).isZero();
        assertThat(r.packsDeleted()).isZero();
        assertThat(r.manifestsDeleted()).isZero();
        assertThat(gc(false).chunksFreed()).isZero();
    }

    @Test
    void gcOnAStoreWithOnlyTrashFreesEverything() throws Exception {
        putHistory(3, 300_000, 50_000);
        repo.chunks().sealCurrent();
        String yaml = "policies:\n  - series: run\n    last: 1\n    max_remove: 100%\n";
        new Trimmer(repo, clock).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
        // Trash the newest too, by trimming with a policy over no series... simply put it in the trash by hand:
        try (var b = repo.db().batch()) {
            var m = repo.manifests().get(ids.get(2));
            repo.manifests().trash(b, m, repo.labels(m.id()),
                    new dev.cairn.store.manifest.Labels.Trash(start, start.plusSeconds(3600), "test"));
            repo.db().write(b, true);
        }
        assertThat(repo.list(null)).isEmpty();
        GcReport dry = gc(true);
        GcReport r = gc(false);
        assertThat(r.outcome()).isEqualTo(dry.outcome());
        assertThat(r.manifestsDeleted()).isEqualTo(3);
        assertThat(r.chunksLive()).isZero();
        assertThat(r.chunksFreed()).isPositive();
        var inUse = repo.chunks().packsInUse();
        assertThat(repo.packs().list()).allSatisfy(p -> assertThat(inUse).contains(p.id()));
        assertThat(repo.manifests().allIds()).isEmpty();
        assertThat(repo.stats().chunks()).isZero();
        assertNoOrphans();
    }

    @Test
    void dryRunMatchesTheRealRunAndASecondGcFreesNothing() throws Exception {
        putHistory(8, 800_000, 200_000);
        repo.chunks().sealCurrent();
        trimLast(2);
        long before = repo.stats().storedBytes();
        GcReport dry = gc(true);
        assertThat(repo.stats().storedBytes()).isEqualTo(before);
        assertThat(repo.manifests().allIds()).hasSize(8);
        GcReport real = gc(false);
        assertThat(real.outcome()).isEqualTo(dry.outcome());
        assertThat(real.manifestsDeleted()).isEqualTo(6);
        assertThat(real.chunksFreed()).isPositive();
        assertThat(real.packsDeleted() + real.packsRewritten()).isPositive();
        assertThat(repo.stats().storedBytes()).isLessThan(before);
        assertThat(before - repo.stats().storedBytes()).isBetween(real.bytesReclaimed() - 200_000, real.bytesReclaimed()
                + 200_000);
        assertLiveRestoreAndClean();
        assertNoOrphans();
        GcReport again = gc(false);
        assertThat(again.chunksFreed()).isZero();
        assertThat(again.packsDeleted()).isZero();
        assertThat(again.packsRewritten()).isZero();
        assertThat(again.manifestsDeleted()).isZero();
    }

    @Test
    void trashWithinGraceKeepsItsChunksAndCanBeRestoredAfterGc() throws Exception {
        putHistory(5, 400_000, 100_000);
        trimLast(1);
        GcReport r = new GarbageCollector(repo, clock, GcOptions.defaults()).run(false, new GcCancel());
        assertThat(r.manifestsDeleted()).isZero();
        assertThat(r.chunksFreed()).isZero();
        new Labeler(repo, clock).restore(ids.get(0));
        assertThat(StoreFixture.get(repo, ids.get(0))).isEqualTo(data.get(0));
        assertLiveRestoreAndClean();
    }

    @Test
    void survivingChildrenOfExpiredTrashAreRebased() throws Exception {
        putHistory(4, 400_000, 30_000);
        // Trash 0..2 with different expiries: 1 expires, its trashed child 2 does not.
        Labeler labels = new Labeler(repo, clock);
        var l = repo.labels(ids.get(1));
        try (var b = repo.db().batch()) {
            for (int i : new int[] {2, 1}) {
                var m = repo.manifests().get(ids.get(i));
                Instant exp = i == 1 ? start.plusSeconds(60) : start.plus(Duration.ofDays(10));
                repo.manifests().trash(b, m, repo.labels(m.id()), new dev.cairn.store.manifest.Labels.Trash(start, exp, "t"));
            }
            repo.db().write(b, true);
        }
        assertThat(l.inTrash()).isFalse();
        GcReport dry = gc(true);
        GcReport r = gc(false);
        assertThat(r.outcome()).isEqualTo(dry.outcome());
        assertThat(r.manifestsDeleted()).isEqualTo(1);
        assertThat(r.rebased()).isEqualTo(1);
        assertThat(repo.manifests().find(ids.get(1))).isNull();
        labels.restore(ids.get(2));
        assertThat(StoreFixture.get(repo, ids.get(2))).isEqualTo(data.get(2));
        assertLiveRestoreAndClean();
    }

    @Test
    void abandonedSessionLeftoversAreCollected() throws Exception {
        putHistory(1, 200_000, 10_000);
        PutSession s = repo.begin(StoreFixture.opts("ghost", 1));
        var e = s.entry("");
        byte[] junk = TestData.random(77, 100_000);
        var id = dev.cairn.protocol.chunk.ChunkId.of(junk, 0, junk.length);
        repo.chunks().store(id, dev.cairn.protocol.chunk.ChunkCodec.shared().encode(junk, 0, junk.length));
        e.add(new dev.cairn.protocol.manifest.ChunkRef(id, junk.length));
        repo.chunks().flush(); // indexed now, referenced only by the open session's buffered refs
        // While the session is open its chunk survives GC.
        assertThat(gc(false).chunksFreed()).isZero();
        assertThat(repo.chunks().locate(id)).isNotNull();
        s.abort();
        GcReport r = gc(false);
        assertThat(r.chunksFreed()).isEqualTo(1);
        assertThat(repo.chunks().locate(id)).isNull();
        assertLiveRestoreAndClean();
    }

    @Test
    void onlyOneGcAtATimeAndCancellation() throws Exception {
        putHistory(3, 200_000, 50_000);
        var held = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.CountDownLatch(1);
        Thread other = new Thread(() -> {
            repo.maintenanceLock().lock();
            held.countDown();
            try {
                release.await();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            } finally {
                repo.maintenanceLock().unlock();
            }
        });
        other.start();
        held.await();
        try {
            assertThatThrownBy(() -> gc(false)).satisfies(x -> assertThat(((CairnException) x).status())
                    .isEqualTo(Status.CONFLICT));
        } finally {
            release.countDown();
            other.join();
        }
        GcCancel cancel = new GcCancel();
        cancel.cancel();
        assertThatThrownBy(() -> new GarbageCollector(repo, afterGrace, GcOptions.defaults()).run(false, cancel))
                .satisfies(x -> assertThat(((CairnException) x).status()).isEqualTo(Status.CANCELLED));
        assertLiveRestoreAndClean();
        assertThat(gc(false).chunksFreed()).isZero();
    }

    @Test
    void repackingRewritesMostlyDeadPacksAndKeepsEverythingRestorable() throws Exception {
        // One pack per checkpoint (each ~1 MiB of new data at a 1 MiB pack target): after trimming
        // all but the last, the earlier packs hold a little live data each.
        putHistory(6, 900_000, 700_000);
        repo.chunks().sealCurrent();
        trimLast(1);
        GcReport r = gc(false);
        assertThat(r.packsRewritten() + r.packsDeleted()).isPositive();
        assertLiveRestoreAndClean();
        assertNoOrphans();
        GcReport again = gc(true);
        assertThat(again.packsRewritten()).isZero();
        assertThat(again.chunksFreed()).isZero();
    }

    @Test
    void smallLivePacksAreMerged() throws Exception {
        // Each GC seals the pack being filled: five rounds of small puts leave five small packs.
        for (int round = 0; round < 5; round++) {
            byte[] b = TestData.random(500 + round, 20_000);
            data.add(b);
            ids.add(StoreFixture.put(repo, StoreFixture.opts("small", round), b).id());
            repo.chunks().sealCurrent();
        }
        var inUse = repo.chunks().packsInUse();
        long before = repo.packs().list().stream().filter(p -> !inUse.contains(p.id())).count();
        assertThat(before).isGreaterThanOrEqualTo(5);
        GcReport dry = gc(true);
        GcReport r = gc(false);
        assertThat(r.outcome()).isEqualTo(dry.outcome());
        assertThat(r.packsRewritten()).isGreaterThanOrEqualTo(5);
        var inUseAfter = repo.chunks().packsInUse();
        assertThat(repo.packs().list().stream().filter(p -> !inUseAfter.contains(p.id())).count()).isLessThan(before);
        assertLiveRestoreAndClean();
        assertNoOrphans();
    }
}
