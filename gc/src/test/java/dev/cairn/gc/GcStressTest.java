package dev.cairn.gc;

import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.gc.policy.PolicySet;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.store.PutResult;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;
import dev.cairn.store.StoreFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writers (with dedup hits on old, possibly garbage content), readers, trims and GCs run
 * concurrently for a bounded time with fixed seeds. Afterwards every committed checkpoint that is
 * still in the store restores bit-exact, verify --read-data is clean, no read of a checkpoint
 * that stayed live ever failed, and no put failed.
 */
class GcStressTest {
    @TempDir
    Path dir;

    static final long SEED = 20261128L;
    static final long RUN_MILLIS = 6000;

    @Test
    void writersReadersTrimsAndGcsTogether() throws Exception {
        System.out.println("stress seed " + SEED);
        RepositoryOptions o = StoreFixture.smallOptions().withPackTargetBytes(2 << 20);
        Map<ManifestId, byte[]> committed = new ConcurrentHashMap<>();
        List<byte[]> history = new CopyOnWriteArrayList<>();
        List<String> failures = new CopyOnWriteArrayList<>();
        Map<ManifestId, String> readFailures = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger puts = new AtomicInteger();
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger gcs = new AtomicInteger();
        AtomicInteger trims = new AtomicInteger();
        // Trims and GCs see time running fast: a day passes per second, so trash expires quickly.
        Instant base = Instant.parse("2026-11-01T00:00:00Z");
        long startNanos = System.nanoTime();
        Clock fast = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return base.plus(Duration.ofMillis((System.nanoTime() - startNanos) / 1_000_000 * 86_400));
            }
        };
        try (Repository repo = Repository.open(dir, o)) {
            ExecutorService pool = Executors.newFixedThreadPool(7);
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                int writer = w;
                fs.add(pool.submit(() -> {
                    Random rnd = new Random(SEED + writer);
                    byte[] cur = TestData.random(SEED + 100 + writer, 200_000);
                    int n = 0;
                    while (!stop.get()) {
                        byte[] b;
                        if (rnd.nextInt(5) == 0 && !history.isEmpty()) {
                            b = history.get(rnd.nextInt(history.size())); // old content: dedup hits
                        } else {
                            cur = cur.clone();
                            System.arraycopy(TestData.random(rnd.nextLong(), 20_000), 0, cur,
                                    rnd.nextInt(cur.length - 20_000), 20_000);
                            b = cur;
                        }
                        try {
                            var meta = dev.cairn.protocol.manifest.CheckpointMeta.of("w" + writer,
                                    fast.instant()).withStep(n++);
                            PutResult r = repo.put(PutOptions.of(meta),
                                    new java.io.ByteArrayInputStream(b));
                            committed.put(r.id(), b);
                            history.add(b);
                            puts.incrementAndGet();
                        } catch (IOException | RuntimeException e) {
                            failures.add("put: " + e);
                        }
                    }
                    return null;
                }));
            }
            for (int rd = 0; rd < 2; rd++) {
                int reader = rd;
                fs.add(pool.submit(() -> {
                    Random rnd = new Random(SEED + 50 + reader);
                    while (!stop.get()) {
                        List<ManifestId> known = new ArrayList<>(committed.keySet());
                        if (known.isEmpty()) {
                            Thread.sleep(5);
                            continue;
                        }
                        ManifestId id = known.get(rnd.nextInt(known.size()));
                        try {
                            byte[] got = StoreFixture.get(repo, id);
                            if (!java.util.Arrays.equals(got, committed.get(id))) {
                                failures.add("read returned wrong bytes for " + id.shortHex());
                            }
                            reads.incrementAndGet();
                        } catch (IOException e) {
                            readFailures.put(id, e.toString()); // fine if it was trimmed and collected
                        }
                    }
                    return null;
                }));
            }
            fs.add(pool.submit(() -> {
                String yaml = "policies:\n  - series: \"w*\"\n    last: 3\n    max_remove: 100%\n    grace: 1h\n";
                PolicySet p = PolicyParser.parse(yaml);
                while (!stop.get()) {
                    try {
                        new Trimmer(repo, fast).trim(new TrimRequest(p, "stress", yaml, null, false, false, "stress"));
                        trims.incrementAndGet();
                    } catch (IOException | RuntimeException e) {
                        failures.add("trim: " + e);
                    }
                    Thread.sleep(150);
                }
                return null;
            }));
            fs.add(pool.submit(() -> {
                while (!stop.get()) {
                    try {
                        GcReport r = new GarbageCollector(repo, fast, GcOptions.defaults()).run(false, new GcCancel());
                        if (r.unexplainedChunks() != 0) {
                            failures.add("gc kept unexplained data in normal operation: " + r.outcome());
                        }
                        gcs.incrementAndGet();
                    } catch (IOException | RuntimeException e) {
                        failures.add("gc: " + e);
                    }
                    Thread.sleep(100);
                }
                return null;
            }));
            Thread.sleep(RUN_MILLIS);
            stop.set(true);
            for (Future<?> f : fs) {
                f.get();
            }
            pool.shutdown();
            System.out.printf("stress: %d puts, %d reads, %d trims, %d gcs, %d read failures on removed checkpoints%n",
                    puts.get(), reads.get(), trims.get(), gcs.get(), readFailures.size());
            assertThat(failures).isEmpty();
            assertThat(puts.get()).isGreaterThan(20);
            assertThat(gcs.get()).isGreaterThan(2);
            // Reads may only have failed for checkpoints that are gone or in the trash now.
            for (Map.Entry<ManifestId, String> e : readFailures.entrySet()) {
                boolean liveNow = repo.manifests().find(e.getKey()) != null && !repo.labels(e.getKey()).inTrash();
                assertThat(liveNow).as("read of live checkpoint %s failed: %s", e.getKey().shortHex(), e.getValue())
                        .isFalse();
            }
            int checked = 0;
            for (Map.Entry<ManifestId, byte[]> e : committed.entrySet()) {
                if (repo.manifests().find(e.getKey()) != null) {
                    assertThat(StoreFixture.get(repo, e.getKey())).isEqualTo(e.getValue());
                    checked++;
                }
            }
            assertThat(checked).isPositive();
            VerifyAssert.clean(repo);
            GcReport last = new GarbageCollector(repo, fast, GcOptions.defaults()).run(false, new GcCancel());
            assertThat(last.unexplainedChunks()).as(last.outcome()).isZero();
            VerifyAssert.clean(repo);
        }
    }
}
