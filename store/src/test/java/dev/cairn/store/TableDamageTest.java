package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A damaged block in a RocksDB table file is found when the store opens (issue 10), not by the
 * first read that happens to touch it: the open is refused naming the file, or, in a maintenance
 * open, a family that exists elsewhere in full is dropped and rebuilt (the chunk index from the
 * packs, the manifest families from the catalog).
 */
class TableDamageTest {
    @TempDir
    Path dir;

    private final List<byte[]> data = new ArrayList<>();

    private List<ManifestId> fill() throws IOException {
        List<ManifestId> ids = new ArrayList<>();
        try (Repository repo = StoreFixture.open(dir)) {
            for (int i = 0; i < 4; i++) {
                byte[] d = TestData.random(70 + i, 200_000);
                data.add(d);
                ids.add(StoreFixture.put(repo, StoreFixture.opts("t", i), d).id());
            }
            repo.db().flush(); // into table files: the damage below is in a data block, not in a log
        }
        return ids;
    }

    /** The single table file of {@code cf}, with one bit flipped in its first data block (offset 0..). */
    private Path damage(Cf cf) throws IOException {
        Path victim;
        try (MetaDb db = MetaDb.open(dir.resolve("meta"))) {
            List<Path> files = db.tableFiles(cf);
            assertThat(files).as("table files of " + cf).hasSize(1);
            victim = files.get(0);
        }
        try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
            f.seek(40);
            int b = f.read();
            f.seek(40);
            f.write(b ^ 0x10);
        }
        return victim;
    }

    @Test
    void aDamagedChunkIndexTableIsRefusedAtOpenNamingTheFileAndWhatToRun() throws IOException {
        fill();
        Path victim = damage(Cf.CHUNKS);
        byte[] damaged = Files.readAllBytes(victim);
        assertThatThrownBy(() -> StoreFixture.open(dir)).isInstanceOfSatisfying(CairnException.class, e -> {
            assertThat(e.status()).isEqualTo(Status.CORRUPT);
            assertThat(e.getMessage()).contains(victim.getFileName().toString(), "column family chunks",
                    "changed nothing", "`cairnd --rebuild-index`");
        });
        assertThat(Files.readAllBytes(victim)).as("the damaged file is left as it was").isEqualTo(damaged);
        try (MetaDb db = MetaDb.open(dir.resolve("meta"), false, () -> false)) {
            throw new AssertionError("opened " + db);
        } catch (CairnException e) {
            assertThat(e.status()).as("the database was closed again, not left locked").isEqualTo(Status.CORRUPT);
        }
    }

    @Test
    void aMaintenanceOpenDropsTheDamagedChunkIndexAndRebuildsItFromThePacks() throws IOException {
        List<ManifestId> ids = fill();
        Path victim = damage(Cf.CHUNKS);
        try (Repository repo = Repository.open(dir, StoreFixture.smallOptions().withMarkDamagedOnOpen(true))) {
            assertThat(Files.exists(victim)).as("the damaged table was dropped, not hidden").isFalse();
            for (int i = 0; i < ids.size(); i++) {
                assertThat(StoreFixture.get(repo, ids.get(i))).isEqualTo(data.get(i));
            }
            assertThat(repo.db().damagedTables()).isEmpty();
        }
        try (Repository repo = StoreFixture.open(dir)) { // an ordinary open serves it again
            assertThat(repo.verify(true).clean()).isTrue();
            assertThat(repo.stats().chunks()).isPositive();
        }
    }

    /** Four checkpoints of which three are deltas of the one before (auto-delta), the last one tagged. */
    private List<ManifestId> fillWithDeltas() throws IOException {
        List<ManifestId> ids = new ArrayList<>();
        try (Repository repo = StoreFixture.open(dir)) {
            byte[] d = TestData.random(80, 300_000);
            for (int i = 0; i < 4; i++) {
                d = d.clone();
                d[1000 + 50_000 * i] ^= 1;
                data.add(d);
                PutOptions o = StoreFixture.opts("t/d", i);
                if (i == 3) {
                    o = new PutOptions(o.meta(), java.util.Set.of("best"), null, true);
                }
                ids.add(StoreFixture.put(repo, o, d).id());
            }
            assertThat(repo.show(ids.get(3)).parent()).as("a delta").isNotNull();
            repo.db().flush();
        }
        return ids;
    }

    @Test
    void aDamagedManifestTableIsRebuiltFromTheCatalogByAMaintenanceOpen() throws IOException {
        List<ManifestId> ids = fillWithDeltas();
        List<CheckpointInfo> before;
        try (Repository repo = StoreFixture.open(dir)) {
            before = repo.list("t/d");
        }
        Path victim = damage(Cf.MANIFESTS);
        assertThatThrownBy(() -> StoreFixture.open(dir)).isInstanceOfSatisfying(CairnException.class, e -> {
            assertThat(e.status()).isEqualTo(Status.CORRUPT);
            assertThat(e.getMessage()).contains(victim.getFileName().toString(), "column family manifests",
                    "changed nothing", "`cairnd --rebuild-index`", "catalog");
        });
        try (Repository repo = Repository.open(dir, StoreFixture.smallOptions().withMarkDamagedOnOpen(true))) {
            assertThat(Files.exists(victim)).as("the damaged table was dropped, not hidden").isFalse();
            assertThat(repo.db().damagedTables()).isEmpty();
        }
        try (Repository repo = StoreFixture.open(dir)) { // an ordinary open serves every checkpoint again
            for (int i = 0; i < ids.size(); i++) {
                assertThat(StoreFixture.get(repo, ids.get(i))).isEqualTo(data.get(i));
            }
            assertThat(repo.list("t/d")).as("series, parents, tags as before").isEqualTo(before);
            assertThat(repo.show(ids.get(3)).labels().tags()).containsExactly("best");
            assertThat(repo.verify(true).clean()).isTrue();
        }
    }

    @Test
    void aDamagedPackRecordTableIsRebuiltFromThePackFilesByAMaintenanceOpen() throws IOException {
        List<ManifestId> ids = fill();
        Path victim = damage(Cf.PACKS);
        assertThatThrownBy(() -> StoreFixture.open(dir)).isInstanceOf(CairnException.class);
        try (Repository repo = Repository.open(dir, StoreFixture.smallOptions().withMarkDamagedOnOpen(true))) {
            assertThat(Files.exists(victim)).isFalse();
        }
        try (Repository repo = StoreFixture.open(dir)) {
            for (int i = 0; i < ids.size(); i++) {
                assertThat(StoreFixture.get(repo, ids.get(i))).isEqualTo(data.get(i));
            }
            assertThat(repo.db().tableFiles(Cf.PACKS)).as("records written again").isNotEmpty();
            assertThat(repo.verify(true).clean()).isTrue();
        }
    }

    @Test
    void aDamagedJournalIsDroppedAndEveryPackRecordedWithNothingAccountedFor() throws IOException {
        List<ManifestId> ids = fill();
        List<dev.cairn.store.pack.PackId> packs = new ArrayList<>();
        try (Repository repo = StoreFixture.open(dir)) {
            try (MetaDb.Batch b = repo.db().batch()) {
                for (var p : repo.packs().list()) {
                    packs.add(p.id());
                    dev.cairn.store.meta.GcAccounting.putPack(b, p.id(), 1_000); // what earlier GCs accounted
                }
                repo.db().write(b, true);
            }
            repo.db().flush();
        }
        assertThat(packs).isNotEmpty();
        Path victim = damage(Cf.JOURNAL);
        try (Repository repo = Repository.open(dir, StoreFixture.smallOptions().withMarkDamagedOnOpen(true))) {
            assertThat(Files.exists(victim)).isFalse();
            for (var p : packs) {
                // Not absent (a young pack, whose records all count as explained): known, nothing accounted.
                assertThat(dev.cairn.store.meta.GcAccounting.pack(repo.db(), p)).as("pack " + p).isZero();
            }
            for (int i = 0; i < ids.size(); i++) {
                assertThat(StoreFixture.get(repo, ids.get(i))).isEqualTo(data.get(i));
            }
        }
    }

    @Test
    void aDamagedManifestTableWithoutAnIntactCatalogIsRefusedEvenByAMaintenanceOpen() throws IOException {
        fill();
        Path victim = damage(Cf.MANIFESTS);
        try (var files = Files.list(dir.resolve("catalog"))) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        assertThatThrownBy(() -> Repository.open(dir, StoreFixture.smallOptions().withMarkDamagedOnOpen(true)))
                .isInstanceOfSatisfying(CairnException.class, e -> {
                    assertThat(e.status()).isEqualTo(Status.CORRUPT);
                    assertThat(e.getMessage()).contains(victim.getFileName().toString(), "column family manifests",
                            "catalog is missing or damaged", "from a backup");
                });
        assertThat(Files.exists(victim)).isTrue();
    }

    @Test
    void aDamagedDefaultFamilyIsRefusedEvenByAMaintenanceOpen() throws IOException {
        fill();
        Path victim = damage(Cf.META);
        assertThatThrownBy(() -> Repository.open(dir, StoreFixture.smallOptions().withMarkDamagedOnOpen(true)))
                .isInstanceOfSatisfying(CairnException.class, e -> {
                    assertThat(e.status()).isEqualTo(Status.CORRUPT);
                    assertThat(e.getMessage()).contains(victim.getFileName().toString(), "column family default",
                            "cannot rebuild the store's own records", "from a backup");
                });
        assertThat(Files.exists(victim)).isTrue();
    }

    @Test
    void statsOnATableDamagedWhileOpenNamesTheDamageAndCountsTheRest() throws IOException {
        fill();
        try (Repository repo = StoreFixture.open(dir)) {
            Path victim = repo.db().tableFiles(Cf.CHUNKS).get(0);
            try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
                f.seek(40);
                int b = f.read();
                f.seek(40);
                f.write(b ^ 0x10);
            }
            assertThatThrownBy(repo::stats).isInstanceOfSatisfying(CairnException.class, e -> {
                assertThat(e.status()).isEqualTo(Status.CORRUPT);
                assertThat(e.getMessage()).contains("chunk index", victim.getFileName().toString(),
                        "4 checkpoints", "1 packs of", "`cairn verify`");
            });
        }
    }

    @Test
    void anInterruptedIndexRebuildIsRefusedByAnOrdinaryOpenUntilARebuildCompletes() throws IOException {
        List<ManifestId> ids = fill();
        try (MetaDb db = MetaDb.open(dir.resolve("meta"))) {
            // What a rebuild cut short after it cleared the index leaves.
            db.put(Cf.META, dev.cairn.store.meta.Keys.INDEX_REBUILD_PENDING, new byte[] {1}, true);
        }
        assertThatThrownBy(() -> StoreFixture.open(dir)).isInstanceOfSatisfying(CairnException.class, e -> {
            assertThat(e.status()).isEqualTo(Status.CORRUPT);
            assertThat(e.getMessage()).contains("interrupted", "`cairnd --rebuild-index` again");
        });
        try (Repository repo = Repository.open(dir, StoreFixture.smallOptions().withMarkDamagedOnOpen(true))) {
            repo.rebuildIndex();
        }
        try (Repository repo = StoreFixture.open(dir)) {
            assertThat(StoreFixture.get(repo, ids.get(0))).isEqualTo(data.get(0));
        }
    }
}
