package dev.cairn.e2e;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnClientException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.RawPut;
import dev.cairn.server.CairnDaemon;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.store.util.FaultPoints;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the local socket lets a client do, and no more: the daemon uses only the descriptors it is
 * handed, as they were opened; tokens apply as on TCP; the socket file is the daemon's own.
 */
class LocalSocketSecurityE2eTest {
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    @TempDir
    Path dir;
    TestDaemon daemon;

    @AfterEach
    void stop() {
        FaultPoints.disarmAll();
        if (daemon != null) {
            daemon.close();
        }
    }

    FdDriver driver() throws Exception {
        DaemonConfig c = TestDaemon.config(dir.resolve("data"), TestDaemon.SMALL);
        DaemonConfig.ServerLimits l = c.limits();
        // A short handshake timeout, which also bounds the wait for a descriptor.
        daemon = TestDaemon.start(c.withLimits(new DaemonConfig.ServerLimits(l.wire(), l.maxInFlightBytes(),
                l.maxInFlightBytesTotal(), l.maxConnections(), java.time.Duration.ofSeconds(1), l.shutdownGrace(),
                l.workerThreads(), l.heartbeatInterval())));
        FdDriver f = new FdDriver(daemon.daemon().localSocket());
        f.hello("");
        return f;
    }

    static Status status(Message m) {
        assertThat(m).isInstanceOf(Message.ErrorReply.class);
        return ((Message.ErrorReply) m).status();
    }

    int rawEntry(FdDriver f) throws Exception {
        int s = ((RawPut.BeginOk) f.call(new RawPut.Begin(CheckpointMeta.of("sec/x", T0), List.of(), null, false)))
                .session();
        assertThat(f.call(new RawPut.EntryStart(s, "", EntryKind.FILE))).isInstanceOf(RawPut.EntryOk.class);
        return s;
    }

    /** Sends a descriptor request, waits for FD_READY, passes {@code fd}; returns the final answer. */
    static Message withFd(FdDriver f, Message req, int fd) throws Exception {
        f.send(req);
        Envelope ready = f.nextNonHeartbeat();
        assertThat(ready.message()).isInstanceOf(RawPut.FdReady.class);
        f.sendFd(fd);
        return f.nextNonHeartbeat().message();
    }

    long checkpoints() throws IOException {
        try (CairnClient c = daemon.client()) {
            return c.stats().checkpoints();
        }
    }

    @Test
    void socketIsOwnerOnlyAndReplacesAStaleFileButNotALiveDaemon() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        Path sock = data.resolve("cairnd.sock");
        // A stale socket: bound once, its listener gone (as after a crash).
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(sock));
        }
        assertThat(sock).exists();
        daemon = TestDaemon.start(data);
        assertThat(daemon.daemon().localSocket()).isEqualTo(sock);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-------");
        // A second daemon on the same socket (another data dir) must not steal it.
        DaemonConfig other = TestDaemon.config(dir.resolve("other"), TestDaemon.SMALL).withSocket(sock.toString());
        assertThatThrownBy(() -> CairnDaemon.start(other)).hasMessageContaining("in use");
        // A file that is not a socket is never deleted.
        Path plain = dir.resolve("plain");
        Files.writeString(plain, "mine");
        assertThatThrownBy(() -> CairnDaemon.start(TestDaemon.config(dir.resolve("third"), TestDaemon.SMALL)
                .withSocket(plain.toString()))).hasMessageContaining("not a socket");
        assertThat(Files.readString(plain)).isEqualTo("mine");
        // socket: off
        try (TestDaemon off = TestDaemon.start(TestDaemon.config(dir.resolve("off"), TestDaemon.SMALL)
                .withSocket(DaemonConfig.SOCKET_OFF))) {
            assertThat(off.daemon().localSocket()).isNull();
            assertThat(dir.resolve("off").resolve("cairnd.sock")).doesNotExist();
        }
        daemon.close();
        daemon = null;
        assertThat(sock).doesNotExist();
    }

    @Test
    void tokensApplyOverTheSocketAsOverTcp() throws Exception {
        Map<String, String> tokens = Map.of("team-a-token-0123456789", "team-a");
        daemon = TestDaemon.start(TestDaemon.config(dir.resolve("data"), TestDaemon.SMALL).withTokens(tokens));
        Path sock = daemon.daemon().localSocket();
        try (CairnClient none = daemon.clientBuilder().socket(sock).build()) {
            assertThatThrownBy(none::stats).isInstanceOf(CairnClientException.class)
                    .satisfies(e -> assertThat(((CairnClientException) e).status()).isEqualTo(Status.UNAUTHENTICATED));
        }
        try (CairnClient wrong = daemon.clientBuilder().socket(sock).token("wrong-token-0123456789").build()) {
            assertThatThrownBy(wrong::stats).isInstanceOf(CairnClientException.class)
                    .satisfies(e -> assertThat(((CairnClientException) e).status()).isEqualTo(Status.UNAUTHENTICATED));
        }
        Path f = dir.resolve("f");
        Files.write(f, TestDaemon.data(1, 10_000));
        try (CairnClient a = daemon.clientBuilder().socket(sock).token("team-a-token-0123456789").build()) {
            assertThat(a.serverInfo().tenant()).isEqualTo("team-a");
            ManifestId id = a.putLocal(PutOptions.of(CheckpointMeta.of("sec/a", T0)), f).id();
            assertThat(a.stats().checkpoints()).isEqualTo(1);
            Path back = dir.resolve("back");
            a.restoreLocal(a.show(id), back, null);
            assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(f));
        }
    }

    @Test
    void aReadOnlyDescriptorCannotBeWrittenNorAWriteOnlyOneRead() throws Exception {
        try (FdDriver f = driver()) {
            Path src = dir.resolve("src");
            Files.write(src, TestDaemon.data(2, 100_000));
            ManifestId id;
            try (CairnClient c = daemon.client()) {
                id = c.putFile(PutOptions.of(CheckpointMeta.of("sec/src", T0)), src).id();
            }
            // READ_FD into a descriptor opened read-only: refused, the file untouched.
            Path target = dir.resolve("target");
            Files.createFile(target);
            try (FileInputStream ro = new FileInputStream(target.toFile())) {
                Message m = withFd(f, new RawPut.ReadFd(id, ""), FdDriver.fdOf(ro.getFD()));
                assertThat(status(m)).isEqualTo(Status.BAD_REQUEST);
                assertThat(((Message.ErrorReply) m).message()).contains("reading only");
            }
            assertThat(Files.size(target)).isZero();
            // Nor into a file that already has content (the daemon writes only new, empty files).
            try (RandomAccessFile rw = new RandomAccessFile(src.toFile(), "rw")) {
                assertThat(status(withFd(f, new RawPut.ReadFd(id, ""), FdDriver.fdOf(rw.getFD()))))
                        .isEqualTo(Status.BAD_REQUEST);
            }
            assertThat(Files.readAllBytes(src)).isEqualTo(TestDaemon.data(2, 100_000));
            // RAW_FD with a descriptor opened write-only: refused, nothing committed.
            int s = rawEntry(f);
            try (FileOutputStream wo = new FileOutputStream(dir.resolve("wo").toFile())) {
                Message m = withFd(f, new RawPut.Fd(s), FdDriver.fdOf(wo.getFD()));
                assertThat(status(m)).isEqualTo(Status.BAD_REQUEST);
                assertThat(((Message.ErrorReply) m).message()).contains("writing only");
            }
            // A device is neither a file nor a pipe.
            s = rawEntry(f);
            try (FileInputStream dev = new FileInputStream("/dev/zero")) {
                Message m = withFd(f, new RawPut.Fd(s), FdDriver.fdOf(dev.getFD()));
                assertThat(((Message.ErrorReply) m).message()).contains("a character device");
            }
            assertThat(status(f.call(new Message.Commit(s)))).isEqualTo(Status.NOT_FOUND);
            assertThat(checkpoints()).isEqualTo(1);
        }
    }

    @Test
    void framesRightAfterTheDescriptorAreRead() throws Exception {
        try (FdDriver f = driver()) {
            Path src = dir.resolve("pipelined");
            byte[] data = TestDaemon.data(5, 3 << 20);
            Files.write(src, data);
            int s = rawEntry(f);
            try (FileInputStream in = new FileInputStream(src.toFile())) {
                f.send(new RawPut.Fd(s));
                assertThat(f.nextNonHeartbeat().message()).isInstanceOf(RawPut.FdReady.class);
                f.sendFd(FdDriver.fdOf(in.getFD()));
                // No waiting: the next requests follow the descriptor at once.
                f.send(new RawPut.EndEntry(s, (long) data.length));
                f.send(new Message.Commit(s));
                assertThat(f.nextNonHeartbeat().message()).isEqualTo(new RawPut.FdOk(data.length));
                assertThat(f.nextNonHeartbeat().message()).isInstanceOf(RawPut.EndEntryOk.class);
                Message commit = f.nextNonHeartbeat().message();
                assertThat(commit).isInstanceOf(Message.CommitOk.class);
                try (CairnClient c = daemon.client(); java.io.InputStream back = c.open(((Message.CommitOk) commit).id())) {
                    assertThat(back.readAllBytes()).isEqualTo(data);
                }
            }
        }
    }

    @Test
    void aFileThatShrinksWhileItIsReadCommitsNothing() throws Exception {
        try (FdDriver f = driver()) {
            Path src = dir.resolve("shrinking");
            Files.write(src, TestDaemon.data(3, 5 << 20));
            FaultPoints.arm("localfd.after-read", p -> {
                try (RandomAccessFile raf = new RandomAccessFile(src.toFile(), "rw")) {
                    raf.setLength(2 << 20);
                }
                FaultPoints.disarmAll();
            });
            int s = rawEntry(f);
            try (FileInputStream in = new FileInputStream(src.toFile())) {
                Message m = withFd(f, new RawPut.Fd(s), FdDriver.fdOf(in.getFD()));
                assertThat(status(m)).isEqualTo(Status.CONFLICT);
                assertThat(((Message.ErrorReply) m).message()).contains("changed size");
            }
            assertThat(status(f.call(new Message.Commit(s)))).isEqualTo(Status.NOT_FOUND);
            assertThat(checkpoints()).isZero();
        }
    }

    @Test
    void aClientThatDiesWhileTheDaemonReadsItsPipeCommitsNothingAndReleasesThePipe() throws Exception {
        io.netty.channel.unix.FileDescriptor[] pipe = io.netty.channel.unix.FileDescriptor.pipe();
        try {
            try (FdDriver f = driver()) {
                int s = rawEntry(f);
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(1000);
                assertThat(pipe[1].write(b, 0, 1000)).isEqualTo(1000);
                f.send(new RawPut.Fd(s));
                assertThat(f.nextNonHeartbeat().message()).isInstanceOf(RawPut.FdReady.class);
                f.sendFd(pipe[0].intValue());
                pipe[0].close(); // the daemon holds the only read end now; the writer stays open
            } // the client dies here, mid-stream
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (daemon.daemon().metrics().openSessions.get() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(daemon.daemon().metrics().openSessions.get()).isZero();
            assertThat(checkpoints()).isZero();
            // The daemon closed its copy of the read end: the writer now gets EPIPE.
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(10);
            boolean broken = false;
            while (!broken && System.nanoTime() < deadline) {
                try {
                    pipe[1].write(b, 0, 10);
                    Thread.sleep(5);
                } catch (IOException e) {
                    broken = true;
                }
            }
            assertThat(broken).as("writer sees a pipe without readers").isTrue();
        } finally {
            pipe[1].close();
        }
    }

    @Test
    void framesWhereADescriptorBelongsOrDescriptorsNobodyAskedForCloseTheConnection() throws Exception {
        try (FdDriver f = driver()) {
            int s = rawEntry(f);
            f.send(new RawPut.Fd(s));
            assertThat(f.nextNonHeartbeat().message()).isInstanceOf(RawPut.FdReady.class);
            f.send(new Message.Ping(1)); // instead of the descriptor
            Envelope e = f.nextNonHeartbeat();
            assertThat(e.requestId()).isZero();
            assertThat(((Message.ErrorReply) e.message()).status()).isEqualTo(Status.TIMEOUT);
            assertThat(f.next()).isSameAs(FdDriver.CLOSED);
        }
        try (FdDriver g = new FdDriver(daemon.daemon().localSocket())) {
            g.hello("");
            try (FileInputStream in = new FileInputStream(Files.createTempFile(dir, "x", "y").toFile())) {
                // Outside a descriptor wait the daemon reads bytes only: the kernel drops the descriptor,
                // and the byte that carried it breaks the framing, so the connection ends.
                g.sendFd(FdDriver.fdOf(in.getFD()));
                g.send(new Message.Ping(2));
                Envelope e = g.next();
                assertThat(e.requestId()).isZero();
                assertThat(e.message()).isInstanceOf(Message.ErrorReply.class);
                assertThat(g.next()).isSameAs(FdDriver.CLOSED);
            }
        }
        assertThat(checkpoints()).isZero();
    }
}
