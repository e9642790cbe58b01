package dev.cairn.s3;

import dev.cairn.gc.GarbageCollector;
import dev.cairn.gc.GcCancel;
import dev.cairn.gc.GcOptions;
import dev.cairn.gc.GcReport;
import dev.cairn.gc.TrimRequest;
import dev.cairn.gc.Trimmer;
import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The metadata backup and the rebuild of a store whose disk is lost: everything committed before
 * the restored backup comes back bit-exact; packs uploaded after it are unreferenced and the next
 * GC deletes them; GC deletes packs only after a backup that includes its index switch.
 */
class MetadataBackupTest {
    @TempDir
    Path dir;
    final S3ProxyServer s3 = S3ProxyServer.shared();
    // Only explicit, barrier and close backups: the schedule never fires during a test.
    final S3Settings settings = s3.settings(null).withBackupEvery(Duration.ofHours(1)).withCacheBytes(2L << 20);
    final Clock clock = Clock.fixed(Instant.parse("2026-11-02T00:00:00Z"), ZoneOffset.UTC);

    private Repository open(String name) throws IOException {
        return S3Stores.open(dir.resolve(name), StoreFixture.smallOptions(), settings);
    }

    /** Closes like a machine that died: no final backup. (RocksDB is closed, but its files are then deleted.) */
    private static void crash(Repository repo, Path storeDir) throws IOException {
        S3Stores.backupOf(repo).skipFinalBackup();
        repo.close();
        LocalFiles.deleteTree(storeDir);
    }

    @Test
    void aRestoredStoreHasEveryCheckpointOfTheBackupAndCollectsLaterPacks() throws Exception {
        Repository a = open("a");
        byte[] d1 = TestData.random(1, 1_200_000);
        byte[] d2 = TestData.random(2, 900_000);
        ManifestId c1 = StoreFixture.put(a, StoreFixture.opts("s", 1), d1).id();
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("sub"));
        Files.write(src.resolve("sub/w.bin"), d2);
        ManifestId c2 = a.putDirectory(StoreFixture.opts("dirs", 1), src).id();
        BackupDescriptor b = S3Stores.backupOf(a).backupIfChanged();
        assertThat(b).isNotNull();
        assertThat(S3Stores.backupOf(a).backupIfChanged()).as("nothing changed").isNull();
        ManifestId c3 = StoreFixture.put(a, StoreFixture.opts("s", 2), TestData.random(3, 1_500_000)).id();
        int packsBefore = a.packs().list().size();
        crash(a, dir.resolve("a"));

        BackupDescriptor restored = S3Stores.restore(dir.resolve("b"), settings);
        assertThat(restored.number()).isEqualTo(b.number());
        // The data directory was lost, so there is no catalog: the restore says that is expected,
        // and the first open writes it from the restored database (not an ERROR about damage).
        assertThat(dir.resolve("b").resolve(dev.cairn.store.RestoreMarker.FILE)).exists();
        assertThat(dir.resolve("b/catalog")).doesNotExist();
        try (Repository r = open("b")) {
            assertThat(dir.resolve("b").resolve(dev.cairn.store.RestoreMarker.FILE)).doesNotExist();
            assertThat(r.catalog().known()).hasSize(2);
            assertThat(StoreFixture.get(r, c1)).isEqualTo(d1);
            Path out = dir.resolve("out");
            r.restore(c2, out);
            assertThat(Files.readAllBytes(out.resolve("sub/w.bin"))).isEqualTo(d2);
            assertThat(r.manifests().find(c3)).as("committed after the backup: lost").isNull();
            StoreConformanceTest.assertClean(r);
            assertThat(r.packs().list()).hasSize(packsBefore - 1); // minus a's spare, which was never uploaded
            GcReport gc = new GarbageCollector(r, clock, GcOptions.defaults()).run(false, new GcCancel());
            assertThat(gc.packsDeleted()).as("c3's packs, which nothing references").isPositive();
            StoreConformanceTest.assertEveryPackLiveAndEveryEntryInAPack(r);
            StoreConformanceTest.assertClean(r);
            assertThat(StoreFixture.get(r, c1)).isEqualTo(d1);
            // the restored store goes on: puts, and backups numbered after the restored one
            ManifestId c4 = StoreFixture.put(r, StoreFixture.opts("s", 3), TestData.random(4, 500_000)).id();
            assertThat(S3Stores.backupOf(r).backupIfChanged().number()).isGreaterThan(b.number());
            assertThat(StoreFixture.get(r, c4)).isEqualTo(TestData.random(4, 500_000));
        }
    }

    @Test
    void gcDeletesPacksOnlyAfterABackupThatIncludesItsSwitch() throws Exception {
        Repository a = open("a");
        List<ManifestId> ids = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            data.add(TestData.random(10 + i, 800_000));
            ids.add(StoreFixture.put(a, StoreFixture.opts("g", i), data.get(i)).id());
        }
        S3Stores.backupOf(a).backupIfChanged(); // this backup names every pack
        String yaml = "policies:\n  - series: g\n    last: 1\n    max_remove: 100%\n";
        new Trimmer(a, clock).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
        GcReport gc = new GarbageCollector(a, Clock.offset(clock, Duration.ofDays(30)), GcOptions.defaults())
                .run(false, new GcCancel());
        assertThat(gc.packsDeleted()).isPositive();
        // The machine dies right after the GC. Had the packs gone before a backup with the GC's
        // switch, the newest backup would name deleted packs and verify would report them missing.
        crash(a, dir.resolve("a"));
        S3Stores.restore(dir.resolve("b"), settings);
        try (Repository r = open("b")) {
            StoreConformanceTest.assertClean(r);
            assertThat(StoreFixture.get(r, ids.get(4))).isEqualTo(data.get(4));
            assertThat(r.manifests().find(ids.get(0))).isNull();
        }
    }

    @Test
    void backupsAreIncrementalAndOnlyTheNewestThreeAreKept() throws Exception {
        try (Repository a = open("a")) {
            MetadataBackup m = S3Stores.backupOf(a);
            S3PackStore packs = (S3PackStore) a.packs();
            List<BackupDescriptor> made = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                StoreFixture.put(a, StoreFixture.opts("i", i), TestData.random(40 + i, 300_000));
                Map<String, Long> before = packs.bucket().requests().snapshot();
                made.add(m.backupIfChanged());
                long puts = RequestCounter.diff(before, packs.bucket().requests().snapshot()).getOrDefault("PutObject", 0L);
                if (i > 0) {
                    Set<String> shared = new HashSet<>();
                    made.get(i).files().forEach(f -> shared.add(f.sha256()));
                    Set<String> previous = new HashSet<>();
                    made.get(i - 1).files().forEach(f -> previous.add(f.sha256()));
                    shared.retainAll(previous);
                    assertThat(shared).as("files unchanged since the last backup").isNotEmpty();
                    // descriptor + the files that changed, never all of them again
                    assertThat(puts).isLessThanOrEqualTo(made.get(i).files().size() - shared.size() + 1);
                }
            }
            ObjectKeys keys = packs.keys();
            List<Bucket.ObjectInfo> descriptors = packs.bucket().list(keys.backupsPrefix());
            assertThat(descriptors).hasSize(MetadataBackup.KEEP);
            Set<String> referenced = new HashSet<>();
            for (Bucket.ObjectInfo o : descriptors) {
                BackupDescriptor.decode(packs.bucket().get(o.key())).files().forEach(f -> referenced.add(f.sha256()));
            }
            Set<String> present = new HashSet<>();
            packs.bucket().list(keys.filesPrefix()).forEach(o -> present.add(o.key().substring(keys.filesPrefix().length())));
            assertThat(present).isEqualTo(referenced);
        }
    }

    @Test
    void restoreRefusesAnExistingDatabaseAndAPrefixWithoutBackups() throws Exception {
        try (Repository a = open("a")) {
            StoreFixture.put(a, StoreFixture.opts("x", 1), TestData.random(1, 100_000));
        }
        assertThatThrownBy(() -> S3Stores.restore(dir.resolve("a"), settings))
                .hasMessageContaining("already holds a metadata database");
        assertThatThrownBy(() -> S3Stores.restore(dir.resolve("c"), s3.settings(null)))
                .hasMessageContaining("no metadata backup");
    }

    @Test
    void descriptorsAreCheckedOnRead() {
        BackupDescriptor d = new BackupDescriptor(7, 99, "00ff", List.of(
                new BackupDescriptor.FileEntry("000012.sst", 1234, "a".repeat(64)),
                new BackupDescriptor.FileEntry("CURRENT", 16, "b".repeat(64))));
        byte[] enc = d.encode();
        assertThat(BackupDescriptor.decode(enc)).isEqualTo(d);
        String text = new String(enc, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> BackupDescriptor.decode(text.replace("1234", "1235").getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("checksum mismatch");
        assertThatThrownBy(() -> BackupDescriptor.decode(text.replace("CAIRN-BACKUP 1", "CAIRN-BACKUP 2")
                .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("unsupported version");
        assertThatThrownBy(() -> BackupDescriptor.decode("hello".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("not a Cairn backup");
        assertThatThrownBy(() -> new BackupDescriptor.FileEntry("../etc/passwd", 1, "a".repeat(64)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
