package dev.cairn.gc.policy;

import dev.cairn.protocol.manifest.ManifestId;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Everything the retention engine needs to know about one live checkpoint, and nothing else: the
 * caller (trim, or a simulation) reads these facts from wherever they live and hands them in, so the
 * decision itself never touches storage.
 *
 * @param id             the manifest id
 * @param series         the series the checkpoint belongs to
 * @param createdAt      the checkpoint's time (the client's {@code --time}, or the put time)
 * @param step           the training step, if the client recorded one
 * @param metrics        numeric metrics recorded at put ({@code val_loss -> 0.21}); NaN allowed
 * @param tags           tags (mutable labels, as of when the facts were read)
 * @param holds          holds on the checkpoint, active or expired; only active ones protect it
 * @param parent         the delta parent, or {@code null} for a full manifest; may be in another series
 * @param derivedFrom    the lineage parent (e.g. the base model a fine-tune started from), or
 *                       {@code null}; may be in another series
 * @param computeSeconds the compute spent producing this checkpoint since the previous one of its
 *                       series, if recorded; used by {@code max_recompute}
 * @param restorable     {@code false} if verify found the checkpoint damaged; a damaged checkpoint
 *                       never counts towards the "newest restorable" and {@code floor} invariants
 * @param newBytes       bytes the checkpoint added to the store at put; only simulation uses it
 */
public record CheckpointFacts(
        ManifestId id,
        String series,
        Instant createdAt,
        OptionalLong step,
        Map<String, Double> metrics,
        Set<String> tags,
        List<Hold> holds,
        ManifestId parent,
        ManifestId derivedFrom,
        OptionalDouble computeSeconds,
        boolean restorable,
        long newBytes) {

    public CheckpointFacts {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(series, "series");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(computeSeconds, "computeSeconds");
        metrics = Map.copyOf(metrics);
        tags = Set.copyOf(tags);
        holds = List.copyOf(holds);
        if (id.equals(parent)) {
            throw new IllegalArgumentException("checkpoint " + id + " names itself as its delta parent");
        }
        if (computeSeconds.isPresent()
                && (!(computeSeconds.getAsDouble() >= 0) || Double.isInfinite(computeSeconds.getAsDouble()))) {
            throw new IllegalArgumentException("computeSeconds must be finite and >= 0, got " + computeSeconds);
        }
        if (newBytes < 0) {
            throw new IllegalArgumentException("newBytes must be >= 0, got " + newBytes);
        }
    }

    /** A full (non-delta), restorable checkpoint with no step, metrics, tags, holds or lineage. */
    public static CheckpointFacts of(ManifestId id, String series, Instant createdAt) {
        return new CheckpointFacts(id, series, createdAt, OptionalLong.empty(), Map.of(), Set.of(), List.of(),
                null, null, OptionalDouble.empty(), true, 0);
    }

    public boolean isDelta() {
        return parent != null;
    }

    /** Whether any hold on this checkpoint is active at {@code now}. */
    public boolean heldAt(Instant now) {
        for (Hold h : holds) {
            if (h.activeAt(now)) {
                return true;
            }
        }
        return false;
    }

    public CheckpointFacts withParent(ManifestId newParent) {
        return new CheckpointFacts(id, series, createdAt, step, metrics, tags, holds, newParent, derivedFrom,
                computeSeconds, restorable, newBytes);
    }

    public CheckpointFacts withTags(Set<String> newTags) {
        return new CheckpointFacts(id, series, createdAt, step, metrics, newTags, holds, parent, derivedFrom,
                computeSeconds, restorable, newBytes);
    }

    public CheckpointFacts withHolds(List<Hold> newHolds) {
        return new CheckpointFacts(id, series, createdAt, step, metrics, tags, newHolds, parent, derivedFrom,
                computeSeconds, restorable, newBytes);
    }
}
