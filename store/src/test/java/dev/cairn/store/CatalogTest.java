package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.catalog.CatalogReader;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.util.FaultPoints;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The catalog (docs/FORMAT.md, "Catalog"): damage to it is re-protected from RocksDB, a store
 * from before it is migrated, compaction is crash-safe at every step, and verify checks that
 * RocksDB and the catalog agree.
 */
class CatalogTest {
    @TempDir
    Path dir;

    @AfterEach
    void disarm() {
        FaultPoints.disarmAll();
    }

    private static byte[] data(int i) {
        return TestData.random(100 + i, 30_000 + 1000 * i);
    }

    /** Six checkpoints, one trashed by a labels change, one with a tag: returns id by index. */
    private Map<Integer, ManifestId> sixCheckpoints(Path store) throws IOException {
        Map<Integer, ManifestId> ids = new LinkedHashMap<>();
        try (Repository repo = StoreFixture.open(store)) {
            for (int i = 0; i < 6; i++) {
                ids.put(i, StoreFixture.put(repo, StoreFixture.opts("s", i), data(i)).id());
            }
            setLabels(repo, ids.get(1), repo.labels(ids.get(1)).withTags(List.of("keep")));
        }
        return ids;
    }

    private static void setLabels(Repository repo, ManifestId id, Labels l) throws IOException {
        synchronized (repo.manifestMutex()) {
            try (MetaDb.Batch b = repo.db().batch()) {
                repo.manifests().putLabels(b, id, l);
                repo.db().write(b, true);
            }
        }
    }

    private static void checkSix(Repository repo, Map<Integer, ManifestId> ids) throws IOException {
        for (Map.Entry<Integer, ManifestId> e : ids.entrySet()) {
            assertThat(StoreFixture.get(repo, e.getValue())).as("checkpoint %d", e.getKey()).isEqualTo(data(e.getKey()));
        }
        assertThat(repo.labels(ids.get(1)).tags()).containsExactly("keep");
        assertThat(repo.list("s")).hasSize(6);
        VerifyReport v = repo.verify(true);
        assertThat(v.problems()).isEmpty();
        assertThat(v.damaged()).isEmpty();
    }

    private static List<Path> catalogFiles(Path store) throws IOException {
        try (Stream<Path> s = Files.list(store.resolve("catalog"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
        }
    }

    private static Path largestCatalogFile(Path store) throws IOException {
        Path best = null;
        for (Path p : catalogFiles(store)) {
            if (best == null || Files.size(p) > Files.size(best)) {
                best = p;
            }
        }
        return best;
    }

    // ------------------------------------------------------------ damage

    @Test
    void aFlippedByteInTheCatalogIsReportedAndReprotectedFromRocksDb() throws IOException {
        Path store = dir.resolve("s");
        Map<Integer, ManifestId> ids = sixCheckpoints(store);
        Path f = largestCatalogFile(store);
        long mid = Files.size(f) / 2;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(mid);
            int b = raf.read();
            raf.seek(mid);
            raf.write(b ^ 0x01);
        }
        try (Repository repo = StoreFixture.open(store)) {
            CatalogRecovery.Report r = repo.recovery();
            assertThat(r.catalogDamage()).as("damage found and logged at ERROR").isNotEmpty();
            assertThat(r.catalogDamage().get(0).file()).isEqualTo(f);
            assertThat(r.reprotected()).isPositive();
            assertThat(r.rolledForward()).isZero();
            checkSix(repo, ids);
        }
        assertThat(Files.exists(f.resolveSibling(f.getFileName() + ".damaged"))).as("moved aside").isTrue();
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().anything()).as("repaired for good").isFalse();
            checkSix(repo, ids);
        }
    }

    @Test
    void aTruncatedCatalogLosesNothingTheDatabaseHolds() throws IOException {
        Path store = dir.resolve("s");
        Map<Integer, ManifestId> ids = sixCheckpoints(store);
        Path f = largestCatalogFile(store);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() / 2);
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().reprotected()).as("re-appended, logged at ERROR").isPositive();
            checkSix(repo, ids);
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().anything()).isFalse();
        }
    }

    @Test
    void aDeletedCatalogOfAFormat2StoreIsWrittenAgainFromRocksDb() throws IOException {
        Path store = dir.resolve("s");
        Map<Integer, ManifestId> ids = sixCheckpoints(store);
        deleteTree(store.resolve("catalog"));
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().reprotected()).isEqualTo(6);
            assertThat(repo.recovery().migrated()).isFalse();
            checkSix(repo, ids);
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().anything()).isFalse();
            assertThat(repo.catalog().known()).hasSize(6);
        }
    }

    @Test
    void aLostMiddleCatalogFileIsDamageAndRocksDbsNewerStateWins() throws IOException {
        Path store = dir.resolve("s");
        Map<Integer, ManifestId> ids = sixCheckpoints(store);
        try (Repository repo = StoreFixture.open(store)) {
            setLabels(repo, ids.get(3), repo.labels(ids.get(3)).withTags(List.of("v2")));
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().anything()).isFalse();
        }
        List<Path> files = catalogFiles(store);
        assertThat(files).hasSizeGreaterThanOrEqualTo(3);
        Files.delete(files.get(1)); // the file with the "v2" labels record
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().catalogDamage()).isNotEmpty();
            assertThat(repo.labels(ids.get(3)).tags()).as("not rolled back to the older record").containsExactly("v2");
            checkSix(repo, ids);
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().anything()).as("compacted: replays clean now").isFalse();
            assertThat(repo.labels(ids.get(3)).tags()).containsExactly("v2");
        }
    }

    // ------------------------------------------------------------ migration

    @Test
    void aStoreFromBeforeTheCatalogIsMigratedAtOpen() throws IOException {
        Path store = dir.resolve("s");
        Map<Integer, ManifestId> ids = sixCheckpoints(store);
        // What the previous build leaves: no catalog directory, format version 1.
        deleteTree(store.resolve("catalog"));
        try (MetaDb db = MetaDb.open(store.resolve("meta"))) {
            StoreConfig c = StoreConfig.decode(db.get(Cf.META, Keys.CONFIG));
            db.put(Cf.META, Keys.CONFIG, c.withFormatVersion(1).encode(), true);
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().migrated()).isTrue();
            assertThat(repo.config().formatVersion()).isEqualTo(StoreConfig.FORMAT_VERSION);
            assertThat(repo.catalog().known()).hasSize(6);
            checkSix(repo, ids);
            ManifestId seven = StoreFixture.put(repo, StoreFixture.opts("s", 7), data(7)).id();
            assertThat(StoreFixture.get(repo, seven)).isEqualTo(data(7));
        }
        try (MetaDb db = MetaDb.open(store.resolve("meta"))) {
            assertThat(StoreConfig.decode(db.get(Cf.META, Keys.CONFIG)).formatVersion()).isEqualTo(2);
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().anything()).isFalse();
            assertThat(repo.list("s")).hasSize(7);
        }
    }

    @Test
    void anOlderBuildRefusesTheNewFormatAndANewerCatalogIsRefused() throws IOException {
        StoreConfig c = new StoreConfig(StoreConfig.FORMAT_VERSION + 1, StoreFixture.SMALL, java.time.Instant.EPOCH,
                new byte[16]);
        assertThatThrownBy(() -> StoreConfig.decode(c.encode())).isInstanceOf(CairnException.class)
                .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.UNSUPPORTED_VERSION));
        Path store = dir.resolve("s");
        sixCheckpoints(store);
        Path f = catalogFiles(store).get(0);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(8);
            raf.writeShort(2); // catalog file format version 2, from the future
            // The header CRC must still match, or it would be plain damage.
            byte[] h = new byte[24];
            raf.seek(0);
            raf.readFully(h);
            int clen = java.nio.ByteBuffer.wrap(h, 20, 4).getInt();
            byte[] all = new byte[24 + clen];
            raf.seek(0);
            raf.readFully(all);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(all);
            raf.writeInt((int) crc.getValue());
        }
        assertThatThrownBy(() -> StoreFixture.open(store)).isInstanceOf(CairnException.class)
                .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.UNSUPPORTED_VERSION));
    }

    // ------------------------------------------------------------ unrepairable

    @Test
    void restoredCheckpointsWhoseChunksAreInNoPackRefuseToOpenUntilMarkedDamaged() throws IOException {
        Path store = dir.resolve("s");
        ManifestId a;
        ManifestId b;
        dev.cairn.store.pack.PackId bPack;
        try (Repository repo = StoreFixture.open(store)) {
            a = StoreFixture.put(repo, StoreFixture.opts("s", 0), data(0)).id();
            repo.chunks().sealCurrent();
            b = StoreFixture.put(repo, StoreFixture.opts("s", 1), data(1)).id();
            repo.chunks().sealCurrent();
            StoredManifest m = repo.manifests().get(b);
            bPack = repo.chunks().locate(repo.manifests().cursor(m, 0).next().id()).pack();
        }
        // The whole metadata database is lost, and so is the pack with b's chunks.
        deleteTree(store.resolve("meta"));
        try (Stream<Path> s = Files.walk(store.resolve("packs"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(bPack.toHex())).toList()) {
                Files.delete(p);
            }
        }
        for (int attempt = 0; attempt < 2; attempt++) { // the refusal holds at the next open too
            assertThatThrownBy(() -> StoreFixture.open(store)).isInstanceOf(CairnException.class)
                    .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.CORRUPT))
                    .hasMessageContaining(b.shortHex()).hasMessageContaining("--rebuild-index");
        }
        try (Repository repo = Repository.open(store, StoreFixture.smallOptions().withMarkDamagedOnOpen(true))) {
            assertThat(repo.labels(b).restorable()).isFalse();
            assertThat(repo.labels(a).restorable()).isTrue();
            assertThat(StoreFixture.get(repo, a)).isEqualTo(data(0));
            assertThat(repo.verify(false).damaged().keySet()).containsExactly(b);
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.labels(b).restorable()).isFalse(); // the mark is in the catalog as well
        }
    }

    @Test
    void rebuildIndexAlsoRestoresManifestsFromTheCatalog() throws IOException {
        Path store = dir.resolve("s");
        Map<Integer, ManifestId> ids = sixCheckpoints(store);
        try (Repository repo = StoreFixture.open(store)) {
            StoredManifest m = repo.manifests().get(ids.get(2));
            try (MetaDb.Batch b = repo.db().batch()) { // RocksDB alone loses it
                b.delete(Cf.MANIFESTS, Keys.manifest(m.id()));
                b.delete(Cf.LABELS, Keys.manifest(m.id()));
                b.delete(Cf.SERIES, Keys.series(m.header().meta().series(),
                        m.header().meta().createdAt().toEpochMilli(), m.id()));
                repo.db().write(b, true);
            }
            assertThat(repo.list("s")).hasSize(5);
            RebuildReport r = repo.rebuildIndex();
            assertThat(r.restored()).isEqualTo(1);
            assertThat(r.markedDamaged()).isZero();
            assertThat(r.missingReferenced()).isZero();
            checkSix(repo, ids);
        }
    }

    @Test
    void concurrentCommitsAreAllInTheCatalog() throws Exception {
        Path store = dir.resolve("s");
        Map<Integer, ManifestId> ids = sixCheckpoints(store);
        try (Repository repo = StoreFixture.open(store)) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                ManifestId id = ids.get(t + 2);
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < 25; i++) {
                            synchronized (repo.manifestMutex()) {
                                Labels l = repo.labels(id).withTags(List.of("t" + i));
                                try (MetaDb.Batch b = repo.db().batch()) {
                                    repo.manifests().putLabels(b, id, l);
                                    repo.db().write(b, true);
                                }
                            }
                            StoreFixture.put(repo, StoreFixture.opts("c" + id.shortHex(), i), data(i));
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            assertThat(errors).isEmpty();
            assertThat(repo.verify(false).problems()).isEmpty();
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().anything()).isFalse();
            for (int t = 0; t < 4; t++) {
                assertThat(repo.labels(ids.get(t + 2)).tags()).containsExactly("t24");
                assertThat(repo.list("c" + ids.get(t + 2).shortHex())).hasSize(25);
            }
        }
    }

    @Test
    void aFullDiskFailsOneCommitAndTheNextOneWorks() throws IOException {
        Path store = dir.resolve("s");
        Map<Integer, ManifestId> ids = sixCheckpoints(store);
        try (Repository repo = StoreFixture.open(store)) {
            FaultPoints.arm("catalog.write", p -> {
                throw new IOException("No space left on device");
            });
            assertThatThrownBy(() -> setLabels(repo, ids.get(2), repo.labels(ids.get(2)).withTags(List.of("lost"))))
                    .isInstanceOf(CairnException.class)
                    .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.NO_SPACE));
            assertThat(repo.labels(ids.get(2)).tags()).as("nothing applied").isEmpty();
            FaultPoints.disarmAll();
            setLabels(repo, ids.get(2), repo.labels(ids.get(2)).withTags(List.of("kept")));
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().anything()).isFalse();
            assertThat(repo.labels(ids.get(2)).tags()).containsExactly("kept");
            checkSix(repo, ids);
        }
    }

    @Test
    void aHardDeleteInTheCatalogButNotInRocksDbIsRolledForward() throws IOException {
        Path store = dir.resolve("s");
        Map<Integer, ManifestId> ids = sixCheckpoints(store);
        ManifestId victim = ids.get(5);
        try (Repository repo = StoreFixture.open(store)) {
            StoredManifest m = repo.manifests().get(victim);
            Labels trashed = repo.labels(victim).withTrash(new Labels.Trash(java.time.Instant.EPOCH,
                    java.time.Instant.EPOCH, "test"));
            synchronized (repo.manifestMutex()) {
                try (MetaDb.Batch b = repo.db().batch()) {
                    repo.manifests().trash(b, m, repo.labels(victim), trashed.trash());
                    repo.db().write(b, true);
                }
                // GC's hard delete: the FORGET is fsynced, then the process dies before RocksDB.
                FaultPoints.arm("commit.after-catalog", p -> {
                    throw new IOException("crash at " + p);
                });
                try (MetaDb.Batch b = repo.db().batch()) {
                    repo.manifests().delete(b, repo.manifests().get(victim), repo.labels(victim));
                    assertThatThrownBy(() -> repo.db().write(b, true)).hasMessageContaining("crash at");
                }
                FaultPoints.disarmAll();
            }
            assertThat(repo.manifests().find(victim)).as("RocksDB still has it").isNotNull();
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().rolledForward()).isEqualTo(1);
            assertThat(repo.manifests().find(victim)).isNull();
            assertThat(repo.manifests().findLabels(victim)).isNull();
            assertThat(repo.verify(false).problems()).isEmpty();
            ids.remove(5);
            for (Map.Entry<Integer, ManifestId> e : ids.entrySet()) {
                assertThat(StoreFixture.get(repo, e.getValue())).isEqualTo(data(e.getKey()));
            }
        }
    }

    // ------------------------------------------------------------ compaction

    @ParameterizedTest
    @ValueSource(strings = {"catalog.compact.after-roll", "catalog.compact.before-rename",
            "catalog.compact.after-rename", "catalog.compact.after-delete", "none"})
    void compactionReplaysToTheSameStateAfterACrashAtAnyStep(String point) throws IOException {
        Path store = dir.resolve("s");
        Map<Integer, ManifestId> ids = sixCheckpoints(store);
        Map<ManifestId, byte[]> expected = new LinkedHashMap<>();
        try (Repository repo = StoreFixture.open(store)) {
            // Many labels changes: dead records.
            for (int round = 0; round < 20; round++) {
                for (ManifestId id : ids.values()) {
                    if (!id.equals(ids.get(1))) {
                        setLabels(repo, id, repo.labels(id).withTags(List.of("r" + round)));
                    }
                }
            }
            long[] before = repo.catalog().sizes();
            assertThat(before[0] - before[1]).as("dead bytes").isGreaterThan(before[1]);
            for (ManifestId id : ids.values()) {
                expected.put(id, repo.labels(id).encode());
            }
            if (!point.equals("none")) {
                FaultPoints.arm(point, p -> {
                    throw new IOException("crash at " + p);
                });
                assertThatThrownBy(() -> repo.catalog().compact()).hasMessageContaining("crash at " + point);
                FaultPoints.disarmAll();
            } else {
                repo.catalog().compact();
                long[] after = repo.catalog().sizes();
                assertThat(after[0]).as("no dead bytes left").isEqualTo(after[1]);
            }
            // Appends keep working after (or during) a compaction.
            setLabels(repo, ids.get(5), repo.labels(ids.get(5)).withTags(List.of("after")));
            expected.put(ids.get(5), repo.labels(ids.get(5)).encode());
        }
        CatalogReader.Result onDisk = CatalogReader.read(store.resolve("catalog"));
        assertThat(onDisk.replay().damage()).isEmpty();
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().rolledForward()).isZero();
            assertThat(repo.recovery().reprotected()).isZero();
            for (Map.Entry<ManifestId, byte[]> e : expected.entrySet()) {
                assertThat(repo.labels(e.getKey()).encode()).isEqualTo(e.getValue());
                assertThat(onDisk.labels().get(e.getKey())).isEqualTo(e.getValue());
            }
            checkSix(repo, ids);
            // A later compaction finishes the job.
            repo.catalog().compact();
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().anything()).isFalse();
            assertThat(repo.catalog().fileCount()).isLessThanOrEqualTo(3);
            checkSix(repo, ids);
        }
    }

    // ------------------------------------------------------------ verify

    @Test
    void verifyReportsWhatTheDatabaseLostAndTheOpenRestoresIt() throws IOException {
        Path store = dir.resolve("s");
        Map<Integer, ManifestId> ids = sixCheckpoints(store);
        try (Repository repo = StoreFixture.open(store)) {
            // RocksDB loses a manifest and a labels change behind the catalog's back.
            try (MetaDb.Batch b = repo.db().batch()) {
                b.delete(Cf.MANIFESTS, Keys.manifest(ids.get(3)));
                b.put(Cf.LABELS, Keys.manifest(ids.get(1)), repo.labels(ids.get(1)).withTags(List.of()).encode());
                repo.db().write(b, true);
            }
            VerifyReport v = repo.verify(false);
            assertThat(v.clean()).isFalse();
            assertThat(v.problems()).filteredOn(p -> p.kind().equals("catalog")).extracting(VerifyReport.Problem::subject)
                    .contains(ids.get(3).toHex(), ids.get(1).toHex());
        }
        try (Repository repo = StoreFixture.open(store)) {
            assertThat(repo.recovery().rolledForward()).isEqualTo(2);
            checkSix(repo, ids);
        }
    }

    @Test
    void verifyCountsPackRecordsNoIndexEntryNames() throws IOException {
        Path store = dir.resolve("s");
        try (Repository repo = StoreFixture.open(store)) {
            ManifestId id = StoreFixture.put(repo, StoreFixture.opts("s", 0), data(0)).id();
            assertThat(repo.verify(false).unindexed()).isEmpty();
            StoredManifest m = repo.manifests().get(id);
            var cur = repo.manifests().cursor(m, 0);
            List<byte[]> keys = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; i < 3; i++) {
                var ref = cur.next();
                keys.add(Keys.chunk(ref.id()));
                bytes += repo.chunks().locate(ref.id()).storedLength();
            }
            try (MetaDb.Batch b = repo.db().batch()) {
                for (byte[] k : keys) {
                    b.delete(Cf.CHUNKS, k);
                }
                repo.db().write(b, true);
            }
            repo.chunks().sealCurrent();
            VerifyReport v = repo.verify(false);
            assertThat(v.unindexed()).hasSize(1);
            assertThat(v.unindexed().get(0).records()).isEqualTo(3);
            assertThat(v.unindexed().get(0).bytes()).isEqualTo(bytes);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
