package dev.cairn.gc;

import dev.cairn.gc.policy.KeptCheckpoint;
import dev.cairn.gc.policy.Rebase;
import dev.cairn.gc.policy.RetentionPlan;

import java.time.Instant;
import java.util.List;

/**
 * What a trim decided and did: per series, every kept checkpoint with all its reasons, every
 * removed one with the bytes its removal frees, the brake if it held, and the rebases.
 *
 * @param auditId     id of the audit record ({@code cairn trim log}); null for a dry run
 * @param applied     false for a dry run (nothing changed)
 * @param freedBytes  sum over all removed checkpoints (reclaimed by GC after the grace period)
 */
public record TrimReport(String auditId, Instant at, boolean dryRun, boolean applied, boolean force,
                         String requestedBy, List<SeriesReport> series, List<Rebase> rebases, long freedBytes) {

    /** One series of the plan. */
    public record SeriesReport(String series, String policy, List<KeptCheckpoint> keep, List<Removed> remove,
                               String blocked, Instant trashExpiresAt) {
    }

    /** A removed checkpoint and what its removal frees. */
    public record Removed(String id, Instant createdAt, long freedBytes) {
    }

    /** True if the max_remove brake held in any series. */
    public boolean anyBlocked() {
        return series.stream().anyMatch(s -> s.blocked() != null);
    }

    public int removedCount() {
        return series.stream().mapToInt(s -> s.remove().size()).sum();
    }

    static TrimReport of(RetentionPlan plan, String auditId, boolean dryRun, boolean applied, String requestedBy,
                         List<SeriesReport> series, long freed) {
        return new TrimReport(auditId, plan.now(), dryRun, applied, plan.force(), requestedBy, series, plan.rebases(),
                freed);
    }
}
