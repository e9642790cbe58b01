package dev.cairn.gc.policy;

import dev.cairn.protocol.manifest.ManifestId;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link PolicySimulator} found replaying a policy over one series' history.
 *
 * @param series             the series
 * @param policy             the policy replayed
 * @param timeline           every put in time order, with when (if ever) a trim removed it
 * @param ageBands           per age band (relative to the last put), how many survive and the
 *                           largest gap between consecutive survivors
 * @param storedBytes        after each put and its trim, the sum of {@code newBytes} of the
 *                           survivors: an approximation (see {@link PolicySimulator})
 * @param stepsOverMaxRemove how many trims removed more than {@code max_remove}; the simulation
 *                           forces them (to show what the policy does), a real trim would block
 */
public record SimulationResult(
        String series,
        RetentionPolicy policy,
        List<Entry> timeline,
        List<AgeBand> ageBands,
        List<BytesPoint> storedBytes,
        int stepsOverMaxRemove) {

    public SimulationResult {
        Objects.requireNonNull(series, "series");
        Objects.requireNonNull(policy, "policy");
        timeline = List.copyOf(timeline);
        ageBands = List.copyOf(ageBands);
        storedBytes = List.copyOf(storedBytes);
    }

    /**
     * One put.
     *
     * @param removedAt the put time of the trim that removed it, or {@code null} if it survives
     * @param reasons   for a survivor, the reasons the final trim kept it; empty for removed ones
     */
    public record Entry(ManifestId id, Instant createdAt, Instant removedAt, List<KeepReason> reasons) {
        public Entry {
            reasons = List.copyOf(reasons);
        }

        public boolean survived() {
            return removedAt == null;
        }
    }

    /**
     * An age band {@code [from, to)} relative to the last put ({@code to == null}: open-ended).
     *
     * @param largestGap the largest time between two consecutive survivors, counted in the band of
     *                   the newer one; empty if no survivor in the band has an older survivor
     */
    public record AgeBand(String label, Duration from, Duration to, int survivors, Optional<Duration> largestGap) {
    }

    /** Stored bytes after the trim that followed the put at {@code at}. */
    public record BytesPoint(Instant at, long bytes) {
    }

    public List<Entry> survivors() {
        return timeline.stream().filter(Entry::survived).toList();
    }
}
