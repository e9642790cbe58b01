package dev.cairn.server.config;

import dev.cairn.gc.GcOptions;
import dev.cairn.gc.policy.PolicySet;
import dev.cairn.protocol.HostPort;
import dev.cairn.protocol.wire.Limits;
import dev.cairn.s3.S3Settings;
import dev.cairn.store.RepositoryOptions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The daemon's validated settings: cairn.yaml with defaults applied and command-line overrides.
 *
 * @param tokens   token → tenant name; empty: no authentication, one tenant "default"
 * @param tls      null: plain TCP
 * @param metrics  address of the Prometheus endpoint, null: off
 * @param policies the retention policies of {@code policies:}, null: none (trim then needs a policy
 *                 with each request)
 * @param gc       GC tunables and schedule
 * @param s3       where packs live on object storage ({@code s3:}), null: on the local disk
 * @param socket   the local Unix domain socket: null for the default {@code <data>/cairnd.sock},
 *                 {@link #SOCKET_OFF} for none, else its path
 */
public record DaemonConfig(HostPort listen, Path data, Map<String, String> tokens, TlsFiles tls, HostPort metrics,
                           ServerLimits limits, RepositoryOptions store, Policies policies, GcSettings gc,
                           S3Settings s3, String socket) {

    public static final String DEFAULT_LISTEN = "127.0.0.1:7433";
    public static final String DEFAULT_DATA = "./cairn-data";

    public DaemonConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(data, "data");
        tokens = Map.copyOf(tokens);
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(gc, "gc");
        if (gc.schedule() != null && gc.schedule().trim() && policies == null) {
            throw new ConfigException("gc.schedule.trim: trimming on a schedule needs retention policies; add a"
                    + " 'policies:' section or set trim: false");
        }
    }

    /** No config file: the defaults. */
    public static DaemonConfig defaults() {
        return new DaemonConfig(HostPort.parse(DEFAULT_LISTEN), Path.of(DEFAULT_DATA), Map.of(), null, null,
                ServerLimits.defaults(), RepositoryOptions.defaults(), null, GcSettings.defaults(), null, null);
    }

    /** {@code socket:} value that turns the local socket off. */
    public static final String SOCKET_OFF = "off";
    /** File name of the default local socket inside the data directory. */
    public static final String SOCKET_FILE = "cairnd.sock";

    /** The local socket's path, or null when it is off. */
    public Path socketPath() {
        if (SOCKET_OFF.equals(socket)) {
            return null;
        }
        return socket == null ? data.resolve(SOCKET_FILE) : Path.of(socket);
    }

    /** {@code s}: a path, {@link #SOCKET_OFF}, or null for the default. */
    public DaemonConfig withSocket(String s) {
        return new DaemonConfig(listen, data, tokens, tls, metrics, limits, store, policies, gc, s3, s);
    }

    public DaemonConfig withListen(HostPort l) {
        return new DaemonConfig(l, data, tokens, tls, metrics, limits, store, policies, gc, s3, socket);
    }

    public DaemonConfig withData(Path d) {
        return new DaemonConfig(listen, d, tokens, tls, metrics, limits, store, policies, gc, s3, socket);
    }

    public DaemonConfig withTokens(Map<String, String> t) {
        return new DaemonConfig(listen, data, t, tls, metrics, limits, store, policies, gc, s3, socket);
    }

    public DaemonConfig withTls(TlsFiles t) {
        return new DaemonConfig(listen, data, tokens, t, metrics, limits, store, policies, gc, s3, socket);
    }

    public DaemonConfig withMetrics(HostPort m) {
        return new DaemonConfig(listen, data, tokens, tls, m, limits, store, policies, gc, s3, socket);
    }

    public DaemonConfig withLimits(ServerLimits l) {
        return new DaemonConfig(listen, data, tokens, tls, metrics, l, store, policies, gc, s3, socket);
    }

    public DaemonConfig withStore(RepositoryOptions s) {
        return new DaemonConfig(listen, data, tokens, tls, metrics, limits, s, policies, gc, s3, socket);
    }

    public DaemonConfig withPolicies(Policies p) {
        return new DaemonConfig(listen, data, tokens, tls, metrics, limits, store, p, gc, s3, socket);
    }

    public DaemonConfig withS3(S3Settings s) {
        return new DaemonConfig(listen, data, tokens, tls, metrics, limits, store, policies, gc, s, socket);
    }

    public DaemonConfig withGc(GcSettings g) {
        return new DaemonConfig(listen, data, tokens, tls, metrics, limits, store, policies, g, s3, socket);
    }

    /**
     * The daemon's retention policies.
     *
     * @param set  the parsed policies
     * @param yaml the {@code policies:} block as YAML, recorded with each trim in the audit log
     */
    public record Policies(PolicySet set, String yaml) {
        public Policies {
            Objects.requireNonNull(set, "set");
            Objects.requireNonNull(yaml, "yaml");
        }
    }

    /**
     * {@code gc:}.
     *
     * @param options  the collector's tunables (repack threshold and group size)
     * @param schedule null: the daemon never runs GC by itself (the default)
     */
    public record GcSettings(GcOptions options, Schedule schedule) {
        public GcSettings {
            Objects.requireNonNull(options, "options");
        }

        /** The library's GC defaults plus a reserve file of {@code reserve_bytes: auto}. */
        public static GcSettings defaults() {
            return new GcSettings(GcOptions.defaults().withReserveBytes(dev.cairn.store.Reserve.AUTO), null);
        }
    }

    /**
     * {@code gc.schedule:}: every {@code every} (start to start; a run that overruns delays the
     * next, runs never overlap), after {@code initialDelay} from the start, each tenant's store in
     * turn: trim with the daemon's policies if {@code trim}, then GC.
     */
    public record Schedule(Duration every, Duration initialDelay, boolean trim) {
        public Schedule {
            Objects.requireNonNull(every, "every");
            Objects.requireNonNull(initialDelay, "initialDelay");
            if (every.isZero() || every.isNegative()) {
                throw new ConfigException("gc.schedule.every: must be positive");
            }
            if (initialDelay.isNegative()) {
                throw new ConfigException("gc.schedule.initial_delay: must not be negative");
            }
        }
    }

    /**
     * Parses the address under config key (or flag) {@code key}; port 0 picks a free one.
     *
     * @throws ConfigException naming {@code key} if {@code text} is not HOST:PORT
     */
    public static HostPort hostPort(String key, String text) {
        try {
            return HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ": " + e.getMessage());
        }
    }

    /** Certificate chain and private key, PEM. */
    public record TlsFiles(Path cert, Path key) {
    }

    /**
     * Everything the daemon bounds.
     *
     * @param wire                  what HELLO_OK announces
     * @param maxInFlightBytes      request payload bytes per connection in flight before the daemon stops reading
     * @param maxInFlightBytesTotal the same over all connections; also bounds the bytes of frames
     *                              being received (announced by their length field, not yet complete)
     * @param maxConnections        connections beyond this are refused with BUSY
     * @param handshakeTimeout      a connection must complete HELLO within this
     * @param shutdownGrace         how long shutdown waits for running requests and commits
     * @param workerThreads         threads for blocking store calls
     * @param heartbeatInterval     how often a long request (VERIFY, TRIM, GC, POLICY_SIMULATE) sends
     *                              a heartbeat part while the daemon works on it
     * @param maxInFlightBytesPerTenant the in-flight bound (requests and frames being received)
     *                              of one tenant over all its connections, so one tenant cannot
     *                              take the whole {@code maxInFlightBytesTotal}; 0: the default,
     *                              see {@link #inFlightBytesPerTenant(int)}
     * @param maxConnectionsPerTenant authenticated connections of one tenant; HELLO beyond gets BUSY;
     *                              0: the default, see {@link #connectionsPerTenant(int)}
     * @param maxUnauthenticatedConnections connections that have not completed HELLO; beyond: BUSY
     */
    public record ServerLimits(Limits wire, long maxInFlightBytes, long maxInFlightBytesTotal, int maxConnections,
                               Duration handshakeTimeout, Duration shutdownGrace, int workerThreads,
                               Duration heartbeatInterval, long maxInFlightBytesPerTenant,
                               int maxConnectionsPerTenant, int maxUnauthenticatedConnections) {
        public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
        /** {@code limits.max_unauthenticated_connections} unless set (at most 64 MiB of handshake frames). */
        public static final int DEFAULT_MAX_UNAUTHENTICATED = 1024;

        public ServerLimits(Limits wire, long maxInFlightBytes, long maxInFlightBytesTotal, int maxConnections,
                            Duration handshakeTimeout, Duration shutdownGrace, int workerThreads) {
            this(wire, maxInFlightBytes, maxInFlightBytesTotal, maxConnections, handshakeTimeout, shutdownGrace,
                    workerThreads, DEFAULT_HEARTBEAT);
        }

        /** The per-tenant and handshake bounds at their defaults (derived from the others). */
        public ServerLimits(Limits wire, long maxInFlightBytes, long maxInFlightBytesTotal, int maxConnections,
                            Duration handshakeTimeout, Duration shutdownGrace, int workerThreads,
                            Duration heartbeatInterval) {
            this(wire, maxInFlightBytes, maxInFlightBytesTotal, maxConnections, handshakeTimeout, shutdownGrace,
                    workerThreads, heartbeatInterval, 0, 0, DEFAULT_MAX_UNAUTHENTICATED);
        }

        /**
         * The in-flight bytes one tenant may hold in a daemon serving {@code tenants} tenants: as
         * configured, else the whole total with one tenant and half of it (at least
         * {@code maxInFlightBytes}) with more.
         */
        public long inFlightBytesPerTenant(int tenants) {
            if (maxInFlightBytesPerTenant > 0) {
                return maxInFlightBytesPerTenant;
            }
            return tenants <= 1 ? maxInFlightBytesTotal : Math.max(maxInFlightBytes, maxInFlightBytesTotal / 2);
        }

        /**
         * The connections one tenant may hold in a daemon serving {@code tenants} tenants: as
         * configured, else all of {@code maxConnections} with one tenant and a quarter of them (at
         * least 1) with more.
         */
        public int connectionsPerTenant(int tenants) {
            if (maxConnectionsPerTenant > 0) {
                return maxConnectionsPerTenant;
            }
            return tenants <= 1 ? maxConnections : Math.max(1, maxConnections / 4);
        }

        public ServerLimits {
            if (heartbeatInterval.toMillis() < 10) {
                throw new ConfigException("limits.heartbeat_interval: must be at least 10ms");
            }
            if (maxInFlightBytes < (4 << 20) || maxInFlightBytesTotal < maxInFlightBytes) {
                throw new ConfigException("limits: max_in_flight_bytes must be at least 4MiB and at most"
                        + " max_in_flight_bytes_total");
            }
            if (maxInFlightBytesPerTenant != 0 && (maxInFlightBytesPerTenant < maxInFlightBytes
                    || maxInFlightBytesPerTenant > maxInFlightBytesTotal)) {
                throw new ConfigException("limits: max_in_flight_bytes_per_tenant must be at least max_in_flight_bytes"
                        + " and at most max_in_flight_bytes_total");
            }
            if (maxConnections < 1 || workerThreads < 1) {
                throw new ConfigException("limits: max_connections and worker_threads must be at least 1");
            }
            if (maxConnectionsPerTenant < 0 || maxUnauthenticatedConnections < 1) {
                throw new ConfigException("limits: max_connections_per_tenant must not be negative (0: the default)"
                        + " and max_unauthenticated_connections must be at least 1");
            }
        }

        public static ServerLimits defaults() {
            long total = defaultInFlightBytesTotal();
            return new ServerLimits(Limits.defaults(), Math.min(64L << 20, total), total, 10_000, Duration.ofSeconds(10),
                    Duration.ofSeconds(30), Math.max(8, 4 * Runtime.getRuntime().availableProcessors()));
        }

        /**
         * The default bound on bytes in flight over all connections: half the smaller of this
         * JVM's heap and direct-memory limits (frames are received into direct buffers and decoded
         * into heap arrays), between 16 MiB and 512 MiB. Under bin/cairnd's defaults (96 MiB heap,
         * 128 MiB direct) that is 48 MiB: a burst of uploads from many clients then waits for
         * budget (backpressure) instead of failing with OutOfMemoryError.
         */
        public static long defaultInFlightBytesTotal() {
            long heap = Runtime.getRuntime().maxMemory();
            long direct = io.netty.util.internal.PlatformDependent.maxDirectMemory();
            long mem = Math.min(heap == Long.MAX_VALUE ? 1L << 40 : heap, direct <= 0 ? 1L << 40 : direct);
            return Math.max(16L << 20, Math.min(512L << 20, mem / 2));
        }

        public ServerLimits withWire(Limits l) {
            return new ServerLimits(l, maxInFlightBytes, maxInFlightBytesTotal, maxConnections, handshakeTimeout,
                    shutdownGrace, workerThreads, heartbeatInterval, maxInFlightBytesPerTenant,
                    maxConnectionsPerTenant, maxUnauthenticatedConnections);
        }

        public ServerLimits withHandshakeTimeout(Duration d) {
            return new ServerLimits(wire, maxInFlightBytes, maxInFlightBytesTotal, maxConnections, d, shutdownGrace,
                    workerThreads, heartbeatInterval, maxInFlightBytesPerTenant, maxConnectionsPerTenant,
                    maxUnauthenticatedConnections);
        }

        public ServerLimits withHeartbeatInterval(Duration d) {
            return new ServerLimits(wire, maxInFlightBytes, maxInFlightBytesTotal, maxConnections, handshakeTimeout,
                    shutdownGrace, workerThreads, d, maxInFlightBytesPerTenant, maxConnectionsPerTenant,
                    maxUnauthenticatedConnections);
        }

        /** The per-tenant and handshake bounds replaced. */
        public ServerLimits withTenantLimits(long inFlightBytesPerTenant, int connectionsPerTenant,
                                             int unauthenticatedConnections) {
            return new ServerLimits(wire, maxInFlightBytes, maxInFlightBytesTotal, maxConnections, handshakeTimeout,
                    shutdownGrace, workerThreads, heartbeatInterval, inFlightBytesPerTenant, connectionsPerTenant,
                    unauthenticatedConnections);
        }
    }
}
