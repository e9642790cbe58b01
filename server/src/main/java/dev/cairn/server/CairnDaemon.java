package dev.cairn.server;

import dev.cairn.protocol.HostPort;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.server.maint.GcScheduler;
import dev.cairn.server.maint.Maintenance;
import dev.cairn.server.metrics.Metrics;
import dev.cairn.server.metrics.MetricsHttpServer;
import dev.cairn.server.net.NetServer;
import dev.cairn.server.tenant.TenantRegistry;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;

/**
 * The Cairn daemon: opens the tenants' stores, serves the wire protocol (docs/PROTOCOL.md) and,
 * if configured, the metrics endpoint. {@link #start} is the library entry point (tests use it);
 * {@link #main} is {@code bin/cairnd}.
 *
 * <p>Shutdown order (SIGTERM, SIGINT or {@link #stop()}): stop the GC schedule (a running
 * scheduled GC is cancelled at its next batch and awaited), stop accepting, stop streams (which
 * cancels clients' GCs the same way), let running requests — commits among them — finish within
 * the grace period, close connections (aborting their put sessions), stop the workers, then close
 * the stores (each seals its open pack). A store is closed only when no worker can still be using it; otherwise it is left for
 * RocksDB's recovery at the next open, which the atomic commit makes safe.
 */
public final class CairnDaemon implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(CairnDaemon.class);

    private final DaemonConfig config;
    private final TenantRegistry tenants;
    private final Metrics metrics;
    private final NetServer net;
    private final MetricsHttpServer metricsServer;
    private final GcScheduler scheduler;
    private boolean stopped;

    private CairnDaemon(DaemonConfig config, TenantRegistry tenants, Metrics metrics, NetServer net,
                        MetricsHttpServer metricsServer, GcScheduler scheduler) {
        this.config = config;
        this.tenants = tenants;
        this.metrics = metrics;
        this.net = net;
        this.metricsServer = metricsServer;
        this.scheduler = scheduler;
    }

    /** The version string sent in HELLO_OK and printed by --version. */
    public static String version() {
        String v = CairnDaemon.class.getPackage().getImplementationVersion();
        return "cairnd " + (v == null ? "dev" : v);
    }

    /**
     * Starts a daemon.
     *
     * @throws ConfigException if the configuration is unsafe or invalid (e.g. a non-loopback
     *                         address without tokens, unreadable TLS files)
     * @throws IOException     if a store cannot be opened or an address cannot be bound
     */
    public static CairnDaemon start(DaemonConfig config) throws IOException {
        return start(config, Clock.systemUTC());
    }

    /**
     * Starts a daemon whose trims, holds, trash expiry and GC use {@code clock} (tests control time
     * with it). The clock decides only retention questions (when a hold or the trash expires),
     * never GC safety.
     */
    public static CairnDaemon start(DaemonConfig config, Clock clock) throws IOException {
        if (config.tokens().isEmpty() && !config.listen().isLoopback()) {
            throw new ConfigException("refusing to listen on " + config.listen() + " without tokens: anyone who can"
                    + " reach that address could read and overwrite every checkpoint. Configure 'tokens:' in"
                    + " cairn.yaml (token: tenant), or listen on a loopback address such as 127.0.0.1");
        }
        SslContext ssl = config.tls() == null ? null : ssl(config.tls());
        Metrics metrics = new Metrics();
        TenantRegistry tenants = TenantRegistry.open(config);
        Maintenance maint = new Maintenance(clock, config.policies(), config.gc().options(), metrics.maintenance);
        NetServer net = null;
        MetricsHttpServer ms = null;
        GcScheduler scheduler = null;
        try {
            net = NetServer.start(config, tenants, metrics, ssl, version(), maint);
            if (config.metrics() != null) {
                ms = MetricsHttpServer.start(new InetSocketAddress(config.metrics().host(), config.metrics().port()),
                        metrics, tenants.all());
                log.info("metrics on http://{}/metrics", HostPort.of(ms.address()));
            }
            if (config.gc().schedule() != null) {
                scheduler = GcScheduler.start(config.gc().schedule(), maint, List.copyOf(tenants.all()));
            }
        } catch (IOException | RuntimeException e) {
            if (ms != null) {
                ms.close();
            }
            if (net != null) {
                net.shutdown(java.time.Duration.ZERO);
            }
            tenants.close();
            throw e;
        }
        log.info("{} serving {} on {}", version(), config.data().toAbsolutePath().normalize(),
                HostPort.of(net.address()));
        return new CairnDaemon(config, tenants, metrics, net, ms, scheduler);
    }

    private static SslContext ssl(DaemonConfig.TlsFiles tls) {
        try {
            return SslContextBuilder.forServer(tls.cert().toFile(), tls.key().toFile())
                    .protocols("TLSv1.3", "TLSv1.2").build();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("tls: cannot use certificate " + tls.cert() + " and key " + tls.key()
                    + " (PEM certificate chain and unencrypted PKCS#8 key expected): " + e.getMessage(), e);
        }
    }

    public InetSocketAddress address() {
        return net.address();
    }

    /** The local Unix domain socket, or null if it is off (config) or unavailable (no epoll). */
    public java.nio.file.Path localSocket() {
        return net.localSocket();
    }

    /** The metrics endpoint's address, or null if it is off. */
    public InetSocketAddress metricsAddress() {
        return metricsServer == null ? null : metricsServer.address();
    }

    /** The GC schedule, or null if cairn.yaml has none. */
    public GcScheduler scheduler() {
        return scheduler;
    }

    public Metrics metrics() {
        return metrics;
    }

    public TenantRegistry tenants() {
        return tenants;
    }

    public DaemonConfig config() {
        return config;
    }

    /** Connections open now. */
    public int connections() {
        return net.connections();
    }

    /**
     * Shuts down in the order described on the class. Idempotent.
     *
     * @return true if everything stopped within the grace period and the stores closed cleanly
     */
    public synchronized boolean stop() {
        if (stopped) {
            return true;
        }
        stopped = true;
        log.info("shutting down");
        long deadline = System.nanoTime() + config.limits().shutdownGrace().toNanos();
        if (metricsServer != null) {
            metricsServer.close();
        }
        // First, so no scheduled GC runs while the stores close; it gets what is left of the grace after.
        boolean scheduleStopped = scheduler == null || scheduler.stop(config.limits().shutdownGrace());
        boolean clean = net.shutdown(java.time.Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        if (!scheduleStopped) {
            log.error("the scheduled GC did not stop within {}; leaving the stores to recover at their next open",
                    config.limits().shutdownGrace());
            return false;
        }
        if (!clean) {
            log.error("workers still busy after {}; leaving the stores to recover at their next open",
                    config.limits().shutdownGrace());
            return false;
        }
        try {
            tenants.close();
        } catch (IOException | RuntimeException e) {
            log.error("closing the stores failed", e);
            return false;
        }
        log.info("stopped");
        return true;
    }

    @Override
    public void close() {
        stop();
    }

    /** {@code bin/cairnd}: see {@link DaemonCommand}. */
    public static void main(String[] args) {
        int code = new CommandLine(new DaemonCommand()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}
