package dev.cairn.server;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.*;
import dev.cairn.protocol.wire.MessageCodec;
import dev.cairn.protocol.wire.Opcode;
import dev.cairn.protocol.wire.Wire;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.store.Repository;
import dev.cairn.store.VerifyReport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile and broken clients against a real daemon: each gets an error status or a closed
 * connection, the daemon stays up, other clients are unaffected, and what was committed before
 * verifies clean and restores bit-exact afterwards (checked in {@link #afterAll()}).
 */
class BadInputTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    @TempDir
    static Path dir;
    static CairnDaemon daemon;
    static byte[] goodData;
    static CommitOk good;

    @BeforeAll
    static void start() throws Exception {
        DaemonConfig c = DaemonFixture.config(dir.resolve("data"));
        daemon = CairnDaemon.start(c.withLimits(c.limits().withHandshakeTimeout(Duration.ofSeconds(1))));
        goodData = DaemonFixture.data(100, 500_000);
        try (WireDriver w = client()) {
            good = w.put("bad/good", T0, goodData);
        }
    }

    @AfterAll
    static void afterAll() throws Exception {
        // The daemon survived everything; a fresh client still round-trips.
        try (WireDriver w = client()) {
            assertThat(w.read(good.id(), "")).isEqualTo(goodData);
            byte[] more = DaemonFixture.data(101, 100_000);
            CommitOk ok = w.put("bad/after", T0, more);
            assertThat(w.read(ok.id(), "")).isEqualTo(more);
            assertThat(w.ok(new Verify(true), VerifyOk.class).clean()).isTrue();
        }
        assertThat(daemon.metrics().openSessions.get()).isZero();
        assertThat(daemon.stop()).isTrue();
        try (Repository r = DaemonFixture.openStore(dir.resolve("data"))) {
            VerifyReport v = r.verify(true);
            assertThat(v.clean()).as(v.toString()).isTrue();
            try (InputStream in = r.open(good.id())) {
                assertThat(in.readAllBytes()).isEqualTo(goodData);
            }
            assertThat(r.list("bad/abandoned")).isEmpty();
        }
    }

    private static WireDriver client() throws Exception {
        return WireDriver.open(daemon.address(), "");
    }

    private static WireDriver raw() throws Exception {
        return WireDriver.connect(daemon.address());
    }

    private static ErrorReply onlyErrorThenClosed(WireDriver w) {
        List<Envelope> got = w.drainUntilClosed();
        assertThat(got).hasSize(1);
        return (ErrorReply) got.get(0).message();
    }

    private static Status status(Message m) {
        assertThat(m).isInstanceOf(ErrorReply.class);
        return ((ErrorReply) m).status();
    }

    // ------------------------------------------------------------ framing

    @Test
    void httpRequestIsRefusedAsOversizedFrame() throws Exception {
        try (WireDriver w = raw()) {
            w.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            assertThat(onlyErrorThenClosed(w).status()).isEqualTo(Status.FRAME_TOO_LARGE);
        }
    }

    @Test
    void randomGarbageClosesTheConnection() throws Exception {
        Random r = new Random(Long.getLong("cairn.soak.seed", 7));
        for (int i = 0, n = Integer.getInteger("cairn.soak.badinput.cases", 20); i < n; i++) {
            byte[] junk = new byte[1 + r.nextInt(2000)];
            r.nextBytes(junk);
            try (WireDriver w = raw()) {
                w.sendRaw(junk);
                w.socket().shutdownOutput();
                assertThat(w.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void lengthBelowHeaderIsFatal() throws Exception {
        try (WireDriver w = client()) {
            w.sendRaw(HEX.parseHex("00000003aabbcc"));
            ErrorReply e = onlyErrorThenClosed(w);
            assertThat(e.status()).isEqualTo(Status.BAD_REQUEST);
        }
    }

    @Test
    void oversizedFrameBeforeAndAfterTheHandshake() throws Exception {
        try (WireDriver w = raw()) {
            // 64 KiB + 1 before HELLO: refused from the header alone.
            w.sendRaw(HEX.parseHex("00010001" + "01" + "00000005" + "01"));
            ErrorReply e = onlyErrorThenClosed(w);
            assertThat(e.status()).isEqualTo(Status.FRAME_TOO_LARGE);
        }
        try (WireDriver w = client()) {
            int len = daemon.config().limits().wire().maxFrame() + 1;
            ByteBuffer b = ByteBuffer.allocate(10).putInt(len).put((byte) Opcode.UPLOAD).putInt(77).put((byte) 1);
            w.sendRaw(b.array());
            List<Envelope> got = w.drainUntilClosed();
            assertThat(got).hasSize(1);
            assertThat(got.get(0).requestId()).isEqualTo(77);
            assertThat(status(got.get(0).message())).isEqualTo(Status.FRAME_TOO_LARGE);
        }
    }

    @Test
    void frameAtTheLimitIsAccepted() throws Exception {
        try (WireDriver w = client()) {
            int s = w.beginPut(CheckpointMeta.of("bad/limit", T0), List.of(), null);
            int max = daemon.config().limits().wire().maxFrame();
            // A PATCH-free way to fill a frame exactly: an UPLOAD with one huge (invalid) chunk.
            int payload = max - Wire.HEADER - 4 - 4 - MessageCodec.WIRE_CHUNK_OVERHEAD;
            byte[] big = new byte[payload];
            Message m = new Upload(s, List.of(new WireChunk(ChunkId.of(big, 0, 10),
                    new EncodedChunk(ChunkCodec.RAW, payload, big, 0, payload))));
            byte[] frame = MessageCodec.encode(Envelope.of(5, m));
            assertThat(frame.length - 4).isEqualTo(max);
            w.sendRaw(frame);
            Envelope e = w.receive();
            assertThat(e.requestId()).isEqualTo(5);
            assertThat(status(e.message())).isEqualTo(Status.BAD_REQUEST); // bigger than the store's max chunk
            w.ok(new Abort(s), AbortOk.class);
        }
    }

    @Test
    void truncatedFrameThenSilenceHitsTheHandshakeTimeout() throws Exception {
        byte[] hello = MessageCodec.encode(Envelope.of(1, new Hello(1, 1, Wire.MIN_MAX_FRAME, "", "t")));
        try (WireDriver w = raw()) {
            w.sendRaw(java.util.Arrays.copyOf(hello, hello.length - 3));
            ErrorReply e = onlyErrorThenClosed(w);
            assertThat(e.status()).isEqualTo(Status.TIMEOUT);
        }
    }

    @Test
    void truncatedFrameThenDisconnectMidUploadAbortsTheSession() throws Exception {
        long before = daemon.metrics().openSessions.get();
        WireDriver w = client();
        int s = w.beginPut(CheckpointMeta.of("bad/abandoned", T0), List.of(), null);
        w.ok(new Entry(s, "", EntryKind.FILE), EntryOk.class);
        byte[] data = DaemonFixture.data(102, 60_000);
        w.addData(s, WireDriver.chunk(data, w.chunker()));
        assertThat(daemon.metrics().openSessions.get()).isEqualTo(before + 1);
        byte[] upload = MessageCodec.encode(Envelope.of(999, new Upload(s, List.of(WireSamplesLite.chunk("x")))));
        w.sendRaw(java.util.Arrays.copyOf(upload, upload.length / 2));
        w.close();
        waitFor(() -> daemon.metrics().openSessions.get() == before);
        try (WireDriver c = client()) {
            assertThat(c.list("bad/abandoned")).isEmpty();
        }
    }

    // ------------------------------------------------------------ handshake

    @Test
    void requestBeforeHelloIsUnauthenticated() throws Exception {
        try (WireDriver w = raw()) {
            w.send(Envelope.of(3, new Stats()));
            ErrorReply e = onlyErrorThenClosed(w);
            assertThat(e.status()).isEqualTo(Status.UNAUTHENTICATED);
        }
    }

    @Test
    void badHellos() throws Exception {
        try (WireDriver w = raw()) {
            w.send(Envelope.of(1, new Hello(2, 5, Wire.MIN_MAX_FRAME, "", "future")));
            assertThat(onlyErrorThenClosed(w).status()).isEqualTo(Status.UNSUPPORTED_VERSION);
        }
        try (WireDriver w = raw()) {
            w.send(Envelope.of(1, new Hello(1, 1, 1 << 20, "", "small frames")));
            assertThat(onlyErrorThenClosed(w).status()).isEqualTo(Status.BAD_REQUEST);
        }
        try (WireDriver w = raw()) {
            byte[] f = MessageCodec.encode(Envelope.of(1, new Hello(1, 1, Wire.MIN_MAX_FRAME, "", "x")));
            f[10] = 'X'; // magic
            w.sendRaw(f);
            assertThat(onlyErrorThenClosed(w).status()).isEqualTo(Status.BAD_REQUEST);
        }
        try (WireDriver w = client()) {
            assertThat(status(w.call(new Hello(1, 1, Wire.MIN_MAX_FRAME, "", "again")))).isEqualTo(Status.BAD_REQUEST);
            assertThat(w.ok(new Ping(3), Pong.class).nonce()).isEqualTo(3);
        }
    }

    @Test
    void requestIdZeroAndDuplicateIdsCloseTheConnection() throws Exception {
        try (WireDriver w = client()) {
            w.send(Envelope.of(0, new Stats()));
            List<Envelope> got = w.drainUntilClosed();
            assertThat(got).hasSize(1);
            assertThat(got.get(0).requestId()).isZero();
            assertThat(status(got.get(0).message())).isEqualTo(Status.BAD_REQUEST);
        }
        try (WireDriver w = client()) {
            w.socket().setReceiveBufferSize(4096);
            // A READ the client does not consume stays in flight; the same id again is ambiguous.
            // Both frames go out in one write, so the second arrives before the first can finish.
            byte[] a = MessageCodec.encode(Envelope.of(50, new Read(good.id(), "", 0)));
            byte[] both = java.util.Arrays.copyOf(a, a.length * 2);
            System.arraycopy(a, 0, both, a.length, a.length);
            w.sendRaw(both);
            List<Envelope> got = w.drainUntilClosed();
            Envelope last = got.get(got.size() - 1);
            assertThat(last.requestId()).isZero();
            assertThat(status(last.message())).isEqualTo(Status.BAD_REQUEST);
        }
    }

    // ------------------------------------------------------------ messages

    @Test
    void unknownReservedAndResponseOpcodesKeepTheConnection() throws Exception {
        try (WireDriver w = client()) {
            for (int op : new int[] {0x4a, 0x49, 0x5f, 0x60, 0x6f, 0x70, Opcode.HAVE_OK, Opcode.GC_OK, 0xfe}) {
                w.sendRaw(HEX.parseHex("00000006" + String.format("%02x", op) + "00000009" + "01"));
                Envelope e = w.receive();
                assertThat(e.requestId()).isEqualTo(9);
                assertThat(status(e.message())).as(Opcode.name(op)).isEqualTo(Status.UNKNOWN_OPCODE);
            }
            assertThat(w.ok(new Ping(4), Pong.class).nonce()).isEqualTo(4);
        }
    }

    @Test
    void malformedPayloadsKeepTheConnection() throws Exception {
        try (WireDriver w = client()) {
            for (String frame : new String[] {
                    "0000000a" + "10" + "00000011" + "01" + "00000001",      // HAVE: 1 id, no bytes
                    "00000007" + "15" + "00000011" + "01" + "07",            // VERIFY: bad bool
                    "00000008" + "02" + "00000011" + "01" + "0000",          // PING: short
                    "0000000e" + "02" + "00000011" + "00" + "0000000000000000", // request without LAST
                    "0000000e" + "02" + "00000011" + "05" + "0000000000000000"  // reserved flag
            }) {
                w.sendRaw(HEX.parseHex(frame));
                Envelope e = w.receive();
                assertThat(e.requestId()).isEqualTo(0x11);
                assertThat(status(e.message())).as(frame).isEqualTo(Status.BAD_REQUEST);
            }
            assertThat(w.ok(new Ping(5), Pong.class).nonce()).isEqualTo(5);
        }
    }

    @Test
    void chunkWhoseBytesDoNotMatchItsId() throws Exception {
        try (WireDriver w = client()) {
            int s = w.beginPut(CheckpointMeta.of("bad/mismatch", T0), List.of(), null);
            WireChunk ok = WireSamplesLite.chunk("a good chunk");
            byte[] evil = "evil bytes".getBytes();
            ChunkId claimed = ChunkId.of("innocent".getBytes(), 0, 8);
            WireChunk lie = new WireChunk(claimed, new EncodedChunk(ChunkCodec.RAW, evil.length, evil, 0, evil.length));
            byte[] junk = new byte[] {(byte) 0xf0, 1, 2, 3};
            ChunkId other = ChunkId.of("other".getBytes(), 0, 5);
            WireChunk badLz4 = new WireChunk(other, new EncodedChunk(ChunkCodec.LZ4, 100, junk, 0, junk.length));
            Message m = w.call(new Upload(s, List.of(ok, lie, badLz4)));
            ErrorReply e = (ErrorReply) m;
            assertThat(e.status()).isEqualTo(Status.CHUNK_MISMATCH);
            assertThat(e.chunks()).containsExactly(claimed, other);
            // Nothing of the batch was stored, not even the good chunk.
            HaveOk have = w.ok(new Have(List.of(ok.id(), claimed)), HaveOk.class);
            assertThat(have.isMissing(0)).isTrue();
            assertThat(have.isMissing(1)).isTrue();
            // The session is still usable.
            assertThat(w.ok(new Upload(s, List.of(ok)), UploadOk.class).stored()).isEqualTo(1);
            w.ok(new Abort(s), AbortOk.class);
        }
    }

    @Test
    void refsToChunksNeverUploadedThenUploadAndRetry() throws Exception {
        byte[] data = DaemonFixture.data(103, 40_000);
        try (WireDriver w = client()) {
            List<byte[]> chunks = WireDriver.chunk(data, w.chunker());
            int s = w.beginPut(CheckpointMeta.of("bad/missing", T0), List.of(), null);
            w.ok(new Entry(s, "", EntryKind.FILE), EntryOk.class);
            List<ChunkRef> refs = chunks.stream().map(c -> new ChunkRef(ChunkId.of(c, 0, c.length), c.length)).toList();
            ErrorReply e = (ErrorReply) w.call(new Refs(s, refs));
            assertThat(e.status()).isEqualTo(Status.MISSING_CHUNKS);
            assertThat(e.chunks()).containsExactlyElementsOf(refs.stream().map(ChunkRef::id).toList());
            // A wrong length for a present chunk is refused too.
            w.ok(new Upload(s, List.of(WireSamplesLite.chunk(chunks.get(0)))), UploadOk.class);
            assertThat(status(w.call(new Refs(s, List.of(new ChunkRef(refs.get(0).id(), refs.get(0).length() + 1))))))
                    .isEqualTo(Status.BAD_REQUEST);
            // Upload the rest, resend the same refs: accepted, and the checkpoint is whole.
            for (byte[] c : chunks) {
                w.ok(new Upload(s, List.of(WireSamplesLite.chunk(c))), UploadOk.class);
            }
            assertThat(w.ok(new Refs(s, refs), RefsOk.class).entryBytes()).isEqualTo(data.length);
            w.ok(new EndEntry(s), EndEntryOk.class);
            CommitOk ok = w.ok(new Commit(s), CommitOk.class);
            assertThat(w.read(ok.id(), "")).isEqualTo(data);
        }
    }

    @Test
    void deltaAgainstAnUnknownParent() throws Exception {
        try (WireDriver w = client()) {
            var nobody = dev.cairn.protocol.manifest.ManifestId.fromBytes(new byte[32]);
            for (int mode : new int[] {BeginPut.MODE_ENTRIES, BeginPut.MODE_PATCHES}) {
                Message m = w.call(new BeginPut(mode, CheckpointMeta.of("bad/orphan", T0), List.of(), nobody, false));
                assertThat(status(m)).isEqualTo(Status.NOT_FOUND);
            }
            assertThat(status(w.call(new BeginPut(0, CheckpointMeta.of("bad/orphan", T0).withDerivedFrom(nobody),
                    List.of(), null, false)))).isEqualTo(Status.NOT_FOUND);
        }
        assertThat(daemon.metrics().openSessions.get()).isZero();
    }

    @Test
    void sessionMisuse() throws Exception {
        try (WireDriver w = client()) {
            assertThat(status(w.call(new Refs(12345, List.of())))).isEqualTo(Status.NOT_FOUND);
            int s = w.beginPut(CheckpointMeta.of("bad/order", T0), List.of(), null);
            assertThat(status(w.call(new Commit(s)))).isEqualTo(Status.BAD_REQUEST); // no entries
            assertThat(status(w.call(new Refs(s, List.of())))).isEqualTo(Status.BAD_REQUEST); // no entry open
            w.ok(new Entry(s, "b", EntryKind.FILE), EntryOk.class);
            assertThat(status(w.call(new Entry(s, "c", EntryKind.FILE)))).isEqualTo(Status.BAD_REQUEST); // b open
            assertThat(status(w.call(new Commit(s)))).isEqualTo(Status.BAD_REQUEST); // b open
            w.ok(new EndEntry(s), EndEntryOk.class);
            assertThat(status(w.call(new Entry(s, "a", EntryKind.FILE)))).isEqualTo(Status.BAD_REQUEST); // order
            assertThat(status(w.call(new Entry(s, "b", EntryKind.FILE)))).isEqualTo(Status.BAD_REQUEST); // twice
            assertThat(status(w.call(new EndEntry(s)))).isEqualTo(Status.BAD_REQUEST);
            w.ok(new Entry(s, "c", EntryKind.DIRECTORY), EntryOk.class);
            CommitOk ok = w.ok(new Commit(s), CommitOk.class);
            assertThat(ok.logicalBytes()).isZero();
            assertThat(status(w.call(new Commit(s)))).isEqualTo(Status.NOT_FOUND); // ended
        }
    }

    @Test
    void batchesOverTheAnnouncedLimits() throws Exception {
        try (WireDriver w = client()) {
            int max = w.helloOk().limits().maxHaveIds();
            List<ChunkId> ids = new java.util.ArrayList<>();
            for (int i = 0; i <= max; i++) {
                ids.add(ChunkId.of(new byte[] {(byte) i, (byte) (i >> 8)}, 0, 2));
            }
            assertThat(status(w.call(new Have(ids)))).isEqualTo(Status.LIMIT_EXCEEDED);
            assertThat(w.ok(new Have(ids.subList(0, max)), HaveOk.class).count()).isEqualTo(max);
        }
    }

    @Test
    void entryNamesARestoreCouldNotCreateAreRefusedAndNothingIsCommitted() throws Exception {
        String seg256 = "s".repeat(256);
        StringBuilder deep = new StringBuilder();
        while (deep.length() < 3100) {
            deep.append("a".repeat(200)).append('/');
        }
        String tooLong = deep + "f";
        try (WireDriver w = client()) {
            int s = w.beginPut(CheckpointMeta.of("bad/names", T0), List.of(), null);
            w.ok(new Entry(s, "d", EntryKind.FILE), EntryOk.class);
            w.ok(new EndEntry(s), EndEntryOk.class);
            // "d" is a file: "d/x" below it could never be restored.
            ErrorReply below = (ErrorReply) w.call(new Entry(s, "d/x", EntryKind.FILE));
            assertThat(below.status()).isEqualTo(Status.BAD_REQUEST);
            assertThat(below.message()).contains("'d/x'").contains("'d'");
            // Also after names that sort between them ('-' and '.' sort before '/').
            w.ok(new Entry(s, "d-a", EntryKind.DIRECTORY), EntryOk.class);
            assertThat(status(w.call(new Entry(s, "d/y", EntryKind.DIRECTORY)))).isEqualTo(Status.BAD_REQUEST);
            assertThat(status(w.call(new Entry(s, "d-a", EntryKind.FILE)))).isEqualTo(Status.BAD_REQUEST); // duplicate
            ErrorReply seg = (ErrorReply) w.call(new Entry(s, "e/" + seg256, EntryKind.FILE));
            assertThat(seg.status()).isEqualTo(Status.BAD_REQUEST);
            assertThat(seg.message()).contains("256 bytes").contains("255");
            ErrorReply path = (ErrorReply) w.call(new Entry(s, "e/" + tooLong, EntryKind.FILE));
            assertThat(path.status()).isEqualTo(Status.BAD_REQUEST);
            assertThat(path.message()).contains(String.valueOf(dev.cairn.protocol.manifest.EntryNames.MAX_PATH_BYTES));
            w.ok(new Abort(s), AbortOk.class);
            assertThat(w.list("bad/names")).isEmpty();

            // Deep nesting and multi-byte names within the limits still round-trip.
            String nested = "ü".repeat(127) + "/" + "日本".repeat(42) + "/" + "x/".repeat(600) + "end";
            byte[] data = DaemonFixture.data(104, 5_000);
            CommitOk ok = w.putDirectory("bad/names-ok", T0, new java.util.TreeMap<>(java.util.Map.of(
                    nested, data, "d", data, "d-a", new byte[0])));
            assertThat(w.read(ok.id(), nested)).isEqualTo(data);
            assertThat(w.show(ok.id()).getValue()).hasSize(3);
        }
    }

    static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!cond.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not reached in 10 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** Chunks as a client encodes them. */
    static final class WireSamplesLite {
        static WireChunk chunk(String s) {
            return chunk(s.getBytes());
        }

        static WireChunk chunk(byte[] raw) {
            EncodedChunk e = ChunkCodec.shared().encode(raw, 0, raw.length);
            byte[] copy = java.util.Arrays.copyOfRange(e.data(), e.offset(), e.offset() + e.length());
            return new WireChunk(ChunkId.of(raw, 0, raw.length), new EncodedChunk(e.codec(), raw.length, copy, 0, copy.length));
        }
    }
}
