package dev.cairn.gc.policy;

import dev.cairn.protocol.manifest.ManifestId;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The decision for one trimmed series. {@code kept} and {@code removed} together are exactly the
 * series' checkpoints, each once, both newest first.
 *
 * @param series       the series name
 * @param policy       the policy that applied
 * @param kept         kept checkpoints with all their reasons, newest first
 * @param removed      checkpoints to move to the trash, newest first; empty when blocked
 * @param blocked      why the {@code max_remove} brake stopped this series, if it did; then every
 *                     checkpoint the policy would remove is in {@code kept} with a
 *                     {@link KeepReason.Kind#MAX_REMOVE_BRAKE} reason
 * @param wouldRemove  when blocked, what the policy would have removed (newest first); else empty
 */
public record SeriesPlan(
        String series,
        RetentionPolicy policy,
        List<KeptCheckpoint> kept,
        List<ManifestId> removed,
        Optional<String> blocked,
        List<ManifestId> wouldRemove) {

    public SeriesPlan {
        Objects.requireNonNull(series, "series");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(blocked, "blocked");
        kept = List.copyOf(kept);
        removed = List.copyOf(removed);
        wouldRemove = List.copyOf(wouldRemove);
    }

    public boolean isBlocked() {
        return blocked.isPresent();
    }

    public int size() {
        return kept.size() + removed.size();
    }
}
