package dev.cairn.s3;

import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store contract on the S3 backend against a real S3 server (S3Proxy), each test under its
 * own prefix, with a cache small enough that reads go to the bucket: 2 MiB against 1 MiB packs.
 */
class S3ConformanceTest extends StoreConformanceTest {
    private S3Settings settings;

    @Override
    Repository open(Path dir) throws IOException {
        if (settings == null) {
            settings = S3ProxyServer.shared().settings(null).withCacheBytes(2L << 20);
        }
        return S3Stores.open(dir, StoreFixture.smallOptions(), settings);
    }

    @Test
    void readsWorkWithAnEmptyCache() throws IOException {
        settings = S3ProxyServer.shared().settings(null).withCacheBytes(0);
        repo.close();
        repo = open(dir.resolve("nocache"));
        byte[] data = dev.cairn.protocol.chunk.TestData.random(77, 3_000_000);
        var id = StoreFixture.put(repo, StoreFixture.opts("c", 1), data).id();
        assertThat(StoreFixture.get(repo, id)).isEqualTo(data);
        assertThat(((S3PackStore) repo.packs()).cachedBytes()).isZero();
        assertClean(repo);
    }
}
