package dev.cairn.server.metrics;

import dev.cairn.protocol.Status;
import dev.cairn.s3.S3Metrics;
import dev.cairn.s3.S3PackStore;
import dev.cairn.s3.S3Stores;
import dev.cairn.server.tenant.Tenant;
import dev.cairn.store.StoreStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The daemon's counters and gauges, rendered in the Prometheus text format (version 0.0.4).
 * Thread-safe; recording is a few atomic adds.
 */
public final class Metrics {
    private static final Logger log = LoggerFactory.getLogger(Metrics.class);
    /** Store stats scan the whole index: compute them at most this often. */
    private static final long STATS_TTL_NANOS = 30_000_000_000L;

    public final LongAdder bytesIn = new LongAdder();
    public final LongAdder bytesOut = new LongAdder();
    public final LongAdder haveIds = new LongAdder();
    /** HAVE answers "present": chunks the client need not send. */
    public final LongAdder dedupHits = new LongAdder();
    public final LongAdder chunksStored = new LongAdder();
    public final LongAdder chunksAlreadyPresent = new LongAdder();
    public final LongAdder uploadPayloadBytes = new LongAdder();
    public final LongAdder commits = new LongAdder();
    public final LongAdder readChunks = new LongAdder();
    public final LongAdder readPayloadBytes = new LongAdder();
    public final AtomicLong connections = new AtomicLong();
    public final LongAdder connectionsTotal = new LongAdder();
    public final AtomicLong openSessions = new AtomicLong();
    /** Bytes reserved for frames being received (length announced, not all bytes in yet). */
    public final AtomicLong bufferedFrameBytes = new AtomicLong();
    /** The highest {@link #bufferedFrameBytes} since start. */
    public final AtomicLong bufferedFrameBytesPeak = new AtomicLong();
    /** Times a connection stopped reading because a frame did not fit its budgets. */
    public final LongAdder frameBudgetWaits = new LongAdder();
    /** Reasons a connection is refused or closed for lack of resources, in rendering order. */
    public static final java.util.List<String> REFUSAL_REASONS = java.util.List.of("max_connections",
            "max_connections_per_tenant", "max_unauthenticated_connections", "handshake_timeout", "out_of_memory");
    private final Map<String, LongAdder> refused = new ConcurrentHashMap<>();
    public final LatencyHistogram putLatency = new LatencyHistogram();
    public final LatencyHistogram getLatency = new LatencyHistogram();
    /** Trims and garbage collections, per tenant. */
    public final MaintenanceMetrics maintenance = new MaintenanceMetrics();
    private final Map<Status, LongAdder> errors = new EnumMap<>(Status.class);
    private final Map<String, CachedStats> stats = new ConcurrentHashMap<>();

    private record CachedStats(StoreStats stats, long at) {
    }

    public Metrics() {
        for (Status s : Status.values()) {
            errors.put(s, new LongAdder());
        }
        for (String r : REFUSAL_REASONS) {
            refused.put(r, new LongAdder());
        }
    }

    /** Counts a refused or resource-failed connection; {@code reason} is one of {@link #REFUSAL_REASONS}. */
    public void refused(String reason) {
        LongAdder a = refused.get(reason);
        if (a == null) {
            throw new IllegalArgumentException("unknown refusal reason " + reason);
        }
        a.increment();
    }

    public long refusedCount(String reason) {
        return refused.get(reason).sum();
    }

    /** A frame's bytes were reserved (positive) or released (negative). */
    public void frameBytes(long delta) {
        long now = bufferedFrameBytes.addAndGet(delta);
        if (delta > 0) {
            bufferedFrameBytesPeak.accumulateAndGet(now, Math::max);
        }
    }

    public void error(Status s) {
        errors.get(s).increment();
    }

    public long errors(Status s) {
        return errors.get(s).sum();
    }

    /** The whole exposition. */
    public String render(Collection<Tenant> tenants) {
        StringBuilder b = new StringBuilder(4096);
        counter(b, "cairn_bytes_received_total", "Protocol bytes received from clients", bytesIn.sum());
        counter(b, "cairn_bytes_sent_total", "Protocol bytes sent to clients", bytesOut.sum());
        counter(b, "cairn_have_ids_total", "Chunk ids asked about in HAVE requests", haveIds.sum());
        counter(b, "cairn_dedup_hits_total", "HAVE answers 'present': chunks that did not cross the wire", dedupHits.sum());
        b.append("# HELP cairn_chunks_uploaded_total Chunks received in UPLOAD, by outcome\n");
        b.append("# TYPE cairn_chunks_uploaded_total counter\n");
        b.append("cairn_chunks_uploaded_total{result=\"stored\"} ").append(chunksStored.sum()).append('\n');
        b.append("cairn_chunks_uploaded_total{result=\"present\"} ").append(chunksAlreadyPresent.sum()).append('\n');
        counter(b, "cairn_upload_payload_bytes_total", "Chunk payload bytes received in UPLOAD", uploadPayloadBytes.sum());
        counter(b, "cairn_commits_total", "Checkpoints committed", commits.sum());
        counter(b, "cairn_read_chunks_total", "Chunks sent by READ", readChunks.sum());
        counter(b, "cairn_read_payload_bytes_total", "Chunk payload bytes sent by READ", readPayloadBytes.sum());
        gauge(b, "cairn_connections", "Open client connections", connections.get());
        counter(b, "cairn_connections_total", "Client connections accepted", connectionsTotal.sum());
        gauge(b, "cairn_open_sessions", "Open put sessions", openSessions.get());
        gauge(b, "cairn_buffered_frame_bytes", "Bytes reserved for frames being received (announced, not complete)",
                bufferedFrameBytes.get());
        gauge(b, "cairn_buffered_frame_bytes_max", "Highest cairn_buffered_frame_bytes since start",
                bufferedFrameBytesPeak.get());
        counter(b, "cairn_frame_budget_waits_total", "Times a connection stopped reading because a frame did not"
                + " fit the in-flight budgets", frameBudgetWaits.sum());
        b.append("# HELP cairn_connections_refused_total Connections refused or closed for lack of resources, by reason\n");
        b.append("# TYPE cairn_connections_refused_total counter\n");
        for (String r : REFUSAL_REASONS) {
            b.append("cairn_connections_refused_total{reason=\"").append(r).append("\"} ")
                    .append(refused.get(r).sum()).append('\n');
        }
        b.append("# HELP cairn_errors_total ERROR responses sent, by status\n");
        b.append("# TYPE cairn_errors_total counter\n");
        errors.forEach((s, n) -> {
            if (s != Status.OK) {
                b.append("cairn_errors_total{status=\"").append(s.name()).append("\"} ").append(n.sum()).append('\n');
            }
        });
        putLatency.render(b, "cairn_put_seconds", "Put sessions from BEGIN_PUT to COMMIT_OK");
        getLatency.render(b, "cairn_get_seconds", "READ requests from the request to READ_OK");
        renderStores(b, tenants);
        maintenance.render(b, tenants.stream().map(Tenant::name).toList());
        return b.toString();
    }

    private void renderStores(StringBuilder b, Collection<Tenant> tenants) {
        StringBuilder packs = new StringBuilder();
        StringBuilder meta = new StringBuilder();
        StringBuilder logical = new StringBuilder();
        StringBuilder checkpoints = new StringBuilder();
        StringBuilder chunks = new StringBuilder();
        for (Tenant t : tenants) {
            StoreStats s = stats(t);
            if (s == null) {
                continue;
            }
            String l = "{tenant=\"" + t.name() + "\"} ";
            packs.append("cairn_store_pack_bytes").append(l).append(s.storedBytes()).append('\n');
            meta.append("cairn_store_metadata_bytes").append(l).append(s.metadataBytes()).append('\n');
            logical.append("cairn_store_logical_bytes").append(l).append(s.logicalBytes()).append('\n');
            checkpoints.append("cairn_store_checkpoints").append(l).append(s.checkpoints()).append('\n');
            chunks.append("cairn_store_chunks").append(l).append(s.chunks()).append('\n');
        }
        section(b, "cairn_store_pack_bytes", "Bytes of pack files (refreshed every 30s)", packs);
        section(b, "cairn_store_metadata_bytes", "Bytes of the metadata database", meta);
        section(b, "cairn_store_logical_bytes", "Sum of checkpoint sizes, live and trash", logical);
        section(b, "cairn_store_checkpoints", "Live checkpoints", checkpoints);
        section(b, "cairn_store_chunks", "Distinct chunks indexed", chunks);
        // S3 requests per operation, the lease, writes stopped (docs/S3.md, "Metrics").
        Map<String, S3PackStore> s3 = new java.util.LinkedHashMap<>();
        for (Tenant t : tenants) {
            S3PackStore p = S3Stores.packsOf(t.repo());
            if (p != null) {
                s3.put(t.name(), p);
            }
        }
        S3Metrics.render(b, s3);
    }

    private StoreStats stats(Tenant t) {
        CachedStats c = stats.get(t.name());
        long now = System.nanoTime();
        if (c == null || now - c.at() > STATS_TTL_NANOS) {
            try {
                c = new CachedStats(t.repo().stats(), now);
                stats.put(t.name(), c);
            } catch (IOException | RuntimeException e) {
                log.warn("store stats of tenant {} unavailable: {}", t.name(), e.toString());
                return c == null ? null : c.stats();
            }
        }
        return c.stats();
    }

    private static void section(StringBuilder b, String name, String help, StringBuilder lines) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
        b.append(lines);
    }

    private static void counter(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" counter\n");
        b.append(name).append(' ').append(v).append('\n');
    }

    private static void gauge(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
        b.append(name).append(' ').append(v).append('\n');
    }
}
