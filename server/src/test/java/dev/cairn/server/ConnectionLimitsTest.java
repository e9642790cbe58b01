package dev.cairn.server;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Message.ErrorReply;
import dev.cairn.protocol.wire.Message.Hello;
import dev.cairn.protocol.wire.Message.Ping;
import dev.cairn.protocol.wire.Message.Pong;
import dev.cairn.protocol.wire.Wire;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.DaemonConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10 item 6: one tenant cannot take every connection slot, and connections that have not
 * said HELLO are counted apart from the authenticated ones.
 */
class ConnectionLimitsTest {
    static final String TOKEN_A = "token-of-the-greedy-one-01";
    static final String TOKEN_B = "token-of-the-other-one-234";
    @TempDir
    Path dir;

    private static ErrorReply onlyError(List<Envelope> got) {
        assertThat(got).hasSize(1);
        assertThat(got.get(0).message()).isInstanceOf(ErrorReply.class);
        return (ErrorReply) got.get(0).message();
    }

    @Test
    void aTenantAtItsCapGetsBusyWhileOthersConnect() throws Exception {
        DaemonConfig.ServerLimits limits = ConfigLoader.resolve(ConfigLoader.parse("cairn.yaml", """
                limits:
                  max_connections: 5
                  max_connections_per_tenant: 2
                  max_unauthenticated_connections: 4
                """), dir).limits();
        CairnDaemon daemon = CairnDaemon.start(DaemonFixture.config(dir.resolve("data"))
                .withLimits(limits.withHandshakeTimeout(java.time.Duration.ofSeconds(20)))
                .withTokens(Map.of(TOKEN_A, "team-a", TOKEN_B, "team-b")));
        List<WireDriver> open = new ArrayList<>();
        try {
            // Three connections that never say HELLO: counted apart, they take no authenticated slot.
            for (int i = 0; i < 3; i++) {
                open.add(WireDriver.connect(daemon.address()));
            }
            BadInputTest.waitFor(() -> daemon.connections() == 3);
            for (int i = 0; i < 2; i++) {
                open.add(WireDriver.open(daemon.address(), TOKEN_A));
            }
            try (WireDriver third = WireDriver.connect(daemon.address())) {
                third.send(Envelope.of(1, new Hello(1, 1, Wire.MIN_MAX_FRAME, TOKEN_A, "greedy")));
                ErrorReply e = onlyError(third.drainUntilClosed());
                assertThat(e.status()).isEqualTo(Status.BUSY);
                assertThat(e.message()).contains("team-a").contains("limits.max_connections_per_tenant");
            }
            // The refused connection is closed on both sides before B comes (its slot among those
            // waiting for HELLO is given back when the daemon sees the close, not when we do).
            BadInputTest.waitFor(() -> daemon.connections() == 5);
            // A's connections still work, and B gets in beside them (4 of the daemon's 5 authenticated slots).
            assertThat(open.get(3).call(new Ping(7))).isEqualTo(new Pong(7));
            WireDriver b = WireDriver.open(daemon.address(), TOKEN_B);
            open.add(b);
            byte[] data = DaemonFixture.data(6, 50_000);
            var ok = b.put(CheckpointMeta.of("b/x", Instant.parse("2026-11-01T00:00:00Z")), data);
            assertThat(b.read(ok.id(), "")).isEqualTo(data);
            open.add(WireDriver.open(daemon.address(), TOKEN_B));

            // The fourth connection without HELLO is admitted, a fifth is refused at once.
            open.add(WireDriver.connect(daemon.address()));
            BadInputTest.waitFor(() -> daemon.connections() == 8);
            try (WireDriver fifth = WireDriver.connect(daemon.address())) {
                ErrorReply e = onlyError(fifth.drainUntilClosed());
                assertThat(e.status()).isEqualTo(Status.BUSY);
                assertThat(e.message()).contains("limits.max_unauthenticated_connections");
            }
            assertThat(FrameBudgetTest.metric(daemon,
                    "cairn_connections_refused_total{reason=\"max_connections_per_tenant\"}")).isEqualTo(1);
            assertThat(FrameBudgetTest.metric(daemon,
                    "cairn_connections_refused_total{reason=\"max_unauthenticated_connections\"}")).isEqualTo(1);
        } finally {
            for (WireDriver w : open) {
                w.close();
            }
        }
        BadInputTest.waitFor(() -> daemon.connections() == 0);
        // Every slot came back: the tenant can connect again up to its cap.
        try (WireDriver a1 = WireDriver.open(daemon.address(), TOKEN_A);
             WireDriver a2 = WireDriver.open(daemon.address(), TOKEN_A)) {
            assertThat(a2.call(new Ping(8))).isEqualTo(new Pong(8));
        }
        assertThat(daemon.stop()).isTrue();
    }
}
