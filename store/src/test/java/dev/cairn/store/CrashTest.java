package dev.cairn.store;

import dev.cairn.protocol.manifest.ManifestId;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a real child process with SIGKILL at chosen points of the put path, then reopens the
 * store: it must open, verify clean, list exactly the committed checkpoints (plus, for a crash
 * after the commit batch, possibly the one in flight) and restore each bit-exact. The next put
 * must work.
 */
class CrashTest {
    @TempDir
    Path dir;

    /**
     * The default run's kill points; `mvn -Psoak` adds visits 1..{@code cairn.soak.crash.visits} of
     * every point (each a child JVM killed there).
     */
    static Stream<Arguments> killPoints() {
        List<Arguments> points = new ArrayList<>(List.of(
                Arguments.of("chunk.after-append", 5),
                Arguments.of("chunk.after-append", 400),
                Arguments.of("chunk.after-sync", 2),
                Arguments.of("commit.after-flush", 2),
                Arguments.of("commit.before-batch", 1),
                Arguments.of("commit.before-batch", 3),
                Arguments.of("commit.after-catalog", 2),
                Arguments.of("commit.after-batch", 2)));
        int extra = Integer.getInteger("cairn.soak.crash.visits", 0);
        for (String point : List.of("chunk.after-append", "chunk.after-sync", "commit.after-flush",
                "commit.before-batch", "commit.after-catalog", "commit.after-batch")) {
            for (int visit = 1; visit <= extra; visit++) {
                int v = point.equals("chunk.after-append") ? visit * 37 : visit;
                if (points.stream().noneMatch(a -> a.get()[0].equals(point) && a.get()[1].equals(v))) {
                    points.add(Arguments.of(point, v));
                }
            }
        }
        return points.stream();
    }

    @ParameterizedTest(name = "{0} visit {1}")
    @MethodSource("killPoints")
    void crashAtPointLeavesAConsistentStore(String point, int visit) throws Exception {
        Path store = dir.resolve("store");
        Map<Integer, ManifestId> committed = new LinkedHashMap<>();
        boolean crashed = false;
        try (ChildJvm child = ChildJvm.start(dir, List.of("-Xmx256m"), CrashDriver.class, store.toString(), point,
                String.valueOf(visit), "6")) {
            while (true) {
                String line = child.nextLine(120);
                assertThat(line).as("child output (stderr: %s)", child.stderr()).isNotNull();
                if (line.startsWith("COMMITTED ")) {
                    String[] f = line.split(" ");
                    committed.put(Integer.parseInt(f[1]), ManifestId.parse(f[2]));
                } else if (line.startsWith("AT ")) {
                    child.kill();
                    crashed = true;
                    break;
                } else if (line.equals("DONE") || line.equals("<EOF>")) {
                    break;
                }
            }
        }
        assertThat(crashed).as("the fault point was reached").isTrue();
        int inFlight = committed.size();
        try (Repository repo = StoreFixture.open(store)) {
            VerifyReport report = repo.verify(true);
            assertThat(report.problems()).isEmpty();
            assertThat(report.damaged()).isEmpty();
            List<CheckpointInfo> listed = repo.list("crash");
            for (Map.Entry<Integer, ManifestId> e : committed.entrySet()) {
                assertThat(StoreFixture.get(repo, e.getValue())).as("checkpoint %d", e.getKey())
                        .isEqualTo(CrashDriver.version(e.getKey()));
            }
            if (point.equals("commit.after-batch") || point.equals("commit.after-catalog")) {
                // The batch (or the catalog record, the commit point: the open rolls RocksDB
                // forward from it) was synced before the crash: the in-flight checkpoint is durable.
                assertThat(listed).hasSize(committed.size() + 1);
                ManifestId extra = listed.get(listed.size() - 1).id();
                assertThat(StoreFixture.get(repo, extra)).isEqualTo(CrashDriver.version(inFlight));
            } else {
                assertThat(listed).extracting(CheckpointInfo::id).containsExactlyElementsOf(committed.values());
            }
            // The store keeps working: the interrupted version can be put again.
            PutResult again = StoreFixture.put(repo, StoreFixture.opts("crash", inFlight), CrashDriver.version(inFlight));
            assertThat(StoreFixture.get(repo, again.id())).isEqualTo(CrashDriver.version(inFlight));
            assertThat(repo.verify(false).clean()).isTrue();
        }
    }
}
