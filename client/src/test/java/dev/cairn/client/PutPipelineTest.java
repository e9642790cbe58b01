package dev.cairn.client;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkBatcher;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.Chunker;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.wire.Limits;
import dev.cairn.protocol.wire.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The put pipeline against a scripted daemon: order, dedup, bounded depth, MISSING_CHUNKS repair. */
class PutPipelineTest {
    static final ChunkerParams SMALL = new ChunkerParams(256, 1024, 4096);
    /** Small limits so one batch needs several HAVEs, UPLOADs and REFS. */
    static final Limits TIGHT = new Limits(Limits.defaults().maxFrame(), 50, 20, 40, 64, 32, 1 << 20, 300,
            dev.cairn.protocol.chunk.Compression.FAST);

    ExecutorService pool;
    FakeExchange fake;

    @BeforeEach
    void setUp() {
        pool = Executors.newFixedThreadPool(3);
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
        if (fake != null) {
            fake.close();
        }
    }

    static byte[] data(long seed, int n) {
        Random r = new Random(seed);
        byte[] b = new byte[n];
        r.nextBytes(b);
        // Some repeated blocks and zero runs, so dedup inside one put happens too.
        for (int i = 0; i + 20_000 < n; i += 50_000) {
            System.arraycopy(b, 0, b, i + 10_000, 5000);
            java.util.Arrays.fill(b, i + 15_000, i + 19_000, (byte) 0);
        }
        return b;
    }

    static List<ChunkRef> expectedRefs(byte[] d) {
        List<ChunkRef> refs = new ArrayList<>();
        ChunkBatcher b = new ChunkBatcher(new Chunker(SMALL), 64 << 10, batch -> {
            for (int i = 0; i < batch.count(); i++) {
                refs.add(new ChunkRef(batch.id(i), batch.length(i)));
            }
        });
        b.write(d, 0, d.length);
        b.finish();
        return refs;
    }

    PutPipeline pipeline(int depth) {
        return new PutPipeline(fake, 1, pool, depth, 64 << 10);
    }

    @RepeatedTest(5)
    void refsArriveInStreamOrderAndEveryChunkBeforeItsRefs(RepetitionInfo rep) throws Exception {
        long seed = 1000 + rep.getCurrentRepetition();
        fake = new FakeExchange(SMALL, TIGHT, seed);
        byte[] d = data(seed, 2_000_000);
        PutPipeline p = pipeline(3);
        p.beginFile("");
        p.readFrom(new ByteArrayInputStream(d));
        p.endFile();
        p.commit(null);
        assertThat(fake.errors).as("seed %d", seed).isEmpty();
        assertThat(fake.entries.get("")).isEqualTo(expectedRefs(d));
        // Ordered requests appear in order: ENTRY first, END_ENTRY after every REFS, COMMIT last.
        List<Message.Request> log = fake.requests();
        assertThat(log.get(0)).isInstanceOf(Message.Entry.class);
        int end = indexOf(log, Message.EndEntry.class);
        assertThat(lastIndexOf(log, Message.Refs.class)).isLessThan(end);
        assertThat(log.get(log.size() - 1)).isInstanceOf(Message.Commit.class);
        // Every distinct chunk was uploaded; a repeat inside one put is uploaded again only when two
        // batches holding it were encoded at the same moment (harmless: the daemon answers "present").
        Set<ChunkId> seen = new HashSet<>();
        int uploads = 0;
        for (Message.Request r : log) {
            if (r instanceof Message.Upload u) {
                assertThat(u.chunks().size()).isLessThanOrEqualTo(TIGHT.maxUploadChunks());
                for (Message.WireChunk c : u.chunks()) {
                    seen.add(c.id());
                    uploads++;
                }
            }
            if (r instanceof Message.Have h) {
                assertThat(h.ids().size()).isLessThanOrEqualTo(TIGHT.maxHaveIds());
            }
            if (r instanceof Message.Refs f) {
                assertThat(f.refs().size()).isLessThanOrEqualTo(TIGHT.maxRefs());
            }
        }
        assertThat(seen).isEqualTo(new HashSet<>(expectedRefs(d).stream().map(ChunkRef::id).toList()));
        assertThat(uploads).isLessThanOrEqualTo(seen.size() + seen.size() / 20);
        assertThat(p.uploadedChunks()).isEqualTo(uploads);
    }

    @Test
    void secondPutOfTheSameDataUploadsNothing() throws Exception {
        fake = new FakeExchange(SMALL, Limits.defaults(), 1);
        byte[] d = data(7, 1_000_000);
        for (int round = 0; round < 2; round++) {
            fake.entries.clear();
            PutPipeline p = pipeline(4);
            p.beginFile("");
            p.write(d, 0, d.length);
            p.commit(null);
            if (round == 1) {
                assertThat(p.uploadedChunks()).isZero();
                assertThat(p.uploadedBytes()).isZero();
            }
            assertThat(fake.entries.get("")).isEqualTo(expectedRefs(d));
        }
    }

    @Test
    void depthBoundsBatchesInFlight() throws Exception {
        fake = new FakeExchange(SMALL, Limits.defaults(), 2);
        byte[] d = data(8, 3_000_000);
        PutPipeline p = pipeline(2);
        p.beginFile("");
        p.readFrom(new ByteArrayInputStream(d));
        p.commit(null);
        // One HAVE and one REFS per batch with default limits: HAVE'd but not REFS-acknowledged
        // batches never exceed the depth.
        assertThat(fake.maxOutstandingBatches).isBetween(1, 2);
    }

    @Test
    void chunksFreedBetweenHaveAndRefsAreUploadedAgain() throws Exception {
        fake = new FakeExchange(SMALL, TIGHT, 3);
        byte[] d = data(9, 1_500_000);
        // First round stores everything; the second finds it all present, then GC "frees" a third
        // of it right before the first REFS: the pipeline must upload those and resend the REFS.
        PutPipeline first = pipeline(3);
        first.beginFile("");
        first.write(d, 0, d.length);
        first.commit(null);
        fake.entries.clear();
        fake.vanishBeforeRefs = id -> (id.byteAt(0) & 3) == 0;
        PutPipeline second = pipeline(3);
        second.beginFile("");
        second.write(d, 0, d.length);
        second.commit(null);
        assertThat(fake.errors).anyMatch(e -> e.startsWith("REFS MISSING"));
        assertThat(second.uploadedChunks()).isPositive();
        assertThat(fake.entries.get("")).isEqualTo(expectedRefs(d));
    }

    @Test
    void commitMissingChunksIsRepairedByReplayingTheInput() throws Exception {
        fake = new FakeExchange(SMALL, TIGHT, 4);
        byte[] d = data(10, 800_000);
        List<ChunkRef> refs = expectedRefs(d);
        fake.vanishBeforeCommit = Set.of(refs.get(3).id(), refs.get(refs.size() - 1).id());
        PutPipeline p = pipeline(3);
        p.beginFile("");
        p.write(d, 0, d.length);
        p.endFile();
        p.commit(feed -> feed.entry(new ByteArrayInputStream(d)));
        assertThat(fake.errors).containsExactly("COMMIT MISSING 2");
        assertThat(fake.store).containsAll(refs.stream().map(ChunkRef::id).toList());
    }

    @Test
    void commitMissingChunksOfAOneShotStreamFailsClearly() throws Exception {
        fake = new FakeExchange(SMALL, TIGHT, 5);
        byte[] d = data(11, 300_000);
        fake.vanishBeforeCommit = Set.of(expectedRefs(d).get(0).id());
        PutPipeline p = pipeline(3);
        p.beginFile("");
        p.write(d, 0, d.length);
        assertThatThrownBy(() -> p.commit(null)).isInstanceOfSatisfying(CairnClientException.class, e -> {
            assertThat(e.status()).isEqualTo(Status.MISSING_CHUNKS);
            assertThat(e.getMessage()).contains("cannot be read a second time", "put the checkpoint again");
        });
    }

    @Test
    void directoryEntriesAndEmptyFiles() throws Exception {
        fake = new FakeExchange(SMALL, TIGHT, 6);
        PutPipeline p = pipeline(2);
        p.beginFile("a");
        p.write(data(1, 100_000), 0, 100_000);
        p.endFile();
        p.directory("b");
        p.beginFile("c");
        p.endFile();
        p.commit(null);
        assertThat(fake.entries.keySet()).containsExactly("a", "b", "c");
        assertThat(fake.entries.get("c")).isEmpty();
    }

    @Test
    void namesARestoreCouldNotCreateAreRefusedBeforeTheyAreSent() throws Exception {
        fake = new FakeExchange(SMALL, TIGHT, 7);
        PutPipeline p = pipeline(2);
        p.beginFile("d");
        p.endFile();
        assertThatThrownBy(() -> p.beginFile("d/x")).isInstanceOfSatisfying(CairnClientException.class, e -> {
            assertThat(e.status()).isEqualTo(Status.BAD_REQUEST);
            assertThat(e.getMessage()).contains("'d/x'", "'d'");
        });
        assertThatThrownBy(() -> p.directory("e/" + "n".repeat(256)))
                .isInstanceOfSatisfying(CairnClientException.class, e -> assertThat(e.status()).isEqualTo(Status.BAD_REQUEST));
        p.commit(null);
        assertThat(fake.entries.keySet()).containsExactly("d");
        assertThat(fake.requests().stream().filter(r -> r instanceof Message.Entry).count()).isEqualTo(1);
    }

    private static int indexOf(List<Message.Request> log, Class<?> c) {
        for (int i = 0; i < log.size(); i++) {
            if (c.isInstance(log.get(i))) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(List<Message.Request> log, Class<?> c) {
        for (int i = log.size() - 1; i >= 0; i--) {
            if (c.isInstance(log.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
