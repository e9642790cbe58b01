package dev.cairn.bench;

import dev.cairn.bench.jmh.BenchData;
import dev.cairn.client.CairnClient;
import dev.cairn.protocol.HostPort;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.server.CairnDaemon;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;

/**
 * The workload behind the per-stage budget in docs/BENCHMARKS.md: warm puts and gets of a
 * {@code SIZE} MiB checkpoint, embedded and through a daemon in this JVM (Java client over TCP,
 * and the local socket with descriptor passing, the path {@code bin/cairn} takes locally). Run it
 * under JFR ({@code benchmarks/scripts/stage-budget.sh}) and classify the samples per stage; this
 * prints, per phase, wall MB/s and the process CPU per byte, which turns sample shares into ns/B.
 * Every put is checked (all new or all present) and every get digest-checked, so a fast wrong
 * answer fails the run.
 *
 * <p>Usage: {@code StageBudget <phase> [sizeMiB] [rounds]} with phase one of {@code embedded-new,
 * embedded-unchanged, embedded-get, client-new, client-unchanged, client-get, local-new,
 * local-unchanged, local-get, all}.
 */
public final class StageBudget {
    private static final String[] ALL = {"embedded-new", "embedded-unchanged", "embedded-get", "client-new",
            "client-unchanged", "client-get", "local-new", "local-unchanged", "local-get"};

    private final int size;
    private final int rounds;
    private final Path dir;
    private final byte[] original;
    private final byte[] data;
    private final byte[] digest;
    private long round;

    private StageBudget(int size, int rounds) throws Exception {
        this.size = size;
        this.rounds = rounds;
        this.dir = Files.createTempDirectory("cairn-budget");
        this.original = BenchData.random(7, size);
        this.data = original.clone();
        this.digest = MessageDigest.getInstance("SHA-256").digest(original);
    }

    public static void main(String[] args) throws Exception {
        String phase = args.length > 0 ? args[0] : "all";
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 6;
        StageBudget b = new StageBudget(mib << 20, rounds);
        try {
            for (String p : phase.equals("all") ? ALL : phase.split(",")) {
                b.run(p);
            }
        } finally {
            BenchData.deleteTree(b.dir);
        }
    }

    private interface Op {
        void run() throws Exception;
    }

    private void run(String phase) throws Exception {
        String where = phase.substring(0, phase.indexOf('-'));
        String what = phase.substring(phase.indexOf('-') + 1);
        Path d = Files.createDirectories(dir.resolve(phase));
        if (where.equals("embedded")) {
            try (Repository repo = Repository.open(d, RepositoryOptions.defaults())) {
                ManifestId stored = repo.put(opts(), new ByteArrayInputStream(original)).id();
                measure(phase, switch (what) {
                    case "new" -> () -> checkNew(repo.put(opts(), new ByteArrayInputStream(vary())).newBytes());
                    case "unchanged" -> () -> checkUnchanged(repo.put(opts(), new ByteArrayInputStream(original)).newBytes());
                    default -> () -> BenchData.readVerified(repo.open(stored), digest);
                });
            }
            return;
        }
        CairnDaemon daemon = CairnDaemon.start(DaemonConfig.defaults().withData(d.resolve("data"))
                .withListen(HostPort.parse("127.0.0.1:0")));
        try (CairnClient client = where.equals("local")
                ? CairnClient.builder().socket(daemon.config().socketPath()).build()
                : CairnClient.builder().address("127.0.0.1:" + daemon.address().getPort()).build()) {
            Path file = d.resolve("input");
            Files.write(file, original);
            ManifestId stored = client.put(opts(), new ByteArrayInputStream(original)).id();
            Op op;
            if (where.equals("local")) {
                Path out = d.resolve("out");
                op = switch (what) {
                    case "new" -> () -> {
                        Files.write(file, vary());
                        checkNew(client.putLocal(opts(), file).newBytes());
                    };
                    case "unchanged" -> () -> {
                        Files.write(file, original);
                        checkUnchanged(client.putLocal(opts(), file).newBytes());
                    };
                    default -> () -> {
                        Files.deleteIfExists(out);
                        client.restoreLocal(client.show(stored), out, null);
                        try (InputStream in = Files.newInputStream(out)) {
                            BenchData.readVerified(in, digest);
                        }
                    };
                };
            } else {
                op = switch (what) {
                    case "new" -> () -> checkNew(client.put(opts(), new ByteArrayInputStream(vary())).newBytes());
                    case "unchanged" -> () -> checkUnchanged(client.put(opts(), new ByteArrayInputStream(original)).newBytes());
                    default -> () -> BenchData.readVerified(client.open(stored), digest);
                };
            }
            measure(phase, op);
        } finally {
            daemon.stop();
        }
    }

    /** Two warm-up rounds, then {@code rounds} measured ones; prints wall MB/s and CPU ns/B. */
    private void measure(String phase, Op op) throws Exception {
        for (int i = 0; i < 2; i++) {
            op.run();
        }
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long start = System.currentTimeMillis();
        long t0 = System.nanoTime();
        long[] each = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long s = System.nanoTime();
            op.run();
            each[i] = System.nanoTime() - s;
        }
        long wall = System.nanoTime() - t0;
        long cpu = os.getProcessCpuTime() - cpu0;
        Arrays.sort(each);
        double bytes = (double) size * rounds;
        System.out.printf("%-20s median %7.0f MB/s  mean %7.0f MB/s  cpu %.3f ns/B  (%.2f cores)  [%d x %d MiB]"
                        + "  window %d %d%n", phase, size / (each[rounds / 2] / 1e3), bytes / (wall / 1e3), cpu / bytes,
                (double) cpu / wall, rounds, size >> 20, start, System.currentTimeMillis());
    }

    private PutOptions opts() {
        round++;
        return PutOptions.of(CheckpointMeta.of("budget", Instant.ofEpochMilli(1_700_000_000_000L + round)));
    }

    /** The original with two bytes of the round in every 4 KiB, so every chunk is new. */
    private byte[] vary() {
        for (int i = 0; i + 1 < data.length; i += 4096) {
            data[i] = (byte) (original[i] ^ round);
            data[i + 1] = (byte) (original[i + 1] ^ (round >>> 8) ^ 0x5a);
        }
        return data;
    }

    private void checkNew(long newBytes) {
        if (newBytes < size * 0.99) {
            throw new IllegalStateException("expected all-new data, stored " + newBytes + " new bytes");
        }
    }

    private static void checkUnchanged(long newBytes) {
        if (newBytes != 0) {
            throw new IllegalStateException("unchanged checkpoint stored " + newBytes + " new bytes");
        }
    }

}
