package dev.cairn.server;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.CommitOk;
import dev.cairn.protocol.wire.Message.ErrorReply;
import dev.cairn.protocol.wire.RawPut;
import dev.cairn.store.util.FaultPoints;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The raw-stream put family over TCP against a real daemon (the descriptor path is in e2e). */
class RawPutTest {
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    @TempDir
    Path dir;
    CairnDaemon d;
    WireDriver w;

    @BeforeEach
    void start() throws Exception {
        d = DaemonFixture.start(dir.resolve("data"));
        w = WireDriver.open(d.address(), "");
    }

    @AfterEach
    void stop() throws Exception {
        FaultPoints.disarmAll();
        w.close();
        d.stop();
    }

    int begin(String series) throws Exception {
        return w.ok(new RawPut.Begin(CheckpointMeta.of(series, T0), List.of("raw"), null, false), RawPut.BeginOk.class)
                .session();
    }

    /** Streams {@code data} as entry {@code name} in frames of {@code frame} bytes, LZ4 if asked. */
    void entry(int s, String name, byte[] data, int frame, boolean lz4) throws Exception {
        w.ok(new RawPut.EntryStart(s, name, EntryKind.FILE), RawPut.EntryOk.class);
        long sent = 0;
        for (int off = 0; off < data.length; off += frame) {
            int n = Math.min(frame, data.length - off);
            EncodedChunk p = lz4 ? ChunkCodec.shared().encode(data, off, n)
                    : new EncodedChunk(ChunkCodec.RAW, n, data, off, n);
            sent += n;
            assertThat(w.ok(new RawPut.Data(s, p), RawPut.DataOk.class).entryBytes()).isEqualTo(sent);
        }
        RawPut.EndEntryOk end = w.ok(new RawPut.EndEntry(s, (long) data.length), RawPut.EndEntryOk.class);
        assertThat(end.header().size()).isEqualTo(data.length);
    }

    long checkpoints() throws Exception {
        return w.ok(new Message.Stats(), Message.StatsOk.class).checkpoints();
    }

    static Status status(Message m) {
        assertThat(m).isInstanceOf(ErrorReply.class);
        return ((ErrorReply) m).status();
    }

    @Test
    void rawStreamRoundTripsBitExactAndDedupsAgainstTheClassicPut() throws Exception {
        for (int size : new int[] {0, 1, 3 << 20}) {
            byte[] data = DaemonFixture.data(size, size);
            CommitOk classic = w.put("classic/x", T0, data);
            int s = begin("raw/x");
            entry(s, "", data, 100_000, size % 2 == 1);
            CommitOk raw = w.ok(new Message.Commit(s), CommitOk.class);
            assertThat(raw.newBytes()).isZero(); // the daemon cut it exactly as the client did
            assertThat(raw.chunks()).isEqualTo(classic.chunks());
            assertThat(w.read(raw.id(), "")).isEqualTo(data);
        }
    }

    @Test
    void directoryOfFilesAndAnEmptyDirectory() throws Exception {
        byte[] a = DaemonFixture.data(1, 200_000);
        byte[] b = DaemonFixture.data(2, 70_000);
        int s = begin("raw/dir");
        entry(s, "a.bin", a, 65_536, true);
        w.ok(new RawPut.EntryStart(s, "empty", EntryKind.DIRECTORY), RawPut.EntryOk.class);
        entry(s, "z/b.bin", b, 65_536, false);
        CommitOk ok = w.ok(new Message.Commit(s), CommitOk.class);
        assertThat(w.read(ok.id(), "a.bin")).isEqualTo(a);
        assertThat(w.read(ok.id(), "z/b.bin")).isEqualTo(b);
        assertThat(w.show(ok.id()).getValue()).hasSize(3);
    }

    @Test
    void aTruncatedStreamEndsTheSessionAndCommitsNothing() throws Exception {
        byte[] data = DaemonFixture.data(3, 300_000);
        int s = begin("raw/cut");
        w.ok(new RawPut.EntryStart(s, "", EntryKind.FILE), RawPut.EntryOk.class);
        w.ok(RawPut.Data.raw(s, data, 0, 100_000), RawPut.DataOk.class);
        Message end = w.call(new RawPut.EndEntry(s, (long) data.length));
        assertThat(status(end)).isEqualTo(Status.BAD_REQUEST);
        assertThat(((ErrorReply) end).message()).contains("cut short").contains("100000");
        assertThat(status(w.call(new Message.Commit(s)))).isEqualTo(Status.NOT_FOUND);
        // An abort after some bytes: likewise nothing.
        int a = begin("raw/aborted");
        w.ok(new RawPut.EntryStart(a, "", EntryKind.FILE), RawPut.EntryOk.class);
        w.ok(RawPut.Data.raw(a, data, 0, 100_000), RawPut.DataOk.class);
        w.ok(new Message.Abort(a), Message.AbortOk.class);
        assertThat(status(w.call(new Message.Commit(a)))).isEqualTo(Status.NOT_FOUND);
        assertThat(checkpoints()).isZero();
    }

    @Test
    void aClientThatDiesMidStreamCommitsNothingAndFreesItsSession() throws Exception {
        byte[] data = DaemonFixture.data(4, 1 << 20);
        int s = begin("raw/dies");
        w.ok(new RawPut.EntryStart(s, "", EntryKind.FILE), RawPut.EntryOk.class);
        w.ok(RawPut.Data.raw(s, data, 0, 500_000), RawPut.DataOk.class);
        // Half a frame, then the connection drops.
        byte[] frame = dev.cairn.protocol.wire.MessageCodec.encode(Envelope.of(w.nextId(),
                RawPut.Data.raw(s, data, 500_000, 500_000)));
        w.sendRaw(java.util.Arrays.copyOf(frame, frame.length / 2));
        w.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (d.metrics().openSessions.get() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(d.metrics().openSessions.get()).isZero();
        w = WireDriver.open(d.address(), "");
        assertThat(checkpoints()).isZero();
    }

    @Test
    void malformedRequestsAreRefusedWithClearErrors() throws Exception {
        int s = begin("raw/bad");
        // Bytes before an entry; descriptors over TCP; classic requests in a raw session.
        assertThat(status(w.call(RawPut.Data.raw(s, new byte[10], 0, 10)))).isEqualTo(Status.BAD_REQUEST);
        s = begin("raw/bad");
        assertThat(status(w.call(new RawPut.Fd(s)))).isEqualTo(Status.BAD_REQUEST);
        assertThat(status(w.call(new RawPut.ReadFd(ManifestId.fromBytes(new byte[32]), "")))).isEqualTo(Status.BAD_REQUEST);
        assertThat(status(w.call(new Message.Entry(s, "", EntryKind.FILE)))).isEqualTo(Status.BAD_REQUEST);
        // An entry name that is a path outside any checkpoint is refused before anything happens.
        assertThat(status(w.call(new RawPut.EntryStart(s, "/etc/passwd", EntryKind.FILE))))
                .isEqualTo(Status.BAD_REQUEST);
        assertThat(status(w.call(new RawPut.EntryStart(s, "../x", EntryKind.FILE)))).isEqualTo(Status.BAD_REQUEST);
        // LZ4 that does not decode ends the session.
        w.ok(new RawPut.EntryStart(s, "", EntryKind.FILE), RawPut.EntryOk.class);
        byte[] junk = {(byte) 0xF0, 1, 2, 3};
        assertThat(status(w.call(new RawPut.Data(s, new EncodedChunk(ChunkCodec.LZ4, 1000, junk, 0, junk.length)))))
                .isEqualTo(Status.BAD_REQUEST);
        assertThat(status(w.call(new Message.Commit(s)))).isEqualTo(Status.NOT_FOUND);
        // Raw requests in a classic session.
        int classic = w.beginPut(CheckpointMeta.of("raw/classic", T0), List.of(), null);
        assertThat(status(w.call(new RawPut.EntryStart(classic, "", EntryKind.FILE)))).isEqualTo(Status.BAD_REQUEST);
        assertThat(checkpoints()).isZero();
    }

    @Test
    void gcRacingARawPutKeepsEveryCommittedCheckpointRestorable() throws Exception {
        byte[] kept = DaemonFixture.data(5, 400_000);
        CommitOk before = w.put("raw/kept", T0, kept);
        // Chunks nobody references: a raw session that is aborted. The racing put reuses them.
        // Larger than a pack (1 MiB here), so sealed packs hold them and the GC may really delete.
        byte[] orphan = DaemonFixture.data(6, 2_500_000);
        int dead = begin("raw/dead");
        entry(dead, "", orphan, 65_536, false);
        w.ok(new Message.Abort(dead), Message.AbortOk.class);
        // And garbage nothing reuses, so the racing GC has real work.
        int junk = begin("raw/junk");
        entry(junk, "", DaemonFixture.data(8, 2_500_000), 65_536, false);
        w.ok(new Message.Abort(junk), Message.AbortOk.class);
        w.put("raw/flush", T0, DaemonFixture.data(7, 1000)); // makes the orphans durable and indexed

        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger arrivals = new AtomicInteger();
        FaultPoints.arm("gc.mid-mark", p -> {
            if (arrivals.getAndIncrement() == 0) {
                reached.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        int s = begin("raw/racing");
        CompletableFuture<Message> gc = CompletableFuture.supplyAsync(() -> {
            try (WireDriver g = WireDriver.open(d.address(), "")) {
                return g.call(new Message.Gc(false));
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        assertThat(reached.await(20, TimeUnit.SECONDS)).as("GC reached the end of its mark").isTrue();
        // The mark did not see the orphans as live; the raw put now dedups against them mid-GC.
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(orphan);
        all.write(kept);
        entry(s, "", all.toByteArray(), 65_536, false);
        int commitId = w.send(new Message.Commit(s));
        release.countDown();
        Message commit = w.collect(commitId).get(0).message();
        assertThat(commit).isInstanceOf(CommitOk.class);
        Message gcOk = gc.get(30, TimeUnit.SECONDS);
        assertThat(gcOk).isInstanceOf(Message.GcOk.class);
        assertThat(((Message.GcOk) gcOk).chunksFreed()).as("the racing GC freed the junk").isPositive();
        assertThat(w.read(((CommitOk) commit).id(), "")).isEqualTo(all.toByteArray());
        assertThat(w.read(before.id(), "")).isEqualTo(kept);
        // And after another GC with nothing racing.
        assertThat(w.call(new Message.Gc(false))).isInstanceOf(Message.GcOk.class);
        assertThat(w.read(((CommitOk) commit).id(), "")).isEqualTo(all.toByteArray());
    }
}
