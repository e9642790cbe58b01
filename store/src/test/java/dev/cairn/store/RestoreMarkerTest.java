package dev.cairn.store;

import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A store whose meta/ was restored from a backup has no catalog; the restore says so with {@link
 * RestoreMarker}, and the first open writes the catalog from the database as expected work (logged
 * at INFO, not as damage), then removes the marker. A marker that does not parse is ignored.
 */
class RestoreMarkerTest {
    @TempDir
    Path dir;

    private ManifestId storeWithoutCatalog() throws IOException {
        ManifestId id;
        try (Repository repo = StoreFixture.open(dir)) {
            id = StoreFixture.put(repo, StoreFixture.opts("s", 1), TestData.random(5, 300_000)).id();
        }
        try (Stream<Path> s = Files.walk(dir.resolve("catalog"))) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        return id;
    }

    @Test
    void theFirstOpenAfterARestoreWritesTheCatalogAndRemovesTheMarker() throws IOException {
        ManifestId id = storeWithoutCatalog();
        RestoreMarker.write(dir, "metadata backup 7 of store abc");
        assertThat(RestoreMarker.read(dir)).isEqualTo("metadata backup 7 of store abc");
        try (Repository repo = StoreFixture.open(dir)) {
            assertThat(repo.restoredFrom()).isEqualTo("metadata backup 7 of store abc");
            assertThat(repo.catalog().known()).extracting(k -> k.id()).containsExactly(id);
            assertThat(repo.verify(true).clean()).isTrue();
        }
        assertThat(dir.resolve(RestoreMarker.FILE)).doesNotExist();
        try (Repository repo = StoreFixture.open(dir)) {
            assertThat(repo.restoredFrom()).isNull();
            assertThat(StoreFixture.get(repo, id)).isEqualTo(TestData.random(5, 300_000));
        }
    }

    @Test
    void aMarkerThatDoesNotParseIsNoMarker() throws IOException {
        storeWithoutCatalog();
        RestoreMarker.write(dir, "metadata backup 7");
        Path f = dir.resolve(RestoreMarker.FILE);
        byte[] b = Files.readAllBytes(f);
        b[20] ^= 1; // inside the text the checksum covers
        Files.write(f, b);
        assertThat(RestoreMarker.read(dir)).isNull();
        try (Repository repo = StoreFixture.open(dir)) {
            assertThat(repo.restoredFrom()).isNull(); // the missing catalog was logged as damage
        }
        assertThat(f).doesNotExist();
    }
}
