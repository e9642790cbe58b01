package dev.cairn.server;

import dev.cairn.protocol.HostPort;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.*;
import dev.cairn.protocol.wire.Wire;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.DaemonConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tokens, tenants and their isolation, against a real daemon. */
class AuthTest {
    static final String TOKEN_A = "token-for-team-a-0123456789";
    static final String TOKEN_A2 = "second-token-of-team-a-xyz";
    static final String TOKEN_B = "token-for-team-b-9876543210";
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    @TempDir
    static Path dir;
    static CairnDaemon daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = CairnDaemon.start(DaemonFixture.config(dir.resolve("data"))
                .withTokens(Map.of(TOKEN_A, "team-a", TOKEN_A2, "team-a", TOKEN_B, "team-b")));
    }

    @AfterAll
    static void stop() {
        assertThat(daemon.stop()).isTrue();
    }

    @Test
    void wrongOrMissingTokenIsRefusedAndClosed() throws Exception {
        for (String token : new String[] {"", "wrong-token-0123456789", TOKEN_A + "x", TOKEN_A.substring(1)}) {
            try (WireDriver w = WireDriver.connect(daemon.address())) {
                w.send(Envelope.of(1, new Hello(1, 1, Wire.MIN_MAX_FRAME, token, "t")));
                List<Envelope> got = w.drainUntilClosed();
                assertThat(got).hasSize(1);
                assertThat(((ErrorReply) got.get(0).message()).status()).as(token).isEqualTo(Status.UNAUTHENTICATED);
                assertThat(((ErrorReply) got.get(0).message()).message()).doesNotContain(token.isEmpty() ? "\0" : token);
            }
        }
    }

    @Test
    void tokensMapToTenantsWithTheirOwnStores() throws Exception {
        try (WireDriver a = WireDriver.open(daemon.address(), TOKEN_A);
             WireDriver a2 = WireDriver.open(daemon.address(), TOKEN_A2);
             WireDriver b = WireDriver.open(daemon.address(), TOKEN_B)) {
            assertThat(a.helloOk().tenant()).isEqualTo("team-a");
            assertThat(a2.helloOk().tenant()).isEqualTo("team-a");
            assertThat(b.helloOk().tenant()).isEqualTo("team-b");
            assertThat(a.helloOk().storeId()).isEqualTo(a2.helloOk().storeId()).isNotEqualTo(b.helloOk().storeId());
        }
        Path data = dir.resolve("data");
        assertThat(data.resolve("tenants/team-a/meta")).isDirectory();
        assertThat(data.resolve("tenants/team-b/meta")).isDirectory();
        assertThat(data.resolve("meta")).doesNotExist(); // no "default" tenant configured
    }

    @Test
    void tenantBSeesNothingOfTenantA() throws Exception {
        byte[] secret = DaemonFixture.data(300, 120_000);
        try (WireDriver a = WireDriver.open(daemon.address(), TOKEN_A);
             WireDriver b = WireDriver.open(daemon.address(), TOKEN_B)) {
            CommitOk ok = a.put("iso/secret", T0, secret);
            List<ChunkId> ids = WireDriver.chunk(secret, a.chunker()).stream()
                    .map(c -> ChunkId.of(c, 0, c.length)).toList();

            // A sees its chunks as present.
            HaveOk haveA = a.ok(new Have(ids), HaveOk.class);
            assertThat(haveA.missing().isEmpty()).isTrue();
            // B: every one of them missing — dedup answers reveal nothing about A's content.
            HaveOk haveB = b.ok(new Have(ids), HaveOk.class);
            assertThat(haveB.missing().cardinality()).isEqualTo(ids.size());

            assertThat(b.list(null)).isEmpty();
            assertThat(b.list("iso/secret")).isEmpty();
            assertThat(status(b.call(new Show(ok.id())))).isEqualTo(Status.NOT_FOUND);
            assertThatThrownBy(() -> b.read(ok.id(), ""))
                    .satisfies(e -> assertThat(((WireDriver.WireError) e).status()).isEqualTo(Status.NOT_FOUND));
            assertThat(status(b.call(new Resolve(ok.id().toHex().substring(0, 10))))).isEqualTo(Status.NOT_FOUND);
            assertThat(status(b.call(new BeginPut(0, CheckpointMeta.of("iso/x", T0), List.of(), ok.id(), false))))
                    .isEqualTo(Status.NOT_FOUND);
            assertThat(b.ok(new Stats(), StatsOk.class).checkpoints()).isZero();

            // B storing the same bytes stores them again, in its own store.
            CommitOk okB = b.put("iso/secret", T0, secret);
            assertThat(okB.id()).isEqualTo(ok.id()); // same metadata and bytes: same identity...
            assertThat(okB.existed()).isFalse();      // ...but new to B's store
            assertThat(okB.newChunks()).isEqualTo(okB.chunks());
            assertThat(b.read(okB.id(), "")).isEqualTo(secret);
            assertThat(a.list("iso/secret")).hasSize(1);
        }
    }

    @Test
    void helloNeverPrintsItsToken() {
        assertThat(new Hello(1, 1, Wire.MIN_MAX_FRAME, TOKEN_A, "c").toString()).doesNotContain(TOKEN_A);
    }

    @Test
    void nonLoopbackWithoutTokensIsRefused(@TempDir Path other) throws Exception {
        DaemonConfig open = DaemonFixture.config(other.resolve("d")).withListen(HostPort.parse("0.0.0.0:0"));
        assertThatThrownBy(() -> CairnDaemon.start(open)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("refusing to listen on 0.0.0.0:0 without tokens")
                .hasMessageContaining("127.0.0.1");
        assertThat(other.resolve("d")).doesNotExist(); // refused before touching anything
        // With a token it starts; "localhost" counts as loopback without one.
        CairnDaemon d = CairnDaemon.start(open.withTokens(Map.of(TOKEN_A, "a")));
        assertThat(d.stop()).isTrue();
        CairnDaemon l = CairnDaemon.start(open.withListen(HostPort.parse("localhost:0")));
        assertThat(l.stop()).isTrue();
        assertThat(Files.isDirectory(other.resolve("d/meta"))).isTrue();
    }

    private static Status status(Message m) {
        assertThat(m).isInstanceOf(ErrorReply.class);
        return ((ErrorReply) m).status();
    }
}
