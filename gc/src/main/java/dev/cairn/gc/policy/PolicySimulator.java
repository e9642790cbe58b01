package dev.cairn.gc.policy;

import dev.cairn.protocol.manifest.ManifestId;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Replays a policy over the history of one series as if trim had run after every put: at each put,
 * {@code now} is that put's {@code createdAt}, the plan is computed over the checkpoints still alive,
 * and what it removes is gone for good (rebases are applied, so later plans see the rewritten
 * chains). Pure, like the engine.
 *
 * <p>The trims are forced: the point is to show what the policy keeps; how many of them the
 * {@code max_remove} brake would have stopped is reported separately. Holds are evaluated at each
 * put's time. Checkpoints of other series (lineage, delta parents) are not part of the replay, so
 * they neither protect nor are protected.
 *
 * <p>Stored bytes are an approximation: the sum of {@code newBytes} of the survivors, i.e. what
 * each survivor added when it was put. It ignores that a removed checkpoint's chunks may still be
 * shared with survivors that were put later (they were counted at the survivor's put only if new
 * then), that chunks stay until GC after the grace period, and that rebasing a delta onto an older
 * ancestor or materialising it can store more. It is meant to compare policies, not to predict disk
 * usage to the byte.
 */
public final class PolicySimulator {

    /** The age bands reported: under a day, a week, a month (30 days), a year (365 days), older. */
    public static final List<SimulationResult.AgeBand> BANDS = List.of(
            band("<1d", Duration.ZERO, Duration.ofDays(1)),
            band("1-7d", Duration.ofDays(1), Duration.ofDays(7)),
            band("7-30d", Duration.ofDays(7), Duration.ofDays(30)),
            band("30-365d", Duration.ofDays(30), Duration.ofDays(365)),
            band(">365d", Duration.ofDays(365), null));

    private PolicySimulator() {
    }

    private static SimulationResult.AgeBand band(String label, Duration from, Duration to) {
        return new SimulationResult.AgeBand(label, from, to, 0, Optional.empty());
    }

    /**
     * Replays {@code policy} over {@code history} (one series, any order).
     *
     * @throws IllegalArgumentException if the history spans several series, is empty, or the policy's
     *                                  glob does not match its series
     */
    public static SimulationResult simulate(List<CheckpointFacts> history, RetentionPolicy policy) {
        if (history.isEmpty()) {
            throw new IllegalArgumentException("nothing to simulate: the history is empty");
        }
        String series = history.get(0).series();
        for (CheckpointFacts c : history) {
            if (!c.series().equals(series)) {
                throw new IllegalArgumentException("simulate one series at a time; got '" + series + "' and '"
                        + c.series() + "'");
            }
        }
        if (!policy.series().matches(series)) {
            throw new IllegalArgumentException("the policy for '" + policy.series() + "' does not apply to series '"
                    + series + "'");
        }
        List<CheckpointFacts> puts = new ArrayList<>(history);
        puts.sort(RetentionEngine.NEWEST_FIRST.reversed());
        PolicySet set = PolicySet.of(policy);

        Map<ManifestId, CheckpointFacts> live = new HashMap<>();
        List<CheckpointFacts> liveOrder = new ArrayList<>(); // put order, pruned lazily
        Map<ManifestId, Instant> removedAt = new HashMap<>();
        List<SimulationResult.BytesPoint> bytes = new ArrayList<>(puts.size());
        int overLimit = 0;
        RetentionPlan last = null;
        long stored = 0;
        for (CheckpointFacts put : puts) {
            live.put(put.id(), put);
            liveOrder.add(put);
            stored += put.newBytes();
            List<CheckpointFacts> current = new ArrayList<>(live.size());
            for (CheckpointFacts c : liveOrder) {
                CheckpointFacts now = live.get(c.id());
                if (now != null) {
                    current.add(now);
                }
            }
            liveOrder = new ArrayList<>(current);
            last = RetentionEngine.plan(current, set, s -> true, put.createdAt(), true);
            SeriesPlan sp = last.series().get(0);
            if (sp.removed().size() > policy.maxRemove().limitFor(sp.size())) {
                overLimit++;
            }
            for (ManifestId id : sp.removed()) {
                stored -= live.remove(id).newBytes();
                removedAt.put(id, put.createdAt());
            }
            for (Rebase r : last.rebases()) {
                live.computeIfPresent(r.id(), (k, c) -> c.withParent(r.newParent()));
            }
            bytes.add(new SimulationResult.BytesPoint(put.createdAt(), stored));
        }

        Map<ManifestId, List<KeepReason>> finalReasons = new HashMap<>();
        for (KeptCheckpoint k : last.series().get(0).kept()) {
            finalReasons.put(k.id(), k.reasons());
        }
        List<SimulationResult.Entry> timeline = new ArrayList<>(puts.size());
        for (CheckpointFacts c : puts) {
            timeline.add(new SimulationResult.Entry(c.id(), c.createdAt(), removedAt.get(c.id()),
                    finalReasons.getOrDefault(c.id(), List.of())));
        }
        Instant end = puts.get(puts.size() - 1).createdAt();
        return new SimulationResult(series, policy, timeline, ageBands(timeline, end), bytes, overLimit);
    }

    private static List<SimulationResult.AgeBand> ageBands(List<SimulationResult.Entry> timeline, Instant end) {
        int[] counts = new int[BANDS.size()];
        Duration[] gaps = new Duration[BANDS.size()];
        Instant previous = null; // the next older survivor
        for (SimulationResult.Entry e : timeline) { // oldest first
            if (!e.survived()) {
                continue;
            }
            int b = bandOf(Duration.between(e.createdAt(), end));
            counts[b]++;
            if (previous != null) {
                Duration gap = Duration.between(previous, e.createdAt());
                if (gaps[b] == null || gap.compareTo(gaps[b]) > 0) {
                    gaps[b] = gap;
                }
            }
            previous = e.createdAt();
        }
        List<SimulationResult.AgeBand> out = new ArrayList<>();
        for (int i = 0; i < BANDS.size(); i++) {
            SimulationResult.AgeBand b = BANDS.get(i);
            out.add(new SimulationResult.AgeBand(b.label(), b.from(), b.to(), counts[i], Optional.ofNullable(gaps[i])));
        }
        return out;
    }

    private static int bandOf(Duration age) {
        for (int i = 0; i < BANDS.size(); i++) {
            Duration to = BANDS.get(i).to();
            if (to == null || age.compareTo(to) < 0) {
                return i;
            }
        }
        return BANDS.size() - 1;
    }
}
