package dev.cairn.client;

import dev.cairn.e2e.TestDaemon;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.PutOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Retries, backpressure and broken connections against a real daemon. */
class FailureE2eTest {
    @TempDir
    Path dir;

    static PutOptions opts(String series) {
        return PutOptions.of(CheckpointMeta.of(series, Instant.parse("2026-11-01T00:00:00Z")));
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void refsRefusedWithMissingChunksAreRepairedAgainstTheRealDaemon() throws Exception {
        try (TestDaemon d = TestDaemon.start(dir.resolve("data")); CairnClient c = d.clientBuilder().batchBytes(256 << 10).build()) {
            // The client leaves an eighth of the chunks out of their first UPLOAD: the daemon's real
            // MISSING_CHUNKS answer to REFS makes the client upload them and resend the REFS.
            c.dropFirstUpload = id -> (id.byteAt(0) & 7) == 0;
            byte[] data = random(1, 4_000_000);
            long before = d.daemon().metrics().errors(Status.MISSING_CHUNKS);
            PutResult r = c.put(opts("fail/missing"), new ByteArrayInputStream(data));
            assertThat(d.daemon().metrics().errors(Status.MISSING_CHUNKS)).isGreaterThan(before);
            assertThat(r.newChunks()).isEqualTo(r.chunks());
            try (InputStream in = c.open(r.id())) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
            assertThat(c.verify(true).clean()).isTrue();
        }
    }

    @Test
    void aSlowReaderHoldsOnlyItsReadAhead() throws Exception {
        int readAhead = 2 << 20;
        try (TestDaemon d = TestDaemon.start(TestDaemon.config(dir.resolve("data"),
                dev.cairn.protocol.chunk.ChunkerParams.DEFAULT));
             CairnClient c = d.clientBuilder().readAheadBytes(readAhead).build()) {
            byte[] data = random(2, 48 << 20);
            PutResult r = c.put(opts("fail/slow"), new ByteArrayInputStream(data));
            try (InputStream in = c.open(r.id())) {
                EntryReader er = (EntryReader) in;
                byte[] buf = new byte[64 << 10];
                long read = 0;
                // Read the first 16 MiB slowly: the daemon must wait for us.
                while (read < (16 << 20)) {
                    int n = in.read(buf);
                    assertThat(n).isPositive();
                    read += n;
                    Thread.sleep(2);
                }
                Thread.sleep(300);
                long peak = er.peakBufferedBytes();
                assertThat(peak).as("peak buffered bytes").isLessThan(readAhead + (6L << 20));
                byte[] rest = in.readAllBytes();
                assertThat(read + rest.length).isEqualTo(data.length);
                assertThat(java.util.Arrays.copyOfRange(data, (int) read, data.length)).isEqualTo(rest);
            }
        }
    }

    @Test
    void readsAndQueriesSurviveBrokenConnections() throws Exception {
        try (TestDaemon d = TestDaemon.start(dir.resolve("data")); Proxy proxy = new Proxy(d.daemon().address());
             CairnClient c = CairnClient.builder().address("127.0.0.1:" + proxy.port()).poolSize(2)
                     .readAheadBytes(1 << 20).build()) {
            byte[] data = random(3, 12 << 20);
            PutResult r = c.put(opts("fail/proxy"), new ByteArrayInputStream(data));
            try (InputStream in = c.open(r.id())) {
                byte[] head = in.readNBytes(3 << 20);
                proxy.cutAll(); // every pooled connection breaks mid-stream
                byte[] tail = in.readAllBytes();
                byte[] all = new byte[head.length + tail.length];
                System.arraycopy(head, 0, all, 0, head.length);
                System.arraycopy(tail, 0, all, head.length, tail.length);
                assertThat(all).isEqualTo(data);
            }
            proxy.cutAll();
            // Idempotent queries go out again on a fresh connection.
            assertThat(c.show(r.id()).summary().logicalBytes()).isEqualTo(data.length);
            assertThat(c.list("fail/proxy")).hasSize(1);
        }
    }

    @Test
    void aPutWhoseConnectionBreaksFailsClearlyAndStoresNothing() throws Exception {
        try (TestDaemon d = TestDaemon.start(dir.resolve("data")); Proxy proxy = new Proxy(d.daemon().address());
             CairnClient c = CairnClient.builder().address("127.0.0.1:" + proxy.port()).build()) {
            CheckpointWriter w = c.newCheckpoint(opts("fail/cut"));
            w.write(random(4, 1 << 20));
            proxy.cutAll();
            Thread.sleep(200);
            assertThatThrownBy(() -> {
                w.write(random(5, 4 << 20));
                w.commit();
            }).isInstanceOfSatisfying(CairnClientException.class, e -> {
                assertThat(e.connectionLost()).isTrue();
                assertThat(e.getMessage()).contains("nothing of this checkpoint was stored");
            });
            w.close();
            assertThat(c.list("fail/cut")).isEmpty();
        }
    }

    @Test
    void aConnectionLostAfterTheCommitWasWrittenSaysTheOutcomeIsUnknown() throws Exception {
        try (TestDaemon d = TestDaemon.start(dir.resolve("data")); Proxy proxy = new Proxy(d.daemon().address());
             CairnClient c = CairnClient.builder().address("127.0.0.1:" + proxy.port()).build()) {
            byte[] data = random(6, 2 << 20);
            // The daemon writes the commit's batch, then the connection breaks before its reply.
            dev.cairn.store.util.FaultPoints.arm("commit.after-batch", point -> proxy.cutAll());
            String message;
            try {
                CairnClientException e = org.junit.jupiter.api.Assertions.assertThrows(CairnClientException.class,
                        () -> c.put(opts("fail/lost-commit"), new ByteArrayInputStream(data)));
                assertThat(e.connectionLost()).isTrue();
                message = e.getMessage();
            } finally {
                dev.cairn.store.util.FaultPoints.disarmAll();
            }
            assertThat(message).contains("the outcome is unknown").contains("cairn ls --series fail/lost-commit")
                    .doesNotContain("nothing of this checkpoint was stored");
            // It was stored, under the id the message names.
            List<dev.cairn.protocol.wire.Message.CheckpointSummary> ls = c.list("fail/lost-commit");
            assertThat(ls).hasSize(1);
            assertThat(message).contains("cairn show " + ls.get(0).id().toHex());
        }
    }

    @Test
    void daemonNotRunning() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (CairnClient c = CairnClient.builder().address("127.0.0.1:" + port).build()) {
            assertThatThrownBy(c::stats).isInstanceOfSatisfying(CairnClientException.class, e -> {
                assertThat(e.status()).isEqualTo(Status.IO_ERROR);
                assertThat(e.connectionLost()).isTrue();
                assertThat(e.getMessage()).contains("cannot connect to 127.0.0.1:" + port);
            });
        }
    }

    /** A TCP relay whose connections the test can cut. */
    static final class Proxy implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final InetSocketAddress target;
        private final Thread acceptor;

        Proxy(InetSocketAddress target) throws IOException {
            this.target = target;
            acceptor = new Thread(this::accept, "proxy-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket a = server.accept();
                    Socket b = new Socket(target.getAddress(), target.getPort());
                    sockets.add(a);
                    sockets.add(b);
                    pump(a, b);
                    pump(b, a);
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                try {
                    from.getInputStream().transferTo(to.getOutputStream());
                } catch (IOException ignored) {
                    // cut
                } finally {
                    close(from);
                    close(to);
                }
            }, "proxy-pump");
            t.setDaemon(true);
            t.start();
        }

        void cutAll() {
            for (Socket s : sockets) {
                close(s);
            }
            sockets.clear();
        }

        private static void close(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            cutAll();
        }
    }
}
