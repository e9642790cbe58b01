package dev.cairn.gc.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The keep rules of one policy. They are ORed: a checkpoint is kept if any rule keeps it. A count of
 * 0 switches the rule off; {@link #UNLIMITED} (YAML {@code unlimited}; -1 internally, as in restic's
 * code) keeps every bucket.
 *
 * @param last         keep the N newest checkpoints
 * @param within       keep everything newer than the series' newest checkpoint minus this
 * @param hourly       keep the newest checkpoint of each of the last N hours that have one
 * @param daily        ... days
 * @param weekly       ... ISO weeks
 * @param monthly      ... months
 * @param yearly       ... years
 * @param tags         keep every checkpoint carrying any of these tags
 * @param best         keep the best N by a metric, per rule
 * @param everyNSteps  keep the lowest-step checkpoint of each K-step bucket; 0 = off
 * @param maxRecompute keep enough checkpoints that the compute between two kept ones stays within budget
 */
public record KeepRules(
        int last,
        Optional<PolicyDuration> within,
        int hourly,
        int daily,
        int weekly,
        int monthly,
        int yearly,
        Set<String> tags,
        List<BestRule> best,
        long everyNSteps,
        Optional<PolicyDuration> maxRecompute) {

    /** "keep all" for {@code last} and the calendar buckets (restic's internal -1). */
    public static final int UNLIMITED = -1;

    public static final KeepRules NONE = new KeepRules(0, Optional.empty(), 0, 0, 0, 0, 0, Set.of(), List.of(), 0,
            Optional.empty());

    public KeepRules {
        Objects.requireNonNull(within, "within");
        Objects.requireNonNull(maxRecompute, "maxRecompute");
        tags = Set.copyOf(tags);
        best = List.copyOf(best);
        for (int n : new int[] {last, hourly, daily, weekly, monthly, yearly}) {
            if (n < UNLIMITED) {
                throw new IllegalArgumentException("counts must be >= 0, or UNLIMITED (-1); got " + n);
            }
        }
        if (everyNSteps < 0) {
            throw new IllegalArgumentException("every_n_steps must be >= 1 (or 0 = off), got " + everyNSteps);
        }
        within.ifPresent(d -> require(!d.isZero(), "within must be positive"));
        maxRecompute.ifPresent(d -> require(!d.isZero(), "max_recompute must be positive"));
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Whether any rule can keep a checkpoint beyond the invariants. */
    public boolean keepsAnything() {
        return last != 0 || within.isPresent() || hourly != 0 || daily != 0 || weekly != 0 || monthly != 0
                || yearly != 0 || !tags.isEmpty() || !best.isEmpty() || everyNSteps > 0 || maxRecompute.isPresent();
    }

    public KeepRules withLast(int n) {
        return new KeepRules(n, within, hourly, daily, weekly, monthly, yearly, tags, best, everyNSteps, maxRecompute);
    }

    public KeepRules withWithin(PolicyDuration d) {
        return new KeepRules(last, Optional.of(d), hourly, daily, weekly, monthly, yearly, tags, best, everyNSteps,
                maxRecompute);
    }

    public KeepRules withBuckets(int h, int d, int w, int m, int y) {
        return new KeepRules(last, within, h, d, w, m, y, tags, best, everyNSteps, maxRecompute);
    }

    public KeepRules withTags(Set<String> t) {
        return new KeepRules(last, within, hourly, daily, weekly, monthly, yearly, t, best, everyNSteps, maxRecompute);
    }

    public KeepRules withBest(List<BestRule> b) {
        return new KeepRules(last, within, hourly, daily, weekly, monthly, yearly, tags, b, everyNSteps, maxRecompute);
    }

    public KeepRules withEveryNSteps(long k) {
        return new KeepRules(last, within, hourly, daily, weekly, monthly, yearly, tags, best, k, maxRecompute);
    }

    public KeepRules withMaxRecompute(PolicyDuration d) {
        return new KeepRules(last, within, hourly, daily, weekly, monthly, yearly, tags, best, everyNSteps,
                Optional.of(d));
    }
}
