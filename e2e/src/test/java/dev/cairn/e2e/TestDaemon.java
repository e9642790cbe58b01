package dev.cairn.e2e;

import dev.cairn.client.CairnClient;
import dev.cairn.protocol.HostPort;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.server.CairnDaemon;
import dev.cairn.server.DaemonFixture;
import dev.cairn.server.MutableClock;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.store.RepositoryOptions;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A real {@code cairnd} for end-to-end tests, started in-process through its library entry point
 * {@link CairnDaemon#start} on 127.0.0.1 with a free port (port 0) and a fresh data directory.
 * The default chunker in tests is small, so little data makes many chunks and every batching
 * limit of the client gets exercised.
 */
public final class TestDaemon implements AutoCloseable {
    public static final ChunkerParams SMALL = DaemonFixture.SMALL;

    private final CairnDaemon daemon;

    private TestDaemon(CairnDaemon daemon) {
        this.daemon = daemon;
    }

    public static TestDaemon start(Path data) throws IOException {
        return start(config(data, SMALL));
    }

    public static TestDaemon start(DaemonConfig config) throws IOException {
        return new TestDaemon(CairnDaemon.start(config));
    }

    /** A daemon whose "now" (trims, holds, trash expiry) is {@code clock}, e.g. a {@link MutableClock}. */
    public static TestDaemon start(DaemonConfig config, java.time.Clock clock) throws IOException {
        return new TestDaemon(CairnDaemon.start(config, clock));
    }

    public static DaemonConfig config(Path data, ChunkerParams chunker) {
        return DaemonConfig.defaults().withData(data)
                .withListen(HostPort.parse("127.0.0.1:0"))
                .withStore(RepositoryOptions.defaults().withChunker(chunker).withPackTargetBytes(8L << 20).withWorkers(2))
                // No 64 MiB reserve file per test store.
                .withGc(new dev.cairn.server.config.DaemonConfig.GcSettings(dev.cairn.gc.GcOptions.defaults(), null));
    }

    public CairnDaemon daemon() {
        return daemon;
    }

    /** "127.0.0.1:PORT". */
    public String address() {
        return "127.0.0.1:" + daemon.address().getPort();
    }

    public CairnClient.Builder clientBuilder() {
        return CairnClient.builder().address(address());
    }

    public CairnClient client() throws IOException {
        return clientBuilder().build();
    }

    @Override
    public void close() {
        daemon.stop();
    }

    /** Compressible but varied bytes, reproducible from {@code seed}. */
    public static byte[] data(long seed, int n) {
        return DaemonFixture.data(seed, n);
    }
}
