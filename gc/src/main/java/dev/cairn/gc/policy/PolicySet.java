package dev.cairn.gc.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The policies in force, at most one per series: construction rejects any two policies whose globs
 * can match one same series name, so the applicable policy never depends on the order of the file.
 */
public record PolicySet(List<RetentionPolicy> policies) {

    public PolicySet {
        policies = List.copyOf(policies);
        List<String> overlaps = overlaps(policies);
        if (!overlaps.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", overlaps));
        }
    }

    public static PolicySet of(RetentionPolicy... policies) {
        return new PolicySet(List.of(policies));
    }

    /** One message per overlapping pair, naming both globs, their indexes and a series both match. */
    static List<String> overlaps(List<RetentionPolicy> policies) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < policies.size(); i++) {
            for (int j = i + 1; j < policies.size(); j++) {
                SeriesGlob a = policies.get(i).series();
                SeriesGlob b = policies.get(j).series();
                Optional<String> w = a.overlapWitness(b);
                if (w.isPresent()) {
                    out.add(overlapMessage(i, a, j, b, w.get()));
                }
            }
        }
        return out;
    }

    static String overlapMessage(int i, SeriesGlob a, int j, SeriesGlob b, String witness) {
        return "series globs overlap: '" + a + "' (policies[" + i + "]) and '" + b + "' (policies[" + j
                + "]) both match the series '" + witness + "'; make them disjoint so each series has exactly one policy";
    }

    /** The policy governing {@code series}, if any. */
    public Optional<RetentionPolicy> policyFor(String series) {
        for (RetentionPolicy p : policies) {
            if (p.series().matches(series)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
