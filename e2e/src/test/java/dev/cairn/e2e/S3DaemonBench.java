package dev.cairn.e2e;

import dev.cairn.client.CairnClient;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.client.PutResult;
import dev.cairn.gc.GarbageCollector;
import dev.cairn.gc.GcCancel;
import dev.cairn.gc.GcOptions;
import dev.cairn.gc.GcReport;
import dev.cairn.gc.TrimRequest;
import dev.cairn.gc.Trimmer;
import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.s3.RequestCounter;
import dev.cairn.s3.S3PackStore;
import dev.cairn.s3.S3ProxyServer;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.store.Repository;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Benchmark, not a test: cairnd on S3Proxy (loopback), driven by the client. Put throughput, get
 * throughput with a cold cache (fresh cache directory after a restart: ranged GETs) and a warm
 * one, and trim + GC of a small series with the number of requests per kind. Runs only with
 * {@code -Dcairn.bench.s3=true} (size with {@code -Dcairn.bench.s3.mb=N}, default 256):
 * <pre>mvn -B -pl e2e -am test -Dtest=S3DaemonBench -Dsurefire.failIfNoSpecifiedTests=false -Dcairn.bench.s3=true</pre>
 * Every read is checked against what was put (SHA-256), so a fast wrong answer cannot pass.
 */
class S3DaemonBench {
    @TempDir
    Path dir;

    @Test
    void putGetAndGcThroughTheDaemonOnS3Proxy() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("cairn.bench.s3"), "benchmark: run with -Dcairn.bench.s3=true");
        int totalMb = Integer.getInteger("cairn.bench.s3.mb", 256);
        int checkpoints = 8;
        int size = totalMb / checkpoints << 20;
        S3ProxyServer s3 = S3ProxyServer.shared();
        Path yaml = dir.resolve("cairn.yaml");
        Files.writeString(yaml, String.join("\n", "data: data", "listen: 127.0.0.1:0",
                "s3:", "  endpoint: " + s3.endpoint(), "  bucket: " + S3ProxyServer.BUCKET,
                "  prefix: bench-" + UUID.randomUUID().toString().substring(0, 8),
                "  credentials_file: " + s3.credentialsFile(), "  cache_bytes: 4GiB",
                "  metadata_backup: {every: 1h}", ""));
        DaemonConfig config = ConfigLoader.load(yaml);
        Instant t0 = Instant.parse("2026-11-01T00:00:00Z");
        List<ManifestId> ids = new ArrayList<>();
        List<byte[]> digests = new ArrayList<>();
        byte[] base = TestDaemon.data(1, size);
        System.out.printf("S3 bench: %d checkpoints of %d MiB (each differs from the previous in 25%%), default"
                + " chunker and packs, S3Proxy (filesystem) on loopback%n", checkpoints, size >> 20);

        // Reference: the same puts and gets on the local-disk backend.
        try (TestDaemon d = TestDaemon.start(config.withS3(null).withData(dir.resolve("local")));
             CairnClient c = d.client()) {
            List<ManifestId> local = new ArrayList<>();
            byte[] b0 = base;
            long t = System.nanoTime();
            for (int i = 0; i < checkpoints; i++) {
                byte[] b = b0.clone();
                int changed = size / 4;
                System.arraycopy(TestDaemon.data(100 + i, changed), 0, b, (int) ((long) i * size / checkpoints) % (size - changed), changed);
                local.add(c.put(PutOptions.of(CheckpointMeta.of("bench", t0.plusSeconds(60L * i))),
                        new ByteArrayInputStream(b)).id());
                b0 = b;
            }
            double s = (System.nanoTime() - t) / 1e9;
            System.out.printf("put (local disk, reference): %.0f MiB/s%n", checkpoints * (size / 1048576.0) / s);
            List<byte[]> none = new ArrayList<>();
            t = System.nanoTime();
            for (ManifestId id : local) {
                try (InputStream in = c.open(id)) {
                    none.add(sha(in.readAllBytes()));
                }
            }
            s = (System.nanoTime() - t) / 1e9;
            System.out.printf("get (local disk, reference): %.0f MiB/s%n", checkpoints * (size / 1048576.0) / s);
        }

        try (TestDaemon d = TestDaemon.start(config); CairnClient c = d.client()) {
            long bytes = 0;
            long t = System.nanoTime();
            for (int i = 0; i < checkpoints; i++) {
                byte[] b = base.clone();
                int changed = size / 4;
                System.arraycopy(TestDaemon.data(100 + i, changed), 0, b, (int) ((long) i * size / checkpoints) % (size - changed), changed);
                PutResult r = c.put(PutOptions.of(CheckpointMeta.of("bench", t0.plusSeconds(60L * i))),
                        new ByteArrayInputStream(b));
                ids.add(r.id());
                digests.add(sha(b));
                bytes += r.uploadedBytes();
                base = b;
            }
            double s = (System.nanoTime() - t) / 1e9;
            System.out.printf("put:  %d MiB logical in %.1f s = %.0f MiB/s (%.0f MiB/s of new data uploaded)%n",
                    (long) checkpoints * size >> 20, s, checkpoints * (size / 1048576.0) / s, bytes / 1048576.0 / s);
            System.out.printf("      requests: %s%n", requests(d).snapshot());
            readAll(c, ids, digests, "get (cache warm from the uploads)", size);
        }
        // Restart with an empty cache directory: every read goes to the bucket.
        deleteTree(config.data().resolve("s3-cache"));
        try (TestDaemon d = TestDaemon.start(config); CairnClient c = d.client()) {
            Map<String, Long> before = requests(d).snapshot();
            readAll(c, ids, digests, "get (cold: empty cache, ranged GETs)", size);
            System.out.printf("      requests: %s%n", RequestCounter.diff(before, requests(d).snapshot()));
            readAll(c, ids, digests, "get (warm: partial copies filled)", size);

            Repository repo = d.daemon().tenants().all().iterator().next().repo();
            Clock clock = Clock.fixed(Instant.parse("2026-11-02T00:00:00Z"), ZoneOffset.UTC);
            String policy = "policies:\n  - series: bench\n    last: 2\n    max_remove: 100%\n";
            new Trimmer(repo, clock).trim(new TrimRequest(PolicyParser.parse(policy), "b", policy, null, false, false, "b"));
            int packsBefore = repo.packs().list().size();
            before = requests(d).snapshot();
            long t = System.nanoTime();
            GcReport gc = new GarbageCollector(repo, Clock.offset(clock, Duration.ofDays(30)), GcOptions.defaults())
                    .run(false, new GcCancel());
            double s = (System.nanoTime() - t) / 1e9;
            Map<String, Long> req = RequestCounter.diff(before, requests(d).snapshot());
            System.out.printf("gc:   %d packs before; %d manifests deleted, %d packs deleted, %d rewritten (%d MiB copied),"
                            + " %.2f s, phases %s%n", packsBefore, gc.manifestsDeleted(), gc.packsDeleted(),
                    gc.packsRewritten(), gc.bytesCopied() >> 20, s, gc.phaseMillis());
            System.out.printf("      requests: %s = %d%n", req, req.values().stream().mapToLong(Long::longValue).sum());
            for (int i = checkpoints - 2; i < checkpoints; i++) {
                try (InputStream in = c.open(ids.get(i))) {
                    assertThat(sha(in.readAllBytes())).isEqualTo(digests.get(i));
                }
            }
        }
    }

    private static RequestCounter requests(TestDaemon d) {
        return ((S3PackStore) d.daemon().tenants().all().iterator().next().repo().packs()).bucket().requests();
    }

    private static void readAll(CairnClient c, List<ManifestId> ids, List<byte[]> digests, String what, int size)
            throws Exception {
        long t = System.nanoTime();
        for (int i = 0; i < ids.size(); i++) {
            try (InputStream in = c.open(ids.get(i))) {
                assertThat(sha(in.readAllBytes())).isEqualTo(digests.get(i));
            }
        }
        double s = (System.nanoTime() - t) / 1e9;
        System.out.printf("%s: %d MiB in %.1f s = %.0f MiB/s%n", what, (long) ids.size() * size >> 20, s,
                ids.size() * (size / 1048576.0) / s);
    }

    private static byte[] sha(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    private static void deleteTree(Path p) throws Exception {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }
}
