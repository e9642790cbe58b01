package dev.cairn.protocol.manifest;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The immutable metadata of a checkpoint, part of its identity. Tags are not here: they are
 * mutable labels kept beside the manifest (users tag "best" after an evaluation).
 *
 * @param series         the series (job, run, model) it belongs to, e.g. {@code resnet50/run-7}
 * @param createdAt      creation time, millisecond precision (retention works on it)
 * @param step           training step or sequence number, if the writer has one
 * @param metrics        named numeric metrics (finite values), sorted by name
 * @param computeSeconds compute spent producing it since the previous checkpoint of the series
 * @param derivedFrom    the checkpoint it was derived from (lineage), possibly in another series
 */
public record CheckpointMeta(String series, Instant createdAt, OptionalLong step, SortedMap<String, Double> metrics,
                             OptionalDouble computeSeconds, Optional<ManifestId> derivedFrom) {

    private static final Pattern SERIES = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._/:-]+");
    /** Longest series name in bytes. */
    public static final int MAX_SERIES = 200;

    public CheckpointMeta {
        validateSeries(series);
        Objects.requireNonNull(createdAt, "createdAt");
        createdAt = Instant.ofEpochMilli(createdAt.toEpochMilli());
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(computeSeconds, "computeSeconds");
        Objects.requireNonNull(derivedFrom, "derivedFrom");
        TreeMap<String, Double> m = new TreeMap<>();
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            if (!NAME.matcher(e.getKey()).matches() || e.getKey().length() > 100) {
                throw new IllegalArgumentException("bad metric name '" + e.getKey()
                        + "': use letters, digits and . _ / : - (at most 100)");
            }
            if (e.getValue() == null || !Double.isFinite(e.getValue())) {
                throw new IllegalArgumentException("metric " + e.getKey() + " must be a finite number, got " + e.getValue());
            }
            m.put(e.getKey(), e.getValue());
        }
        metrics = Collections.unmodifiableSortedMap(m);
        if (computeSeconds.isPresent() && !(computeSeconds.getAsDouble() >= 0 && Double.isFinite(computeSeconds.getAsDouble()))) {
            throw new IllegalArgumentException("computeSeconds must be a finite number >= 0, got " + computeSeconds.getAsDouble());
        }
    }

    /** Metadata with only a series and a time. */
    public static CheckpointMeta of(String series, Instant createdAt) {
        return new CheckpointMeta(series, createdAt, OptionalLong.empty(), new TreeMap<>(), OptionalDouble.empty(),
                Optional.empty());
    }

    public CheckpointMeta withStep(long s) {
        return new CheckpointMeta(series, createdAt, OptionalLong.of(s), metrics, computeSeconds, derivedFrom);
    }

    public CheckpointMeta withMetric(String name, double value) {
        TreeMap<String, Double> m = new TreeMap<>(metrics);
        m.put(name, value);
        return new CheckpointMeta(series, createdAt, step, m, computeSeconds, derivedFrom);
    }

    public CheckpointMeta withComputeSeconds(double s) {
        return new CheckpointMeta(series, createdAt, step, metrics, OptionalDouble.of(s), derivedFrom);
    }

    public CheckpointMeta withDerivedFrom(ManifestId id) {
        return new CheckpointMeta(series, createdAt, step, metrics, computeSeconds, Optional.of(id));
    }

    /** @throws IllegalArgumentException if {@code series} is not a valid series name */
    public static void validateSeries(String series) {
        if (series == null || series.isEmpty() || series.length() > MAX_SERIES || !SERIES.matcher(series).matches()
                || ("/" + series + "/").contains("/./") || ("/" + series + "/").contains("/../")) {
            throw new IllegalArgumentException("bad series name '" + series + "': use segments of letters, digits"
                    + " and . _ - (not '.' or '..') separated by single '/', at most " + MAX_SERIES + " characters");
        }
    }

    /** @throws IllegalArgumentException if {@code tag} is not a valid tag */
    public static void validateTag(String tag) {
        if (tag == null || tag.isEmpty() || tag.length() > 100 || !NAME.matcher(tag).matches()) {
            throw new IllegalArgumentException("bad tag '" + tag + "': use letters, digits and . _ / : - (at most 100)");
        }
    }
}
