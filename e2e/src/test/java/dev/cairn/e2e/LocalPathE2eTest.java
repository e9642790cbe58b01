package dev.cairn.e2e;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnClientException;
import dev.cairn.client.CheckpointInfo;
import dev.cairn.client.PutResult;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.PutOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The local socket and the raw-stream put, through the Java client against a real daemon. */
class LocalPathE2eTest {
    @TempDir
    static Path dir;
    static TestDaemon daemon;
    static CairnClient local;
    static CairnClient tcp;

    @BeforeAll
    static void start() throws IOException {
        daemon = TestDaemon.start(TestDaemon.config(dir.resolve("data"), ChunkerParams.DEFAULT));
        assertThat(daemon.daemon().localSocket()).isEqualTo(dir.resolve("data").resolve("cairnd.sock"));
        local = daemon.clientBuilder().socket(daemon.daemon().localSocket()).build();
        tcp = daemon.client();
    }

    @AfterAll
    static void stop() {
        if (local != null) {
            local.close();
        }
        if (tcp != null) {
            tcp.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    static int n;

    static PutOptions opts(String series) {
        return PutOptions.of(CheckpointMeta.of(series, Instant.parse("2026-11-01T00:00:00Z").plusSeconds(n++)));
    }

    static Path file(String name, byte[] data) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, data);
        return f;
    }

    static String sha(Path f) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(f)) {
            byte[] b = new byte[1 << 20];
            int k;
            while ((k = in.read(b)) > 0) {
                md.update(b, 0, k);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Restores {@code r} through both paths and checks both are bit-exact copies of {@code f}. */
    static void assertRestores(PutResult r, Path f) throws Exception {
        assertRestores(r, f, true);
    }

    static void assertRestores(PutResult r, Path f, boolean alsoTcp) throws Exception {
        String want = sha(f);
        CheckpointInfo info = local.show(r.id());
        Path viaFd = dir.resolve(f.getFileName() + ".fd." + n++);
        local.restoreLocal(info, viaFd, null);
        assertThat(sha(viaFd)).isEqualTo(want);
        Files.delete(viaFd);
        if (alsoTcp) {
            Path viaTcp = dir.resolve(f.getFileName() + ".tcp." + n++);
            tcp.restore(info, viaTcp, null);
            assertThat(sha(viaTcp)).isEqualTo(want);
            Files.delete(viaTcp);
        }
    }

    @Test
    void everyPathRoundTripsSmallFilesBitExact() throws Exception {
        for (int size : new int[] {0, 1, 3 << 20}) {
            Path f = file("small-" + size, TestDaemon.data(size, size));
            PutResult viaFd = local.putLocal(opts("local/fd"), f);
            assertThat(viaFd.logicalBytes()).isEqualTo(size);
            assertRestores(viaFd, f);
            byte[] data = Files.readAllBytes(f);
            PutResult rawTcp = tcp.putStream(opts("local/raw-tcp"), new ByteArrayInputStream(data));
            PutResult rawLocal = local.putStream(opts("local/raw-local"), new ByteArrayInputStream(data), true, null);
            PutResult classic = tcp.putFile(opts("local/classic"), f);
            // Same bytes, same chunker: the same chunk list, whichever side cut them.
            for (PutResult r : new PutResult[] {rawTcp, rawLocal}) {
                assertThat(r.chunks()).isEqualTo(classic.chunks());
                assertThat(r.newBytes()).isZero();
                assertRestores(r, f);
            }
        }
    }

    @Test
    void sparseFileOfHundredsOfMegabytesThroughTheDescriptorAndTheRawStream() throws Exception {
        Path f = dir.resolve("sparse");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(256L << 20);
            raf.seek(123L << 20);
            raf.write(TestDaemon.data(7, 1 << 20));
            raf.seek((256L << 20) - 5);
            raf.write(new byte[] {1, 2, 3, 4, 5});
        }
        PutResult r = local.putLocal(opts("local/sparse"), f);
        assertThat(r.logicalBytes()).isEqualTo(256L << 20);
        assertRestores(r, f, false);
        try (InputStream in = Files.newInputStream(f)) {
            PutResult raw = tcp.putStream(opts("local/sparse-raw"), in);
            assertThat(raw.chunks()).isEqualTo(r.chunks());
        }
    }

    @Test
    void directoriesPutOverTheSocketAndRestoreOneDescriptorPerFile() throws Exception {
        Path root = dir.resolve("tree");
        Files.createDirectories(root.resolve("sub"));
        Files.createDirectories(root.resolve("empty"));
        Files.write(root.resolve("a.bin"), TestDaemon.data(21, 700_000));
        Files.write(root.resolve("sub/b.bin"), TestDaemon.data(22, 1));
        Files.write(root.resolve("sub/c.bin"), new byte[0]);
        PutResult r = local.putDirectory(opts("local/dir"), root);
        Path back = dir.resolve("tree.back");
        local.restoreLocal(local.show(r.id()), back, null);
        for (String f : new String[] {"a.bin", "sub/b.bin", "sub/c.bin"}) {
            assertThat(Files.readAllBytes(back.resolve(f))).as(f).isEqualTo(Files.readAllBytes(root.resolve(f)));
        }
        assertThat(back.resolve("empty")).isEmptyDirectory();
        // A restore onto an existing target is refused and leaves it alone.
        assertThatThrownBy(() -> local.restoreLocal(local.show(r.id()), back, null))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
    }

    @Test
    void aPipeIsReadToItsEnd() throws Exception {
        byte[] data = TestDaemon.data(11, 5 << 20);
        io.netty.channel.unix.FileDescriptor[] pipe = io.netty.channel.unix.FileDescriptor.pipe();
        Thread writer = new Thread(() -> writeAll(pipe[1], data, data.length));
        writer.start();
        PutResult r;
        try {
            r = local.putLocal(opts("local/pipe"), FdDriver.javaFd(pipe[0].intValue()), -1);
        } finally {
            writer.join();
            pipe[0].close();
        }
        assertThat(r.logicalBytes()).isEqualTo(data.length);
        assertRestores(r, file("pipe-src", data));
    }

    @Test
    void aPipeThatClosesEarlyCommitsNothing() throws Exception {
        byte[] data = TestDaemon.data(12, 2 << 20);
        long before = tcp.stats().checkpoints();
        io.netty.channel.unix.FileDescriptor[] pipe = io.netty.channel.unix.FileDescriptor.pipe();
        // The producer dies after half of what the caller announced.
        Thread writer = new Thread(() -> writeAll(pipe[1], data, data.length / 2));
        writer.start();
        try {
            assertThatThrownBy(() -> local.putLocal(opts("local/pipe-short"), FdDriver.javaFd(pipe[0].intValue()),
                    data.length))
                    .isInstanceOf(CairnClientException.class)
                    .hasMessageContaining("cut short")
                    .satisfies(e -> assertThat(((CairnClientException) e).status()).isEqualTo(Status.BAD_REQUEST));
        } finally {
            writer.join();
            pipe[0].close();
        }
        assertThat(tcp.stats().checkpoints()).isEqualTo(before);
    }

    @Test
    void aTruncatedRawStreamCommitsNothing() throws Exception {
        long before = tcp.stats().checkpoints();
        byte[] data = TestDaemon.data(13, 1 << 20);
        InputStream failing = new InputStream() {
            int pos;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos >= data.length / 2) {
                    throw new IOException("disk gone");
                }
                int k = Math.min(len, data.length / 2 - pos);
                System.arraycopy(data, pos, b, off, k);
                pos += k;
                return k;
            }
        };
        assertThatThrownBy(() -> tcp.putStream(opts("local/raw-cut"), failing)).hasMessageContaining("disk gone");
        assertThat(tcp.stats().checkpoints()).isEqualTo(before);
    }

    static void writeAll(io.netty.channel.unix.FileDescriptor fd, byte[] data, int n) {
        try {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(n);
            b.put(data, 0, n);
            int off = 0;
            while (off < n) {
                int w = fd.write(b, off, n);
                if (w > 0) {
                    off += w;
                } else {
                    Thread.onSpinWait();
                }
            }
            fd.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
