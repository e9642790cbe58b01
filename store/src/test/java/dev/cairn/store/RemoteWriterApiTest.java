package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.Patch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static dev.cairn.store.StoreFixture.get;
import static dev.cairn.store.StoreFixture.opts;
import static dev.cairn.store.StoreFixture.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store calls the daemon makes for a remote writer: checked refs, raw lengths, session patches. */
class RemoteWriterApiTest {
    @TempDir
    Path dir;

    @Test
    void rawLengthsOfPendingIndexedAndMissingChunks() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            byte[] a = TestData.random(1, 1000);
            byte[] b = TestData.random(2, 700);
            ChunkId ia = ChunkId.of(a, 0, a.length);
            ChunkId ib = ChunkId.of(b, 0, b.length);
            repo.chunks().store(ia, ChunkCodec.shared().encode(a, 0, a.length));
            repo.chunks().flush(); // a is indexed now
            repo.chunks().store(ib, ChunkCodec.shared().encode(b, 0, b.length)); // b is pending
            ChunkId none = ChunkId.of(new byte[1], 0, 1);
            assertThat(repo.chunks().rawLengths(List.of(ia, none, ib))).containsExactly(1000, -1, 700);
        }
    }

    /**
     * A writer whose lookup missed a chunk that another writer stored and had indexed meanwhile
     * (contains, then store) appends no second record: GC could not account for the copy once the
     * chunk is freed (GcRaceTest).
     */
    @Test
    void storeAfterAStaleLookupAppendsNoSecondRecord() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            byte[] a = TestData.random(3, 1000);
            ChunkId ia = ChunkId.of(a, 0, a.length);
            var enc = ChunkCodec.shared().encode(a, 0, a.length);
            assertThat(repo.chunks().contains(List.of(ia))[0]).isFalse(); // the late writer's lookup
            assertThat(repo.chunks().store(ia, enc)).isTrue(); // the other writer
            repo.chunks().flush(); // indexed, no longer pending
            assertThat(repo.chunks().store(ia, enc)).as("already indexed").isFalse();
            assertThat(repo.chunks().store(ia, enc)).as("pending or indexed").isFalse();
            repo.chunks().sealCurrent();
            long records = 0;
            for (var p : repo.packs().list()) {
                records += repo.packs().readIndex(p.id()).entries().stream().filter(e -> e.id().equals(ia)).count();
            }
            assertThat(records).isEqualTo(1);
        }
    }

    @Test
    void addCheckedRefusesMissingChunksAndWrongLengthsAppendingNothing() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            byte[] a = TestData.random(3, 1000);
            ChunkId ia = ChunkId.of(a, 0, a.length);
            repo.chunks().store(ia, ChunkCodec.shared().encode(a, 0, a.length));
            ChunkId none = ChunkId.of(new byte[1], 0, 1);
            try (PutSession s = repo.begin(opts("r/a", 0))) {
                EntryBuilder e = s.entry("");
                assertThatThrownBy(() -> e.addChecked(List.of(new ChunkRef(ia, 1000), new ChunkRef(none, 1))))
                        .isInstanceOf(MissingChunksException.class)
                        .satisfies(x -> assertThat(((MissingChunksException) x).missing()).containsExactly(none));
                assertThatThrownBy(() -> e.addChecked(List.of(new ChunkRef(ia, 999))))
                        .isInstanceOf(CairnException.class)
                        .satisfies(x -> assertThat(((CairnException) x).status()).isEqualTo(Status.BAD_REQUEST));
                assertThat(e.bytes()).isZero();
                e.addChecked(List.of(new ChunkRef(ia, 1000)));
                e.finish();
                PutResult r = s.commit();
                assertThat(get(repo, r.id())).isEqualTo(a);
            }
        }
    }

    @Test
    void sessionPatchesGiveWhatPutDeltaGives() throws IOException {
        byte[] base = TestData.random(4, 200_000);
        try (Repository repo = StoreFixture.open(dir)) {
            PutResult parent = put(repo, opts("r/p", 0), base);
            List<Patch> patches = List.of(new Patch("", 10, new byte[] {1, 2, 3}), new Patch("", 150_000, new byte[500]));
            PutResult viaRepo = repo.putDelta(opts("r/p", 1).withParent(parent.id()), patches);
            PutResult viaSession;
            try (PutSession s = repo.begin(opts("r/p", 1).withParent(parent.id()))) {
                s.applyPatches(patches);
                viaSession = s.commit();
            }
            assertThat(viaSession.id()).isEqualTo(viaRepo.id());
            assertThat(viaSession.existed()).isTrue();
            try (PutSession s = repo.begin(opts("r/q", 0))) {
                assertThatThrownBy(() -> s.applyPatches(patches)).isInstanceOf(CairnException.class);
            }
        }
    }

    @Test
    void storedChunksAreNeverReportedMissingWhileTheirPackIsIndexed() throws Exception {
        // Packs roll every 4 MiB and are indexed (about 1000 entries at once) by the sealer thread
        // while a reader asks about every chunk already stored, in large batches: each must be
        // found, pending or indexed, at every moment.
        try (Repository repo = Repository.open(dir, StoreFixture.smallOptions().withPackTargetBytes(4 << 20))) {
            java.util.concurrent.CopyOnWriteArrayList<ChunkId> stored = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong wrongs = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicLong rounds = new java.util.concurrent.atomic.AtomicLong();
            Thread reader = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        // A copy-on-write list's copy is a snapshot (a subList of it is not: it
                        // fails once the writer appends).
                        List<ChunkId> ids = List.copyOf(stored);
                        if (ids.isEmpty()) {
                            continue;
                        }
                        for (boolean b : repo.chunks().contains(ids)) {
                            if (!b) {
                                wrongs.incrementAndGet();
                            }
                        }
                        rounds.incrementAndGet();
                    }
                } catch (IOException | RuntimeException e) {
                    failed.set(e);
                }
            });
            reader.start();
            java.util.Random r = new java.util.Random(5);
            long deadline = System.nanoTime() + 2_000_000_000L;
            byte[] b = new byte[4096];
            while (System.nanoTime() < deadline && stored.size() < 30_000) {
                r.nextBytes(b);
                ChunkId id = ChunkId.of(b, 0, b.length);
                repo.chunks().store(id, new dev.cairn.protocol.chunk.EncodedChunk(ChunkCodec.RAW, b.length, b.clone(), 0,
                        b.length));
                stored.add(id);
            }
            stop.set(true);
            reader.join();
            assertThat(failed.get()).as("the reader failed").isNull();
            assertThat(rounds.get()).as("the reader checked while chunks were stored").isPositive();
            assertThat(wrongs.get()).as("stored chunks reported missing").isZero();
        }
    }
}
