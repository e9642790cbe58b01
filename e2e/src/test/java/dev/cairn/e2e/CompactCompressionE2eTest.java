package dev.cairn.e2e;

import dev.cairn.client.CairnClient;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.client.PutResult;
import dev.cairn.protocol.chunk.Compression;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.store.RepositoryOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** A daemon with {@code store.compression: compact} makes clients upload zstd, and everything reads back. */
class CompactCompressionE2eTest {
    @TempDir
    Path dir;

    static byte[] text(int n) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (sb.length() < n) {
            sb.append("epoch ").append(i % 97).append(" loss ").append((i * 7919) % 1000).append(" lr 0.0003\n");
            i++;
        }
        return sb.substring(0, n).getBytes(StandardCharsets.US_ASCII);
    }

    private static long storedBytesOfAPut(Path data, Compression mode, byte[] bytes) throws Exception {
        var cfg = TestDaemon.config(data, TestDaemon.SMALL);
        cfg = cfg.withStore(cfg.store().withCompression(mode));
        try (TestDaemon d = TestDaemon.start(cfg); CairnClient c = d.client()) {
            assertThat(c.serverInfo().limits().compression()).isEqualTo(mode);
            PutResult r = c.put(PutOptions.of(CheckpointMeta.of("t", Instant.EPOCH)), new ByteArrayInputStream(bytes));
            try (InputStream in = c.open(r.id())) {
                assertThat(in.readAllBytes()).isEqualTo(bytes);
            }
            assertThat(c.verify(true).clean()).isTrue();
            return r.storedBytes();
        }
    }

    @Test
    void clientsFollowTheStoresCompression() throws Exception {
        byte[] bytes = text(2_000_000);
        long fast = storedBytesOfAPut(dir.resolve("fast"), Compression.FAST, bytes);
        long compact = storedBytesOfAPut(dir.resolve("compact"), Compression.COMPACT, bytes);
        assertThat(compact).isLessThan(fast);
        assertThat(RepositoryOptions.defaults().compression()).isEqualTo(Compression.FAST);
    }
}
