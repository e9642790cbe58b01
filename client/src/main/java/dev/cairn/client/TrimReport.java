package dev.cairn.client;

import dev.cairn.protocol.manifest.ManifestId;

import java.time.Instant;
import java.util.List;

/**
 * What {@link CairnClient#trim} did, or with a dry run would do: per series every kept checkpoint
 * with all its reasons and every removed one with the bytes a GC frees for it after the grace
 * period, the rebased deltas, and totals.
 *
 * <p>A series where the {@code max_remove} brake held is not an error: {@link SeriesPlan#blocked()}
 * says why, nothing of it was removed (what would have been is kept with reason kind
 * {@code max_remove_brake}), and the other series were trimmed. {@link #anyBlocked()} tells.
 *
 * @param at            the daemon's "now" the plan was computed for
 * @param applied       true if the store changed; false for a dry run and when there was nothing to do
 * @param auditId       the audit record ({@link CairnClient#trimLog}); null when nothing was applied
 * @param requestedBy   as recorded in the audit log: {@code tenant (clientName)}
 * @param series        the trimmed series in name order
 * @param rebases       surviving deltas whose parent was removed, rewritten in the same atomic step
 * @param kept          kept checkpoints over all series
 * @param removed       removed checkpoints over all series
 * @param freedBytes    what GC frees after the grace period, over all removed checkpoints
 * @param blockedSeries series where the brake held
 */
public record TrimReport(Instant at, boolean dryRun, boolean applied, boolean force, String auditId,
                         String requestedBy, String policySource, List<SeriesPlan> series, List<Rebase> rebases,
                         long kept, long removed, long freedBytes, int blockedSeries) {

    public TrimReport {
        series = List.copyOf(series);
        rebases = List.copyOf(rebases);
    }

    /**
     * One series of the plan.
     *
     * @param policy         the glob of the policy that governs it
     * @param blocked        why the {@code max_remove} brake held, or null
     * @param trashExpiresAt when its removed checkpoints leave the trash for good (a GC after that frees them)
     * @param kept           newest first, each with every reason
     * @param removed        newest first
     */
    public record SeriesPlan(String series, String policy, String blocked, Instant trashExpiresAt, List<Kept> kept,
                             List<Removed> removed) {
        public SeriesPlan {
            kept = List.copyOf(kept);
            removed = List.copyOf(removed);
        }

        public boolean isBlocked() {
            return blocked != null;
        }

        public long freedBytes() {
            long n = 0;
            for (Removed r : removed) {
                n += r.freedBytes();
            }
            return n;
        }
    }

    /** A kept checkpoint and every reason that keeps it. */
    public record Kept(ManifestId id, List<KeepReason> reasons) {
        public Kept {
            reasons = List.copyOf(reasons);
        }
    }

    /**
     * A removed checkpoint (moved to the trash).
     *
     * @param freedBytes bytes no surviving checkpoint shares (a chunk shared by several removed ones counts once)
     */
    public record Removed(ManifestId id, Instant createdAt, long freedBytes) {
    }

    /**
     * A surviving delta whose parent was removed.
     *
     * @param newParent its new parent, or null: materialised as a full manifest (its id does not change)
     */
    public record Rebase(ManifestId id, String series, ManifestId oldParent, ManifestId newParent) {
    }

    /** True if the {@code max_remove} brake held for at least one series. */
    public boolean anyBlocked() {
        return blockedSeries > 0;
    }
}
