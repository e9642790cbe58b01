package dev.cairn.gc;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.PutResult;
import dev.cairn.store.PutSession;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackInfo;
import dev.cairn.store.util.FaultPoints;
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
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interleavings of puts and GCs that normal operation produces (found by {@link GcStressTest} under
 * load), replayed deterministically: none of them may leave data GC cannot account for.
 */
class GcRaceTest {
    @TempDir
    Path dir;
    Repository repo;
    final Instant start = Instant.parse("2026-11-02T00:00:00Z");
    final Clock clock = Clock.fixed(start, ZoneOffset.UTC);
    final Clock afterGrace = Clock.offset(clock, Duration.ofDays(2));

    @BeforeEach
    void open() throws IOException {
        repo = StoreFixture.open(dir);
    }

    @AfterEach
    void close() throws IOException {
        FaultPoints.disarmAll();
        repo.close();
    }

    private GcReport gc() throws IOException {
        return new GarbageCollector(repo, afterGrace, GcOptions.defaults()).run(false, false, new GcCancel());
    }

    private void trash(ManifestId id) throws IOException {
        try (MetaDb.Batch b = repo.db().batch()) {
            repo.manifests().trash(b, repo.manifests().get(id), repo.labels(id),
                    new Labels.Trash(start, start.plusSeconds(60), "t"));
            repo.db().write(b, true);
        }
    }

    /** Records of {@code id} in any pack's footer. */
    private int records(ChunkId id) throws IOException {
        int n = 0;
        for (PackInfo p : repo.packs().list()) {
            if (!p.sealed()) {
                continue;
            }
            for (PackIndex.Entry e : repo.packs().readIndex(p.id()).entries()) {
                if (e.id().equals(id)) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * Two writers upload the same chunk: the second looked it up before the first stored it, and
     * stores it after the first commit indexed it (the remote path: {@code contains}, then
     * {@code store}). A second record of the chunk would be "a copy indexed elsewhere" while the
     * chunk lives, but once both checkpoints are deleted the sweep frees one index entry and
     * accounts for one record: the other copy was left unaccounted, and its pack kept and
     * reported as unexplained.
     */
    @Test
    void aChunkStoredTwiceByRacingWritersIsAccountedForWhenFreed() throws Exception {
        byte[] shared = TestData.random(7, 3000);
        ChunkId id = ChunkId.of(shared, 0, shared.length);
        EncodedChunk enc = ChunkCodec.shared().encode(shared, 0, shared.length);

        // Most of the pack is live data, so that the first GC keeps it as it is.
        ManifestId bulk = StoreFixture.put(repo, StoreFixture.opts("bulk", 1), TestData.random(8, 300_000)).id();
        PutSession late = repo.begin(StoreFixture.opts("b", 1));
        var entry = late.entry("");
        var admitted = late.admit(List.of(id)); // the late writer declares, then looks up
        assertThat(admitted.present(0)).isFalse();

        PutSession early = repo.begin(StoreFixture.opts("a", 1));
        assertThat(repo.chunks().store(id, enc)).isTrue();
        var first = early.entry("");
        first.add(new ChunkRef(id, shared.length));
        first.finish();
        ManifestId a = early.commit().id(); // flushes: the chunk is indexed, no longer pending

        assertThat(admitted.store(0, enc)).isFalse(); // what its lookup missed is indexed now: no second record
        entry.add(new ChunkRef(id, shared.length));
        entry.finish();
        ManifestId b = late.commit().id();

        repo.chunks().sealCurrent();
        assertThat(records(id)).as("one record of the chunk").isEqualTo(1);
        GcReport seen = gc(); // sees the pack: its first accounting record
        assertThat(seen.unexplainedChunks()).as(seen.outcome()).isZero();

        trash(bulk);
        trash(a);
        trash(b);
        GcReport r = gc();
        assertThat(r.manifestsDeleted()).isEqualTo(3);
        assertThat(r.unexplainedChunks()).as(r.outcome()).isZero();
        assertThat(r.packsKept()).as(r.outcome()).isZero();
        assertThat(repo.chunks().locate(id)).isNull();
        assertThat(records(id)).isZero();
        VerifyAssert.clean(repo);
    }

    /**
     * A pack's index entries are stamped with the epoch current when they are written. If the
     * epoch was read just before a GC started its epoch and the write landed after that GC's
     * sweep had passed, the entry kept the old epoch without being re-stamped, although the GC
     * completed and moved "explained from" past it: when the upload then aborted, its chunk was
     * unreferenced, old, and named by no orphan segment. Now a GC starts its epoch only once
     * index writes in progress are done, so its sweep sees the entry (kept for the open session
     * and re-stamped), and the next GC frees it.
     */
    @Test
    void anIndexWriteStampedAsAGcStartsIsSeenByThatGcsSweep() throws Exception {
        StoreFixture.put(repo, StoreFixture.opts("keep", 1), TestData.random(9, 50_000));
        gc(); // a completed GC: only entries written since count as new
        byte[] junk = TestData.random(77, 3000);
        ChunkId id = ChunkId.of(junk, 0, junk.length);
        PutSession s = repo.begin(StoreFixture.opts("ghost", 1));
        CountDownLatch stamped = new CountDownLatch(1);
        CountDownLatch swept = new CountDownLatch(1);
        AtomicReference<Throwable> sealFailure = new AtomicReference<>();
        Thread[] sealing = new Thread[1];
        FaultPoints.arm("gc.before-epoch", p -> {
            // The upload, after the GC sealed the open pack: a pack the GC does not touch.
            repo.chunks().store(id, ChunkCodec.shared().encode(junk, 0, junk.length));
            s.entry("").add(new ChunkRef(id, junk.length));
            FaultPoints.arm("chunk.before-index", q -> {
                stamped.countDown();
                // The sealer is descheduled with the epoch read: until the sweep completed, or
                // until the GC waits for this write.
                while (swept.getCount() > 0 && !repo.chunks().indexLock().hasQueuedThreads()) {
                    Thread.onSpinWait();
                }
            });
            sealing[0] = new Thread(() -> {
                try {
                    repo.chunks().sealCurrent(); // the sealer thread indexes the pack
                } catch (Throwable t) {
                    sealFailure.set(t);
                }
            });
            sealing[0].start();
            try {
                stamped.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        FaultPoints.arm("gc.after-sweep", p -> swept.countDown());
        GcReport during = gc();
        sealing[0].join();
        FaultPoints.disarmAll();
        assertThat(sealFailure.get()).isNull();
        assertThat(during.unexplainedChunks()).as(during.outcome()).isZero();
        assertThat(repo.chunks().locate(id)).as("kept for the open session").isNotNull();

        s.abort();
        GcReport next = gc();
        assertThat(next.unexplainedChunks()).as(next.outcome()).isZero();
        assertThat(next.chunksFreed()).as(next.outcome()).isEqualTo(1);
        assertThat(repo.chunks().locate(id)).isNull();
        VerifyAssert.clean(repo);
    }

    /**
     * A GC frees the chunks of a deleted checkpoint from a young pack (no completed GC has seen
     * it, so no accounting record is raised), and before it counts the pack's first accounting
     * record a writer uploads the same content again (its lookups miss now), into another pack.
     * The young pack's records of those chunks then looked like copies of chunks indexed
     * elsewhere and were not counted; when the new copies were freed later, nothing accounted for
     * the old records and the pack was kept as unexplained.
     */
    @Test
    void aChunkFreedFromAYoungPackAndUploadedAgainBeforeItsFirstRecordIsAccountedFor() throws Exception {
        byte[] content = TestData.random(11, 60_000);
        ManifestId gone = StoreFixture.put(repo, StoreFixture.opts("a", 1), content).id();
        // Mostly live, so that the GC keeps the pack as it is (young, then its first record).
        ManifestId bulk = StoreFixture.put(repo, StoreFixture.opts("bulk", 1), TestData.random(12, 400_000)).id();
        repo.chunks().sealCurrent();
        trash(gone);
        ManifestId[] again = new ManifestId[1];
        FaultPoints.arm("gc.after-sweep", p -> {
            FaultPoints.disarmAll();
            again[0] = StoreFixture.put(repo, StoreFixture.opts("b", 1), content).id(); // stored anew
        });
        GcReport first = gc();
        assertThat(first.manifestsDeleted()).as(first.outcome()).isEqualTo(1);
        assertThat(first.unexplainedChunks()).as(first.outcome()).isZero();

        trash(again[0]);
        trash(bulk);
        GcReport r = gc();
        assertThat(r.manifestsDeleted()).as(r.outcome()).isEqualTo(2);
        assertThat(r.unexplainedChunks()).as(r.outcome()).isZero();
        assertThat(r.packsKept()).as(r.outcome()).isZero();
        assertThat(repo.stats().chunks()).isZero();
        VerifyAssert.clean(repo);
    }
}
