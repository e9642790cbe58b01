package dev.cairn.store;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.Compression;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.util.FaultPoints;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The put pipeline of {@link Ingest} (cut on the caller, hash/admit/compress on workers, write in
 * stream order on workers) and its early give-up on incompressible chunks ({@link ChunkEncoder}):
 * bit-exact round trips, stream order when a later batch finishes first, and nothing committed
 * when a stream fails part-way.
 */
class IngestPipelineTest {
    /** More than two 4 MiB batches, so several are in flight at once. */
    static final int MANY = 10 << 20;

    @TempDir
    Path dir;

    @AfterEach
    void disarm() {
        Ingest.afterAdmit = null;
        FaultPoints.disarmAll();
    }

    private Repository open() throws IOException {
        return Repository.open(dir, StoreFixture.smallOptions().withWorkers(4));
    }

    @Test
    void roundTripsAreBitExactForEveryShapeOfInput() throws Exception {
        byte[] compressible = TestData.pages(3, MANY / 8192);
        List<byte[]> inputs = List.of(new byte[0], new byte[] {42}, TestData.random(1, 100_000),
                TestData.random(2, MANY), compressible);
        try (Repository repo = open()) {
            int minute = 0;
            for (byte[] in : inputs) {
                PutResult whole = StoreFixture.put(repo, StoreFixture.opts("whole", minute++), in);
                assertThat(StoreFixture.get(repo, whole.id())).as("%d bytes", in.length).isEqualTo(in);
                // Same bytes through the writer in random slices: same chunks, so all present.
                Random rnd = new Random(in.length);
                try (CheckpointWriter w = repo.newCheckpoint(StoreFixture.opts("sliced", minute++))) {
                    for (int off = 0; off < in.length; ) {
                        int n = Math.min(in.length - off, 1 + rnd.nextInt(300_000));
                        w.write(in, off, n);
                        off += n;
                    }
                    PutResult sliced = w.commit();
                    assertThat(sliced.newBytes()).as("%d bytes, sliced", in.length).isZero();
                    assertThat(StoreFixture.get(repo, sliced.id())).isEqualTo(in);
                }
            }
            assertThat(repo.verify(true).problems()).isEmpty();
            StoreStats s = repo.stats();
            assertThat(s.storedBytes()).as("the page image compresses").isLessThan(s.chunkBytes());
        }
    }

    @Test
    void concurrentPutsShareTheStoresBatchBoundAndAllFinish() throws Exception {
        try (Repository repo = open()) {
            int total = repo.ingestBatches.availablePermits();
            repo.ingestBatches.acquire(total - 1); // one batch in flight for the whole store
            try {
                List<byte[]> inputs = new java.util.ArrayList<>();
                List<java.util.concurrent.Future<PutResult>> puts = new java.util.ArrayList<>();
                java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(3);
                try {
                    for (int i = 0; i < 3; i++) {
                        byte[] in = TestData.random(60 + i, 3 * Ingest.BATCH_BYTES + 12_345);
                        inputs.add(in);
                        int minute = i;
                        puts.add(callers.submit(() -> StoreFixture.put(repo, StoreFixture.opts("bound", minute), in)));
                    }
                    for (int i = 0; i < 3; i++) {
                        PutResult r = puts.get(i).get(120, java.util.concurrent.TimeUnit.SECONDS);
                        assertThat(StoreFixture.get(repo, r.id())).isEqualTo(inputs.get(i));
                    }
                } finally {
                    callers.shutdownNow();
                }
                assertThat(repo.ingestBatches.availablePermits()).as("every batch gave its permit back").isEqualTo(1);
            } finally {
                repo.ingestBatches.release(total - 1);
            }
        }
    }

    @Test
    void aLaterBatchThatFinishesFirstIsStillWrittenInStreamOrder() throws Exception {
        byte[] data = TestData.random(5, MANY);
        CountDownLatch secondBatchAdmitted = new CountDownLatch(1);
        AtomicBoolean heldFirst = new AtomicBoolean();
        Ingest.afterAdmit = offset -> {
            if (offset == 0) {
                // Hold the first batch until a later one has been admitted (and may go on to be
                // compressed and finish first); the bound only keeps a broken pipeline from hanging.
                try {
                    heldFirst.set(secondBatchAdmitted.await(60, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else {
                secondBatchAdmitted.countDown();
            }
        };
        try (Repository repo = open()) {
            PutResult r = StoreFixture.put(repo, StoreFixture.opts("s", 1), data);
            assertThat(heldFirst).as("a later batch was processed while the first was held").isTrue();
            assertThat(StoreFixture.get(repo, r.id())).isEqualTo(data);
            Ingest.afterAdmit = null;
            // The same bytes without the hold give the same checkpoint contents (same chunk list).
            PutResult again = StoreFixture.put(repo, StoreFixture.opts("t", 1), data);
            assertThat(again.newBytes()).isZero();
            assertThat(repo.show(again.id()).header().entries())
                    .isEqualTo(repo.show(r.id()).header().entries());
        }
    }

    @Test
    void aStreamThatFailsPartWayCommitsNothing() throws Exception {
        byte[] data = TestData.random(6, MANY);
        try (Repository repo = open()) {
            InputStream dies = new InputStream() {
                int pos;

                @Override
                public int read() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (pos >= 6 << 20) {
                        throw new IOException("the client went away");
                    }
                    int n = Math.min(len, 1 << 16);
                    System.arraycopy(data, pos, b, off, n);
                    pos += n;
                    return n;
                }
            };
            assertThatThrownBy(() -> repo.put(StoreFixture.opts("s", 1), dies)).hasMessageContaining("went away");

            // A writer closed without commit (the client died mid-stream).
            CheckpointWriter w = repo.newCheckpoint(StoreFixture.opts("s", 2));
            w.write(data, 0, 7 << 20);
            w.close();

            // A worker failing in the middle of the stream.
            AtomicInteger batches = new AtomicInteger();
            Ingest.afterAdmit = offset -> {
                if (batches.incrementAndGet() == 2) {
                    throw new IOException("disk on fire");
                }
            };
            assertThatThrownBy(() -> StoreFixture.put(repo, StoreFixture.opts("s", 3), data))
                    .hasMessageContaining("disk on fire");
            Ingest.afterAdmit = null;

            // The pack write failing in the write stage.
            AtomicInteger appends = new AtomicInteger();
            FaultPoints.arm("chunk.after-append", p -> {
                if (appends.incrementAndGet() == 3000) { // in the second or third batch
                    throw new IOException("pack write failed");
                }
            });
            byte[] fresh = TestData.random(9, MANY); // all new, so appends happen in every batch
            assertThatThrownBy(() -> StoreFixture.put(repo, StoreFixture.opts("s", 4), fresh))
                    .isInstanceOf(IOException.class).hasMessageContaining("pack write failed");
            FaultPoints.disarmAll();

            assertThat(repo.list(null)).isEmpty();
            PutResult ok = StoreFixture.put(repo, StoreFixture.opts("s", 5), data);
            assertThat(StoreFixture.get(repo, ok.id())).isEqualTo(data);
            assertThat(repo.list(null)).hasSize(1);
            assertThat(repo.verify(true).problems()).isEmpty();
        }
    }

    @Test
    void restoreServesRawAndCompressedChunksInOrderWhateverTheReadSizes() throws Exception {
        // Alternating incompressible and compressible stretches: raw records (served from their
        // read buffer) and LZ4 records (decoded) interleave within read-ahead groups.
        byte[] data = new byte[3 << 20];
        byte[] rnd = TestData.random(11, data.length);
        byte[] pages = TestData.pages(12, data.length / 8192);
        for (int off = 0; off < data.length; off += 64 << 10) {
            byte[] src = (off / (64 << 10)) % 2 == 0 ? rnd : pages;
            System.arraycopy(src, off, data, off, Math.min(64 << 10, data.length - off));
        }
        try (Repository repo = open()) {
            ManifestId id = StoreFixture.put(repo, StoreFixture.opts("r", 1), data).id();
            Random sizes = new Random(13);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try (InputStream in = repo.open(id)) {
                byte[] buf = new byte[100_000];
                while (true) {
                    int pick = sizes.nextInt(4);
                    if (pick == 0) {
                        int b = in.read();
                        if (b < 0) {
                            break;
                        }
                        out.write(b);
                    } else if (pick == 1 && out.size() + 5000 < data.length) {
                        long before = out.size();
                        assertThat(in.skip(5000)).isEqualTo(5000);
                        out.write(data, (int) before, 5000); // what was skipped, for the comparison
                    } else {
                        int n = in.read(buf, 0, 1 + sizes.nextInt(buf.length));
                        if (n < 0) {
                            break;
                        }
                        out.write(buf, 0, n);
                    }
                }
            }
            assertThat(out.toByteArray()).isEqualTo(data);
            StoreStats s = repo.stats();
            assertThat(s.storedBytes()).as("some records are compressed").isLessThan(s.chunkBytes());
        }
    }

    @Test
    void incompressibleChunksAreStoredRawWithoutAFullCompressionPass() {
        byte[] random = TestData.random(7, 64 << 10);
        byte[] pages = TestData.pages(8, 8);
        for (Compression mode : Compression.values()) {
            ChunkEncoder enc = new ChunkEncoder(mode);
            assertThat(ChunkEncoder.worthCompressing(random, 0, random.length, mode)).as("%s random", mode).isFalse();
            EncodedChunk r = enc.encode(random, 0, random.length);
            assertThat(r.codec()).isEqualTo(ChunkCodec.RAW);
            assertThat(r.data()).as("raw payload aliases the input: no copy").isSameAs(random);

            assertThat(ChunkEncoder.worthCompressing(pages, 0, pages.length, mode)).as("%s pages", mode).isTrue();
            EncodedChunk p = enc.encode(pages, 0, pages.length);
            assertThat(p.codec()).isNotEqualTo(ChunkCodec.RAW);
            assertThat(p.length()).isLessThan(pages.length);
            try {
                assertThat(ChunkCodec.shared().decode(p)).isEqualTo(pages);
            } catch (dev.cairn.protocol.chunk.CorruptChunkException e) {
                throw new AssertionError(e);
            }
            // A chunk compressible only away from its middle (a database page: binary, then text
            // and zeros) is still compressed.
            byte[] mixed = random.clone();
            System.arraycopy(pages, 0, mixed, 0, 16 << 10);
            assertThat(ChunkEncoder.worthCompressing(mixed, 0, mixed.length, mode)).as("%s mixed", mode).isTrue();
            assertThat(enc.encode(mixed, 0, mixed.length).length()).isLessThan(mixed.length);
            // Small chunks are compressed whole, as before.
            byte[] head = java.util.Arrays.copyOf(random, ChunkEncoder.PROBE_FROM - 1);
            System.arraycopy(pages, 0, head, 0, 1024); // compressible only outside the sample's place
            EncodedChunk small = enc.encode(head, 0, head.length);
            EncodedChunk whole = ChunkCodec.shared().encode(head, 0, head.length, mode);
            assertThat(small.codec()).isEqualTo(whole.codec());
            assertThat(small.length()).isEqualTo(whole.length());
        }
    }
}
