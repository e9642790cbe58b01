package dev.cairn.gc.policy;

import dev.cairn.protocol.manifest.ManifestId;

import java.util.List;
import java.util.Objects;

/** A checkpoint the plan keeps, with every reason that keeps it (never empty). */
public record KeptCheckpoint(ManifestId id, List<KeepReason> reasons) {

    public KeptCheckpoint {
        Objects.requireNonNull(id, "id");
        reasons = List.copyOf(reasons);
        if (reasons.isEmpty()) {
            throw new IllegalArgumentException("a kept checkpoint needs at least one reason: " + id);
        }
    }

    /** The first reason in {@link KeepReason.Kind} order. */
    public KeepReason primary() {
        return reasons.get(0);
    }
}
