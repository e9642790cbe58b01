package dev.cairn.gc;

import dev.cairn.gc.policy.PolicySet;

import java.util.Objects;

/**
 * One trim: which policies, over which series, and how.
 *
 * @param policies     the policies (from cairn.yaml or a file passed to trim)
 * @param policySource where they came from, as recorded in the audit log (a path, "cairn.yaml")
 * @param policyText   the policy document as written, for the audit log (may be null)
 * @param series       a series name or glob to restrict the trim to; null: every series a policy matches
 * @param dryRun       compute and report the plan, change nothing, write no audit record
 * @param force        override the max_remove brake
 * @param requestedBy  who asked (tenant/token name, "scheduler"), for the audit log
 */
public record TrimRequest(PolicySet policies, String policySource, String policyText, String series, boolean dryRun, boolean force,
                          String requestedBy) {
    public TrimRequest {
        Objects.requireNonNull(policies, "policies");
        Objects.requireNonNull(policySource, "policySource");
        Objects.requireNonNull(requestedBy, "requestedBy");
    }
}
