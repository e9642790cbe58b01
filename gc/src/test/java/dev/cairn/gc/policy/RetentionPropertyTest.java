package dev.cairn.gc.policy;

import dev.cairn.protocol.manifest.ManifestId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Properties of the plan over seeded random stores: several series, delta chains and lineage across
 * series, holds, damaged checkpoints, random policies, a random subset of series trimmed, with and
 * without force. The seed is in the test name; rerun one with {@code -Dtest=RetentionPropertyTest}.
 */
class RetentionPropertyTest {

    static final List<String> SERIES = List.of("a/r1", "a/r2", "b/x", "c", "d/e/f");
    static final List<ZoneId> ZONES = List.of(ZoneId.of("UTC"), ZoneId.of("Europe/Berlin"),
            ZoneId.of("America/New_York"), ZoneId.of("Asia/Kolkata"));

    static LongStream seeds() {
        return LongStream.range(0, 400).map(i -> 0x5EEDL * 31 + i * 7919);
    }

    record Store(List<CheckpointFacts> facts, PolicySet policies, Predicate<String> trim, Set<String> trimmed,
                 Instant now, boolean force) { }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void planInvariants(long seed) {
        Random rnd = new Random(seed);
        Store s = randomStore(rnd);
        RetentionPlan plan = RetentionEngine.plan(s.facts, s.policies, s.trim, s.now, s.force);

        Map<ManifestId, CheckpointFacts> byId = new HashMap<>();
        Map<String, List<CheckpointFacts>> bySeries = new HashMap<>();
        for (CheckpointFacts f : s.facts) {
            byId.put(f.id(), f);
            bySeries.computeIfAbsent(f.series(), k -> new ArrayList<>()).add(f);
        }
        Set<ManifestId> removed = new HashSet<>(plan.removals());
        Set<String> planned = new HashSet<>();
        for (SeriesPlan sp : plan.series()) {
            planned.add(sp.series());
            List<CheckpointFacts> input = bySeries.get(sp.series());
            Set<ManifestId> kept = new HashSet<>();
            sp.kept().forEach(k -> kept.add(k.id()));
            // keep ∪ remove = input, disjoint, each listed once
            assertThat(sp.kept().size() + sp.removed().size()).isEqualTo(input.size());
            assertThat(Collections.disjoint(kept, sp.removed())).as("kept and removed are disjoint").isTrue();
            Set<ManifestId> union = new HashSet<>(kept);
            union.addAll(sp.removed());
            assertThat(union).isEqualTo(input.stream().map(CheckpointFacts::id).collect(java.util.stream.Collectors.toSet()));
            // newest first
            List<CheckpointFacts> keptFacts = sp.kept().stream().map(k -> byId.get(k.id())).toList();
            assertThat(keptFacts).isSortedAccordingTo(RetentionEngine.NEWEST_FIRST);
            List<CheckpointFacts> sorted = new ArrayList<>(input);
            sorted.sort(RetentionEngine.NEWEST_FIRST);
            // newest restorable and floor
            List<CheckpointFacts> restorable = sorted.stream().filter(CheckpointFacts::restorable).toList();
            for (int i = 0; i < Math.min(sp.policy().floor(), restorable.size()); i++) {
                assertThat(kept).as("floor/newest restorable #" + i).contains(restorable.get(i).id());
            }
            // held
            for (CheckpointFacts f : input) {
                if (f.heldAt(s.now)) {
                    assertThat(kept).as("held " + f.id()).contains(f.id());
                }
            }
            // the brake
            if (sp.isBlocked()) {
                assertThat(s.force).isFalse();
                assertThat(sp.removed()).isEmpty();
                assertThat(sp.wouldRemove()).isNotEmpty();
            } else if (!s.force) {
                assertThat((long) sp.removed().size()).isLessThanOrEqualTo(sp.policy().maxRemove().limitFor(input.size()));
            }
            maxRecomputeHolds(sp, sorted, kept);
        }
        assertThat(planned).isEqualTo(s.trimmed);
        for (ManifestId id : removed) {
            assertThat(s.trimmed).contains(byId.get(id).series());
        }

        // lineage and keep_base: what these policies promise is kept
        Map<String, RetentionPolicy> policyOf = new HashMap<>();
        plan.series().forEach(sp -> policyOf.put(sp.series(), sp.policy()));
        for (CheckpointFacts f : s.facts) {
            if (removed.contains(f.id())) {
                continue;
            }
            for (ManifestId a = f.derivedFrom(); a != null && byId.containsKey(a); a = byId.get(a).derivedFrom()) {
                RetentionPolicy p = policyOf.get(byId.get(a).series());
                if (p != null && p.keepLineage()) {
                    assertThat(removed).as("lineage ancestor of kept " + f.id()).doesNotContain(a);
                }
            }
            if (f.parent() != null) {
                RetentionPolicy p = policyOf.get(byId.get(f.parent()).series());
                if (p != null && p.chain() == ChainMode.KEEP_BASE) {
                    assertThat(removed).as("keep_base parent of kept " + f.id()).doesNotContain(f.parent());
                }
            }
        }

        // Apply removals and rebases: every survivor's chain is made of survivors and ends at a full one.
        Map<ManifestId, ManifestId> parentAfter = new HashMap<>();
        for (CheckpointFacts f : s.facts) {
            if (!removed.contains(f.id())) {
                parentAfter.put(f.id(), f.parent());
            }
        }
        Set<ManifestId> rebased = new HashSet<>();
        for (Rebase r : plan.rebases()) {
            assertThat(rebased.add(r.id())).as("one rebase per checkpoint").isTrue();
            assertThat(parentAfter).containsKey(r.id());
            assertThat(removed).contains(r.oldParent());
            assertThat(byId.get(r.id()).parent()).isEqualTo(r.oldParent());
            parentAfter.put(r.id(), r.newParent());
        }
        for (ManifestId id : parentAfter.keySet()) {
            int depth = 0;
            for (ManifestId x = id; x != null; x = parentAfter.get(x)) {
                assertThat(parentAfter).as("chain of " + id + " reaches a removed checkpoint " + x).containsKey(x);
                assertThat(++depth).as("chain too long (cycle?)").isLessThan(10_000);
            }
        }
        // No gratuitous rebases: only survivors whose parent goes.
        for (CheckpointFacts f : s.facts) {
            boolean needs = !removed.contains(f.id()) && f.parent() != null && removed.contains(f.parent());
            assertThat(rebased.contains(f.id())).as("rebase of " + f.id()).isEqualTo(needs);
        }

        // Deterministic, independent of input order.
        List<CheckpointFacts> shuffled = new ArrayList<>(s.facts);
        Collections.shuffle(shuffled, new Random(seed ^ 0xABCDEF));
        assertThat(RetentionEngine.plan(shuffled, s.policies, s.trim, s.now, s.force)).isEqualTo(plan);
    }

    /**
     * Between two consecutive restart points (the series start, or a restorable kept checkpoint) the
     * compute stays within budget, unless the stretch is a single checkpoint or contains a damaged one.
     */
    private static void maxRecomputeHolds(SeriesPlan sp, List<CheckpointFacts> newestFirst, Set<ManifestId> kept) {
        Optional<PolicyDuration> budget = sp.policy().rules().maxRecompute();
        if (budget.isEmpty()) {
            return;
        }
        double limit = budget.get().toDuration().toSeconds();
        double acc = 0;
        int len = 0;
        boolean damaged = false;
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            CheckpointFacts f = newestFirst.get(i);
            acc += f.computeSeconds().orElse(0);
            len++;
            damaged |= !f.restorable();
            if (f.restorable() && kept.contains(f.id())) {
                if (acc > limit) {
                    assertThat(len == 1 || damaged).as("max_recompute gap ending at " + f.id() + ": " + acc + "s").isTrue();
                }
                acc = 0;
                len = 0;
                damaged = false;
            }
        }
    }

    static Store randomStore(Random rnd) {
        Instant base = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(rnd.nextInt(86_400 * 300));
        int nSeries = 1 + rnd.nextInt(SERIES.size());
        List<String> series = new ArrayList<>(SERIES);
        Collections.shuffle(series, rnd);
        series = series.subList(0, nSeries);
        List<CheckpointFacts> all = new ArrayList<>();
        Map<String, Instant> clock = new HashMap<>();
        Map<String, Long> steps = new HashMap<>();
        int total = 5 + rnd.nextInt(120);
        Instant latest = base;
        for (int i = 0; i < total; i++) {
            String sr = series.get(rnd.nextInt(series.size()));
            Instant t = clock.getOrDefault(sr, base);
            int gap = switch (rnd.nextInt(5)) {
                case 0 -> 0; // same instant: ties
                case 1 -> rnd.nextInt(600);
                case 2 -> rnd.nextInt(7200);
                case 3 -> rnd.nextInt(86_400 * 3);
                default -> rnd.nextInt(86_400 * 40);
            };
            t = t.plusSeconds(gap);
            clock.put(sr, t);
            latest = t.isAfter(latest) ? t : latest;
            long step = steps.getOrDefault(sr, 0L) + rnd.nextInt(3000) - (rnd.nextInt(10) == 0 ? 2500 : 0);
            steps.put(sr, step);
            Map<String, Double> metrics = new HashMap<>();
            if (rnd.nextInt(4) > 0) {
                metrics.put("loss", rnd.nextInt(10) == 0 ? Double.NaN : rnd.nextInt(50) / 10.0);
            }
            if (rnd.nextBoolean()) {
                metrics.put("acc", rnd.nextInt(20) / 20.0);
            }
            Set<String> tags = new HashSet<>();
            if (rnd.nextInt(8) == 0) {
                tags.add("milestone");
            }
            List<Hold> holds = new ArrayList<>();
            if (rnd.nextInt(10) == 0) {
                Instant exp = switch (rnd.nextInt(3)) {
                    case 0 -> null;
                    case 1 -> t.minusSeconds(1);
                    default -> t.plusSeconds(86_400L * 400);
                };
                holds.add(new Hold("owner" + rnd.nextInt(3), "r", exp));
            }
            ManifestId parent = null;
            ManifestId derived = null;
            if (!all.isEmpty() && rnd.nextInt(3) > 0) {
                // mostly the same series' previous checkpoint, sometimes another series'
                parent = pick(all, sr, rnd).id();
            }
            if (!all.isEmpty() && rnd.nextInt(6) == 0) {
                derived = all.get(rnd.nextInt(all.size())).id();
            }
            all.add(new CheckpointFacts(ResticGoldenTest.id(rnd.nextLong() + "/" + i), sr, t,
                    rnd.nextInt(6) == 0 ? OptionalLong.empty() : OptionalLong.of(step), metrics, tags, holds,
                    parent, derived,
                    rnd.nextInt(5) == 0 ? OptionalDouble.empty() : OptionalDouble.of(rnd.nextInt(5000)),
                    rnd.nextInt(10) > 0, rnd.nextInt(1 << 20)));
        }
        List<RetentionPolicy> policies = new ArrayList<>();
        // disjoint globs: "a/*", "b/x", "c", "d/**" (never all of them)
        for (String glob : List.of("a/*", "b/x", "c", "d/**")) {
            if (rnd.nextInt(4) > 0) {
                policies.add(randomPolicy(glob, rnd));
            }
        }
        Set<String> trimmed = new HashSet<>();
        Set<String> selected = new HashSet<>();
        for (String sr : series) {
            if (rnd.nextInt(4) > 0) {
                selected.add(sr);
            }
        }
        PolicySet set = new PolicySet(policies);
        for (String sr : clock.keySet()) { // the series that got checkpoints
            if (selected.contains(sr) && set.policyFor(sr).isPresent()) {
                trimmed.add(sr);
            }
        }
        Instant now = latest.plusSeconds(rnd.nextInt(86_400 * 5) - 86_400L);
        return new Store(all, set, selected::contains, trimmed, now, rnd.nextInt(3) == 0);
    }

    private static CheckpointFacts pick(List<CheckpointFacts> all, String series, Random rnd) {
        if (rnd.nextInt(4) > 0) {
            for (int i = all.size() - 1; i >= 0; i--) {
                if (all.get(i).series().equals(series)) {
                    return all.get(i);
                }
            }
        }
        return all.get(rnd.nextInt(all.size()));
    }

    static RetentionPolicy randomPolicy(String glob, Random rnd) {
        KeepRules r = KeepRules.NONE;
        while (!r.keepsAnything()) {
            int[] c = new int[6];
            for (int i = 0; i < 6; i++) {
                c[i] = rnd.nextInt(3) == 0 ? rnd.nextInt(6) : 0;
                if (rnd.nextInt(40) == 0) {
                    c[i] = KeepRules.UNLIMITED;
                }
            }
            r = new KeepRules(c[0],
                    rnd.nextInt(5) == 0 ? Optional.of(PolicyDuration.parse((1 + rnd.nextInt(10)) + "d")) : Optional.empty(),
                    c[1], c[2], c[3], c[4], c[5],
                    rnd.nextInt(4) == 0 ? Set.of("milestone") : Set.of(),
                    rnd.nextInt(4) == 0 ? List.of(new BestRule("loss", BestRule.Mode.MIN, 1 + rnd.nextInt(3)),
                            new BestRule("acc", BestRule.Mode.MAX, 1)) : List.of(),
                    rnd.nextInt(4) == 0 ? 1000 + rnd.nextInt(5000) : 0,
                    rnd.nextInt(4) == 0 ? Optional.of(PolicyDuration.parse((1 + rnd.nextInt(3)) + "h")) : Optional.empty());
        }
        MaxRemove max = switch (rnd.nextInt(3)) {
            case 0 -> MaxRemove.DEFAULT;
            case 1 -> MaxRemove.count(rnd.nextInt(10));
            default -> MaxRemove.percent(rnd.nextInt(101));
        };
        return new RetentionPolicy(SeriesGlob.compile(glob), r, rnd.nextBoolean(), 1 + rnd.nextInt(3), max,
                ZONES.get(rnd.nextInt(ZONES.size())), RetentionPolicy.DEFAULT_GRACE,
                rnd.nextBoolean() ? ChainMode.REBASE : ChainMode.KEEP_BASE);
    }
}
