package dev.cairn.gc;

import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.store.PutResult;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random histories of puts (auto deltas, explicit cross-series parents), holds, trims with random
 * policies and trash restores. After every step: the live set and the trash partition everything
 * ever committed, every checkpoint still in the store restores bit-exact, and verify is clean.
 */
class TrimPropertyTest {
    @TempDir
    Path dir;

    static final String[] POLICIES = {
            "last: 2", "last: 1\n    tags: [keep]", "hourly: 3", "daily: 2\n    last: 1", "within: 3h",
            "best:\n      - {metric: loss, mode: min, n: 2}", "every_n_steps: 5", "last: 1\n    chain: keep_base",
            "max_recompute: 2h\n    last: 1",
    };

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void everyCheckpointStillInTheStoreRestoresBitExact(long seed) throws Exception {
        Random rnd = new Random(seed);
        System.out.println("trim property seed " + seed);
        Map<ManifestId, byte[]> bytes = new HashMap<>();
        Set<ManifestId> removed = new HashSet<>();
        List<String> series = List.of("a/x", "a/y", "b");
        Map<String, byte[]> head = new HashMap<>();
        Instant t = Instant.parse("2026-10-01T00:00:00Z");
        try (Repository repo = Repository.open(dir, StoreFixture.smallOptions().withMaxChainDepth(3))) {
            for (int step = 0; step < 60; step++) {
                t = t.plus(Duration.ofMinutes(10 + rnd.nextInt(200)));
                Clock clock = Clock.fixed(t, ZoneOffset.UTC);
                int action = rnd.nextInt(10);
                if (action < 6) {
                    String s = series.get(rnd.nextInt(series.size()));
                    byte[] b = head.getOrDefault(s, TestData.random(seed * 100 + s.hashCode(), 120_000)).clone();
                    int at = rnd.nextInt(b.length - 5000);
                    System.arraycopy(TestData.random(rnd.nextLong(), 5000), 0, b, at, 5000);
                    head.put(s, b);
                    var meta = dev.cairn.protocol.manifest.CheckpointMeta.of(s, t).withStep(step)
                            .withMetric("loss", rnd.nextDouble()).withComputeSeconds(600 + rnd.nextInt(3000));
                    PutOptions o = PutOptions.of(meta).withTags(rnd.nextInt(5) == 0 ? List.of("keep") : List.of());
                    if (rnd.nextInt(4) == 0 && !bytes.isEmpty()) {
                        List<ManifestId> live = new ArrayList<>(bytes.keySet());
                        live.removeAll(removed);
                        if (!live.isEmpty()) {
                            o = o.withParent(live.get(rnd.nextInt(live.size())));
                        }
                    }
                    PutResult r = repo.put(o, new ByteArrayInputStream(b));
                    bytes.put(r.id(), b);
                } else if (action < 8) {
                    String p = POLICIES[rnd.nextInt(POLICIES.length)];
                    String yaml = "policies:\n  - series: \"" + (rnd.nextBoolean() ? "**" : "a/*") + "\"\n    " + p
                            + "\n    max_remove: 100%\n";
                    TrimReport rep = new Trimmer(repo, clock).trim(new TrimRequest(PolicyParser.parse(yaml), "prop",
                            yaml, null, false, false, "prop"));
                    rep.series().forEach(sr -> sr.remove().forEach(x -> removed.add(ManifestId.parse(x.id()))));
                } else if (action < 9 && !removed.isEmpty()) {
                    List<ManifestId> rs = new ArrayList<>(removed);
                    ManifestId back = rs.get(rnd.nextInt(rs.size()));
                    new Labeler(repo, clock).restore(back);
                    removed.remove(back);
                } else if (!bytes.isEmpty()) {
                    List<ManifestId> live = new ArrayList<>(bytes.keySet());
                    live.removeAll(removed);
                    if (!live.isEmpty()) {
                        new Labeler(repo, clock).addHold(live.get(rnd.nextInt(live.size())), "job" + rnd.nextInt(3),
                                "uses it", rnd.nextBoolean() ? null : Duration.ofMinutes(30 + rnd.nextInt(600)));
                    }
                }
                // Invariants after every step.
                Set<ManifestId> listed = new HashSet<>();
                repo.list(null).forEach(i -> listed.add(i.id()));
                Set<ManifestId> trashed = new HashSet<>();
                new Labeler(repo, clock).trash().forEach(e -> trashed.add(ManifestId.parse(e.id())));
                Set<ManifestId> both = new HashSet<>(listed);
                both.retainAll(trashed);
                assertThat(both).as("step %d: live and trashed at once", step).isEmpty();
                Set<ManifestId> all = new HashSet<>(listed);
                all.addAll(trashed);
                assertThat(all).as("step %d: live + trash", step).isEqualTo(bytes.keySet());
                assertThat(trashed).isEqualTo(removed);
            }
            for (Map.Entry<ManifestId, byte[]> e : bytes.entrySet()) {
                assertThat(StoreFixture.get(repo, e.getKey())).as("checkpoint %s", e.getKey().shortHex())
                        .isEqualTo(e.getValue());
                var m = repo.manifests().get(e.getKey());
                if (m.isDelta() && !removed.contains(e.getKey())) {
                    assertThat(removed).as("a live delta's parent is live").doesNotContain(m.parent());
                }
            }
            assertThat(repo.verify(true).clean()).isTrue();
        }
    }
}
