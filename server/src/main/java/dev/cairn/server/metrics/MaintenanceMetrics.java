package dev.cairn.server.metrics;

import dev.cairn.gc.GcReport;
import dev.cairn.gc.TrimReport;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-tenant counters of trims and garbage collections (client-requested and scheduled alike), and
 * the shape of each tenant's last completed GC. Dry runs change nothing and count only in
 * {@code cairn_gc_dry_runs_total}. Thread-safe.
 */
public final class MaintenanceMetrics {

    /** How a real (not dry) GC run ended. */
    public enum Outcome {
        OK, CANCELLED, FAILED;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The last completed real GC of a tenant: phase wall times and when it ended. */
    private record LastGc(Map<String, Long> phaseMillis, long totalMillis, long endEpochMillis) {
    }

    private static final class Counters {
        final Map<Outcome, LongAdder> runs = new ConcurrentHashMap<>();
        final LongAdder dryRuns = new LongAdder();
        final LongAdder manifestsDeleted = new LongAdder();
        final LongAdder chunksFreed = new LongAdder();
        final LongAdder bytesReclaimed = new LongAdder();
        final LongAdder packsDeleted = new LongAdder();
        final LongAdder packsRewritten = new LongAdder();
        final LongAdder trims = new LongAdder();
        final LongAdder trashed = new LongAdder();
        volatile LastGc last;

        Counters() {
            for (Outcome o : Outcome.values()) {
                runs.put(o, new LongAdder());
            }
        }
    }

    private final Map<String, Counters> tenants = new ConcurrentHashMap<>();

    private Counters of(String tenant) {
        return tenants.computeIfAbsent(tenant, t -> new Counters());
    }

    /** A GC that completed; {@code endEpochMillis} from the daemon's clock. */
    public void gcCompleted(String tenant, GcReport r, long endEpochMillis) {
        Counters c = of(tenant);
        if (r.dryRun()) {
            c.dryRuns.increment();
            return;
        }
        c.runs.get(Outcome.OK).increment();
        c.manifestsDeleted.add(r.manifestsDeleted());
        c.chunksFreed.add(r.chunksFreed());
        c.bytesReclaimed.add(r.bytesReclaimed());
        c.packsDeleted.add(r.packsDeleted());
        c.packsRewritten.add(r.packsRewritten());
        c.last = new LastGc(Map.copyOf(r.phaseMillis()), r.totalMillis(), endEpochMillis);
    }

    /** A real GC that did not complete (cancelled, or failed with an error). */
    public void gcEnded(String tenant, Outcome outcome) {
        of(tenant).runs.get(outcome).increment();
    }

    /** A trim that changed the store (dry runs and trims with nothing to do are not counted). */
    public void trimApplied(String tenant, TrimReport r) {
        Counters c = of(tenant);
        c.trims.increment();
        c.trashed.add(r.removedCount());
    }

    public long gcRuns(String tenant, Outcome o) {
        return of(tenant).runs.get(o).sum();
    }

    public long trims(String tenant) {
        return of(tenant).trims.sum();
    }

    /** Appends the exposition for {@code names} (every tenant, so each series exists from the start). */
    void render(StringBuilder b, Collection<String> names) {
        StringBuilder runs = new StringBuilder();
        StringBuilder dry = new StringBuilder();
        StringBuilder manifests = new StringBuilder();
        StringBuilder chunks = new StringBuilder();
        StringBuilder bytes = new StringBuilder();
        StringBuilder deleted = new StringBuilder();
        StringBuilder rewritten = new StringBuilder();
        StringBuilder trims = new StringBuilder();
        StringBuilder trashed = new StringBuilder();
        StringBuilder duration = new StringBuilder();
        StringBuilder end = new StringBuilder();
        for (String t : names) {
            Counters c = of(t);
            String l = "{tenant=\"" + t + "\"} ";
            for (Outcome o : Outcome.values()) {
                runs.append("cairn_gc_runs_total{tenant=\"").append(t).append("\",outcome=\"").append(o.label())
                        .append("\"} ").append(c.runs.get(o).sum()).append('\n');
            }
            dry.append("cairn_gc_dry_runs_total").append(l).append(c.dryRuns.sum()).append('\n');
            manifests.append("cairn_gc_manifests_deleted_total").append(l).append(c.manifestsDeleted.sum()).append('\n');
            chunks.append("cairn_gc_chunks_freed_total").append(l).append(c.chunksFreed.sum()).append('\n');
            bytes.append("cairn_gc_bytes_reclaimed_total").append(l).append(c.bytesReclaimed.sum()).append('\n');
            deleted.append("cairn_gc_packs_deleted_total").append(l).append(c.packsDeleted.sum()).append('\n');
            rewritten.append("cairn_gc_packs_rewritten_total").append(l).append(c.packsRewritten.sum()).append('\n');
            trims.append("cairn_trims_total").append(l).append(c.trims.sum()).append('\n');
            trashed.append("cairn_trim_checkpoints_trashed_total").append(l).append(c.trashed.sum()).append('\n');
            LastGc last = c.last;
            if (last != null) {
                last.phaseMillis().forEach((phase, ms) -> duration.append("cairn_gc_last_duration_seconds{tenant=\"")
                        .append(t).append("\",phase=\"").append(phase).append("\"} ").append(seconds(ms)).append('\n'));
                duration.append("cairn_gc_last_duration_seconds{tenant=\"").append(t).append("\",phase=\"total\"} ")
                        .append(seconds(last.totalMillis())).append('\n');
                end.append("cairn_gc_last_end_timestamp_seconds").append(l).append(seconds(last.endEpochMillis()))
                        .append('\n');
            }
        }
        section(b, "cairn_gc_runs_total", "counter", "Garbage collections (not dry runs), by outcome", runs);
        section(b, "cairn_gc_dry_runs_total", "counter", "GC dry runs", dry);
        section(b, "cairn_gc_manifests_deleted_total", "counter", "Expired trash deleted for good by GC", manifests);
        section(b, "cairn_gc_chunks_freed_total", "counter", "Index entries of dead chunks removed by GC", chunks);
        section(b, "cairn_gc_bytes_reclaimed_total", "counter", "Pack bytes GC gave back to the disk", bytes);
        section(b, "cairn_gc_packs_deleted_total", "counter", "Packs GC deleted because nothing in them was live",
                deleted);
        section(b, "cairn_gc_packs_rewritten_total", "counter", "Packs GC repacked", rewritten);
        section(b, "cairn_gc_last_duration_seconds", "gauge", "Wall time of each phase of the last completed GC",
                duration);
        section(b, "cairn_gc_last_end_timestamp_seconds", "gauge", "When the last completed GC ended (Unix time)",
                end);
        section(b, "cairn_trims_total", "counter", "Trims that changed the store", trims);
        section(b, "cairn_trim_checkpoints_trashed_total", "counter", "Checkpoints trims moved to the trash", trashed);
    }

    private static String seconds(long millis) {
        return Double.toString(millis / 1000.0);
    }

    private static void section(StringBuilder b, String name, String type, String help, StringBuilder lines) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        b.append(lines);
    }
}
