package dev.cairn.client;

import dev.cairn.e2e.TestDaemon;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Message;
import dev.cairn.server.MutableClock;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.server.metrics.MaintenanceMetrics;
import dev.cairn.store.util.FaultPoints;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The maintenance methods of {@link CairnClient} against a real daemon: the report records, holds
 * and tags, and the long-request behaviour of GC — heartbeats keep it from timing out, a silent
 * daemon does time out (and the GC is cancelled), cancel and close send CANCEL.
 */
class MaintenanceClientE2eTest {
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(T0.plus(Duration.ofDays(1)));
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        FaultPoints.disarmAll();
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private TestDaemon daemon(Duration heartbeat) throws IOException {
        DaemonConfig c = TestDaemon.config(dir.resolve("data"), TestDaemon.SMALL);
        c = c.withLimits(c.limits().withHeartbeatInterval(heartbeat));
        TestDaemon d = TestDaemon.start(c, clock);
        open.add(d);
        return d;
    }

    private CairnClient client(TestDaemon d, Duration requestTimeout) throws IOException {
        CairnClient c = d.clientBuilder().requestTimeout(requestTimeout).build();
        open.add(c);
        return c;
    }

    static String policy(String glob, String... rules) {
        StringBuilder b = new StringBuilder("policies:\n  - series: \"" + glob + "\"\n");
        for (String r : rules) {
            b.append("    ").append(r).append('\n');
        }
        return b.toString();
    }

    /**
     * Leaves more than one sweep batch (4096) of dead chunks for the next GC: a large checkpoint
     * (about 7000 chunks) trimmed away with a one-second grace period that has passed. A GC checks
     * for cancellation between sweep batches.
     */
    void deadChunks(CairnClient c, String series, long seed) throws IOException {
        c.put(CheckpointMeta.of(series, T0), new ByteArrayInputStream(TestDaemon.data(seed, 14 << 20)));
        c.put(CheckpointMeta.of(series, T0.plusSeconds(3600)), new ByteArrayInputStream(TestDaemon.data(seed + 1, 1000)));
        TrimReport r = c.trim(TrimRequest.withPolicy(policy(series, "last: 1", "max_remove: 100%", "grace: 1s"), null)
                .withSeries(series));
        assertThat(r.removed()).isEqualTo(1);
        clock.advance(Duration.ofMinutes(1));
    }

    /** Holds the first GC at the end of its mark phase until released. */
    static final class GcGate {
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger arrivals = new AtomicInteger();

        GcGate arm() {
            FaultPoints.arm("gc.mid-mark", p -> {
                if (arrivals.getAndIncrement() == 0) {
                    reached.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            return this;
        }

        void awaitReached() throws InterruptedException {
            assertThat(reached.await(30, TimeUnit.SECONDS)).as("a GC reached the end of its mark").isTrue();
        }
    }

    private static long cancelledGcs(TestDaemon d) {
        return d.daemon().metrics().maintenance.gcRuns("default", MaintenanceMetrics.Outcome.CANCELLED);
    }

    private static void awaitCancelledGcs(TestDaemon d, long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (cancelledGcs(d) < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(cancelledGcs(d)).isEqualTo(n);
    }

    // ================================================================== reports

    @Test
    void trimTrashHoldsTagsAndLogThroughTheLibrary() throws Exception {
        TestDaemon d = daemon(Duration.ofSeconds(5));
        CairnClient c = client(d, Duration.ofSeconds(30));
        List<ManifestId> ids = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            data.add(TestDaemon.data(10 + i, 30_000));
            ids.add(c.put(CheckpointMeta.of("lib/a", T0.plus(Duration.ofHours(i))),
                    new ByteArrayInputStream(data.get(i))).id());
        }
        Message.HoldInfo hold = c.holdAdd(ids.get(0), "eval", "nightly", Duration.ofMillis(1500));
        assertThat(hold.expiresAt()).isEqualTo(clock.instant().plusSeconds(2)); // rounded up to whole seconds
        assertThat(c.tag(ids.get(1), Set.of("milestone", "best"), List.of())).containsExactly("best", "milestone");
        assertThat(c.tag(ids.get(1), List.of(), List.of())).containsExactly("best", "milestone");
        assertThatThrownBy(() -> c.tag(ids.get(1), List.of("bad tag"), List.of()))
                .isInstanceOfSatisfying(CairnClientException.class, e -> assertThat(e.status()).isEqualTo(Status.BAD_REQUEST));

        String p = policy("lib/*", "last: 1", "tags: [milestone]", "max_remove: 100%", "grace: 1h");
        TrimReport dry = c.trim(TrimRequest.withPolicy(p, "lib.yaml").withDryRun(true));
        assertThat(dry.dryRun()).isTrue();
        assertThat(dry.applied()).isFalse();
        assertThat(dry.auditId()).isNull();
        assertThat(dry.series()).singleElement().satisfies(s -> {
            assertThat(s.series()).isEqualTo("lib/a");
            assertThat(s.policy()).isEqualTo("lib/*");
            assertThat(s.isBlocked()).isFalse();
            assertThat(s.trashExpiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
            assertThat(s.kept()).extracting(TrimReport.Kept::id).containsExactly(ids.get(4), ids.get(1), ids.get(0));
            assertThat(s.kept().get(1).reasons()).containsExactly(new KeepReason("tag", "tag milestone"));
            assertThat(s.kept().get(2).reasons()).extracting(KeepReason::kind).containsExactly("hold");
            assertThat(s.removed()).extracting(TrimReport.Removed::id).containsExactly(ids.get(3), ids.get(2));
            assertThat(s.freedBytes()).isEqualTo(dry.freedBytes()).isPositive();
        });
        assertThat(dry.kept()).isEqualTo(3);
        assertThat(dry.removed()).isEqualTo(2);
        assertThat(dry.policySource()).isEqualTo("lib.yaml");

        TrimReport applied = c.trim(TrimRequest.withPolicy(p, "lib.yaml"));
        assertThat(applied.applied()).isTrue();
        assertThat(applied.series().get(0).removed()).isEqualTo(dry.series().get(0).removed());
        List<TrashEntry> trash = c.trashList();
        assertThat(trash).extracting(TrashEntry::id).containsExactlyInAnyOrder(ids.get(2), ids.get(3));
        assertThat(trash).allSatisfy(t -> assertThat(t.auditId()).isEqualTo(applied.auditId()));
        assertThatThrownBy(() -> c.holdAdd(ids.get(2), "x", "y", null))
                .isInstanceOfSatisfying(CairnClientException.class, e -> assertThat(e.status()).isEqualTo(Status.CONFLICT));

        Message.CheckpointSummary back = c.trashRestore(ids.get(2));
        assertThat(back.id()).isEqualTo(ids.get(2));
        assertThat(back.labels().trash()).isNull();
        try (InputStream in = c.open(ids.get(2))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            assertThat(b.toByteArray()).isEqualTo(data.get(2));
        }
        assertThatThrownBy(() -> c.trashRestore(ids.get(2)))
                .isInstanceOfSatisfying(CairnClientException.class, e -> assertThat(e.status()).isEqualTo(Status.CONFLICT));

        List<TrimLogRecord> log = c.trimLog(0, true);
        assertThat(log).singleElement().satisfies(r -> {
            assertThat(r.id()).isEqualTo(applied.auditId());
            assertThat(r.removed()).isEqualTo(2);
            assertThat(r.reportJson()).contains("\"policyText\"", "lib/*");
        });
        assertThat(c.trimLog(1, false).get(0).reportJson()).isNull();

        c.holdRemove(ids.get(0), "eval");
        assertThatThrownBy(() -> c.holdRemove(ids.get(0), "eval"))
                .isInstanceOfSatisfying(CairnClientException.class, e -> assertThat(e.status()).isEqualTo(Status.NOT_FOUND));
        assertThatThrownBy(() -> c.trim(TrimRequest.withPolicy("policies: [", null)))
                .isInstanceOfSatisfying(CairnClientException.class, e -> {
                    assertThat(e.status()).isEqualTo(Status.INVALID_POLICY);
                    assertThat(e.serverMessage()).isNotBlank();
                });

        PolicySimulation sim = c.simulate("lib/a", p, true);
        assertThat(sim.puts()).isEqualTo(5);
        assertThat(sim.timeline()).hasSize(5);
        assertThat(sim.svg()).contains("<svg");
        assertThat(c.simulate("lib/a", p, false).svg()).isNull();
    }

    // ================================================================== long requests

    @Test
    void heartbeatsKeepAGcLongerThanTheRequestTimeoutAlive() throws Exception {
        TestDaemon d = daemon(Duration.ofMillis(50));
        CairnClient c = client(d, Duration.ofMillis(400));
        GcGate gate = new GcGate().arm();
        AtomicInteger beats = new AtomicInteger();
        try (CancellableCall<GcReport> call = c.startGc(false, ms -> beats.incrementAndGet())) {
            gate.awaitReached();
            Thread.sleep(1500); // almost four request timeouts
            gate.release.countDown();
            GcReport r = call.get();
            assertThat(r.dryRun()).isFalse();
            assertThat(r.phaseMillis()).containsKeys("mark", "sweep");
            assertThat(r.totalMillis()).isGreaterThanOrEqualTo(1500);
        }
        assertThat(beats.get()).isGreaterThanOrEqualTo(10);
        // The blocking form too.
        assertThat(c.gc(true).dryRun()).isTrue();
    }

    @Test
    void aSilentDaemonTimesOutAndTheAbandonedGcIsCancelled() throws Exception {
        TestDaemon d = daemon(Duration.ofSeconds(30)); // no heartbeat within the test
        // The set-up's put and trim go through a patient client: only the GC call may time out.
        deadChunks(client(d, Duration.ofSeconds(30)), "junk/a", 1);
        CairnClient c = client(d, Duration.ofMillis(400));
        GcGate gate = new GcGate().arm();
        CancellableCall<GcReport> call = c.startGc(false, null);
        gate.awaitReached();
        assertThatThrownBy(call::get).isInstanceOfSatisfying(CairnClientException.class,
                e -> assertThat(e.status()).isEqualTo(Status.TIMEOUT));
        gate.release.countDown();
        awaitCancelledGcs(d, 1);
    }

    @Test
    void cancelAndCloseStopARunningGc() throws Exception {
        TestDaemon d = daemon(Duration.ofMillis(50));
        CairnClient c = client(d, Duration.ofSeconds(30));
        deadChunks(c, "junk/a", 1);

        GcGate gate = new GcGate().arm();
        CancellableCall<GcReport> call = c.startGc(false, null);
        gate.awaitReached();
        // Another GC meanwhile: CONFLICT at once.
        assertThatThrownBy(() -> c.gc(true)).isInstanceOfSatisfying(CairnClientException.class,
                e -> assertThat(e.status()).isEqualTo(Status.CONFLICT));
        call.cancel();
        assertThat(call.cancelRequested()).isTrue();
        gate.release.countDown();
        assertThatThrownBy(call::get).isInstanceOfSatisfying(CairnClientException.class,
                e -> assertThat(e.status()).isEqualTo(Status.CANCELLED));
        assertThat(cancelledGcs(d)).isEqualTo(1);

        // Closing an unfinished call cancels it and returns once the daemon has confirmed.
        deadChunks(c, "junk/b", 100);
        GcGate second = new GcGate().arm();
        CancellableCall<GcReport> closed = c.startGc(false, null);
        second.awaitReached();
        Thread releaser = new Thread(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            second.release.countDown();
        });
        releaser.start();
        closed.close();
        assertThat(closed.isDone()).isTrue();
        assertThatThrownBy(closed::get).isInstanceOfSatisfying(CairnClientException.class,
                e -> assertThat(e.status()).isEqualTo(Status.CANCELLED));
        assertThat(cancelledGcs(d)).isEqualTo(2);
        releaser.join();

        // Nothing is left half-done: the next GC finishes the job and the store verifies clean.
        FaultPoints.disarmAll();
        GcReport r = c.gc(false);
        assertThat(r.chunksFreed()).isPositive();
        assertThat(c.verify(false).clean()).isTrue();
    }
}
