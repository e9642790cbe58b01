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
    final GlobalBudget budget;
    final String serverVersion;
    /** Trims, GC, holds, tags and the trash, with the daemon's clock and policies. */
    final Maintenance maint;
    final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    /** Requests accepted and not yet answered, over all connections. */
    final AtomicInteger activeRequests = new AtomicInteger();
    volatile boolean shuttingDown;

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
        this.serverVersion = serverVersion;
    }
}
