package dev.cairn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.*;
import dev.cairn.server.WireDriver.TrimResult;
import dev.cairn.server.WireDriver.WireError;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.server.metrics.MaintenanceMetrics;
import dev.cairn.store.util.FaultPoints;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Trim, trash, holds, tags, GC, policy simulation and the trim log against a real daemon on
 * loopback, with a daemon clock the test moves.
 */
class MaintenanceTest {
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(T0.plus(Duration.ofDays(1)));
    final List<CairnDaemon> daemons = new ArrayList<>();

    @AfterEach
    void stopDaemons() {
        FaultPoints.disarmAll();
        for (CairnDaemon d : daemons) {
            assertThat(d.stop()).isTrue();
        }
    }

    private CairnDaemon start(DaemonConfig c) throws Exception {
        CairnDaemon d = CairnDaemon.start(c, clock);
        daemons.add(d);
        return d;
    }

    private CairnDaemon start() throws Exception {
        return start(DaemonFixture.config(dir.resolve("data")));
    }

    /** A policy document governing {@code glob} with the given rule lines. */
    static String policy(String glob, String... rules) {
        StringBuilder b = new StringBuilder("policies:\n  - series: \"" + glob + "\"\n");
        for (String r : rules) {
            b.append("    ").append(r).append('\n');
        }
        return b.toString();
    }

    /** Puts {@code n} checkpoints an hour apart; returns id → data, oldest first. */
    static Map<ManifestId, byte[]> putSeries(WireDriver w, String series, int n, int bytes, long seed)
            throws Exception {
        Map<ManifestId, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            byte[] data = DaemonFixture.data(seed + i, bytes);
            CommitOk ok = w.put(CheckpointMeta.of(series, T0.plus(Duration.ofHours(i))).withStep(1000L * i), data);
            out.put(ok.id(), data);
        }
        return out;
    }

    private static Set<String> kinds(KeptInfo k) {
        Set<String> s = new HashSet<>();
        k.reasons().forEach(r -> s.add(r.kind()));
        return s;
    }

    static ManifestId unknownId() {
        byte[] b = new byte[32];
        java.util.Arrays.fill(b, (byte) 0x42);
        return ManifestId.fromBytes(b);
    }

    private static Status status(Message m) {
        return ((ErrorReply) m).status();
    }

    // ================================================================== trim

    @Test
    void trimDryRunChangesNothingThenApplyTrashesWithReasonsAndAudit() throws Exception {
        CairnDaemon d = start();
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            List<ManifestId> ids = new ArrayList<>(putSeries(w, "exp/a", 5, 30_000, 10).keySet());
            putSeries(w, "other/b", 2, 10_000, 50);
            String p = policy("exp/*", "last: 2", "max_remove: 100%", "grace: 1h");

            TrimResult dry = w.trim(new Trim(null, p, "nightly.yaml", true, false));
            assertThat(dry.series()).hasSize(1); // other/b is governed by no policy
            TrimSeries s = dry.series("exp/a");
            assertThat(s.policy()).isEqualTo("exp/*");
            assertThat(s.blocked()).isNull();
            assertThat(s.trashExpiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
            assertThat(s.kept()).extracting(KeptInfo::id).containsExactly(ids.get(4), ids.get(3));
            assertThat(kinds(s.kept().get(0))).contains("last", "newest_restorable");
            assertThat(s.kept().get(0).reasons()).extracting(Reason::text).contains("last 2");
            assertThat(kinds(s.kept().get(1))).containsExactly("last");
            assertThat(s.removed()).extracting(RemovedInfo::id).containsExactly(ids.get(2), ids.get(1), ids.get(0));
            assertThat(s.removed()).extracting(RemovedInfo::createdAt)
                    .containsExactly(T0.plus(Duration.ofHours(2)), T0.plus(Duration.ofHours(1)), T0);
            assertThat(s.removed()).allSatisfy(r -> assertThat(r.freedBytes()).isPositive());
            long freed = s.removed().stream().mapToLong(RemovedInfo::freedBytes).sum();
            TrimOk ok = dry.ok();
            assertThat(ok.dryRun()).isTrue();
            assertThat(ok.applied()).isFalse();
            assertThat(ok.auditId()).isNull();
            assertThat(ok.at()).isEqualTo(clock.instant());
            assertThat(ok.freedBytes()).isEqualTo(freed);
            assertThat(ok.kept()).isEqualTo(2);
            assertThat(ok.removed()).isEqualTo(3);
            assertThat(ok.seriesCount()).isEqualTo(1);
            assertThat(ok.blockedSeries()).isZero();
            assertThat(ok.policySource()).isEqualTo("nightly.yaml");
            assertThat(ok.requestedBy()).isEqualTo("default (wire-driver)");
            // Nothing changed.
            assertThat(w.list("exp/a")).hasSize(5);
            assertThat(w.trash()).isEmpty();
            assertThat(w.trimLog(0, true)).isEmpty();

            TrimResult applied = w.trim(new Trim("exp/a", p, "nightly.yaml", false, false));
            assertThat(applied.ok().applied()).isTrue();
            assertThat(applied.ok().dryRun()).isFalse();
            String audit = applied.ok().auditId();
            assertThat(audit).startsWith("trim-");
            assertThat(applied.series("exp/a").removed()).isEqualTo(s.removed());
            assertThat(applied.ok().freedBytes()).isEqualTo(freed);
            assertThat(w.list("exp/a")).extracting(CheckpointSummary::id).containsExactly(ids.get(3), ids.get(4));
            assertThat(w.list("other/b")).hasSize(2);
            List<TrashEntryInfo> trash = w.trash();
            assertThat(trash).extracting(TrashEntryInfo::id).containsExactlyInAnyOrder(ids.get(0), ids.get(1),
                    ids.get(2));
            assertThat(trash).allSatisfy(t -> {
                assertThat(t.reason()).isEqualTo(audit);
                assertThat(t.series()).isEqualTo("exp/a");
                assertThat(t.trashedAt()).isEqualTo(clock.instant());
                assertThat(t.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
                assertThat(t.logicalBytes()).isEqualTo(30_000);
            });

            List<WireDriver.LogRecord> log = w.trimLog(10, true);
            assertThat(log).hasSize(1);
            TrimLogEntry e = log.get(0).entry();
            assertThat(e.id()).isEqualTo(audit);
            assertThat(e.at()).isEqualTo(clock.instant());
            assertThat(e.requestedBy()).isEqualTo("default (wire-driver)");
            assertThat(e.policySource()).isEqualTo("nightly.yaml");
            assertThat(e.removed()).isEqualTo(3);
            assertThat(e.kept()).isEqualTo(2);
            assertThat(e.freedBytes()).isEqualTo(freed);
            JsonNode json = new ObjectMapper().readTree(log.get(0).json());
            assertThat(json.get("id").asText()).isEqualTo(audit);
            assertThat(json.get("policyText").asText()).isEqualTo(p);
            assertThat(json.get("report").get("series").get(0).get("remove")).hasSize(3);
            // Without reports: the summaries only.
            assertThat(w.trimLog(1, false)).singleElement().satisfies(r -> {
                assertThat(r.json()).isEmpty();
                assertThat(r.entry().reportBytes()).isZero();
            });
            assertThat(d.metrics().maintenance.trims("default")).isEqualTo(1);

            // A second trim with the same policy has nothing to do: not applied, no audit record.
            TrimResult again = w.trim(new Trim(null, p, null, false, false));
            assertThat(again.ok().applied()).isFalse();
            assertThat(again.ok().auditId()).isNull();
            assertThat(again.ok().policySource()).isEqualTo("client");
            assertThat(w.trimLog(0, false)).hasSize(1);
        }
    }

    @Test
    void badPolicyIsInvalidPolicyAndTouchesNothing() throws Exception {
        CairnDaemon d = start();
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            putSeries(w, "exp/a", 3, 5_000, 20);
            // An unknown key: the parser's message, with line and column.
            assertThatThrownBy(() -> w.trim(new Trim(null, policy("exp/*", "lsat: 1"), null, false, true)))
                    .isInstanceOfSatisfying(WireError.class, e -> {
                        assertThat(e.status()).isEqualTo(Status.INVALID_POLICY);
                        assertThat(e.reply.message()).contains("lsat").contains("line 3, column 5");
                    });
            assertThatThrownBy(() -> w.trim(new Trim(null, policy("exp/*", "daily: -1"), null, false, true)))
                    .isInstanceOfSatisfying(WireError.class, e -> assertThat(e.status()).isEqualTo(Status.INVALID_POLICY));
            assertThatThrownBy(() -> w.trim(new Trim(null, "policies: [", null, true, false)))
                    .isInstanceOfSatisfying(WireError.class, e -> assertThat(e.status()).isEqualTo(Status.INVALID_POLICY));
            // No policy in the request and none in cairn.yaml.
            assertThatThrownBy(() -> w.trim(new Trim(null, null, null, false, true)))
                    .isInstanceOfSatisfying(WireError.class, e -> {
                        assertThat(e.status()).isEqualTo(Status.INVALID_POLICY);
                        assertThat(e.reply.message()).contains("policies:");
                    });
            // A bad glob as the series filter.
            assertThatThrownBy(() -> w.trim(new Trim("exp/[a]", policy("exp/*", "last: 1"), null, false, true)))
                    .isInstanceOfSatisfying(WireError.class, e -> assertThat(e.status()).isEqualTo(Status.BAD_REQUEST));
            assertThat(w.list("exp/a")).hasSize(3);
            assertThat(w.trash()).isEmpty();
            assertThat(w.trimLog(0, false)).isEmpty();
            assertThat(w.ok(new Ping(1), Pong.class).nonce()).isEqualTo(1); // the connection is fine
        }
    }

    @Test
    void maxRemoveBrakeIsReportedNotAnErrorAndForceOverridesIt() throws Exception {
        CairnDaemon d = start();
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            List<ManifestId> ids = new ArrayList<>(putSeries(w, "exp/a", 5, 5_000, 30).keySet());
            String p = policy("exp/*", "last: 1", "max_remove: 1");
            TrimResult blocked = w.trim(new Trim(null, p, null, false, false));
            TrimSeries s = blocked.series("exp/a");
            assertThat(s.blocked()).contains("max_remove");
            assertThat(s.removed()).isEmpty();
            assertThat(s.kept()).hasSize(5);
            assertThat(s.kept().stream().filter(k -> kinds(k).contains("max_remove_brake"))).hasSize(4);
            assertThat(blocked.ok().blockedSeries()).isEqualTo(1);
            assertThat(blocked.ok().applied()).isFalse();
            assertThat(w.list("exp/a")).hasSize(5);

            TrimResult forced = w.trim(new Trim(null, p, null, false, true));
            assertThat(forced.ok().force()).isTrue();
            assertThat(forced.ok().applied()).isTrue();
            assertThat(forced.series("exp/a").blocked()).isNull();
            assertThat(forced.series("exp/a").removed()).hasSize(4);
            assertThat(w.list("exp/a")).extracting(CheckpointSummary::id).containsExactly(ids.get(4));
        }
    }

    // ============================================================ trash, holds, tags

    @Test
    void trashListAndRestoreRoundTripBitExact() throws Exception {
        CairnDaemon d = start();
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            Map<ManifestId, byte[]> data = putSeries(w, "exp/a", 4, 40_000, 40);
            List<ManifestId> ids = new ArrayList<>(data.keySet());
            w.ok(new Tag(ids.get(0), List.of("keepsake"), List.of()), TagOk.class);
            w.trim(new Trim(null, policy("exp/*", "last: 1", "max_remove: 100%"), null, false, false));
            assertThat(w.trash()).hasSize(3);
            assertThat(w.show(ids.get(0)).getKey().labels().trash()).isNotNull();

            TrashRestoreOk r = w.ok(new TrashRestore(ids.get(0)), TrashRestoreOk.class);
            assertThat(r.checkpoint().id()).isEqualTo(ids.get(0));
            assertThat(r.checkpoint().labels().trash()).isNull();
            assertThat(r.checkpoint().labels().tags()).containsExactly("keepsake");
            assertThat(w.read(ids.get(0), "")).isEqualTo(data.get(ids.get(0)));
            assertThat(w.trash()).extracting(TrashEntryInfo::id).containsExactlyInAnyOrder(ids.get(1), ids.get(2));
            assertThat(w.list("exp/a")).hasSize(2);

            assertThat(status(w.call(new TrashRestore(ids.get(0))))).isEqualTo(Status.CONFLICT);
            assertThat(status(w.call(new TrashRestore(unknownId())))).isEqualTo(Status.NOT_FOUND);
        }
    }

    @Test
    void holdsKeepCheckpointsFromTrimUntilReleasedOrExpired() throws Exception {
        CairnDaemon d = start();
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            List<ManifestId> ids = new ArrayList<>(putSeries(w, "exp/a", 4, 5_000, 60).keySet());
            String p = policy("exp/*", "last: 1", "max_remove: 100%");
            HoldAddOk h = w.ok(new HoldAdd(ids.get(0), "eval-job", "nightly eval", 3600L), HoldAddOk.class);
            assertThat(h.hold().owner()).isEqualTo("eval-job");
            assertThat(h.hold().createdAt()).isEqualTo(clock.instant());
            assertThat(h.hold().expiresAt()).isEqualTo(clock.instant().plusSeconds(3600));
            w.ok(new HoldAdd(ids.get(1), "deploy", "prod", null), HoldAddOk.class);
            assertThat(w.show(ids.get(1)).getKey().labels().holds()).singleElement()
                    .satisfies(x -> assertThat(x.expiresAt()).isNull());

            TrimSeries s = w.trim(new Trim(null, p, null, true, false)).series("exp/a");
            KeptInfo held = s.kept().stream().filter(k -> k.id().equals(ids.get(0))).findFirst().orElseThrow();
            assertThat(kinds(held)).containsExactly("hold");
            assertThat(held.reasons().get(0).text()).contains("eval-job", "nightly eval");
            assertThat(s.removed()).extracting(RemovedInfo::id).containsExactly(ids.get(2));

            // Released: the next trim may remove it. Expired (the daemon's clock): likewise.
            w.ok(new HoldRemove(ids.get(1), "deploy"), HoldRemoveOk.class);
            assertThat(status(w.call(new HoldRemove(ids.get(1), "deploy")))).isEqualTo(Status.NOT_FOUND);
            clock.advance(Duration.ofHours(2));
            TrimResult applied = w.trim(new Trim(null, p, null, false, false));
            assertThat(applied.series("exp/a").removed()).extracting(RemovedInfo::id)
                    .containsExactlyInAnyOrder(ids.get(0), ids.get(1), ids.get(2));

            // Trashed checkpoints cannot be held; bad arguments are refused.
            assertThat(status(w.call(new HoldAdd(ids.get(0), "x", "y", null)))).isEqualTo(Status.CONFLICT);
            assertThat(status(w.call(new HoldAdd(ids.get(3), "", "y", null)))).isEqualTo(Status.BAD_REQUEST);
            assertThat(status(w.call(new HoldAdd(ids.get(3), "x", "y", 0L)))).isEqualTo(Status.BAD_REQUEST);
            assertThat(status(w.call(new HoldAdd(ids.get(3), "x", "y", Long.MAX_VALUE)))).isEqualTo(Status.BAD_REQUEST);
            assertThat(status(w.call(new HoldAdd(unknownId(), "x", "y", null))))
                    .isEqualTo(Status.NOT_FOUND);
        }
    }

    @Test
    void tagsAddRemoveAndKeepThroughPolicies() throws Exception {
        CairnDaemon d = start();
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            List<ManifestId> ids = new ArrayList<>(putSeries(w, "exp/a", 3, 5_000, 70).keySet());
            assertThat(w.ok(new Tag(ids.get(0), List.of("milestone", "best"), List.of()), TagOk.class).tags())
                    .containsExactly("best", "milestone");
            assertThat(w.ok(new Tag(ids.get(0), List.of(), List.of("milestone", "absent")), TagOk.class).tags())
                    .containsExactly("best");
            assertThat(w.ok(new Tag(ids.get(0), List.of("x"), List.of("x")), TagOk.class).tags())
                    .containsExactly("best", "x");
            assertThat(w.show(ids.get(0)).getKey().labels().tags()).containsExactly("best", "x");
            TrimSeries s = w.trim(new Trim(null, policy("exp/*", "last: 1", "tags: [best]"), null, true, false))
                    .series("exp/a");
            assertThat(s.kept().stream().filter(k -> k.id().equals(ids.get(0))).findFirst().orElseThrow().reasons())
                    .containsExactly(new Reason("tag", "tag best"));
            assertThat(s.removed()).extracting(RemovedInfo::id).containsExactly(ids.get(1));
            assertThat(status(w.call(new Tag(unknownId(), List.of("a"), List.of()))))
                    .isEqualTo(Status.NOT_FOUND);
        }
    }

    // ================================================================== gc

    @Test
    void gcDryRunEqualsTheRealRunAndFreesSpaceOnlyAfterTheTrashExpires() throws Exception {
        CairnDaemon d = start();
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            Map<ManifestId, byte[]> data = putSeries(w, "exp/a", 8, 300_000, 80);
            List<ManifestId> ids = new ArrayList<>(data.keySet());
            w.trim(new Trim(null, policy("exp/*", "last: 2", "max_remove: 100%", "grace: 1h"), null, false, false));
            StatsOk before = w.ok(new Stats(), StatsOk.class);

            // Within the grace period the trash is a root: nothing of it is freed.
            GcOk early = w.gc(false);
            assertThat(early.manifestsDeleted()).isZero();
            assertThat(w.trash()).hasSize(6);

            clock.advance(Duration.ofHours(2));
            GcOk dry = w.gc(true);
            GcOk real = w.gc(false);
            assertThat(dry.dryRun()).isTrue();
            assertThat(real.dryRun()).isFalse();
            assertThat(outcome(real)).isEqualTo(outcome(dry));
            assertThat(real.manifestsDeleted()).isEqualTo(6);
            assertThat(real.chunksFreed()).isPositive();
            assertThat(real.bytesReclaimed()).isPositive();
            assertThat(real.packsDeleted() + real.packsRewritten()).isPositive();
            assertThat(real.phases()).extracting(PhaseMillis::phase).contains("resume", "expire", "mark", "sweep");
            StatsOk after = w.ok(new Stats(), StatsOk.class);
            assertThat(after.storedBytes()).isLessThan(before.storedBytes());
            assertThat(after.trashed()).isZero();
            assertThat(w.trash()).isEmpty();
            assertThat(w.read(ids.get(7), "")).isEqualTo(data.get(ids.get(7)));
            assertThat(w.read(ids.get(6), "")).isEqualTo(data.get(ids.get(6)));
            assertThat(status(w.call(new TrashRestore(ids.get(0))))).isEqualTo(Status.NOT_FOUND);
            assertThat(w.ok(new Verify(true), VerifyOk.class).clean()).isTrue();

            GcOk second = w.gc(false);
            assertThat(second.chunksFreed()).isZero();
            assertThat(second.manifestsDeleted()).isZero();

            MaintenanceMetrics m = d.metrics().maintenance;
            assertThat(m.gcRuns("default", MaintenanceMetrics.Outcome.OK)).isEqualTo(3);
            String text = d.metrics().render(d.tenants().all());
            assertThat(text).contains("cairn_gc_runs_total{tenant=\"default\",outcome=\"ok\"} 3")
                    .contains("cairn_gc_dry_runs_total{tenant=\"default\"} 1")
                    .contains("cairn_gc_manifests_deleted_total{tenant=\"default\"} 6")
                    .contains("cairn_gc_chunks_freed_total{tenant=\"default\"} " + real.chunksFreed())
                    .contains("cairn_gc_bytes_reclaimed_total{tenant=\"default\"} " + real.bytesReclaimed())
                    .contains("cairn_gc_last_duration_seconds{tenant=\"default\",phase=\"mark\"}")
                    .contains("cairn_gc_last_duration_seconds{tenant=\"default\",phase=\"total\"}")
                    .contains("cairn_gc_last_end_timestamp_seconds{tenant=\"default\"} "
                            + clock.millis() / 1000.0)
                    .contains("cairn_trims_total{tenant=\"default\"} 1")
                    .contains("cairn_trim_checkpoints_trashed_total{tenant=\"default\"} 6");

            // The original one-byte frame gets the original reply; a frame with flags the new fields.
            assertThat(second.unexplained()).isNull();
            GcOk flagged = w.ok(new Gc(false, false), GcOk.class);
            assertThat(flagged.unexplained()).isEqualTo(new dev.cairn.protocol.wire.Message.GcUnexplained(0, 0, 0, false));
            GcOk forcedDry = w.ok(new Gc(true, true), GcOk.class);
            assertThat(forcedDry.unexplained().forced()).isTrue();
            assertThat(forcedDry.chunksFreed()).isZero();
        }
    }

    private static String outcome(GcOk g) {
        return List.of(g.manifestsDeleted(), g.rebased(), g.chunksLive(), g.chunksFreed(), g.bytesReclaimed(),
                g.packsDeleted(), g.packsRewritten(), g.bytesCopied(), g.orphanSegments()).toString();
    }

    /** Blocks GCs at the end of their mark phase until released; counts arrivals. */
    static final class GcGate {
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger arrivals = new AtomicInteger();

        /** Only the first GC to arrive waits; later ones pass. */
        GcGate arm() {
            return arm("");
        }

        /** Only the first GC to arrive on a thread whose name starts with {@code threadPrefix} waits. */
        GcGate arm(String threadPrefix) {
            FaultPoints.arm("gc.mid-mark", p -> {
                if (Thread.currentThread().getName().startsWith(threadPrefix) && arrivals.getAndIncrement() == 0) {
                    reached.countDown();
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            return this;
        }

        void awaitReached() throws InterruptedException {
            assertThat(reached.await(20, TimeUnit.SECONDS)).as("a GC reached the end of its mark").isTrue();
        }
    }

    /**
     * Uploads {@code n} small distinct chunks in a session and aborts it: dead chunks for the next GC,
     * enough that its sweep reaches a batch boundary (where a GC checks for cancellation).
     */
    static void deadChunks(WireDriver w, int n) throws Exception {
        int s = w.beginPut(CheckpointMeta.of("junk/x", T0), List.of(), null);
        List<WireChunk> up = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] raw = ("dead chunk " + i).getBytes(StandardCharsets.UTF_8);
            up.add(new WireChunk(ChunkId.of(raw, 0, raw.length), new EncodedChunk(ChunkCodec.RAW, raw.length, raw, 0,
                    raw.length)));
            if (up.size() == 4096 || i == n - 1) {
                w.ok(new Upload(s, up), UploadOk.class);
                up = new ArrayList<>();
            }
        }
        w.ok(new Abort(s), AbortOk.class);
        // A commit makes the pending chunks durable and indexed, where a GC's sweep sees them.
        w.put(CheckpointMeta.of("junk/y", T0), DaemonFixture.data(1, 1000));
    }

    @Test
    void secondGcIsConflictAndCancelStopsARunningGcWithHeartbeatsMeanwhile() throws Exception {
        CairnDaemon d = start(DaemonFixture.config(dir.resolve("data")).withLimits(DaemonFixture.config(dir)
                .limits().withHeartbeatInterval(Duration.ofMillis(50))));
        try (WireDriver a = WireDriver.open(d.address(), ""); WireDriver b = WireDriver.open(d.address(), "")) {
            deadChunks(a, 4100);
            GcGate gate = new GcGate().arm();
            int gcId = a.send(new Gc(false));
            gate.awaitReached();
            Thread.sleep(200); // heartbeats meanwhile

            Message second = b.call(new Gc(true));
            assertThat(status(second)).isEqualTo(Status.CONFLICT);
            assertThat(((ErrorReply) second).message()).contains("already running");

            a.send(new Cancel(gcId));
            Thread.sleep(100);
            gate.release.countDown();
            List<Envelope> frames = a.collect(gcId);
            assertThat(frames.subList(0, frames.size() - 1)).isNotEmpty()
                    .allSatisfy(f -> assertThat(f.message()).isInstanceOf(VerifyProgress.class));
            assertThat(status(frames.get(frames.size() - 1).message())).isEqualTo(Status.CANCELLED);
            assertThat(d.metrics().maintenance.gcRuns("default", MaintenanceMetrics.Outcome.CANCELLED)).isEqualTo(1);

            // The lock is free again, and the next GC finishes the job.
            GcOk next = b.gc(false);
            assertThat(next.chunksFreed()).isPositive();
            assertThat(b.ok(new Verify(false), VerifyOk.class).clean()).isTrue();
        }
    }

    @Test
    void stoppingTheDaemonCancelsAClientsGc() throws Exception {
        CairnDaemon d = start();
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            deadChunks(w, 4100);
            GcGate gate = new GcGate().arm();
            int gcId = w.send(new Gc(false));
            gate.awaitReached();
            java.util.concurrent.CompletableFuture<Boolean> stop =
                    java.util.concurrent.CompletableFuture.supplyAsync(d::stop);
            // The listener closes right before running streams are stopped.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                try (java.net.Socket probe = new java.net.Socket(d.address().getAddress(), d.address().getPort())) {
                    assertThat(System.nanoTime()).isLessThan(deadline);
                    Thread.sleep(20);
                } catch (java.io.IOException refused) {
                    break;
                }
            }
            Thread.sleep(200);
            gate.release.countDown();
            List<Envelope> frames = w.collect(gcId);
            assertThat(status(frames.get(frames.size() - 1).message())).isEqualTo(Status.SHUTTING_DOWN);
            assertThat(stop.get(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(d.metrics().maintenance.gcRuns("default", MaintenanceMetrics.Outcome.CANCELLED)).isEqualTo(1);
    }

    // ============================================================ simulation

    @Test
    void policySimulationReportsTimelineBandsAndSvg() throws Exception {
        CairnDaemon d = start();
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            List<ManifestId> ids = new ArrayList<>(putSeries(w, "exp/a", 10, 3_000, 90).keySet());
            WireDriver.Simulation sim = w.simulate(new PolicySimulate("exp/a", policy("exp/**", "last: 3"), true));
            PolicySimulateOk ok = sim.ok();
            assertThat(ok.series()).isEqualTo("exp/a");
            assertThat(ok.policy()).isEqualTo("exp/**");
            assertThat(ok.puts()).isEqualTo(10);
            assertThat(ok.survivors()).isEqualTo(3);
            assertThat(sim.timeline()).extracting(TimelineEntry::id).containsExactlyElementsOf(ids);
            assertThat(sim.timeline().subList(0, 7)).allSatisfy(e -> {
                assertThat(e.removedAt()).isNotNull();
                assertThat(e.reasons()).isEmpty();
            });
            assertThat(sim.timeline().subList(7, 10)).allSatisfy(e -> {
                assertThat(e.removedAt()).isNull();
                assertThat(e.reasons()).extracting(Reason::kind).contains("last");
            });
            assertThat(sim.timeline()).allSatisfy(e -> assertThat(e.storedBytesAfter()).isPositive());
            assertThat(ok.storedBytes()).isEqualTo(sim.timeline().get(9).storedBytesAfter());
            assertThat(ok.bands()).extracting(AgeBandInfo::label).containsExactly("<1d", "1-7d", "7-30d", "30-365d",
                    ">365d");
            assertThat(ok.bands().get(0).survivors()).isEqualTo(3);
            assertThat(ok.bands().get(0).largestGapMillis()).isEqualTo(3_600_000L);
            assertThat(ok.bands().get(4).toMillis()).isNull();
            assertThat(sim.svg()).startsWith("<svg").endsWith("</svg>\n").contains("exp/a");
            // Nothing changed.
            assertThat(w.list("exp/a")).hasSize(10);

            assertThat(w.simulate(new PolicySimulate("exp/a", policy("exp/a", "last: 1"), false)).svg()).isEmpty();
            assertThat(status(w.call(new PolicySimulate("nope/x", policy("**", "last: 1"), false))))
                    .isEqualTo(Status.NOT_FOUND);
            assertThat(status(w.call(new PolicySimulate("exp/a", policy("other/*", "last: 1"), false))))
                    .isEqualTo(Status.INVALID_POLICY);
            assertThat(status(w.call(new PolicySimulate("exp/a", null, false)))).isEqualTo(Status.INVALID_POLICY);
        }
    }

    // ============================================================== tenants

    @Test
    void maintenanceTouchesOnlyTheTenantsOwnStore() throws Exception {
        String tokA = "team-a-token-0123456789";
        String tokB = "team-b-token-0123456789";
        CairnDaemon d = start(DaemonFixture.config(dir.resolve("data"))
                .withTokens(Map.of(tokA, "team-a", tokB, "team-b")));
        try (WireDriver a = WireDriver.open(d.address(), tokA); WireDriver b = WireDriver.open(d.address(), tokB)) {
            List<ManifestId> aIds = new ArrayList<>(putSeries(a, "exp/a", 3, 5_000, 100).keySet());
            putSeries(b, "exp/b", 3, 5_000, 200);
            String p = policy("**", "last: 1", "max_remove: 100%", "grace: 0s");

            // B cannot see or touch A's checkpoints.
            for (Message m : List.<Message>of(new HoldAdd(aIds.get(0), "o", "r", null), new HoldRemove(aIds.get(0), "o"),
                    new Tag(aIds.get(0), List.of("t"), List.of()), new TrashRestore(aIds.get(0)))) {
                assertThat(status(b.call(m))).as(m.toString()).isEqualTo(Status.NOT_FOUND);
            }
            assertThat(status(b.call(new PolicySimulate("exp/a", p, false)))).isEqualTo(Status.NOT_FOUND);
            TrimResult tb = b.trim(new Trim(null, p, null, false, false));
            assertThat(tb.series()).extracting(TrimSeries::series).containsExactly("exp/b");
            assertThat(tb.ok().requestedBy()).isEqualTo("team-b (wire-driver)");
            assertThat(a.list("exp/a")).hasSize(3);
            assertThat(a.trash()).isEmpty();
            assertThat(a.trimLog(0, false)).isEmpty();
            assertThat(b.trash()).hasSize(2);

            // A's GC, held mid-way, does not make B's GC conflict; B's frees B's trash only.
            a.trim(new Trim(null, p, null, false, false));
            GcGate gate = new GcGate().arm();
            int gcA = a.send(new Gc(false));
            gate.awaitReached();
            GcOk gb = b.gc(false);
            assertThat(gb.manifestsDeleted()).isEqualTo(2);
            gate.release.countDown();
            List<Envelope> fa = a.collect(gcA);
            GcOk ga = WireDriver.expect(fa.get(fa.size() - 1).message(), GcOk.class);
            assertThat(ga.manifestsDeleted()).isEqualTo(2);
            assertThat(d.metrics().maintenance.gcRuns("team-a", MaintenanceMetrics.Outcome.OK)).isEqualTo(1);
            assertThat(d.metrics().maintenance.gcRuns("team-b", MaintenanceMetrics.Outcome.OK)).isEqualTo(1);
        }
    }
}
