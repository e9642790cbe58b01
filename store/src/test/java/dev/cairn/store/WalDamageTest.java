package dev.cairn.store;

import dev.cairn.protocol.manifest.ManifestId;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10 item 1: six puts in a child JVM killed with SIGKILL leave the metadata only in
 * RocksDB's WAL; damaging that file (a flipped byte in the middle, truncation to half, deletion)
 * used to make the store open with fewer checkpoints, verify clean and nothing logged. Now the
 * catalog rolls them forward: all six restore bit-exact, verify --read-data is clean, and the
 * recovery report (what is logged at WARN/ERROR) says what happened.
 */
class WalDamageTest {
    @TempDir
    static Path shared;
    private static Path pristine;

    @TempDir
    Path dir;

    @BeforeAll
    static void sixPutsThenSigkill() throws Exception {
        pristine = shared.resolve("store");
        try (ChildJvm child = ChildJvm.start(shared, List.of("-Xmx256m"), CrashDriver.class, pristine.toString(),
                "commit.after-batch", "6", "6")) {
            while (true) {
                String line = child.nextLine(120);
                assertThat(line).as("child output (stderr: %s)", child.stderr()).isNotNull();
                if (line.startsWith("AT ")) {
                    child.kill(); // the 6th commit's batch is synced; nothing was flushed to an SST
                    break;
                }
                assertThat(line).as("child output (stderr: %s)", child.stderr()).isNotEqualTo("<EOF>");
            }
        }
        try (Stream<Path> s = Files.list(pristine.resolve("meta"))) {
            assertThat(s.filter(p -> p.toString().endsWith(".sst")).toList())
                    .as("the metadata lives only in the WAL").isEmpty();
        }
    }

    private Path copy(String name) throws IOException {
        Path c = dir.resolve(name);
        DamageTest.copyTree(pristine, c);
        return c;
    }

    private static Path newestWal(Path store) throws IOException {
        try (Stream<Path> s = Files.list(store.resolve("meta"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".log")).max(Path::compareTo).orElseThrow();
        }
    }

    @Test
    void aFlippedByteInTheMiddleOfTheWal() throws IOException {
        Path store = copy("flip");
        Path wal = newestWal(store);
        long mid = Files.size(wal) / 2;
        try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
            f.seek(mid);
            int b = f.read();
            f.seek(mid);
            f.write(b ^ 0x40);
        }
        CatalogRecovery.Report r = reopenAndCheckAllSix(store);
        assertThat(r.walDamage()).as("RocksDB reported the damaged WAL record instead of stopping silently")
                .isNotNull();
    }

    @Test
    void aWalTruncatedToHalf() throws IOException {
        Path store = copy("truncate");
        Path wal = newestWal(store);
        try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        reopenAndCheckAllSix(store);
    }

    @Test
    void aDeletedWal() throws IOException {
        Path store = copy("delete");
        Files.delete(newestWal(store));
        reopenAndCheckAllSix(store);
    }

    /**
     * The WAL and the catalog's files deleted: nothing can restore the six checkpoints' metadata.
     * The store opens (GC keeps the data: gc's GcUnexplainedTest), and verify must not call it
     * clean: it names the packs whose records lost their metadata, says so, and what to run.
     */
    @Test
    void aDeletedWalAndCatalogIsReportedByVerify() throws IOException {
        Path store = copy("lost");
        try (Stream<Path> s = Files.list(store.resolve("meta"))) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                Files.delete(p);
            }
        }
        try (Stream<Path> s = Files.list(store.resolve("catalog"))) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        for (int open = 0; open < 2; open++) {
            try (Repository repo = StoreFixture.open(store)) {
                assertThat(repo.list("crash")).isEmpty();
                VerifyReport v = repo.verify(open == 0);
                assertThat(v.clean()).as("verify after the metadata was lost").isFalse();
                List<VerifyReport.Problem> packs = v.problems().stream()
                        .filter(p -> p.subject().startsWith("pack ")).toList();
                assertThat(packs).as("the packs holding the six checkpoints' data").isNotEmpty()
                        .allSatisfy(p -> {
                            assertThat(p.kind()).isEqualTo("metadata");
                            assertThat(p.message()).contains("metadata lost", "no recorded deletion",
                                    "--restore-from-bucket", "--rebuild-index` cannot", "gc --force");
                        });
                long records = packs.stream().mapToLong(p -> Long.parseLong(p.message().split(" ")[2])).sum();
                assertThat(records).as("every record of the six checkpoints")
                        .isEqualTo(v.unindexed().stream().mapToLong(VerifyReport.Unindexed::records).sum());
                // The open that found the catalog missing says so too; the next open finds the
                // catalog written again, and only the packs tell.
                assertThat(v.problems()).filteredOn(p -> p.subject().equals("catalog"))
                        .hasSize(open == 0 ? 1 : 0)
                        .allSatisfy(p -> assertThat(p.message()).contains("was missing", "held no checkpoint"));
            }
        }
    }

    /**
     * Seeded random damage to the WAL: a flipped byte anywhere, or a cut at any length, alternately.
     * Every one of the six commits must come back bit-exact. Two trials by default; `mvn -Psoak`
     * runs {@code cairn.soak.wal.trials} of them from {@code cairn.soak.seed}.
     */
    @Test
    void randomFlipsAndCutsOfTheWal() throws IOException {
        long seed = Long.getLong("cairn.soak.seed", 0x3A1L);
        int trials = Integer.getInteger("cairn.soak.wal.trials", 2);
        Random r = new Random(seed);
        for (int t = 0; t < trials; t++) {
            Path store = copy("random-" + t);
            Path wal = newestWal(store);
            long size = Files.size(wal);
            long at = r.nextLong(size);
            String what;
            try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
                if (t % 2 == 0) {
                    f.seek(at);
                    int b = f.read();
                    f.seek(at);
                    f.write(b ^ (1 << r.nextInt(8)));
                    what = "flip at " + at;
                } else {
                    f.setLength(at);
                    what = "cut to " + at;
                }
            }
            try {
                reopenAndCheckAllSix(store, false);
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + " trial " + t + ": WAL of " + size + " bytes, " + what, e);
            }
        }
    }

    private static CatalogRecovery.Report reopenAndCheckAllSix(Path store) throws IOException {
        return reopenAndCheckAllSix(store, true);
    }

    /**
     * Opens, checks the six checkpoints and verify; returns what recovery did. {@code lossExpected}:
     * the damage must have cost the database writes (a random flip may hit bytes RocksDB never
     * reads again, e.g. the padding of a block).
     */
    private static CatalogRecovery.Report reopenAndCheckAllSix(Path store, boolean lossExpected) throws IOException {
        CatalogRecovery.Report report;
        try (Repository repo = StoreFixture.open(store)) {
            report = repo.recovery();
            if (lossExpected) {
                assertThat(report.rolledForward()).as("lost commits were rolled forward (and logged at WARN)")
                        .isPositive();
            }
            List<CheckpointInfo> listed = repo.list("crash");
            assertThat(listed).hasSize(6);
            List<ManifestId> ids = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                ids.add(listed.get(i).id());
                assertThat(StoreFixture.get(repo, listed.get(i).id())).as("checkpoint %d", i)
                        .isEqualTo(CrashDriver.version(i));
            }
            VerifyReport v = repo.verify(true);
            assertThat(v.problems()).isEmpty();
            assertThat(v.damaged()).isEmpty();
            assertThat(v.manifests()).isEqualTo(6);
            PutResult again = StoreFixture.put(repo, StoreFixture.opts("crash", 6), CrashDriver.version(6));
            assertThat(StoreFixture.get(repo, again.id())).isEqualTo(CrashDriver.version(6));
        }
        // The repair is durable: the next open finds nothing to do.
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().rolledForward()).isZero();
            assertThat(repo.recovery().reprotected()).isZero();
            assertThat(repo.list("crash")).hasSize(7);
            assertThat(repo.verify(false).clean()).isTrue();
        }
        return report;
    }
}
