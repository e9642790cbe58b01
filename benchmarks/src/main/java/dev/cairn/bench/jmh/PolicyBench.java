package dev.cairn.bench.jmh;

import dev.cairn.gc.policy.CheckpointFacts;
import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.gc.policy.PolicySet;
import dev.cairn.gc.policy.RetentionEngine;
import dev.cairn.gc.policy.RetentionPlan;
import dev.cairn.protocol.manifest.ManifestId;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Policy evaluation over 100,000 checkpoints of one series (one every 10 minutes, delta chains of
 * depth 8, metrics, a few tags) with every rule on: the pure engine's cost per trim. Checks that
 * keep ∪ remove is the whole series.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class PolicyBench {
    static final int N = 100_000;
    List<CheckpointFacts> facts;
    PolicySet policies;
    Instant now;

    @Setup
    public void setup() throws Exception {
        Random rnd = new Random(1);
        facts = new ArrayList<>(N);
        Instant t = Instant.parse("2024-01-01T00:00:00Z");
        ManifestId parent = null;
        for (int i = 0; i < N; i++) {
            ManifestId id = ManifestId.fromBytes(BenchData.random(i, 32));
            boolean full = i % 9 == 0;
            facts.add(new CheckpointFacts(id, "run", t, OptionalLong.of(i * 100L),
                    Map.of("val_loss", rnd.nextDouble()), i % 1000 == 0 ? Set.of("milestone") : Set.of(), List.of(),
                    full ? null : parent, null, OptionalDouble.of(600), true, 1 << 20));
            parent = id;
            t = t.plus(Duration.ofMinutes(10));
        }
        now = t;
        policies = PolicyParser.parse("""
                policies:
                  - series: run
                    last: 10
                    within: 2d
                    hourly: 48
                    daily: 30
                    weekly: 12
                    monthly: 24
                    yearly: unlimited
                    tags: [milestone]
                    best:
                      - {metric: val_loss, mode: min, n: 5}
                    every_n_steps: 500000
                    max_recompute: 1d
                    floor: 3
                    max_remove: 100%
                """);
    }

    @Benchmark
    public RetentionPlan plan() {
        RetentionPlan p = RetentionEngine.plan(facts, policies, s -> true, now, false);
        var sp = p.series().get(0);
        if (sp.kept().size() + sp.removed().size() != N) {
            throw new IllegalStateException("keep + remove != input");
        }
        return p;
    }
}
