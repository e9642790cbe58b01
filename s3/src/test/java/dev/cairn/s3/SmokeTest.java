package dev.cairn.s3;

import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SmokeTest {
    @TempDir
    Path dir;

    @Test
    void putGet() throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        S3Settings s = s3.settings(null);
        byte[] data = TestData.random(7, 3_000_000);
        ManifestId id;
        try (Repository repo = S3Stores.open(dir.resolve("a"), StoreFixture.smallOptions(), s)) {
            id = StoreFixture.put(repo, StoreFixture.opts("x", 1), data).id();
            assertThat(StoreFixture.get(repo, id)).isEqualTo(data);
            System.out.println(((S3PackStore) repo.packs()).bucket().requests().snapshot());
            System.out.println(repo.verify(true));
        }
        S3Stores.restore(dir.resolve("b"), s);
        try (Repository repo = S3Stores.open(dir.resolve("b"), StoreFixture.smallOptions(), s)) {
            assertThat(StoreFixture.get(repo, id)).isEqualTo(data);
            System.out.println(((S3PackStore) repo.packs()).bucket().requests().snapshot());
        }
    }
}
