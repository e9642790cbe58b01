package dev.cairn.gc;

import dev.cairn.gc.policy.KeepReason;
import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.gc.policy.PolicySet;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.PutResult;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrimTest {
    @TempDir
    Path dir;
    Repository repo;
    final Clock clock = Clock.fixed(Instant.parse("2026-11-02T00:00:00Z"), ZoneOffset.UTC);
    final List<byte[]> data = new ArrayList<>();
    final List<ManifestId> ids = new ArrayList<>();

    @BeforeEach
    void tenCheckpoints() throws IOException {
        repo = StoreFixture.open(dir);
        byte[] b = TestData.random(1, 400_000);
        for (int i = 0; i < 10; i++) {
            b = b.clone();
            System.arraycopy(TestData.random(50 + i, 10_000), 0, b, i * 30_000, 10_000);
            data.add(b);
            var o = StoreFixture.opts("run", i * 60).withTags(i == 2 ? List.of("milestone") : List.of());
            ids.add(StoreFixture.put(repo, o, b).id());
        }
    }

    @org.junit.jupiter.api.AfterEach
    void close() throws IOException {
        repo.close();
    }

    private TrimReport trim(String yaml, boolean dryRun, boolean force) throws Exception {
        PolicySet p = PolicyParser.parse(yaml);
        return new Trimmer(repo, clock).trim(new TrimRequest(p, "test", yaml, null, dryRun, force, "tester"));
    }

    private void assertAllRestore() throws IOException {
        for (int i = 0; i < ids.size(); i++) {
            if (repo.manifests().find(ids.get(i)) != null) {
                assertThat(StoreFixture.get(repo, ids.get(i))).as("checkpoint %d", i).isEqualTo(data.get(i));
            }
        }
        assertThat(repo.verify(false).clean()).isTrue();
    }

    @Test
    void dryRunChangesNothingAndApplyMovesToTrashWithRebases() throws Exception {
        String policy = "policies:\n  - series: run\n    last: 3\n    tags: [milestone]\n    max_remove: 100%\n";
        TrimReport dry = trim(policy, true, false);
        assertThat(dry.applied()).isFalse();
        assertThat(dry.auditId()).isNull();
        assertThat(dry.removedCount()).isEqualTo(6);
        assertThat(dry.freedBytes()).isPositive();
        assertThat(repo.list("run")).hasSize(10);
        assertThat(new Trimmer(repo, clock).log(10)).isEmpty();

        TrimReport r = trim(policy, false, false);
        assertThat(r.applied()).isTrue();
        assertThat(r.removedCount()).isEqualTo(6);
        assertThat(r.freedBytes()).isEqualTo(dry.freedBytes());
        var series = r.series().get(0);
        assertThat(series.keep()).extracting(k -> k.id()).containsExactly(ids.get(9), ids.get(8), ids.get(7), ids.get(2));
        assertThat(series.keep().get(0).reasons()).extracting(KeepReason::kind)
                .contains(KeepReason.Kind.LAST, KeepReason.Kind.NEWEST_RESTORABLE);
        assertThat(series.keep().get(3).reasons()).extracting(KeepReason::text).contains("tag milestone");
        assertThat(repo.list("run")).hasSize(4);
        assertThat(new Labeler(repo, clock).trash()).hasSize(6)
                .allSatisfy(t -> assertThat(t.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(24))));
        // Every kept checkpoint still restores bit-exact: the deltas on removed parents were rebased.
        assertAllRestore();
        for (var k : series.keep()) {
            var m = repo.manifests().get(k.id());
            if (m.isDelta()) {
                assertThat(repo.labels(m.parent()).inTrash()).isFalse();
            }
        }
        var log = new Trimmer(repo, clock).log(10);
        assertThat(log).hasSize(1);
        assertThat(log.get(0).requestedBy()).isEqualTo("tester");
        assertThat(log.get(0).report().removedCount()).isEqualTo(6);
        assertThat(log.get(0).policyText()).contains("last: 3");

        // Restore one from the trash: back exactly as it was.
        new Labeler(repo, clock).restore(ids.get(4));
        assertThat(repo.list("run")).extracting(i -> i.id()).contains(ids.get(4));
        assertThat(StoreFixture.get(repo, ids.get(4))).isEqualTo(data.get(4));
        assertThatThrownBy(() -> new Labeler(repo, clock).restore(ids.get(4)))
                .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.CONFLICT));
        assertAllRestore();
    }

    @Test
    void heldCheckpointsAreKeptUntilReleased() throws Exception {
        Labeler labels = new Labeler(repo, clock);
        labels.addHold(ids.get(1), "eval-job", "nightly eval", null);
        labels.addHold(ids.get(1), "deploy", "serving", Duration.ofHours(1));
        labels.addHold(ids.get(3), "old", "expired", Duration.ofSeconds(1));
        String policy = "policies:\n  - series: run\n    last: 2\n    max_remove: 100%\n";
        // The one-second hold was taken at the fixed clock; a trim an hour later sees it expired.
        Clock later = Clock.offset(clock, Duration.ofMinutes(30));
        TrimReport r = new Trimmer(repo, later).trim(new TrimRequest(PolicyParser.parse(policy), "t", policy, null,
                false, false, "t"));
        var kept = r.series().get(0).keep();
        assertThat(kept).extracting(k -> k.id()).contains(ids.get(1)).doesNotContain(ids.get(3));
        var reasons = kept.stream().filter(k -> k.id().equals(ids.get(1))).findFirst().orElseThrow().reasons();
        assertThat(reasons).extracting(KeepReason::text).anySatisfy(t -> assertThat(t).contains("eval-job"))
                .anySatisfy(t -> assertThat(t).contains("deploy"));
        labels.removeHold(ids.get(1), "eval-job");
        labels.removeHold(ids.get(1), "deploy");
        assertThatThrownBy(() -> labels.removeHold(ids.get(1), "deploy"))
                .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.NOT_FOUND));
        TrimReport r2 = new Trimmer(repo, later).trim(new TrimRequest(PolicyParser.parse(policy), "t", policy, null,
                false, false, "t"));
        assertThat(r2.series().get(0).remove()).extracting(TrimReport.Removed::id).contains(ids.get(1).toHex());
        assertThatThrownBy(() -> labels.addHold(ids.get(1), "x", "y", null))
                .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.CONFLICT));
        assertAllRestore();
    }

    @Test
    void theBrakeBlocksUnlessForced() throws Exception {
        String policy = "policies:\n  - series: run\n    last: 1\n    max_remove: 3\n";
        TrimReport r = trim(policy, false, false);
        assertThat(r.anyBlocked()).isTrue();
        assertThat(r.removedCount()).isZero();
        assertThat(repo.list("run")).hasSize(10);
        TrimReport forced = trim(policy, false, true);
        assertThat(forced.removedCount()).isEqualTo(9);
        assertThat(repo.list("run")).hasSize(1);
        assertAllRestore();
    }

    @Test
    void aWrongPolicyChangesNothing() {
        assertThatThrownBy(() -> trim("policies:\n  - series: run\n    lats: 3\n", false, false))
                .hasMessageContaining("lats");
        assertThatThrownBy(() -> trim("policies:\n  - series: run\n    within: 3 parsecs\n", false, false))
                .hasMessageContaining("within");
        assertThat(assertDoesNotChange()).isTrue();
    }

    private boolean assertDoesNotChange() {
        try {
            return repo.list("run").size() == 10 && new Labeler(repo, clock).trash().isEmpty();
        } catch (CairnException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void concurrentTrimsSerialise() throws Exception {
        String policy = "policies:\n  - series: run\n    last: 4\n    max_remove: 100%\n";
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<TrimReport>> fs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                fs.add(pool.submit(() -> trim(policy, false, false)));
            }
            int removed = 0;
            for (Future<TrimReport> f : fs) {
                removed += f.get().removedCount();
            }
            assertThat(removed).isEqualTo(6);
        } finally {
            pool.shutdownNow();
        }
        assertThat(repo.list("run")).extracting(i -> i.id())
                .containsExactlyElementsOf(ids.subList(6, 10));
        assertThat(new Labeler(repo, clock).trash()).extracting(TrashEntry::id)
                .containsExactlyInAnyOrderElementsOf(ids.subList(0, 6).stream().map(ManifestId::toHex).toList());
        assertThat(new Trimmer(repo, clock).log(10)).hasSize(1);
        assertAllRestore();
    }

    @Test
    void untrimmedSeriesAreUntouched() throws Exception {
        PutResult other = StoreFixture.put(repo, StoreFixture.opts("other", 0), TestData.random(9, 1000));
        trim("policies:\n  - series: run\n    last: 1\n    max_remove: 100%\n", false, false);
        assertThat(repo.list("other")).extracting(i -> i.id()).containsExactly(other.id());
        assertThat(Set.copyOf(repo.manifests().seriesNames())).containsExactlyInAnyOrder("run", "other");
    }
}
