package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.meta.MetaDb.Cf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Damage to the metadata database gives statuses that say what is wrong, and verify lists it. */
class MetaDamageTest {
    @TempDir
    Path dir;

    private List<ManifestId> fill(Path store) throws IOException {
        List<ManifestId> ids = new ArrayList<>();
        try (Repository repo = StoreFixture.open(store)) {
            for (int i = 0; i < 6; i++) {
                ids.add(StoreFixture.put(repo, StoreFixture.opts("m" + (i % 2), i), TestData.random(40 + i, 300_000)).id());
            }
            repo.db().flush(); // into SST files, so that the damage below is in them and not in a log
        }
        return ids;
    }

    private static List<Path> files(Path meta, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(meta)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

    @Test
    void aMissingCurrentFileIsAClearCorruptErrorAtOpen() throws IOException {
        fill(dir);
        Path meta = dir.resolve("meta");
        Files.delete(meta.resolve("CURRENT"));
        assertThatThrownBy(() -> StoreFixture.open(dir)).isInstanceOfSatisfying(CairnException.class, e -> {
            assertThat(e.status()).isEqualTo(Status.CORRUPT);
            assertThat(e.getMessage()).contains("CURRENT file", "is missing", "Restore the directory from a backup",
                    "MANIFEST-", "--rebuild-index` cannot help").doesNotContain("wal_dir");
        });
        assertThat(Files.exists(meta.resolve("CURRENT"))).isFalse(); // nothing was created in its place
    }

    @Test
    void theLastResortTheRefusalNamesRestoresEveryCheckpointFromTheCatalog() throws IOException {
        List<ManifestId> ids = fill(dir);
        Path meta = dir.resolve("meta");
        Files.delete(meta.resolve("CURRENT"));
        assertThatThrownBy(() -> StoreFixture.open(dir)).hasMessageContaining("Without a backup: move " + meta
                + " aside");
        Files.move(meta, dir.resolve("meta.damaged")); // as the message says
        try (Repository repo = StoreFixture.open(dir)) {
            for (int i = 0; i < ids.size(); i++) {
                assertThat(StoreFixture.get(repo, ids.get(i))).isEqualTo(TestData.random(40 + i, 300_000));
            }
            assertThat(repo.list(null)).hasSize(ids.size());
            assertThat(repo.verify(true).clean()).as("%s", repo.verify(true).problems()).isTrue();
        }
    }

    @Test
    void aDamagedTableFileIsRefusedClearlyAtOpen() throws IOException {
        Path clean = dir.resolve("clean");
        fill(clean);
        List<Path> tables = files(clean.resolve("meta"), ".sst");
        assertThat(tables).isNotEmpty();
        int reported = 0;
        for (Path t : tables) {
            Path copy = dir.resolve("copy-" + t.getFileName());
            DamageTest.copyTree(clean, copy);
            Path victim = copy.resolve("meta").resolve(t.getFileName());
            long size = Files.size(victim);
            try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
                for (long at = size / 4; at < size / 4 + 32 && at < size - 64; at++) {
                    f.seek(at);
                    int b = f.read();
                    f.seek(at);
                    f.write(b ^ 0x5a);
                }
            }
            // Every block of a table is checked at open (docs/FORMAT.md, "Table check at open"),
            // not only those a read happens to touch.
            assertThatThrownBy(() -> StoreFixture.open(copy).close()).as(t.toString())
                    .isInstanceOfSatisfying(CairnException.class, e -> {
                        assertThat(e.status()).as(e.getMessage()).isEqualTo(Status.CORRUPT);
                        assertThat(e.getMessage()).contains(t.getFileName().toString());
                    });
            reported++;
        }
        assertThat(reported).isEqualTo(tables.size());
    }

    @Test
    void afterARebuildWithChunksStillMissingVerifyListsAProblem() throws IOException {
        ManifestId id;
        try (Repository repo = StoreFixture.open(dir)) {
            id = StoreFixture.put(repo, StoreFixture.opts("lost", 0), TestData.random(7, 200_000)).id();
            repo.chunks().sealCurrent();
        }
        try (Stream<Path> s = Files.walk(dir.resolve("packs"))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".pack")).toList()) {
                Files.delete(p);
            }
        }
        try (Repository repo = StoreFixture.open(dir)) {
            RebuildReport rr = repo.rebuildIndex();
            assertThat(rr.missingReferenced()).isPositive();
            VerifyReport v = repo.verify(false);
            assertThat(v.clean()).isFalse();
            assertThat(v.problems()).isNotEmpty().anySatisfy(p -> assertThat(p.subject()).isEqualTo(id.toHex()));
        }
    }
}
