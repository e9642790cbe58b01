package dev.cairn.gc.policy;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * One entry of {@code policies:}: the keep rules and safety settings for every series its glob
 * matches. Immutable; build it from YAML with {@link PolicyParser} or in code with
 * {@link #of(String, KeepRules)} and the {@code with*} methods.
 *
 * @param series      which series the policy governs
 * @param rules       the keep rules (ORed)
 * @param keepLineage also keep every checkpoint of the governed series that is a (transitive)
 *                    {@code derivedFrom} ancestor of a kept checkpoint anywhere in the store
 * @param floor       the N newest restorable checkpoints are always kept; at least 1
 * @param maxRemove   the brake on how much one trim may remove without force
 * @param timezone    the zone calendar buckets and {@code within}'s days are computed in
 * @param grace       how long removed manifests stay restorable in the trash; the engine only carries it
 * @param chain       what to do with surviving deltas whose parent this policy removes
 */
public record RetentionPolicy(
        SeriesGlob series,
        KeepRules rules,
        boolean keepLineage,
        int floor,
        MaxRemove maxRemove,
        ZoneId timezone,
        PolicyDuration grace,
        ChainMode chain) {

    public static final PolicyDuration DEFAULT_GRACE = PolicyDuration.parse("24h");

    public RetentionPolicy {
        Objects.requireNonNull(series, "series");
        Objects.requireNonNull(rules, "rules");
        Objects.requireNonNull(maxRemove, "maxRemove");
        Objects.requireNonNull(timezone, "timezone");
        Objects.requireNonNull(grace, "grace");
        Objects.requireNonNull(chain, "chain");
        if (floor < 1) {
            throw new IllegalArgumentException("floor must be >= 1, got " + floor);
        }
    }

    /** A policy with the defaults: floor 1, max_remove 50%, UTC, grace 24h, chain rebase, no lineage. */
    public static RetentionPolicy of(String glob, KeepRules rules) {
        return new RetentionPolicy(SeriesGlob.compile(glob), rules, false, 1, MaxRemove.DEFAULT, ZoneOffset.UTC,
                DEFAULT_GRACE, ChainMode.REBASE);
    }

    public RetentionPolicy withFloor(int n) {
        return new RetentionPolicy(series, rules, keepLineage, n, maxRemove, timezone, grace, chain);
    }

    public RetentionPolicy withMaxRemove(MaxRemove m) {
        return new RetentionPolicy(series, rules, keepLineage, floor, m, timezone, grace, chain);
    }

    public RetentionPolicy withTimezone(ZoneId z) {
        return new RetentionPolicy(series, rules, keepLineage, floor, maxRemove, z, grace, chain);
    }

    public RetentionPolicy withChain(ChainMode c) {
        return new RetentionPolicy(series, rules, keepLineage, floor, maxRemove, timezone, grace, c);
    }

    public RetentionPolicy withKeepLineage(boolean b) {
        return new RetentionPolicy(series, rules, b, floor, maxRemove, timezone, grace, chain);
    }

    public RetentionPolicy withSeries(String glob) {
        return new RetentionPolicy(SeriesGlob.compile(glob), rules, keepLineage, floor, maxRemove, timezone, grace,
                chain);
    }
}
