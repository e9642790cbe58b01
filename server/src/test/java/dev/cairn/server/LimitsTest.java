package dev.cairn.server;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Limits;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.*;
import dev.cairn.protocol.wire.Wire;
import dev.cairn.server.config.DaemonConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The limits HELLO_OK announces are the limits the daemon enforces. */
class LimitsTest {
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    @TempDir
    static Path dir;
    static CairnDaemon daemon;

    @BeforeAll
    static void start() throws Exception {
        Limits wire = new Limits(Wire.MIN_MAX_FRAME, 16, 4, 8, 2, 32, 1000, 1, dev.cairn.protocol.chunk.Compression.FAST);
        daemon = CairnDaemon.start(DaemonFixture.config(dir.resolve("data")).withLimits(
                new DaemonConfig.ServerLimits(wire, 64L << 20, 512L << 20, 6, Duration.ofSeconds(10),
                        Duration.ofSeconds(10), 4)));
    }

    @AfterAll
    static void stop() {
        assertThat(daemon.stop()).isTrue();
    }

    private static Status status(Message m) {
        assertThat(m).isInstanceOf(ErrorReply.class);
        return ((ErrorReply) m).status();
    }

    @Test
    void sessionsPerTenant() throws Exception {
        try (WireDriver a = WireDriver.open(daemon.address(), ""); WireDriver b = WireDriver.open(daemon.address(), "")) {
            assertThat(a.helloOk().limits().maxSessions()).isEqualTo(2);
            int s1 = a.beginPut(CheckpointMeta.of("lim/s", T0), List.of(), null);
            int s2 = b.beginPut(CheckpointMeta.of("lim/s", T0), List.of(), null);
            assertThat(status(a.call(new BeginPut(0, CheckpointMeta.of("lim/s", T0), List.of(), null, false))))
                    .isEqualTo(Status.BUSY);
            b.ok(new Abort(s2), AbortOk.class);
            int s3 = b.beginPut(CheckpointMeta.of("lim/s", T0), List.of(), null);
            a.ok(new Abort(s1), AbortOk.class);
            b.ok(new Abort(s3), AbortOk.class);
        }
    }

    @Test
    void batchSizesAndPatchBytes() throws Exception {
        try (WireDriver w = WireDriver.open(daemon.address(), "")) {
            List<ChunkId> ids = new ArrayList<>();
            List<WireChunk> chunks = new ArrayList<>();
            List<ChunkRef> refs = new ArrayList<>();
            for (int i = 0; i < 17; i++) {
                byte[] b = ("chunk " + i).getBytes();
                ids.add(ChunkId.of(b, 0, b.length));
                chunks.add(BadInputTest.WireSamplesLite.chunk(b));
                refs.add(new ChunkRef(ids.get(i), b.length));
            }
            assertThat(status(w.call(new Have(ids)))).isEqualTo(Status.LIMIT_EXCEEDED);
            int s = w.beginPut(CheckpointMeta.of("lim/b", T0), List.of(), null);
            assertThat(status(w.call(new Upload(s, chunks.subList(0, 5))))).isEqualTo(Status.LIMIT_EXCEEDED);
            assertThat(w.ok(new Upload(s, chunks.subList(0, 4)), UploadOk.class).stored()).isEqualTo(4);
            w.ok(new Upload(s, chunks.subList(4, 8)), UploadOk.class);
            w.ok(new Upload(s, chunks.subList(8, 9)), UploadOk.class);
            w.ok(new Entry(s, "", EntryKind.FILE), EntryOk.class);
            assertThat(status(w.call(new Refs(s, refs.subList(0, 9))))).isEqualTo(Status.LIMIT_EXCEEDED);
            w.ok(new Refs(s, refs.subList(0, 8)), RefsOk.class);
            w.ok(new Refs(s, refs.subList(8, 9)), RefsOk.class);
            w.ok(new EndEntry(s), EndEntryOk.class);
            CommitOk parent = w.ok(new Commit(s), CommitOk.class);

            BeginPutOk d = w.ok(new BeginPut(1, CheckpointMeta.of("lim/b", T0.plusSeconds(1)), List.of(), parent.id(),
                    false), BeginPutOk.class);
            w.ok(new PatchData(d.session(), "", 0, new byte[600]), PatchOk.class);
            assertThat(status(w.call(new PatchData(d.session(), "", 10, new byte[401])))).isEqualTo(Status.LIMIT_EXCEEDED);
            assertThat(w.ok(new PatchData(d.session(), "", 10, new byte[400]), PatchOk.class).bufferedBytes()).isEqualTo(1000);
            w.ok(new Abort(d.session()), AbortOk.class);
        }
    }

    @Test
    void idleConnectionsAreClosedAfterTheIdleTimeout() throws Exception {
        try (WireDriver w = WireDriver.open(daemon.address(), "")) {
            assertThat(w.helloOk().limits().idleTimeoutSeconds()).isEqualTo(1);
            // No wall-clock bound here (the timer starts before HELLO_OK arrives, and a loaded
            // machine stretches that): the TIMEOUT status is what says the idle timer closed it.
            List<Envelope> got = w.drainUntilClosed();
            assertThat(got).hasSize(1);
            assertThat(got.get(0).requestId()).isZero();
            assertThat(status(got.get(0).message())).isEqualTo(Status.TIMEOUT);
        }
    }

    /**
     * Issue 10 item 4: a frame that holds budget must keep arriving; bytes of an unfinished frame
     * are not activity, so a trickler is closed as idle and its reservation returned.
     */
    @Test
    void aTricklingFrameIsClosedAfterTheIdleTimeout() throws Exception {
        try (WireDriver w = WireDriver.open(daemon.address(), "")) {
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(Wire.LENGTH_FIELD + Wire.HEADER);
            head.putInt(1 << 20).put((byte) dev.cairn.protocol.wire.Opcode.UPLOAD).putInt(9).put((byte) Wire.FLAG_LAST);
            w.sendRaw(head.array());
            try {
                // One byte every 250 ms: never idle for the 1 s idle timeout, but the frame never ends.
                for (int i = 0; i < 40; i++) {
                    w.sendRaw(new byte[1]);
                    Thread.sleep(250);
                }
            } catch (java.io.IOException closed) {
                // the daemon closed it
            }
            List<Envelope> got = w.drainUntilClosed();
            assertThat(got).hasSize(1);
            assertThat(status(got.get(0).message())).isEqualTo(Status.TIMEOUT);
            assertThat(((ErrorReply) got.get(0).message()).message()).contains("idle");
        }
        BadInputTest.waitFor(() -> daemon.metrics().bufferedFrameBytes.get() == 0);
    }

    @Test
    void connectionsBeyondTheLimitAreRefused() throws Exception {
        BadInputTest.waitFor(() -> daemon.connections() == 0);
        List<WireDriver> open = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                open.add(WireDriver.open(daemon.address(), ""));
            }
            try (WireDriver extra = WireDriver.connect(daemon.address())) {
                List<Envelope> got = extra.drainUntilClosed();
                assertThat(got).hasSize(1);
                assertThat(status(got.get(0).message())).isEqualTo(Status.BUSY);
            }
        } finally {
            for (WireDriver w : open) {
                w.close();
            }
        }
    }
}
