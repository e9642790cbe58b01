package dev.cairn.gc;

import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.ChildJvm;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.PackInfo;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a real child process with SIGKILL inside a GC — after deleting expired trash, mid-mark,
 * after the sweep, mid-repack, between the index switch and the pack deletes — then reopens: the store opens, verifies clean, every surviving
 * checkpoint restores bit-exact, and the next GC leaves no orphan packs or index entries.
 */
class GcCrashTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gc.after-expire", "gc.before-epoch", "gc.mid-mark", "gc.after-sweep", "gc.before-pack-delete", "gc.mid-repack",
            "gc.after-switch"})
    void crashInsideGc(String point) throws Exception {
        Path store = dir.resolve("store");
        Map<Integer, ManifestId> ids = new HashMap<>();
        try (ChildJvm child = ChildJvm.start(dir, List.of("-Xmx256m"), GcCrashDriver.class, store.toString(), point)) {
            while (true) {
                String line = child.nextLine(120);
                assertThat(line).as("child output; stderr: %s", child.stderr()).isNotNull().isNotEqualTo("<EOF>");
                if (line.startsWith("ID ")) {
                    String[] f = line.split(" ");
                    ids.put(Integer.parseInt(f[1]), ManifestId.parse(f[2]));
                } else if (line.startsWith("AT ")) {
                    child.kill();
                    break;
                }
                assertThat(line).as("the GC finished without reaching %s", point).isNotEqualTo("DONE");
            }
        }
        try (Repository repo = StoreFixture.open(store)) {
            VerifyAssert.clean(repo);
            // The last two survived the trim; whatever else is still there restores too.
            for (Map.Entry<Integer, ManifestId> e : ids.entrySet()) {
                if (repo.manifests().find(e.getValue()) != null) {
                    assertThat(StoreFixture.get(repo, e.getValue())).as("checkpoint %d", e.getKey())
                            .isEqualTo(GcCrashDriver.version(e.getKey()));
                }
            }
            assertThat(repo.list("run")).extracting(i -> i.id()).containsExactly(ids.get(4), ids.get(5));
            GcReport next = new GarbageCollector(repo, Clock.offset(Clock.fixed(GcCrashDriver.T0, ZoneOffset.UTC),
                    Duration.ofDays(2)), GcOptions.defaults()).run(false, new GcCancel());
            assertThat(next.dryRun()).isFalse();
            // What the crashed GC deleted (expired trash) or freed is still accounted for: no
            // --force needed to finish the job.
            assertThat(next.unexplainedChunks()).as(next.outcome()).isZero();
            assertThat(next.packsKept()).isZero();
            VerifyAssert.clean(repo);
            for (int i : new int[] {4, 5}) {
                assertThat(StoreFixture.get(repo, ids.get(i))).isEqualTo(GcCrashDriver.version(i));
            }
            assertThat(repo.manifests().allIds()).containsExactlyInAnyOrder(ids.get(4), ids.get(5));
            Set<String> indexedPacks = new HashSet<>();
            try (var c = repo.db().scan(Cf.CHUNKS, null, null)) {
                while (c.next()) {
                    indexedPacks.add(dev.cairn.store.chunk.ChunkIndexCodec.decode(c.value()).location().pack().toHex());
                }
            }
            Set<String> packs = new HashSet<>();
            var inUse = repo.chunks().packsInUse();
            for (PackInfo p : repo.packs().list()) {
                if (!inUse.contains(p.id())) {
                    packs.add(p.id().toHex());
                }
            }
            assertThat(packs).as("no orphan packs, no dangling index entries").isEqualTo(indexedPacks);
            // And one more GC finds nothing to do.
            GcReport idle = new GarbageCollector(repo, Clock.offset(Clock.fixed(GcCrashDriver.T0, ZoneOffset.UTC),
                    Duration.ofDays(2)), GcOptions.defaults()).run(true, new GcCancel());
            assertThat(idle.chunksFreed() + idle.packsDeleted() + idle.packsRewritten() + idle.orphanSegments()
                    + idle.unexplainedChunks()).isZero();
        }
    }
}
