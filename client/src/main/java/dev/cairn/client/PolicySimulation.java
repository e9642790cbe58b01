package dev.cairn.client;

import dev.cairn.protocol.manifest.ManifestId;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A policy replayed over the real history of one series as if trim had run after every put
 * ({@link CairnClient#simulate}; docs/GC.md "Simulation"). Nothing was changed.
 *
 * @param policy             the glob of the policy replayed
 * @param puts               the number of puts (timeline entries)
 * @param survivors          checkpoints left after the last put's trim
 * @param stepsOverMaxRemove trims the {@code max_remove} brake would have stopped (the simulation forces them)
 * @param timeline           every put, oldest first
 * @param bands              age bands before the last put ({@code <1d}, {@code 1-7d}, …)
 * @param storedBytes        simulated stored bytes after the last put
 * @param svg                the timeline as a self-contained SVG, or null if not asked for
 */
public record PolicySimulation(String series, String policy, int puts, int survivors, int stepsOverMaxRemove,
                               List<TimelineEntry> timeline, List<AgeBand> bands, long storedBytes, String svg) {
    public PolicySimulation {
        timeline = List.copyOf(timeline);
        bands = List.copyOf(bands);
    }

    /**
     * One put of the series.
     *
     * @param removedAt        the time of the put whose trim removed it; null: it survives
     * @param reasons          for a survivor, why the last trim keeps it; empty for removed ones
     * @param storedBytesAfter simulated stored bytes after this put and its trim (an approximation:
     *                         what the survivors added at put, ignoring later sharing and the grace period)
     */
    public record TimelineEntry(ManifestId id, Instant createdAt, Instant removedAt, List<KeepReason> reasons,
                                long storedBytesAfter) {
        public TimelineEntry {
            reasons = List.copyOf(reasons);
        }

        public boolean survives() {
            return removedAt == null;
        }
    }

    /**
     * Survivors aged {@code [from, to)} before the last put.
     *
     * @param to         null: open-ended
     * @param largestGap the largest gap between consecutive survivors, counted in the band of the
     *                   newer one; null if no survivor in the band has an older survivor
     */
    public record AgeBand(String label, Duration from, Duration to, int survivors, Duration largestGap) {
    }
}
