package dev.cairn.gc.policy;

import dev.cairn.protocol.manifest.ManifestId;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.IsoFields;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The retention decision as a pure function: every live checkpoint + the policies + which series to
 * trim + {@code now} → a {@link RetentionPlan} that says, for every checkpoint of every trimmed
 * series, keep (with every reason) or remove, and which surviving deltas must be rebased. It reads no
 * clock, touches no storage and keeps no state; the same input, in any order, gives the same plan.
 *
 * <h2>What is trimmed</h2>
 * A series is trimmed when {@code seriesToTrim} accepts it and a policy's glob matches it. Every other
 * checkpoint is kept implicitly and does not appear in the plan: a plan lists only what it decides,
 * so {@code trim --series a} on a store of a thousand series prints one series. Untrimmed checkpoints
 * still count as kept for lineage and delta chains (a delta in an untrimmed series protects, or is
 * rebased off, its parent in a trimmed one).
 *
 * <h2>Rules, ORed, each reason recorded</h2>
 * Per trimmed series, checkpoints are ordered newest first (ties: higher step first, then smaller
 * id, so the order never depends on the input order). Then:
 * <ul>
 *   <li>{@code last}, {@code within}, {@code hourly}..{@code yearly} and {@code tags} follow restic's
 *       {@code forget} ({@code internal/data/snapshot_policy.go}, {@code ApplyPolicy}): one pass
 *       newest first; a bucket rule keeps a checkpoint whenever its bucket (hour, day, ISO week
 *       {@code year*100+week}, month, year, in the policy's zone) differs from the bucket of the last
 *       checkpoint that rule kept, and then uses up one count; {@code unlimited} never runs out.
 *       While a rule still has counts left, it also keeps the oldest checkpoint of the series even if
 *       it shares a bucket with a newer kept one (reason "oldest daily ..."; restic ≥ 0.16).
 *       {@code within} keeps checkpoints strictly after
 *       {@code latest - within}, where {@code latest} is the newest checkpoint of the series that is
 *       strictly before {@code now} (restic ignores snapshots from the future the same way; if every
 *       checkpoint is in the future, {@code within} keeps them all), and the days of the duration
 *       are calendar days in the policy zone (restic's {@code AddDate} in the local zone).</li>
 *   <li>{@code best}: per rule, the {@code n} checkpoints with the best finite-or-infinite metric
 *       value (NaN and absent values do not take part), ties to the newest.</li>
 *   <li>{@code every_n_steps: K}: the checkpoint with the lowest step in each bucket
 *       {@code floorDiv(step, K)}, so an exactly aligned step wins; equal steps go to the newest.
 *       Checkpoints without a step do not take part.</li>
 *   <li>invariants: the newest restorable checkpoint; the {@code floor} newest restorable ones;
 *       everything with an active hold.</li>
 *   <li>{@code max_recompute}: applied after the rules and invariants above, oldest to newest, with
 *       the start of the series counting as a kept point (starting over from scratch): it keeps a
 *       checkpoint exactly when not keeping it would let the compute since the last restorable kept
 *       checkpoint, plus that of the next checkpoint, exceed the budget (greedy "as late as
 *       possible", which keeps the fewest). So recomputing any removed state from the nearest older
 *       kept checkpoint costs at most the budget. A checkpoint without {@code computeSeconds} counts
 *       as 0. A checkpoint whose own compute exceeds the budget cannot be brought under it: it is
 *       kept, and so is its predecessor, so the loss is bounded by that one checkpoint's compute. A
 *       damaged checkpoint is never chosen and never resets the sum. Keeps added later (lineage,
 *       chain, brake) only shorten the gaps, so the guarantee holds for the final plan.</li>
 *   <li>{@code keep_lineage}: a checkpoint of such a series that is a transitive {@code derivedFrom}
 *       ancestor (through any series, kept or not) of a kept checkpoint is kept, reason
 *       "lineage of &lt;descendant&gt;" naming the nearest kept descendant that reached it first (one lineage
 *       reason per checkpoint keeps the plan linear in size).</li>
 *   <li>chains: see {@link ChainMode}. The policy of the parent's series decides.</li>
 *   <li>the {@code max_remove} brake, see below.</li>
 * </ul>
 * Lineage and chain keeps are closed transitively with a work list, so each checkpoint is visited a
 * bounded number of times: time O(n log n) (the sorts), memory O(n).
 *
 * <h2>Differences from restic</h2>
 * restic sorts equal timestamps stably in repository listing order, which is not stable across
 * repositories; Cairn breaks ties by step, then id. restic's {@code m} in durations means months; in
 * Cairn it means minutes and months/years are not accepted at all. restic keeps everything when the
 * policy is empty; Cairn rejects such a policy when parsing. restic groups snapshots by host and
 * path; Cairn's groups are series. Negative counts are refused ({@code unlimited} is the spelling for
 * "every bucket"): restic before 0.16 read {@code -1} as "off". restic's {@code --keep-tag a,b} (all of
 * the tags) has no equivalent; {@code tags: [a, b]} is {@code --keep-tag a --keep-tag b}. Beyond these,
 * any difference in what {@code last}, {@code within},
 * the calendar buckets or {@code tags} keep is a bug: the golden tests replay timelines through real
 * restic.
 *
 * <h2>The max_remove brake blocks the whole series</h2>
 * If a series' plan would remove more than its {@code max_remove} and {@code force} is false, nothing
 * of that series is removed: every checkpoint the policy would have removed is kept with a
 * {@link KeepReason.Kind#MAX_REMOVE_BRAKE} reason, and the series plan carries a message. Removing
 * "the first N" instead would pick which N by some order that no rule asked for (oldest first
 * destroys exactly the long-range history a wrong policy is about to destroy; newest first
 * contradicts every rule), and a brake that half-applies a wrong policy still applies a wrong
 * policy. Blocking keeps the store as it was, and the dry run shows the full decision for a human to
 * confirm with {@code --force}. A blocked series keeps more, which can keep more in other series
 * (chains, lineage); the brake is evaluated again until no new series trips it.
 */
public final class RetentionEngine {

    private RetentionEngine() {
    }

    /**
     * Computes the plan.
     *
     * @param all          every live checkpoint of the store, all series (ids must be unique)
     * @param policies     the policies in force
     * @param seriesToTrim which series to trim (e.g. {@code s -> true}, or one series name)
     * @param now          the time to decide at: hold expiry, and the cut-off for "future" checkpoints
     * @param force        override the {@code max_remove} brake
     */
    public static RetentionPlan plan(List<CheckpointFacts> all, PolicySet policies, Predicate<String> seriesToTrim,
                                     Instant now, boolean force) {
        return new Evaluation(all, policies, seriesToTrim, now, force).run();
    }

    /** Newest first; ties by higher step (absent lowest), then by id. */
    static final Comparator<CheckpointFacts> NEWEST_FIRST = Comparator
            .comparing(CheckpointFacts::createdAt, Comparator.reverseOrder())
            .thenComparing(c -> c.step().isPresent() ? c.step().getAsLong() : Long.MIN_VALUE,
                    Comparator.reverseOrder())
            .thenComparing(CheckpointFacts::id);

    /** The state of one evaluation; everything indexed by position in {@code facts}. */
    private static final class Evaluation {
        private final CheckpointFacts[] facts;
        private final PolicySet policySet;
        private final Predicate<String> seriesToTrim;
        private final Instant now;
        private final boolean force;

        private final RetentionPolicy[] policyOf; // null = not trimmed
        private final int[] parentIdx;            // -1: full, or parent not among the live checkpoints
        private final int[] derivedIdx;           // -1: none, or not among the live checkpoints
        private final boolean[] kept;
        private final List<KeepReason>[] reasons;
        private final boolean[] lineageSeen;
        private final ArrayDeque<Integer> work = new ArrayDeque<>();
        private final TreeMap<String, int[]> trimmedSeries = new TreeMap<>(); // newest first
        private final Map<String, RetentionPolicy> seriesPolicy = new HashMap<>();

        @SuppressWarnings({"unchecked", "rawtypes"}) // a generic array of reason lists, created once
        Evaluation(List<CheckpointFacts> all, PolicySet policySet, Predicate<String> seriesToTrim, Instant now,
                   boolean force) {
            this.facts = all.toArray(new CheckpointFacts[0]);
            this.policySet = policySet;
            this.seriesToTrim = seriesToTrim;
            this.now = now;
            this.force = force;
            int n = facts.length;
            policyOf = new RetentionPolicy[n];
            parentIdx = new int[n];
            derivedIdx = new int[n];
            kept = new boolean[n];
            reasons = new List[n];
            lineageSeen = new boolean[n];
        }

        RetentionPlan run() {
            index();
            for (Map.Entry<String, int[]> e : trimmedSeries.entrySet()) {
                evaluateRules(seriesPolicy.get(e.getKey()), e.getValue());
            }
            // Untrimmed checkpoints are kept. They enter the work list in a canonical order (series,
            // then newest first) so that lineage reasons never depend on the order of the input.
            List<Integer> untrimmed = new ArrayList<>();
            for (int i = 0; i < facts.length; i++) {
                if (policyOf[i] == null) {
                    untrimmed.add(i);
                }
            }
            untrimmed.sort(Comparator.<Integer, String>comparing(i -> facts[i].series())
                    .thenComparing(i -> facts[i], NEWEST_FIRST));
            for (int i : untrimmed) {
                kept[i] = true;
                work.add(i);
            }
            Map<String, String> blocked = new TreeMap<>();
            Map<String, List<ManifestId>> wouldRemove = new HashMap<>();
            while (true) {
                close();
                if (!brake(blocked, wouldRemove)) {
                    break;
                }
            }
            return assemble(blocked, wouldRemove);
        }

        private void index() {
            Map<ManifestId, Integer> byId = new HashMap<>(facts.length * 2);
            Map<String, List<Integer>> bySeries = new HashMap<>();
            for (int i = 0; i < facts.length; i++) {
                CheckpointFacts f = facts[i];
                if (byId.put(f.id(), i) != null) {
                    throw new IllegalArgumentException("checkpoint listed twice: " + f.id());
                }
                bySeries.computeIfAbsent(f.series(), s -> new ArrayList<>()).add(i);
            }
            for (int i = 0; i < facts.length; i++) {
                parentIdx[i] = facts[i].parent() == null ? -1 : byId.getOrDefault(facts[i].parent(), -1);
                derivedIdx[i] = facts[i].derivedFrom() == null ? -1 : byId.getOrDefault(facts[i].derivedFrom(), -1);
            }
            for (Map.Entry<String, List<Integer>> e : bySeries.entrySet()) {
                String series = e.getKey();
                if (!seriesToTrim.test(series)) {
                    continue;
                }
                Optional<RetentionPolicy> p = policySet.policyFor(series);
                if (p.isEmpty()) {
                    continue;
                }
                Integer[] members = e.getValue().toArray(new Integer[0]);
                Arrays.sort(members, (a, b) -> NEWEST_FIRST.compare(facts[a], facts[b]));
                int[] order = new int[members.length];
                for (int k = 0; k < members.length; k++) {
                    order[k] = members[k];
                    policyOf[members[k]] = p.get();
                }
                trimmedSeries.put(series, order);
                seriesPolicy.put(series, p.get());
            }
        }

        private void keep(int i, KeepReason.Kind kind, String text) {
            if (policyOf[i] != null) {
                if (reasons[i] == null) {
                    reasons[i] = new ArrayList<>(2);
                }
                reasons[i].add(new KeepReason(kind, text));
            }
            if (!kept[i]) {
                kept[i] = true;
                work.add(i);
            }
        }

        // ---- per-series rules ------------------------------------------------------------------

        private void evaluateRules(RetentionPolicy policy, int[] order) {
            KeepRules r = policy.rules();
            ZoneId zone = policy.timezone();
            resticRules(r, zone, order);
            best(r, order);
            everyNSteps(r, order);
            invariants(policy, order);
            r.maxRecompute().ifPresent(budget -> maxRecompute(budget, order));
        }

        /** The calendar bucket keys restic computes (ymdh, ymd, yw, ym, y). */
        private static long bucketKey(KeepReason.Kind kind, LocalDateTime t, int nr) {
            return switch (kind) {
                case LAST -> nr;
                case HOURLY -> t.getYear() * 1_000_000L + t.getMonthValue() * 10_000L + t.getDayOfMonth() * 100L
                        + t.getHour();
                case DAILY -> t.getYear() * 10_000L + t.getMonthValue() * 100L + t.getDayOfMonth();
                case WEEKLY -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
                case MONTHLY -> t.getYear() * 100L + t.getMonthValue();
                case YEARLY -> t.getYear();
                default -> throw new IllegalArgumentException(kind.toString());
            };
        }

        private static String bucketLabel(KeepReason.Kind kind, LocalDateTime t) {
            return switch (kind) {
                case HOURLY -> String.format("%04d-%02d-%02dT%02d", t.getYear(), t.getMonthValue(),
                        t.getDayOfMonth(), t.getHour());
                case DAILY -> String.format("%04d-%02d-%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth());
                case WEEKLY -> String.format("%04d-W%02d", t.get(IsoFields.WEEK_BASED_YEAR),
                        t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
                case MONTHLY -> String.format("%04d-%02d", t.getYear(), t.getMonthValue());
                case YEARLY -> String.format("%04d", t.getYear());
                default -> throw new IllegalArgumentException(kind.toString());
            };
        }

        private void resticRules(KeepRules r, ZoneId zone, int[] order) {
            KeepReason.Kind[] kinds = {KeepReason.Kind.LAST, KeepReason.Kind.HOURLY, KeepReason.Kind.DAILY,
                    KeepReason.Kind.WEEKLY, KeepReason.Kind.MONTHLY, KeepReason.Kind.YEARLY};
            int[] counts = {r.last(), r.hourly(), r.daily(), r.weekly(), r.monthly(), r.yearly()};
            long[] lastKey = new long[kinds.length];
            Arrays.fill(lastKey, Long.MIN_VALUE);
            boolean anyBucket = false;
            for (int c : counts) {
                anyBucket |= c != 0;
            }
            Instant withinBoundary = null;
            boolean withinAll = false;
            if (r.within().isPresent()) {
                Instant latest = null;
                for (int i : order) {
                    Instant t = facts[i].createdAt();
                    if (t.isBefore(now) && (latest == null || t.isAfter(latest))) {
                        latest = t;
                    }
                }
                if (latest == null) {
                    withinAll = true; // every checkpoint is in the future: restic's zero "latest"
                } else {
                    withinBoundary = r.within().get().subtractFrom(latest, zone);
                }
            }
            List<String> tags = new ArrayList<>(new TreeSet<>(r.tags()));
            int size = order.length;
            for (int nr = 0; nr < size; nr++) {
                int i = order[nr];
                CheckpointFacts f = facts[i];
                for (String tag : tags) {
                    if (f.tags().contains(tag)) {
                        keep(i, KeepReason.Kind.TAG, "tag " + tag);
                    }
                }
                if (withinAll || (withinBoundary != null && f.createdAt().isAfter(withinBoundary))) {
                    keep(i, KeepReason.Kind.WITHIN, "within " + r.within().get());
                }
                if (!anyBucket) {
                    continue;
                }
                LocalDateTime local = LocalDateTime.ofInstant(f.createdAt(), zone);
                for (int b = 0; b < kinds.length; b++) {
                    if (counts[b] == 0) {
                        continue; // switched off, or used up
                    }
                    long key = bucketKey(kinds[b], local, nr);
                    boolean oldestWithCountsLeft = nr == size - 1;
                    if (key != lastKey[b] || oldestWithCountsLeft) {
                        boolean sameBucket = key == lastKey[b];
                        lastKey[b] = key;
                        String text;
                        if (kinds[b] == KeepReason.Kind.LAST) {
                            text = r.last() == KeepRules.UNLIMITED ? "last (all)" : "last " + r.last();
                        } else {
                            String label = kinds[b].name().toLowerCase(java.util.Locale.ROOT) + " "
                                    + bucketLabel(kinds[b], local);
                            text = sameBucket ? "oldest " + label : label;
                        }
                        if (counts[b] > 0) {
                            counts[b]--;
                        }
                        keep(i, kinds[b], text);
                    }
                }
            }
        }

        private void best(KeepRules r, int[] order) {
            for (BestRule rule : r.best()) {
                List<int[]> candidates = new ArrayList<>(); // {position in order, index}
                for (int nr = 0; nr < order.length; nr++) {
                    Double v = facts[order[nr]].metrics().get(rule.metric());
                    if (v != null && !v.isNaN()) {
                        candidates.add(new int[] {nr, order[nr]});
                    }
                }
                Comparator<int[]> byValue = Comparator.comparingDouble(c -> facts[c[1]].metrics().get(rule.metric()));
                if (rule.mode() == BestRule.Mode.MAX) {
                    byValue = byValue.reversed();
                }
                candidates.sort(byValue.thenComparingInt(c -> c[0])); // ties: newest first
                for (int k = 0; k < Math.min(rule.n(), candidates.size()); k++) {
                    keep(candidates.get(k)[1], KeepReason.Kind.BEST, "best " + rule.metric() + " #" + (k + 1));
                }
            }
        }

        private void everyNSteps(KeepRules r, int[] order) {
            long k = r.everyNSteps();
            if (k <= 0) {
                return;
            }
            Map<Long, Integer> lowest = new HashMap<>();
            for (int i : order) { // newest first: on equal steps the first seen (newest) stays
                if (facts[i].step().isEmpty()) {
                    continue;
                }
                long step = facts[i].step().getAsLong();
                lowest.merge(Math.floorDiv(step, k), i,
                        (old, cur) -> facts[cur].step().getAsLong() < facts[old].step().getAsLong() ? cur : old);
            }
            for (int i : order) {
                Integer chosen = lowest.get(facts[i].step().isPresent()
                        ? Math.floorDiv(facts[i].step().getAsLong(), k) : null);
                if (chosen != null && chosen == i) {
                    keep(i, KeepReason.Kind.EVERY_N_STEPS, "every_n_steps " + k + " (step " + facts[i].step().getAsLong() + ")");
                }
            }
        }

        private void invariants(RetentionPolicy policy, int[] order) {
            int restorableSeen = 0;
            for (int i : order) {
                CheckpointFacts f = facts[i];
                if (f.restorable()) {
                    if (restorableSeen == 0) {
                        keep(i, KeepReason.Kind.NEWEST_RESTORABLE, "newest restorable");
                    }
                    if (restorableSeen < policy.floor()) {
                        keep(i, KeepReason.Kind.FLOOR, "floor " + policy.floor());
                    }
                    restorableSeen++;
                }
                for (Hold h : f.holds()) {
                    if (h.activeAt(now)) {
                        keep(i, KeepReason.Kind.HOLD, holdText(h));
                    }
                }
            }
        }

        private static String holdText(Hold h) {
            StringBuilder sb = new StringBuilder("held by ").append(h.owner());
            if (!h.reason().isEmpty()) {
                sb.append(" (").append(h.reason()).append(')');
            }
            if (h.expiresAt() != null) {
                sb.append(" until ").append(h.expiresAt());
            }
            return sb.toString();
        }

        private void maxRecompute(PolicyDuration budget, int[] order) {
            double limit = budget.toDuration().toSeconds();
            double acc = 0; // compute since the last restorable kept checkpoint, or the series start
            for (int nr = order.length - 1; nr >= 0; nr--) { // oldest to newest
                int i = order[nr];
                acc += compute(i);
                if (!facts[i].restorable()) {
                    continue; // cannot serve as a restart point
                }
                if (kept[i]) {
                    acc = 0;
                    continue;
                }
                if (nr > 0 && acc + compute(order[nr - 1]) > limit) {
                    keep(i, KeepReason.Kind.MAX_RECOMPUTE, "max_recompute " + budget);
                    acc = 0;
                }
            }
        }

        private double compute(int i) {
            return facts[i].computeSeconds().orElse(0);
        }

        // ---- closure over lineage and chains ----------------------------------------------------

        private void close() {
            while (!work.isEmpty()) {
                int k = work.poll();
                // Walk up the lineage. Each ancestor is visited once, by the first kept descendant
                // that reaches it; the walk stops at a kept ancestor because that one walks (or has
                // walked) its own ancestors, so a reason names the nearest kept descendant.
                for (int a = derivedIdx[k]; a >= 0 && !lineageSeen[a]; a = derivedIdx[a]) {
                    lineageSeen[a] = true;
                    if (policyOf[a] != null && policyOf[a].keepLineage()) {
                        keep(a, KeepReason.Kind.LINEAGE, "lineage of " + facts[k].id().shortHex());
                    }
                    if (kept[a]) {
                        break;
                    }
                }
                int p = parentIdx[k];
                if (p >= 0 && policyOf[p] != null && policyOf[p].chain() == ChainMode.KEEP_BASE) {
                    keep(p, KeepReason.Kind.CHAIN_BASE, "base of kept delta " + facts[k].id().shortHex());
                }
            }
        }

        /** Applies the brake to series not yet blocked; returns whether any new series was blocked. */
        private boolean brake(Map<String, String> blocked, Map<String, List<ManifestId>> wouldRemove) {
            if (force) {
                return false;
            }
            List<String> newly = new ArrayList<>();
            for (Map.Entry<String, int[]> e : trimmedSeries.entrySet()) {
                String series = e.getKey();
                if (blocked.containsKey(series)) {
                    continue;
                }
                int[] order = e.getValue();
                int removing = 0;
                for (int i : order) {
                    removing += kept[i] ? 0 : 1;
                }
                MaxRemove max = seriesPolicy.get(series).maxRemove();
                long limit = max.limitFor(order.length);
                if (removing > limit) {
                    blocked.put(series, "max_remove " + max + " allows removing at most " + limit + " of the "
                            + order.length + " checkpoints of series '" + series + "', but the policy would remove "
                            + removing + "; nothing of this series is removed. Check the plan (dry run) and trim with"
                            + " force if it is intended.");
                    newly.add(series);
                }
            }
            for (String series : newly) {
                List<ManifestId> ids = new ArrayList<>();
                for (int i : trimmedSeries.get(series)) {
                    if (!kept[i]) {
                        ids.add(facts[i].id());
                        keep(i, KeepReason.Kind.MAX_REMOVE_BRAKE,
                                "max_remove " + seriesPolicy.get(series).maxRemove() + " (trim blocked)");
                    }
                }
                wouldRemove.put(series, ids);
            }
            return !newly.isEmpty();
        }

        // ---- output ------------------------------------------------------------------------------

        private RetentionPlan assemble(Map<String, String> blocked, Map<String, List<ManifestId>> wouldRemove) {
            List<SeriesPlan> plans = new ArrayList<>(trimmedSeries.size());
            for (Map.Entry<String, int[]> e : trimmedSeries.entrySet()) {
                List<KeptCheckpoint> keptList = new ArrayList<>();
                List<ManifestId> removed = new ArrayList<>();
                for (int i : e.getValue()) {
                    if (kept[i]) {
                        List<KeepReason> rs = reasons[i];
                        rs.sort(KeepReason.ORDER);
                        keptList.add(new KeptCheckpoint(facts[i].id(), rs));
                    } else {
                        removed.add(facts[i].id());
                    }
                }
                String series = e.getKey();
                plans.add(new SeriesPlan(series, seriesPolicy.get(series), keptList, removed,
                        Optional.ofNullable(blocked.get(series)), wouldRemove.getOrDefault(series, List.of())));
            }
            return new RetentionPlan(now, force, plans, rebases());
        }

        private List<Rebase> rebases() {
            ManifestId[] memo = new ManifestId[facts.length];
            byte[] state = new byte[facts.length]; // 0 unresolved, 1 on the current walk, 2 resolved
            List<Rebase> out = new ArrayList<>();
            for (int i = 0; i < facts.length; i++) {
                int p = parentIdx[i];
                if (kept[i] && p >= 0 && !kept[p]) {
                    out.add(new Rebase(facts[i].id(), facts[i].series(), facts[p].id(),
                            nearestSurvivor(p, memo, state)));
                }
            }
            out.sort(Comparator.comparing(Rebase::id));
            return out;
        }

        /**
         * The nearest surviving ancestor of the removed checkpoint {@code p}, or null if its chain ends
         * at a full manifest that is removed too. A parent that is not among the live checkpoints is
         * not removed by this plan, so it counts as surviving. A cycle (corrupt input) resolves to
         * null: materialising is always safe.
         */
        private ManifestId nearestSurvivor(int p, ManifestId[] memo, byte[] state) {
            List<Integer> walk = new ArrayList<>();
            ManifestId result = null;
            int x = p;
            while (true) {
                if (state[x] == 2) {
                    result = memo[x];
                    break;
                }
                if (state[x] == 1) {
                    result = null;
                    break;
                }
                state[x] = 1;
                walk.add(x);
                ManifestId parentId = facts[x].parent();
                if (parentId == null) {
                    result = null;
                    break;
                }
                int q = parentIdx[x];
                if (q < 0 || kept[q]) {
                    result = parentId;
                    break;
                }
                x = q;
            }
            for (int w : walk) {
                memo[w] = result;
                state[w] = 2;
            }
            return result;
        }
    }
}
