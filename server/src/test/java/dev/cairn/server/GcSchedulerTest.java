package dev.cairn.server;

import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.wire.Message.Trim;
import dev.cairn.server.MaintenanceTest.GcGate;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.server.metrics.MaintenanceMetrics;
import dev.cairn.store.Repository;
import dev.cairn.store.util.FaultPoints;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** gc.schedule in cairn.yaml: trim + GC per tenant on a timer, and a clean stop that cancels a running GC. */
class GcSchedulerTest {
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @TempDir
    Path dir;

    @AfterEach
    void disarm() {
        FaultPoints.disarmAll();
    }

    private DaemonConfig load(String yaml) throws Exception {
        Path f = dir.resolve("cairn.yaml");
        Files.writeString(f, "listen: 127.0.0.1:0\ndata: data\n" + yaml);
        DaemonConfig c = ConfigLoader.load(f);
        return c.withStore(DaemonFixture.storeOptions()).withLimits(DaemonFixture.config(dir).limits());
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void trimsAndCollectsEveryIntervalThenStopsCleanly() throws Exception {
        CairnDaemon d = CairnDaemon.start(load("""
                policies:
                  - series: "**"
                    last: 1
                    max_remove: 100%
                    grace: 0s
                gc:
                  schedule: {every: 150ms, initial_delay: 50ms, trim: true}
                """));
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            // The daemon's own policies apply to a trim that names none.
            assertThat(w.trim(new Trim(null, null, null, true, false)).ok().policySource()).isEqualTo("cairn.yaml");
            for (int i = 0; i < 3; i++) {
                w.put(CheckpointMeta.of("sched/a", T0.plus(Duration.ofHours(i))), DaemonFixture.data(300 + i, 20_000));
            }
            long after = d.scheduler().rounds() + 2;
            await("two rounds after the puts", () -> d.scheduler().rounds() >= after);
            assertThat(w.list("sched/a")).hasSize(1);
            assertThat(w.trash()).isEmpty(); // trimmed with grace 0s, then deleted for good by a GC
            List<WireDriver.LogRecord> log = w.trimLog(0, false);
            assertThat(log).isNotEmpty().allSatisfy(r -> {
                assertThat(r.entry().requestedBy()).isEqualTo("scheduler");
                assertThat(r.entry().policySource()).isEqualTo("cairn.yaml");
            });
            assertThat(log.stream().mapToLong(r -> r.entry().removed()).sum()).isEqualTo(2);
            MaintenanceMetrics m = d.metrics().maintenance;
            assertThat(m.gcRuns("default", MaintenanceMetrics.Outcome.OK)).isGreaterThanOrEqualTo(2);
            assertThat(m.trims("default")).isPositive();
        } finally {
            assertThat(d.stop()).isTrue();
        }
        assertThat(d.scheduler().stopping()).isTrue();
        long rounds = d.scheduler().rounds();
        Thread.sleep(400);
        assertThat(d.scheduler().rounds()).as("no rounds after the stop").isEqualTo(rounds);
    }

    @Test
    void aRoundSkipsATenantWhoseStoreIsBeingCollectedAlready() throws Exception {
        CairnDaemon d = CairnDaemon.start(load("gc: {schedule: {every: 100ms, initial_delay: 0s}}\n"));
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            await("a first round", () -> d.scheduler().rounds() >= 1);
            GcGate gate = new GcGate().arm("cairnd-worker"); // the client's GC, not a scheduled one
            int gc;
            while (true) {
                gc = w.send(new dev.cairn.protocol.wire.Message.Gc(false));
                if (gate.reached.await(3, java.util.concurrent.TimeUnit.SECONDS)) {
                    break;
                }
                // A scheduled GC held the store at that moment: the client's got CONFLICT; again.
                List<dev.cairn.protocol.wire.Envelope> f = w.collect(gc);
                assertThat(((dev.cairn.protocol.wire.Message.ErrorReply) f.get(f.size() - 1).message()).status())
                        .isEqualTo(dev.cairn.protocol.Status.CONFLICT);
            }
            long okBefore = d.metrics().maintenance.gcRuns("default", MaintenanceMetrics.Outcome.OK);
            long from = d.scheduler().rounds();
            await("two rounds while the client's GC runs", () -> d.scheduler().rounds() >= from + 2);
            assertThat(d.metrics().maintenance.gcRuns("default", MaintenanceMetrics.Outcome.OK)).isEqualTo(okBefore);
            gate.release.countDown();
            List<dev.cairn.protocol.wire.Envelope> frames = w.collect(gc);
            assertThat(frames.get(frames.size() - 1).message())
                    .isInstanceOf(dev.cairn.protocol.wire.Message.GcOk.class);
            await("a scheduled GC after it", () -> d.metrics().maintenance.gcRuns("default",
                    MaintenanceMetrics.Outcome.OK) >= okBefore + 2);
        } finally {
            assertThat(d.stop()).isTrue();
        }
    }

    @Test
    void stopCancelsARunningScheduledGcAndTheStoreStaysClean() throws Exception {
        CairnDaemon d = CairnDaemon.start(load("""
                gc:
                  repack_threshold: 0.5
                  schedule: {every: 1h, initial_delay: 3s}
                """));
        GcGate gate = new GcGate().arm("cairnd-gc-scheduler");
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            MaintenanceTest.deadChunks(w, 4100);
        }
        gate.awaitReached();
        CompletableFuture<Boolean> stop = CompletableFuture.supplyAsync(d::stop);
        await("the stop to begin", () -> d.scheduler().stopping());
        gate.release.countDown();
        assertThat(stop.get()).as("clean stop").isTrue();
        assertThat(d.metrics().maintenance.gcRuns("default", MaintenanceMetrics.Outcome.CANCELLED)).isEqualTo(1);
        assertThat(d.metrics().maintenance.gcRuns("default", MaintenanceMetrics.Outcome.OK)).isZero();
        try (Repository r = Repository.open(dir.resolve("data"), DaemonFixture.storeOptions())) {
            assertThat(r.verify(false).clean()).isTrue();
        }
    }
}
