package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackConcurrencyTest {
    @TempDir
    Path root;

    private record Sealed(PackId id, TestChunks chunks, List<ChunkLocation> locs) {
    }

    private static Sealed sealedPack(LocalPackStore store, long seed, int n, int maxLen) throws IOException {
        TestChunks chunks = TestChunks.random(seed, n, maxLen);
        PackWriter w = store.create();
        List<ChunkLocation> locs = chunks.appendTo(w);
        w.seal();
        return new Sealed(w.id(), chunks, locs);
    }

    /** Reads, decodes and re-hashes: only the right bytes pass. */
    private static void readAndVerify(PackStore store, ChunkLocation loc, ChunkId id) throws IOException {
        EncodedChunk e = store.read(loc, id);
        byte[] raw = ChunkCodec.shared().decode(e);
        if (!ChunkId.of(raw, 0, raw.length).equals(id)) {
            throw new AssertionError("read returned the wrong bytes for " + id + " at " + loc);
        }
    }

    private static void runAll(List<Thread> threads) throws InterruptedException {
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
    }

    private static Thread worker(String name, Queue<Throwable> errors, ThrowingRunnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                errors.add(new AssertionError(name + " failed", e));
            }
        }, name);
        t.setDaemon(true);
        return t;
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    @Timeout(30)
    void readersRunWhileAWriterAppendsAndAnotherPackIsDeleted() throws Exception {
        long seed = Seeds.seed("readersWriterDelete");
        try (LocalPackStore store = new LocalPackStore(root, 8)) {
            Sealed stable = sealedPack(store, seed, 150, 20_000);
            Sealed doomed = sealedPack(store, seed + 1, 60, 20_000);
            TestChunks incoming = TestChunks.random(seed + 2, 300, 20_000);
            AtomicReferenceArray<ChunkLocation> published = new AtomicReferenceArray<>(incoming.chunks().size());
            AtomicInteger publishedCount = new AtomicInteger();
            CountDownLatch readersWarm = new CountDownLatch(4);
            // Set only after delete() returned: reads starting later must not find the pack.
            AtomicInteger deleted = new AtomicInteger();
            Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
            AtomicInteger doomedReadsAfterDelete = new AtomicInteger();
            PackWriter[] writer = new PackWriter[1];

            List<Thread> threads = new ArrayList<>();
            threads.add(worker("writer", errors, () -> {
                PackWriter w = store.create();
                writer[0] = w;
                for (int i = 0; i < incoming.chunks().size(); i++) {
                    TestChunks.Chunk c = incoming.chunks().get(i);
                    published.set(i, w.append(c.id(), c.encoded()));
                    publishedCount.set(i + 1);
                    if (i % 50 == 49) {
                        w.sync();
                    }
                }
                w.seal();
            }));
            threads.add(worker("deleter", errors, () -> {
                readersWarm.await();
                store.delete(doomed.id());
                deleted.set(1);
            }));
            for (int t = 0; t < 4; t++) {
                long readerSeed = seed + 10 + t;
                threads.add(worker("reader-" + t, errors, () -> {
                    SplittableRandom r = new SplittableRandom(readerSeed);
                    for (int i = 0; i < 2500; i++) {
                        if (i == 100) {
                            readersWarm.countDown();
                        }
                        switch (r.nextInt(3)) {
                            case 0 -> {
                                int k = r.nextInt(stable.locs().size());
                                readAndVerify(store, stable.locs().get(k), stable.chunks().chunks().get(k).id());
                            }
                            case 1 -> {
                                int n = publishedCount.get();
                                if (n > 0) {
                                    int k = r.nextInt(n);
                                    readAndVerify(store, published.get(k), incoming.chunks().get(k).id());
                                }
                            }
                            default -> {
                                int k = r.nextInt(doomed.locs().size());
                                boolean goneBefore = deleted.get() == 1;
                                try {
                                    readAndVerify(store, doomed.locs().get(k), doomed.chunks().chunks().get(k).id());
                                    if (goneBefore) {
                                        throw new AssertionError("read a pack after delete() returned");
                                    }
                                } catch (PackNotFoundException expected) {
                                    doomedReadsAfterDelete.incrementAndGet();
                                }
                            }
                        }
                    }
                }));
            }
            runAll(threads);
            assertThat(errors).isEmpty();
            assertThat(doomedReadsAfterDelete.get()).as("the deletion happened while readers ran").isPositive();
            assertThat(store.readRetries()).as("no channel was closed under a reader").isZero();
            assertThat(store.cachedChannels()).isLessThanOrEqualTo(8);
            assertThat(store.list()).extracting(PackInfo::id).containsExactlyInAnyOrder(stable.id(), writer[0].id());
            PackIndex idx = store.readIndex(writer[0].id());
            assertThat(idx.sealed()).isTrue();
            assertThat(idx.entries()).hasSize(incoming.chunks().size());
        }
    }

    @Test
    @Timeout(30)
    void lruEvictionUnderConcurrencyNeverClosesAChannelUnderAReaderNorLeaksOne() throws Exception {
        long seed = Seeds.seed("lruEviction");
        Path fds = Path.of("/proc/self/fd");
        try (LocalPackStore store = new LocalPackStore(root, 2)) {
            List<Sealed> packs = new ArrayList<>();
            for (int p = 0; p < 10; p++) {
                packs.add(sealedPack(store, seed + p, 20, 8_000));
            }
            long fdsBefore = Files.isDirectory(fds) ? countFds(fds) : -1;
            Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long readerSeed = seed + 100 + t;
                threads.add(worker("reader-" + t, errors, () -> {
                    SplittableRandom r = new SplittableRandom(readerSeed);
                    for (int i = 0; i < 2000; i++) {
                        Sealed p = packs.get(r.nextInt(packs.size()));
                        int k = r.nextInt(p.locs().size());
                        readAndVerify(store, p.locs().get(k), p.chunks().chunks().get(k).id());
                    }
                }));
            }
            runAll(threads);
            assertThat(errors).isEmpty();
            assertThat(store.cachedChannels()).isEqualTo(2);
            assertThat(store.readRetries()).as("no channel was closed under a reader").isZero();
            if (fdsBefore >= 0) {
                // Every evicted channel was closed once its last reader let go.
                assertThat(countFds(fds)).isLessThanOrEqualTo(fdsBefore + 2);
            }
        }
    }

    private static long countFds(Path fds) throws IOException {
        try (Stream<Path> s = Files.list(fds)) {
            return s.count();
        }
    }

    @Test
    @Timeout(30)
    void aThreadThatIsAlreadyInterruptedReadsWithoutClosingTheSharedChannel() throws Exception {
        long seed = Seeds.seed("interruptedBefore");
        try (LocalPackStore store = new LocalPackStore(root, 4)) {
            Sealed p = sealedPack(store, seed, 30, 4_000);
            ChunkLocation loc0 = p.locs().get(0);
            ChunkId id0 = p.chunks().chunks().get(0).id();
            readAndVerify(store, loc0, id0); // channel now cached

            Thread.currentThread().interrupt();
            try {
                readAndVerify(store, loc0, id0);
                assertThat(Thread.currentThread().isInterrupted()).as("the caller still sees its interrupt").isTrue();
            } finally {
                Thread.interrupted();
            }
            readAndVerify(store, loc0, id0);
            assertThat(store.readRetries()).as("the cached channel survived").isZero();
        }
    }

    @Test
    @Timeout(30)
    void interruptsLandingMidReadNeverFailOtherReaders() throws Exception {
        long seed = Seeds.seed("interruptDuringRead");
        try (LocalPackStore store = new LocalPackStore(root, 4)) {
            Sealed p = sealedPack(store, seed, 30, 60_000);
            Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
            AtomicInteger victimInterrupted = new AtomicInteger();
            AtomicInteger stop = new AtomicInteger();
            // The victim reads in a loop while another thread interrupts it at random moments:
            // when an interrupt lands inside a read, the shared channel closes under the others.
            Thread victim = worker("victim", errors, () -> {
                SplittableRandom r = new SplittableRandom(seed);
                while (stop.get() == 0) {
                    int k = r.nextInt(p.locs().size());
                    try {
                        readAndVerify(store, p.locs().get(k), p.chunks().chunks().get(k).id());
                    } catch (ClosedByInterruptException expected) {
                        victimInterrupted.incrementAndGet();
                    } finally {
                        Thread.interrupted();
                    }
                }
            });
            Thread interrupter = worker("interrupter", errors, () -> {
                SplittableRandom r = new SplittableRandom(seed + 1);
                while (stop.get() == 0) {
                    victim.interrupt();
                    for (int spin = r.nextInt(20_000); spin > 0; spin--) {
                        Thread.onSpinWait();
                    }
                }
            });
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                long readerSeed = seed + 10 + t;
                readers.add(worker("reader-" + t, errors, () -> {
                    SplittableRandom r = new SplittableRandom(readerSeed);
                    for (int i = 0; i < 1500; i++) {
                        int k = r.nextInt(p.locs().size());
                        readAndVerify(store, p.locs().get(k), p.chunks().chunks().get(k).id());
                    }
                }));
            }
            victim.start();
            interrupter.start();
            runAll(readers);
            stop.set(1);
            interrupter.join();
            victim.join();
            assertThat(errors).isEmpty();
            System.out.printf("[interrupts] victim interrupted mid-read %d times, other readers retried %d times%n",
                    victimInterrupted.get(), store.readRetries());
        }
    }
}
