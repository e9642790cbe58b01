package dev.cairn.server;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.*;
import dev.cairn.server.WireDriver.WireError;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every operation of the protocol against a real daemon on loopback. */
class RoundTripTest {
    @TempDir
    static Path dir;
    static CairnDaemon daemon;
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @BeforeAll
    static void start() throws Exception {
        daemon = DaemonFixture.start(dir.resolve("data"));
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            assertThat(daemon.stop()).isTrue();
        }
    }

    private static WireDriver client() throws Exception {
        return WireDriver.open(daemon.address(), "");
    }

    @Test
    void helloAnnouncesTheStore() throws Exception {
        try (WireDriver c = client()) {
            HelloOk h = c.helloOk();
            assertThat(h.version()).isEqualTo(1);
            assertThat(h.tenant()).isEqualTo("default");
            assertThat(h.chunker()).isEqualTo(DaemonFixture.SMALL);
            assertThat(h.limits()).isEqualTo(daemon.config().limits().wire());
            assertThat(c.ok(new Ping(42), Pong.class).nonce()).isEqualTo(42);
        }
    }

    @Test
    void putThenReadBitExactAndDedupOnSecondPut() throws Exception {
        byte[] data = DaemonFixture.data(1, 300_000);
        try (WireDriver c = client()) {
            CommitOk first = c.put("rt/stream", T0, data);
            assertThat(first.existed()).isFalse();
            assertThat(first.logicalBytes()).isEqualTo(data.length);
            assertThat(first.newChunks()).isEqualTo(first.chunks()).isPositive();
            assertThat(c.read(first.id(), "")).isEqualTo(data);

            // Same bytes, new metadata: every chunk is a dedup hit, nothing is uploaded.
            long hitsBefore = daemon.metrics().dedupHits.sum();
            int s = c.beginPut(CheckpointMeta.of("rt/stream", T0.plusSeconds(60)), List.of("best"), null);
            c.ok(new Entry(s, "", EntryKind.FILE), EntryOk.class);
            long uploaded = c.addData(s, WireDriver.chunk(data, c.chunker()));
            c.ok(new EndEntry(s), EndEntryOk.class);
            CommitOk second = c.ok(new Commit(s), CommitOk.class);
            assertThat(uploaded).isZero();
            assertThat(second.newChunks()).isZero();
            assertThat(second.newBytes()).isZero();
            assertThat(second.id()).isNotEqualTo(first.id());
            assertThat(daemon.metrics().dedupHits.sum() - hitsBefore).isEqualTo(first.chunks());
            assertThat(c.read(second.id(), "")).isEqualTo(data);

            // The identical checkpoint again: existed.
            CommitOk third = c.put("rt/stream", T0, data);
            assertThat(third.existed()).isTrue();
            assertThat(third.id()).isEqualTo(first.id());
        }
    }

    @Test
    void directoryCheckpointShowAndReadEachEntry() throws Exception {
        Map<String, byte[]> files = WireDriver.files(
                "a.bin", DaemonFixture.data(2, 50_000),
                "empty", null,
                "sub/b.bin", DaemonFixture.data(3, 20_000),
                "sub/c.txt", "hello".getBytes(),
                "z-empty-file", new byte[0]);
        try (WireDriver c = client()) {
            CommitOk ok = c.putDirectory("rt/dir", T0, files);
            var shown = c.show(ok.id());
            CheckpointSummary sum = shown.getKey();
            assertThat(sum.id()).isEqualTo(ok.id());
            assertThat(sum.entryCount()).isEqualTo(5);
            assertThat(sum.meta().series()).isEqualTo("rt/dir");
            List<String> names = shown.getValue().stream().map(EntryHeader::name).toList();
            assertThat(names).containsExactly("a.bin", "empty", "sub/b.bin", "sub/c.txt", "z-empty-file");
            for (EntryHeader e : shown.getValue()) {
                if (e.kind() == EntryKind.DIRECTORY) {
                    assertThatThrownBy(() -> c.read(ok.id(), e.name())).isInstanceOf(WireError.class)
                            .satisfies(x -> assertThat(((WireError) x).status()).isEqualTo(Status.NOT_FOUND));
                } else {
                    assertThat(c.read(ok.id(), e.name())).as(e.name()).isEqualTo(files.get(e.name()));
                }
            }
        }
    }

    @Test
    void readResumesFromAChunkIndex() throws Exception {
        byte[] data = DaemonFixture.data(4, 100_000);
        try (WireDriver c = client()) {
            CommitOk ok = c.put("rt/resume", T0, data);
            List<byte[]> chunks = WireDriver.chunk(data, c.chunker());
            int skip = chunks.size() / 2;
            int skipBytes = 0;
            for (int i = 0; i < skip; i++) {
                skipBytes += chunks.get(i).length;
            }
            assertThat(c.read(ok.id(), "", skip)).isEqualTo(java.util.Arrays.copyOfRange(data, skipBytes, data.length));
            assertThat(c.read(ok.id(), "", chunks.size())).isEmpty();
            assertThatThrownBy(() -> c.read(ok.id(), "", chunks.size() + 1))
                    .satisfies(x -> assertThat(((WireError) x).status()).isEqualTo(Status.BAD_REQUEST));
        }
    }

    @Test
    void listStatsResolveVerify() throws Exception {
        try (WireDriver c = client()) {
            CommitOk a = c.put("rt/list", T0, DaemonFixture.data(5, 10_000));
            CommitOk b = c.put("rt/list", T0.plusSeconds(1), DaemonFixture.data(6, 10_000));
            List<CheckpointSummary> l = c.list("rt/list");
            assertThat(l).extracting(CheckpointSummary::id).containsExactly(a.id(), b.id());
            assertThat(c.list(null)).extracting(CheckpointSummary::id).contains(a.id(), b.id());
            assertThat(c.list("rt/nothing")).isEmpty();

            assertThat(c.ok(new Resolve(a.id().toHex().substring(0, 12)), ResolveOk.class).id()).isEqualTo(a.id());
            assertThat(((ErrorReply) c.call(new Resolve("ffffffffffff"))).status()).isEqualTo(Status.NOT_FOUND);

            StatsOk s = c.ok(new Stats(), StatsOk.class);
            assertThat(s.checkpoints()).isGreaterThanOrEqualTo(2);
            assertThat(s.chunks()).isPositive();
            assertThat(s.storedBytes()).isPositive();

            VerifyOk v = c.ok(new Verify(true), VerifyOk.class);
            assertThat(v.clean()).as(v.toString()).isTrue();
            assertThat(v.bytesRead()).isPositive();
        }
    }

    @Test
    void deltaPutWithPatches() throws Exception {
        byte[] base = DaemonFixture.data(7, 200_000);
        try (WireDriver c = client()) {
            CommitOk parent = c.put("rt/delta", T0, base);
            BeginPutOk b = c.ok(new BeginPut(BeginPut.MODE_PATCHES, CheckpointMeta.of("rt/delta", T0.plusSeconds(60)),
                    List.of(), parent.id(), false), BeginPutOk.class);
            assertThat(b.parent()).isEqualTo(parent.id());
            byte[] p1 = "PATCHED-ONE".getBytes();
            byte[] p2 = DaemonFixture.data(8, 3000);
            c.ok(new PatchData(b.session(), "", 1000, p1), PatchOk.class);
            PatchOk last = c.ok(new PatchData(b.session(), "", 150_000, p2), PatchOk.class);
            assertThat(last.bufferedBytes()).isEqualTo(p1.length + p2.length);
            CommitOk child = c.ok(new Commit(b.session()), CommitOk.class);

            byte[] expected = base.clone();
            System.arraycopy(p1, 0, expected, 1000, p1.length);
            System.arraycopy(p2, 0, expected, 150_000, p2.length);
            assertThat(c.read(child.id(), "")).isEqualTo(expected);
            assertThat(child.newChunks()).isLessThan(parent.chunks() / 2);

            // Mode-1 sessions refuse entries; mode-0 sessions refuse patches.
            BeginPutOk d = c.ok(new BeginPut(BeginPut.MODE_PATCHES, CheckpointMeta.of("rt/delta", T0.plusSeconds(120)),
                    List.of(), parent.id(), false), BeginPutOk.class);
            assertThat(((ErrorReply) c.call(new Entry(d.session(), "", EntryKind.FILE))).status())
                    .isEqualTo(Status.BAD_REQUEST);
            assertThat(((ErrorReply) c.call(new PatchData(d.session(), "nope", 0, new byte[1]))).status())
                    .isEqualTo(Status.BAD_REQUEST);
            assertThat(((ErrorReply) c.call(new PatchData(d.session(), "", base.length + 1, new byte[1]))).status())
                    .isEqualTo(Status.BAD_REQUEST);
            c.ok(new Abort(d.session()), AbortOk.class);
            assertThat(((ErrorReply) c.call(new Commit(d.session()))).status()).isEqualTo(Status.NOT_FOUND);
        }
    }

    @Test
    void pipelinedRequestsAnswerEachOnce() throws Exception {
        try (WireDriver c = client()) {
            CommitOk ok = c.put("rt/pipe", T0, DaemonFixture.data(9, 80_000));
            Map<Integer, String> sent = new HashMap<>();
            for (int i = 0; i < 20; i++) {
                sent.put(c.send(new Read(ok.id(), "", 0)), "read");
                sent.put(c.send(new Stats()), "stats");
                sent.put(c.send(new Have(List.of(ChunkId.of(new byte[] {(byte) i}, 0, 1)))), "have");
                sent.put(c.send(new Ping(i)), "ping");
            }
            Set<Integer> finished = new HashSet<>();
            Map<Integer, Integer> readChunks = new HashMap<>();
            while (finished.size() < sent.size()) {
                Envelope e = c.receive();
                assertThat(sent).containsKey(e.requestId());
                assertThat(finished).doesNotContain(e.requestId());
                if (e.message() instanceof ReadData d) {
                    readChunks.merge(e.requestId(), d.chunks().size(), Integer::sum);
                }
                if (e.last()) {
                    assertThat(e.message()).isNotInstanceOf(ErrorReply.class);
                    finished.add(e.requestId());
                }
            }
            assertThat(readChunks.values()).allMatch(n -> n == ok.chunks());
        }
    }

    @Test
    void cancelStopsAStream() throws Exception {
        byte[] data = DaemonFixture.data(10, 6_000_000);
        try (WireDriver c = client()) {
            CommitOk ok = c.put("rt/cancel", T0, data);
            int id = c.send(new Read(ok.id(), "", 0));
            Envelope first = c.receive();
            assertThat(first.message()).isInstanceOf(ReadData.class);
            c.send(new Cancel(id));
            Envelope e;
            do {
                e = c.receive();
            } while (!e.last());
            assertThat(((ErrorReply) e.message()).status()).isEqualTo(Status.CANCELLED);
            assertThat(c.ok(new Ping(1), Pong.class).nonce()).isEqualTo(1);
        }
    }

    @Test
    void sessionsAreServerChosenAndPerConnection() throws Exception {
        try (WireDriver a = client(); WireDriver b = client()) {
            int s = a.beginPut(CheckpointMeta.of("rt/sess", T0), List.of(), null);
            Message m = b.call(new Entry(s, "", EntryKind.FILE));
            assertThat(((ErrorReply) m).status()).isEqualTo(Status.NOT_FOUND);
            a.ok(new Abort(s), AbortOk.class);
        }
    }

    @Test
    void parentsChildrenAndKinds() throws Exception {
        byte[] base = DaemonFixture.data(11, 400_000);
        try (WireDriver c = client()) {
            CommitOk p = c.put("rt/chain", T0, base);
            byte[] next = base.clone();
            next[200_000] ^= 1;
            int s = c.beginPut(CheckpointMeta.of("rt/chain", T0.plusSeconds(1)), List.of(), p.id());
            c.ok(new Entry(s, "", EntryKind.FILE), EntryOk.class);
            c.addData(s, WireDriver.chunk(next, c.chunker()));
            EndEntryOk end = c.ok(new EndEntry(s), EndEntryOk.class);
            assertThat(end.header().size()).isEqualTo(next.length);
            CommitOk child = c.ok(new Commit(s), CommitOk.class);
            assertThat(child.kind()).isEqualTo("delta");
            assertThat(child.parent()).isEqualTo(p.id());
            CheckpointSummary sum = c.show(child.id()).getKey();
            assertThat(sum.kind()).isEqualTo("delta");
            assertThat(sum.depth()).isEqualTo(1);
            assertThat(c.read(child.id(), "")).isEqualTo(next);
            List<ManifestId> ids = new ArrayList<>();
            c.list("rt/chain").forEach(x -> ids.add(x.id()));
            assertThat(ids).containsExactly(p.id(), child.id());
        }
    }
}
