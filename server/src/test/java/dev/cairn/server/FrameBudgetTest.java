package dev.cairn.server;

import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.wire.Opcode;
import dev.cairn.protocol.wire.Wire;
import dev.cairn.server.config.DaemonConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10 item 4: frames announced and only partly sent are inside the in-flight budgets. Many
 * connections of one tenant each announce a large UPLOAD and send part of it; the bytes reserved
 * for them never exceed the tenant's budget, the connections beyond it are no longer read, an
 * honest client of another tenant beside them puts and reads bit-exact, and once the attackers
 * disconnect nothing stays reserved.
 */
class FrameBudgetTest {
    static final String TOKEN_A = "token-of-the-attacker-0123";
    static final String TOKEN_B = "token-of-the-honest-one-456";
    static final long SEED = 0x10_04L;
    static final int ATTACKERS = 10;
    /** The length field of every attacking frame: 5 MiB; with the field itself reserved per frame. */
    static final int FRAME = 5 << 20;
    static final long RESERVED = FRAME + Wire.LENGTH_FIELD;
    /** Per connection 4 MiB, 24 MiB in all, so a tenant gets half: 12 MiB, two frames of A. */
    static final long TENANT_BUDGET = 12L << 20;

    @TempDir
    Path dir;

    /** A value of the Prometheus exposition, -1 if the metric is not there. */
    static long metric(CairnDaemon d, String line) {
        for (String l : d.metrics().render(List.of()).split("\n")) {
            if (l.startsWith(line + " ")) {
                return Long.parseLong(l.substring(line.length() + 1).trim());
            }
        }
        return -1;
    }

    @Test
    void partialFramesStayInsideTheBudgetAndAnHonestTenantIsServed() throws Exception {
        DaemonConfig.ServerLimits limits = new DaemonConfig.ServerLimits(dev.cairn.protocol.wire.Limits.defaults(),
                4L << 20, 24L << 20, 100, Duration.ofSeconds(10), Duration.ofSeconds(10), 4);
        CairnDaemon daemon = CairnDaemon.start(DaemonFixture.config(dir.resolve("data")).withLimits(limits)
                .withTokens(Map.of(TOKEN_A, "team-a", TOKEN_B, "team-b")));
        Random r = new Random(SEED);
        List<WireDriver> attackers = new ArrayList<>();
        // Writers block once a connection is no longer read: they write from threads of their own.
        ExecutorService writers = Executors.newFixedThreadPool(ATTACKERS, t -> {
            Thread th = new Thread(t, "attacker");
            th.setDaemon(true);
            return th;
        });
        try (WireDriver honest = WireDriver.open(daemon.address(), TOKEN_B)) {
            for (int i = 0; i < ATTACKERS; i++) {
                WireDriver a = WireDriver.open(daemon.address(), TOKEN_A);
                attackers.add(a);
                byte[] part = new byte[1 << 20];
                r.nextBytes(part);
                ByteBuffer head = ByteBuffer.allocate(Wire.LENGTH_FIELD + Wire.HEADER);
                head.putInt(FRAME).put((byte) Opcode.UPLOAD).putInt(100 + i).put((byte) Wire.FLAG_LAST);
                writers.execute(() -> {
                    try {
                        a.sendRaw(head.array());
                        a.sendRaw(part);
                    } catch (IOException e) {
                        // closed at the end of the test while blocked
                    }
                });
            }
            // Two frames fit the tenant's 12 MiB; the other eight are refused and wait.
            BadInputTest.waitFor(() -> metric(daemon, "cairn_frame_budget_waits_total") >= ATTACKERS - 2
                    && metric(daemon, "cairn_buffered_frame_bytes") >= 2 * RESERVED);
            assertThat(metric(daemon, "cairn_buffered_frame_bytes")).isEqualTo(2 * RESERVED);
            assertThat(metric(daemon, "cairn_buffered_frame_bytes_max")).isLessThanOrEqualTo(TENANT_BUDGET);

            byte[] data = DaemonFixture.data(r.nextLong(), 300_000);
            var ok = honest.put(CheckpointMeta.of("honest/x", Instant.parse("2026-11-01T00:00:00Z")), data);
            assertThat(honest.read(ok.id(), "")).isEqualTo(data);
            // The honest frames came on top of A's two, within the global 24 MiB.
            assertThat(metric(daemon, "cairn_buffered_frame_bytes_max")).isLessThanOrEqualTo(24L << 20);
            assertThat(metric(daemon, "cairn_buffered_frame_bytes")).isEqualTo(2 * RESERVED);
        } finally {
            for (WireDriver a : attackers) {
                a.close();
            }
            writers.shutdownNow();
        }
        BadInputTest.waitFor(() -> metric(daemon, "cairn_buffered_frame_bytes") == 0);
        BadInputTest.waitFor(() -> daemon.connections() == 0);
        assertThat(daemon.stop()).isTrue();
    }
}
