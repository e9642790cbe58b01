package dev.cairn.server;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.Abort;
import dev.cairn.protocol.wire.Message.AbortOk;
import dev.cairn.protocol.wire.Message.CommitOk;
import dev.cairn.protocol.wire.Message.ErrorReply;
import dev.cairn.protocol.wire.Message.Ping;
import dev.cairn.protocol.wire.Message.Pong;
import dev.cairn.protocol.wire.Message.Resolve;
import dev.cairn.protocol.wire.Message.ResolveOk;
import dev.cairn.protocol.wire.Opcode;
import dev.cairn.protocol.wire.Wire;
import dev.cairn.store.Repository;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Names on the wire against a real daemon: malformed UTF-8 is refused and nothing of it is stored
 * (issue 10 item 9); valid multi-byte names come back byte for byte; RESOLVE looks full ids up
 * (issue 10 item 10).
 */
class WireStringsTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    @TempDir
    static Path dir;
    static CairnDaemon daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = DaemonFixture.start(dir.resolve("data"));
    }

    @AfterAll
    static void stop() throws Exception {
        assertThat(daemon.stop()).isTrue();
        try (Repository r = DaemonFixture.openStore(dir.resolve("data"))) {
            // Nothing of the refused puts was committed; the good checkpoint is there with its exact name.
            assertThat(r.list("utf8/bad")).isEmpty();
            assertThat(r.list(null)).allSatisfy(c -> assertThat(c.series()).doesNotContain("\ufffd"));
        }
    }

    private static byte[] frame(int opcode, int requestId, String payloadHex) {
        byte[] payload = HEX.parseHex(payloadHex);
        return HEX.parseHex(String.format("%08x%02x%08x%02x", payload.length + 6, opcode, requestId, Wire.FLAG_LAST)
                + payloadHex);
    }

    private static ErrorReply error(WireDriver w, int id) throws Exception {
        Envelope e = w.receive();
        assertThat(e.requestId()).isEqualTo(id);
        assertThat(e.message()).isInstanceOf(ErrorReply.class);
        return (ErrorReply) e.message();
    }

    @Test
    void entryNameWithMalformedUtf8IsRefusedAndNothingIsCommitted() throws Exception {
        try (WireDriver w = WireDriver.open(daemon.address(), "")) {
            int s = w.beginPut(CheckpointMeta.of("utf8/bad", T0), List.of(), null);
            int id = w.nextId();
            // ENTRY(session s, name "a" ff fe, kind file): the bytes of the issue.
            w.sendRaw(frame(Opcode.ENTRY, id, String.format("%08x", s) + "0003" + "61fffe" + "00"));
            ErrorReply e = error(w, id);
            assertThat(e.status()).isEqualTo(Status.BAD_REQUEST);
            assertThat(e.message()).contains("entry name is not valid UTF-8");
            // The connection and the session are still usable; the client gives up the put.
            assertThat(w.ok(new Ping(3), Pong.class).nonce()).isEqualTo(3);
            w.ok(new Abort(s), AbortOk.class);
            assertThat(w.list("utf8/bad")).isEmpty();
        }
    }

    @Test
    void seriesTagAndMetricWithMalformedUtf8OpenNoSession() throws Exception {
        String meta = "0000000000000000" + "00" + "00" + "00";
        String[] payloads = {
                "00" + "0003" + "61fffe" + meta + "00000000" + "00000000" + "00" + "00",                      // series
                "00" + "0008" + HEX.formatHex("utf8/bad".getBytes()) + meta + "00000000"
                        + "00000001" + "0003" + "61fffe" + "00" + "00",                                  // tag
                "00" + "0008" + HEX.formatHex("utf8/bad".getBytes()) + meta + "00000001"
                        + "0003" + "61fffe" + "3ff0000000000000" + "00000000" + "00" + "00",             // metric
        };
        String[] fields = {"series", "tag", "metric name"};
        try (WireDriver w = WireDriver.open(daemon.address(), "")) {
            for (int i = 0; i < payloads.length; i++) {
                int id = w.nextId();
                w.sendRaw(frame(Opcode.BEGIN_PUT, id, payloads[i]));
                ErrorReply e = error(w, id);
                assertThat(e.status()).as(fields[i]).isEqualTo(Status.BAD_REQUEST);
                assertThat(e.message()).contains(fields[i] + " is not valid UTF-8");
            }
            assertThat(daemon.metrics().openSessions.get()).isZero();
        }
    }

    @Test
    void multiByteNamesRoundTripExactly() throws Exception {
        String name = "résumé/日本";
        byte[] data = DaemonFixture.data(5, 20_000);
        try (WireDriver w = WireDriver.open(daemon.address(), "")) {
            CommitOk ok = w.putDirectory("utf8/good", T0, Map.of(name, data));
            Map.Entry<Message.CheckpointSummary, List<EntryHeader>> shown = w.show(ok.id());
            assertThat(shown.getKey().meta().series()).isEqualTo("utf8/good");
            assertThat(shown.getValue()).extracting(EntryHeader::name).containsExactly(name);
            assertThat(shown.getValue().get(0).name().getBytes(StandardCharsets.UTF_8))
                    .isEqualTo(name.getBytes(StandardCharsets.UTF_8));
            assertThat(w.read(ok.id(), name)).isEqualTo(data);
        }
    }

    @Test
    void resolveLooksFullIdsUp() throws Exception {
        try (WireDriver w = WireDriver.open(daemon.address(), "")) {
            CommitOk ok = w.put("utf8/resolve", T0, DaemonFixture.data(6, 5_000));
            assertThat(w.ok(new Resolve(ok.id().toHex()), ResolveOk.class).id()).isEqualTo(ok.id());
            assertThat(w.ok(new Resolve(ok.id().toHex().toUpperCase()), ResolveOk.class).id()).isEqualTo(ok.id());
            assertThat(w.ok(new Resolve(ok.id().toHex().substring(0, 8)), ResolveOk.class).id()).isEqualTo(ok.id());
            // A well-formed id that no checkpoint has: NOT_FOUND, as docs/PROTOCOL.md says (not an echo).
            byte[] other = ok.id().toBytes();
            other[31] ^= 1;
            Message m = w.call(new Resolve(ManifestId.fromBytes(other).toHex()));
            assertThat(m).isInstanceOf(ErrorReply.class);
            assertThat(((ErrorReply) m).status()).isEqualTo(Status.NOT_FOUND);
            assertThat(((ErrorReply) w.call(new Resolve("ab".repeat(32)))).status()).isEqualTo(Status.NOT_FOUND);
        }
    }
}
