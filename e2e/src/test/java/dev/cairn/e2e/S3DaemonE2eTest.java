package dev.cairn.e2e;

import dev.cairn.client.CairnClient;
import dev.cairn.protocol.manifest.Patch;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.client.PutResult;
import dev.cairn.client.VerifyReport;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.s3.S3ProxyServer;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.s3.S3Stores;
import dev.cairn.server.tenant.BucketRestore;
import dev.cairn.server.tenant.PrefixTakeOver;
import dev.cairn.server.tenant.Tenant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * cairnd with an {@code s3:} section against a real S3 server (S3Proxy): the client stores,
 * restores, verifies, trims and collects through the daemon; then the data directory is lost, the metadata is
 * rebuilt from the bucket ({@code --restore-from-bucket}) and every surviving checkpoint restores
 * bit-exact.
 */
class S3DaemonE2eTest {
    @TempDir
    Path dir;
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    private DaemonConfig config() throws IOException {
        S3ProxyServer s3 = S3ProxyServer.shared();
        Path yaml = dir.resolve("cairn.yaml");
        Files.writeString(yaml, String.join("\n",
                "data: data",
                "listen: 127.0.0.1:0",
                "store:",
                "  chunker: {min: 512, avg: 2KiB, max: 8KiB}",
                "  pack_target_bytes: 8MiB",
                "  workers: 2",
                "s3:",
                "  endpoint: " + s3.endpoint(),
                "  bucket: " + S3ProxyServer.BUCKET,
                "  prefix: e2e-" + UUID.randomUUID().toString().substring(0, 8),
                "  credentials_file: " + s3.credentialsFile(),
                "  cache_bytes: 4MiB",
                "  multipart_threshold: 5MiB",
                "  metadata_backup: {every: 1h}",
                ""));
        return ConfigLoader.load(yaml);
    }

    private static PutOptions opts(String series, int minute) {
        return PutOptions.of(CheckpointMeta.of(series, T0.plusSeconds(60L * minute)));
    }

    private static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    @Test
    void storesRestoresTrimsCollectsAndRebuildsFromTheBucket() throws Exception {
        DaemonConfig config = config();
        Map<ManifestId, byte[]> series = new LinkedHashMap<>();
        ManifestId dirId;
        ManifestId deltaId;
        byte[] deltaData;
        Path src = dir.resolve("ckpt");
        Files.createDirectories(src.resolve("shard"));
        Files.write(src.resolve("shard/0.bin"), TestDaemon.data(50, 1_200_000));
        Files.write(src.resolve("meta.json"), "{\"step\": 100}".getBytes());

        try (TestDaemon d = TestDaemon.start(config); CairnClient c = d.clientBuilder().batchBytes(256 << 10).build()) {
            byte[] base = TestDaemon.data(1, 2_000_000);
            for (int i = 0; i < 5; i++) {
                byte[] b = base.clone();
                System.arraycopy(TestDaemon.data(10 + i, 300_000), 0, b, 100_000 * i, 300_000);
                PutResult r = c.put(opts("e2e/s3", i), new ByteArrayInputStream(b));
                series.put(r.id(), b);
            }
            for (Map.Entry<ManifestId, byte[]> e : series.entrySet()) {
                assertThat(read(c.open(e.getKey()))).isEqualTo(e.getValue());
            }
            dirId = c.putDirectory(opts("e2e/dir", 0), src).id();
            Path out = dir.resolve("out1");
            c.restore(dirId, out);
            assertThat(Files.readAllBytes(out.resolve("shard/0.bin"))).isEqualTo(Files.readAllBytes(src.resolve("shard/0.bin")));
            byte[] patch = TestDaemon.data(99, 4096);
            ManifestId parent = series.keySet().iterator().next();
            deltaId = c.putDelta(opts("e2e/delta", 0), parent, List.of(new Patch("", 500_000, patch))).id();
            deltaData = series.get(parent).clone();
            System.arraycopy(patch, 0, deltaData, 500_000, patch.length);
            assertThat(read(c.open(deltaId))).isEqualTo(deltaData);

            // trim the series to its newest two over the wire (no grace), then collect
            String yaml = "policies:\n  - series: e2e/s3\n    last: 2\n    max_remove: 100%\n    grace: 0s\n";
            var trim = c.trim(new dev.cairn.client.TrimRequest("e2e/s3", yaml, "e2e", false, false));
            assertThat(trim.applied()).isTrue();
            var gc = c.gc(false);
            assertThat(gc.manifestsDeleted()).isEqualTo(3); // the delta on the oldest was rebased, not broken
            VerifyReport v = c.verify(true);
            assertThat(v.problems()).isEmpty();
            assertThat(v.damaged()).isEmpty();
            assertThat(read(c.open(deltaId))).isEqualTo(deltaData);
        }

        // The disk is lost. The daemon stopped cleanly, so its last metadata backup is complete.
        deleteTree(config.data());
        BucketRestore.restoreAll(config);
        try (TestDaemon d = TestDaemon.start(config); CairnClient c = d.client()) {
            int present = 0;
            for (Map.Entry<ManifestId, byte[]> e : series.entrySet()) {
                if (tenant(d).repo().manifests().find(e.getKey()) != null) {
                    assertThat(read(c.open(e.getKey()))).isEqualTo(e.getValue());
                    present++;
                } else {
                    assertThatThrownBy(() -> read(c.open(e.getKey()))).hasMessageContaining("NOT_FOUND");
                }
            }
            assertThat(present).isEqualTo(2); // the newest two
            Path out = dir.resolve("out2");
            c.restore(dirId, out);
            assertThat(Files.readAllBytes(out.resolve("shard/0.bin"))).isEqualTo(Files.readAllBytes(src.resolve("shard/0.bin")));
            assertThat(Files.readString(out.resolve("meta.json"))).isEqualTo("{\"step\": 100}");
            assertThat(read(c.open(deltaId))).isEqualTo(deltaData);
            VerifyReport v = c.verify(true);
            assertThat(v.problems()).isEmpty();
            assertThat(v.damaged()).isEmpty();
            // and it goes on storing
            PutResult more = c.put(opts("e2e/s3", 9), new ByteArrayInputStream(TestDaemon.data(7, 500_000)));
            assertThat(read(c.open(more.id()))).isEqualTo(TestDaemon.data(7, 500_000));
        }
    }

    @Test
    void restoreFromBucketNeedsAnS3SectionAndRefusesAnExistingStore() throws Exception {
        DaemonConfig config = config();
        assertThatThrownBy(() -> BucketRestore.restoreAll(config.withS3(null))).hasMessageContaining("s3:");
        try (TestDaemon d = TestDaemon.start(config); CairnClient c = d.client()) {
            c.put(opts("x", 0), new ByteArrayInputStream(TestDaemon.data(3, 10_000)));
        }
        assertThatThrownBy(() -> BucketRestore.restoreAll(config)).hasMessageContaining("already holds");
    }

    /**
     * A second daemon on the same prefix does not start; with --take-over-prefix it does, and the
     * first one, at its next backup, stops writing: its puts then fail with STORE_LOCKED over the
     * wire and /metrics says so.
     */
    @Test
    void aSecondDaemonOnThePrefixRefusesToStartUntilItTakesOverAndThenTheFirstStopsWriting() throws Exception {
        DaemonConfig config = config();
        DaemonConfig second = config.withData(dir.resolve("data-b"));
        try (TestDaemon a = TestDaemon.start(config); CairnClient ca = a.client()) {
            ManifestId first = ca.put(opts("a", 0), new ByteArrayInputStream(TestDaemon.data(4, 200_000))).id();
            assertThatThrownBy(() -> TestDaemon.start(second)).hasMessageContaining("--take-over-prefix")
                    .hasMessageContaining(tenant(a).repo().config().storeIdHex());
            PrefixTakeOver.takeOverAll(second);
            try (TestDaemon b = TestDaemon.start(second); CairnClient cb = b.client()) {
                cb.put(opts("b", 0), new ByteArrayInputStream(TestDaemon.data(5, 200_000)));
                assertThatThrownBy(() -> S3Stores.backupOf(tenant(a).repo()).backupIfChanged())
                        .hasMessageContaining(tenant(b).repo().config().storeIdHex());
                assertThatThrownBy(() -> ca.put(opts("a", 1), new ByteArrayInputStream(TestDaemon.data(6, 1000))))
                        .isInstanceOfSatisfying(dev.cairn.protocol.CairnException.class,
                                e -> assertThat(e.status()).isEqualTo(dev.cairn.protocol.Status.STORE_LOCKED));
                assertThat(read(ca.open(first))).isEqualTo(TestDaemon.data(4, 200_000));
                assertThat(a.daemon().metrics().render(a.daemon().tenants().all()))
                        .contains("cairn_s3_writes_stopped{tenant=\"default\"} 1");
                assertThat(b.daemon().metrics().render(b.daemon().tenants().all()))
                        .contains("cairn_s3_writes_stopped{tenant=\"default\"} 0")
                        .contains("cairn_s3_requests_total{tenant=\"default\",operation=\"PutObject\"} ")
                        .contains("cairn_s3_lease_valid{tenant=\"default\"} 1")
                        .containsPattern("cairn_s3_lease_epoch\\{tenant=\"default\"} [1-9]");
            }
        }
    }

    private static Tenant tenant(TestDaemon d) {
        return d.daemon().tenants().all().iterator().next();
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }
}
