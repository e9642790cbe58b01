package dev.cairn.gc.policy;

import java.util.Objects;

/**
 * {@code best: [{metric: val_loss, mode: min, n: 3}]}: keep the {@code n} checkpoints with the best
 * value of {@code metric}. Ties go to the newest. A checkpoint without the metric, or with NaN, is
 * neither best nor penalised: it simply does not take part in this rule.
 */
public record BestRule(String metric, Mode mode, int n) {

    public enum Mode { MIN, MAX }

    public BestRule {
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(mode, "mode");
        if (metric.isBlank()) {
            throw new IllegalArgumentException("best: metric must not be empty");
        }
        if (n < 1) {
            throw new IllegalArgumentException("best: n must be >= 1, got " + n);
        }
    }
}
