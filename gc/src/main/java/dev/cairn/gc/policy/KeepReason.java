package dev.cairn.gc.policy;

import java.util.Comparator;
import java.util.Objects;

/**
 * One reason a checkpoint is kept: what kind of rule or invariant keeps it, and a human text such as
 * {@code "daily 2026-11-27"}, {@code "best val_loss #1"} or
 * {@code "held by eval-job (nightly eval) until 2026-12-01T00:00:00Z"}.
 */
public record KeepReason(Kind kind, String text) {

    /**
     * Reason kinds. The declaration order is the order reasons are listed in, and the first reason of
     * a checkpoint is its "primary" one (e.g. the colour in a simulation timeline): policy rules
     * first, then the invariants, then what is kept only because something else is.
     */
    public enum Kind {
        LAST(true), WITHIN(true), HOURLY(true), DAILY(true), WEEKLY(true), MONTHLY(true), YEARLY(true),
        TAG(false), BEST(false), EVERY_N_STEPS(false), MAX_RECOMPUTE(false),
        NEWEST_RESTORABLE(false), FLOOR(false), HOLD(false),
        LINEAGE(false), CHAIN_BASE(false), MAX_REMOVE_BRAKE(false);

        private final boolean resticBucketRule;

        Kind(boolean resticBucketRule) {
            this.resticBucketRule = resticBucketRule;
        }

        /** {@code last}, {@code within} and the calendar buckets: the rules with restic's semantics. */
        public boolean isResticRule() {
            return resticBucketRule;
        }

        /** Reasons no policy can switch off. */
        public boolean isInvariant() {
            return this == NEWEST_RESTORABLE || this == FLOOR || this == HOLD;
        }
    }

    static final Comparator<KeepReason> ORDER =
            Comparator.comparing(KeepReason::kind).thenComparing(KeepReason::text);

    public KeepReason {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(text, "text");
    }

    @Override
    public String toString() {
        return text;
    }
}
