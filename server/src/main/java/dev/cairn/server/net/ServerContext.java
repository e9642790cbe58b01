package dev.cairn.server.net;

import dev.cairn.server.config.DaemonConfig.ServerLimits;
import dev.cairn.server.maint.Maintenance;
import dev.cairn.server.metrics.Metrics;
import dev.cairn.server.tenant.TenantRegistry;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/** What every connection of one daemon shares. */
final class ServerContext {
    final ServerLimits limits;
    final TenantRegistry tenants;
    final Metrics metrics;
    /** Blocking store work; never the event loops. */
    final ExecutorService pool;
    /** Request and frame bytes in flight over all authenticated connections. */
    final GlobalBudget budget;
    /**
     * Frame bytes of connections that have not completed HELLO: apart from the tenants' budgets,
     * {@code max_unauthenticated_connections} handshake-sized frames.
     */
    final GlobalBudget handshakeBudget;
    /** Tenant name → its in-flight budget. */
    private final ConcurrentHashMap<String, GlobalBudget> tenantBudgets = new ConcurrentHashMap<>();
    /** Tenant name → its authenticated connections open now. */
    private final ConcurrentHashMap<String, AtomicInteger> tenantConnections = new ConcurrentHashMap<>();
    /** Connections open now that have not completed HELLO. */
    final AtomicInteger unauthenticated = new AtomicInteger();
    /** Per-tenant bounds in effect (the defaults depend on how many tenants there are). */
    final int connectionsPerTenant;
    final long inFlightBytesPerTenant;
    /** Connections open now that completed HELLO (what {@code max_connections} bounds). */
    final AtomicInteger authenticated = new AtomicInteger();
    final String serverVersion;
    /** Trims, GC, holds, tags and the trash, with the daemon's clock and policies. */
    final Maintenance maint;
    final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    /** Requests accepted and not yet answered, over all connections. */
    final AtomicInteger activeRequests = new AtomicInteger();
    volatile boolean shuttingDown;

    /** Reason → [nanoTime of the last warning, refusals since]. */
    private final ConcurrentHashMap<String, long[]> warned = new ConcurrentHashMap<>();

    /**
     * Rate limit for resource warnings: -1 if a warning of {@code kind} was logged less than
     * {@code everyNanos} ago (this one is counted as suppressed), else how many were suppressed
     * since the last one (0 or more), and this one should be logged.
     */
    long warnAllowed(String kind, long everyNanos) {
        long now = System.nanoTime();
        long[] s = warned.computeIfAbsent(kind, k -> new long[] {now - everyNanos - 1, 0});
        synchronized (s) {
            if (now - s[0] < everyNanos) {
                s[1]++;
                return -1;
            }
            long suppressed = s[1];
            s[0] = now;
            s[1] = 0;
            return suppressed;
        }
    }

    GlobalBudget tenantBudget(dev.cairn.server.tenant.Tenant t) {
        return tenantBudgets.computeIfAbsent(t.name(), n -> new GlobalBudget(inFlightBytesPerTenant));
    }

    AtomicInteger tenantConnections(dev.cairn.server.tenant.Tenant t) {
        return tenantConnections.computeIfAbsent(t.name(), n -> new AtomicInteger());
    }

    /** Maintenance with the system clock, no policies and the default GC options. */
    ServerContext(ServerLimits limits, TenantRegistry tenants, Metrics metrics, ExecutorService pool,
                  String serverVersion) {
        this(limits, tenants, metrics, pool, serverVersion, new Maintenance(java.time.Clock.systemUTC(), null,
                dev.cairn.gc.GcOptions.defaults(), metrics.maintenance));
    }

    ServerContext(ServerLimits limits, TenantRegistry tenants, Metrics metrics, ExecutorService pool,
                  String serverVersion, Maintenance maint) {
        this.maint = maint;
        this.limits = limits;
        this.tenants = tenants;
        this.metrics = metrics;
        this.pool = pool;
        this.budget = new GlobalBudget(limits.maxInFlightBytesTotal());
        int n = tenants.all().size();
        this.connectionsPerTenant = limits.connectionsPerTenant(n);
        this.inFlightBytesPerTenant = limits.inFlightBytesPerTenant(n);
        this.handshakeBudget = new GlobalBudget((long) limits.maxUnauthenticatedConnections()
                * dev.cairn.protocol.wire.Wire.HANDSHAKE_MAX_FRAME);
        this.serverVersion = serverVersion;
    }
}
