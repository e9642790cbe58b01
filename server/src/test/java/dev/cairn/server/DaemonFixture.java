package dev.cairn.server;

import dev.cairn.protocol.HostPort;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/** Starts daemons for tests: loopback, ephemeral port, small chunks so little data makes many. */
public final class DaemonFixture {
    public static final ChunkerParams SMALL = new ChunkerParams(512, 2048, 8192);

    private DaemonFixture() {
    }

    public static RepositoryOptions storeOptions() {
        return RepositoryOptions.defaults().withChunker(SMALL).withPackTargetBytes(1 << 20).withWorkers(2);
    }

    public static DaemonConfig config(Path data) {
        return DaemonConfig.defaults().withData(data)
                .withListen(HostPort.parse("127.0.0.1:0"))
                .withStore(storeOptions())
                // No 64 MiB reserve file per test store (GcFullDiskTest covers the reserve).
                .withGc(new DaemonConfig.GcSettings(dev.cairn.gc.GcOptions.defaults(), null))
                .withLimits(new DaemonConfig.ServerLimits(dev.cairn.protocol.wire.Limits.defaults(), 64L << 20,
                        512L << 20, 10_000, java.time.Duration.ofSeconds(10), java.time.Duration.ofSeconds(20), 8));
    }

    public static CairnDaemon start(Path data) throws IOException {
        return CairnDaemon.start(config(data));
    }

    /** Reopens a stopped daemon's store for checks (tenant "default"). */
    public static Repository openStore(Path dir) throws IOException {
        return Repository.open(dir, storeOptions());
    }

    /** Compressible but varied bytes. */
    public static byte[] data(long seed, int n) {
        Random r = new Random(seed);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i += 64) {
            int run = Math.min(64, n - i);
            if (r.nextInt(3) == 0) {
                java.util.Arrays.fill(b, i, i + run, (byte) r.nextInt(4));
            } else {
                for (int k = 0; k < run; k++) {
                    b[i + k] = (byte) r.nextInt();
                }
            }
        }
        return b;
    }
}
