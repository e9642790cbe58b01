package dev.cairn.client;

import dev.cairn.e2e.TestDaemon;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.Patch;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.protocol.wire.Message.CheckpointSummary;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client library against a real daemon on loopback. */
class ClientE2eTest {
    @TempDir
    static Path dir;
    static TestDaemon daemon;
    static CairnClient client;
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @BeforeAll
    static void start() throws IOException {
        daemon = TestDaemon.start(dir.resolve("data"));
        client = daemon.clientBuilder().batchBytes(256 << 10).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    static PutOptions opts(String series, int minute) {
        return PutOptions.of(CheckpointMeta.of(series, T0.plusSeconds(60L * minute)));
    }

    static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    @Test
    void streamRoundTripAndDedupOnSecondPut() throws Exception {
        byte[] data = TestDaemon.data(1, 3_000_000);
        PutResult first = client.put(opts("e2e/stream", 0), new ByteArrayInputStream(data));
        assertThat(first.existed()).isFalse();
        assertThat(first.logicalBytes()).isEqualTo(data.length);
        assertThat(first.newBytes()).isEqualTo(data.length);
        assertThat(first.uploadedChunks()).isEqualTo(first.chunks());
        assertThat(readAll(client.open(first.id()))).isEqualTo(data);

        long uploadedBefore = daemon.daemon().metrics().uploadPayloadBytes.sum();
        PutResult second = client.put(opts("e2e/stream", 1).withAutoDelta(false), new ByteArrayInputStream(data));
        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(second.newBytes()).isZero();
        assertThat(second.uploadedChunks()).isZero();
        assertThat(second.uploadedBytes()).isZero();
        assertThat(daemon.daemon().metrics().uploadPayloadBytes.sum()).isEqualTo(uploadedBefore);
        assertThat(readAll(client.open(second.id()))).isEqualTo(data);
    }

    @Test
    void directoryRoundTrip() throws Exception {
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("a/b"));
        Files.createDirectories(src.resolve("empty/inner"));
        Files.write(src.resolve("a/b/model.bin"), TestDaemon.data(2, 500_000));
        Files.write(src.resolve("a/x.txt"), "hello".getBytes());
        Files.write(src.resolve("zero.bin"), new byte[0]);
        Files.write(src.resolve("é.bin"), TestDaemon.data(3, 70_000));
        PutResult r = client.putDirectory(opts("e2e/dir", 0), src);
        CheckpointInfo info = client.show(r.id());
        assertThat(info.entries()).extracting(e -> e.name())
                .containsExactly("a/b/model.bin", "a/x.txt", "empty/inner", "zero.bin", "é.bin");
        Path out = dir.resolve("restored");
        client.restore(r.id(), out);
        assertThat(Files.readAllBytes(out.resolve("a/b/model.bin"))).isEqualTo(Files.readAllBytes(src.resolve("a/b/model.bin")));
        assertThat(Files.readString(out.resolve("a/x.txt"))).isEqualTo("hello");
        assertThat(Files.isDirectory(out.resolve("empty/inner"))).isTrue();
        assertThat(Files.size(out.resolve("zero.bin"))).isZero();
        assertThat(Files.readAllBytes(out.resolve("é.bin"))).isEqualTo(Files.readAllBytes(src.resolve("é.bin")));
    }

    @Test
    void writerAndListAndShowAndResolve() throws Exception {
        byte[] data = TestDaemon.data(4, 1_000_000);
        PutResult r;
        try (CheckpointWriter w = client.newCheckpoint(opts("e2e/writer", 0).withTags(Set.of("best")))) {
            for (int i = 0; i < data.length; i += 777) {
                w.write(data, i, Math.min(777, data.length - i));
            }
            r = w.commit();
        }
        List<CheckpointSummary> ls = client.list("e2e/writer");
        assertThat(ls).hasSize(1);
        assertThat(ls.get(0).id()).isEqualTo(r.id());
        assertThat(ls.get(0).labels().tags()).containsExactly("best");
        assertThat(client.resolve(r.id().toHex().substring(0, 10))).isEqualTo(r.id());
        assertThat(readAll(client.open(r.id()))).isEqualTo(data);
        assertThat(client.stats().checkpoints()).isPositive();
        assertThat(client.verify(true).clean()).isTrue();
    }

    @Test
    void deltaPutSendsOnlyThePatches() throws Exception {
        byte[] base = TestDaemon.data(5, 2_000_000);
        PutResult parent = client.put(opts("e2e/delta", 0), new ByteArrayInputStream(base));
        byte[] patch = "PATCHED-BYTES".getBytes();
        byte[] tail = TestDaemon.data(6, 10_000);
        PutResult child = client.putDelta(opts("e2e/delta", 1), parent.id(),
                List.of(new Patch("", 1_000_000, patch), new Patch("", base.length, tail)));
        byte[] expected = java.util.Arrays.copyOf(base, base.length + tail.length);
        System.arraycopy(patch, 0, expected, 1_000_000, patch.length);
        System.arraycopy(tail, 0, expected, base.length, tail.length);
        assertThat(child.logicalBytes()).isEqualTo(expected.length);
        assertThat(child.uploadedBytes()).isEqualTo(patch.length + tail.length);
        assertThat(readAll(client.open(child.id()))).isEqualTo(expected);
        assertThatThrownBy(() -> client.putDelta(opts("e2e/delta", 2), ManifestId.parse("cd".repeat(32)), List.of()))
                .isInstanceOfSatisfying(CairnClientException.class, e -> assertThat(e.status()).isEqualTo(Status.NOT_FOUND));
    }

    @Test
    void unknownIdIsNotFound() {
        ManifestId none = ManifestId.parse("ab".repeat(32));
        assertThatThrownBy(() -> client.open(none)).isInstanceOfSatisfying(CairnClientException.class,
                e -> assertThat(e.status()).isEqualTo(Status.NOT_FOUND));
    }

    @Test
    void concurrentPutsAndGetsOnOneClient() throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = 100 + t;
                fs.add(ex.submit(() -> {
                    for (int i = 0; i < 3; i++) {
                        byte[] data = TestDaemon.data(seed * 10L + i, 400_000 + seed * 1000);
                        PutResult r = client.put(opts("e2e/conc-" + seed, i), new ByteArrayInputStream(data));
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        try (InputStream in = client.open(r.id())) {
                            in.transferTo(out);
                        }
                        assertThat(out.toByteArray()).isEqualTo(data);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            ex.shutdownNow();
        }
    }
}
