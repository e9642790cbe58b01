package dev.cairn.gc.policy;

import dev.cairn.protocol.manifest.ManifestId;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a trim would do, decided before anything is touched. An executor applies {@code removals}
 * (to the trash, with each series' grace) and {@code rebases} in one atomic step per bounded group;
 * a dry run prints it.
 *
 * @param now     the time the plan was computed for
 * @param force   whether the {@code max_remove} brake was overridden
 * @param series  one plan per trimmed series, ordered by series name
 * @param rebases surviving deltas (in any series) whose parent is removed, ordered by id
 */
public record RetentionPlan(Instant now, boolean force, List<SeriesPlan> series, List<Rebase> rebases) {

    public RetentionPlan {
        Objects.requireNonNull(now, "now");
        series = List.copyOf(series);
        rebases = List.copyOf(rebases);
    }

    /** Every checkpoint the plan removes, series by series. */
    public List<ManifestId> removals() {
        List<ManifestId> out = new ArrayList<>();
        for (SeriesPlan s : series) {
            out.addAll(s.removed());
        }
        return out;
    }

    public boolean anyBlocked() {
        return series.stream().anyMatch(SeriesPlan::isBlocked);
    }

}
