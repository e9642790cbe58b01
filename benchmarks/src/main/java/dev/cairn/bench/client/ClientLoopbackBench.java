package dev.cairn.bench.client;

import dev.cairn.client.CairnClient;
import dev.cairn.protocol.HostPort;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.client.PutResult;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.server.CairnDaemon;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * End-to-end throughput of {@link CairnClient} against a real {@code cairnd} on loopback (started
 * in this JVM on a free port, default chunker, a fresh data directory):
 * put of new random data, put of the same bytes again (dedup: only hashes cross the wire), get
 * (verified streaming read), and N concurrent clients doing the same; plus the embedded store's
 * put of the same data as the reference. Every measurement checks its result (ids, byte-exact
 * reads, newBytes == 0 for unchanged puts), so a fast wrong answer fails instead of scoring.
 * Reports the median of the repetitions, after one unmeasured warm-up cycle.
 *
 * <p>Run: {@code java -cp ... dev.cairn.bench.client.ClientLoopbackBench [MiB] [reps] [clients] [dir]}
 */
public final class ClientLoopbackBench {
    private ClientLoopbackBench() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        Path base = args.length > 3 ? Path.of(args[3]) : Files.createTempDirectory("cairn-bench");
        int size = mib << 20;
        System.out.printf(Locale.ROOT, "data %d MiB, %d reps, %d clients, %d cores, java %s, dir %s%n", mib, reps,
                clients, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), base);

        double[] embedded = new double[reps];
        for (int r = 0; r < reps; r++) {
            byte[] d = random(1000 + r, size);
            try (Repository repo = Repository.open(base.resolve("embedded-" + r), RepositoryOptions.defaults())) {
                long t = System.nanoTime();
                repo.put(PutOptions.of(CheckpointMeta.of("bench/e", Instant.now())),
                        new ByteArrayInputStream(d));
                embedded[r] = rate(size, t);
            }
        }
        report("embedded store put, new data", embedded);

        DaemonConfig cfg = DaemonConfig.defaults().withData(base.resolve("daemon"))
                .withListen(HostPort.parse("127.0.0.1:0"));
        try (CairnDaemon daemon = CairnDaemon.start(cfg);
             CairnClient client = CairnClient.builder().address("127.0.0.1:" + daemon.address().getPort()).build()) {
            // Warm-up (not measured): one cycle on 64 MiB, so the medians compare compiled code.
            byte[] w = random(-1, 64 << 20);
            PutResult wp = client.put(opts("bench/warmup", 0), new ByteArrayInputStream(w));
            client.put(opts("bench/warmup", 1).withAutoDelta(false), new ByteArrayInputStream(w));
            readAndCheck(client, wp.id(), w);
            double[] putNew = new double[reps];
            double[] putSame = new double[reps];
            double[] get = new double[reps];
            for (int r = 0; r < reps; r++) {
                byte[] d = random(r, size);
                long t = System.nanoTime();
                PutResult a = client.put(opts("bench/single", r * 2), new ByteArrayInputStream(d));
                putNew[r] = rate(size, t);
                check(a.newBytes() == size, "new put stored " + a.newBytes() + " new bytes");
                t = System.nanoTime();
                PutResult b = client.put(opts("bench/single", r * 2 + 1).withAutoDelta(false), new ByteArrayInputStream(d));
                putSame[r] = rate(size, t);
                check(b.newBytes() == 0 && b.uploadedBytes() == 0, "unchanged put uploaded " + b.uploadedBytes());
                t = System.nanoTime();
                readAndCheck(client, b.id(), d);
                get[r] = rate(size, t);
            }
            report("client put, new data", putNew);
            report("client put, unchanged data", putSame);
            report("client get (verified)", get);

            int per = Math.max(1, size / clients);
            double[] cNew = new double[reps];
            double[] cSame = new double[reps];
            double[] cGet = new double[reps];
            for (int r = 0; r < reps; r++) {
                byte[][] ds = new byte[clients][];
                for (int i = 0; i < clients; i++) {
                    ds[i] = random(10_000 + r * 100L + i, per);
                }
                List<CairnClient> cs = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    cs.add(CairnClient.builder().address("127.0.0.1:" + daemon.address().getPort()).poolSize(1)
                            .workerThreads(2).build());
                }
                ManifestId[] ids = new ManifestId[clients];
                ExecutorService ex = Executors.newFixedThreadPool(clients);
                try {
                    AtomicInteger step = new AtomicInteger(1000 * r);
                    cNew[r] = parallel(ex, clients, (long) per * clients, i -> {
                        PutResult p = cs.get(i).put(opts("bench/c" + i, step.incrementAndGet()), new ByteArrayInputStream(ds[i]));
                        check(p.newBytes() == per, "concurrent new put");
                    });
                    cSame[r] = parallel(ex, clients, (long) per * clients, i -> {
                        PutResult p = cs.get(i).put(opts("bench/c" + i, step.incrementAndGet()).withAutoDelta(false),
                                new ByteArrayInputStream(ds[i]));
                        check(p.uploadedBytes() == 0, "concurrent unchanged put uploaded");
                        ids[i] = p.id();
                    });
                    cGet[r] = parallel(ex, clients, (long) per * clients, i -> readAndCheck(cs.get(i), ids[i], ds[i]));
                } finally {
                    ex.shutdownNow();
                    cs.forEach(CairnClient::close);
                }
            }
            report(clients + " clients put, new data (aggregate)", cNew);
            report(clients + " clients put, unchanged (aggregate)", cSame);
            report(clients + " clients get (aggregate)", cGet);
            System.out.printf(Locale.ROOT, "daemon: bytes in %s, bytes out %s, heap used now %d MiB%n",
                    daemon.metrics().bytesIn.sum(), daemon.metrics().bytesOut.sum(),
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
        }
    }

    interface Job {
        void run(int i) throws Exception;
    }

    private static double parallel(ExecutorService ex, int n, long bytes, Job job) throws Exception {
        long t = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            fs.add(ex.submit(() -> {
                job.run(k);
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        return rate(bytes, t);
    }

    private static void readAndCheck(CairnClient c, ManifestId id, byte[] expected) throws IOException {
        byte[] buf = new byte[1 << 20];
        long pos = 0;
        try (InputStream in = c.open(id)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                check(pos + n <= expected.length && Arrays.equals(buf, 0, n, expected, (int) pos, (int) pos + n),
                        "read bytes differ at " + pos);
                pos += n;
            }
        }
        check(pos == expected.length, "read " + pos + " of " + expected.length + " bytes");
    }

    private static PutOptions opts(String series, int minute) {
        return PutOptions.of(CheckpointMeta.of(series, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(60L * minute)));
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static double rate(long bytes, long startNanos) {
        return bytes / ((System.nanoTime() - startNanos) / 1e9) / 1e6;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("benchmark result wrong: " + what);
        }
    }

    private static void report(String what, double[] mbps) {
        double[] s = mbps.clone();
        Arrays.sort(s);
        System.out.printf(Locale.ROOT, "%-42s median %7.0f MB/s   (runs: %s)%n", what, s[s.length / 2],
                Arrays.toString(Arrays.stream(mbps).mapToLong(Math::round).toArray()));
    }
}
