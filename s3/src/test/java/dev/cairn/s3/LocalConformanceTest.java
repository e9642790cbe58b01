package dev.cairn.s3;

import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;

import java.io.IOException;
import java.nio.file.Path;

/** The store contract on the local-disk backend (the default). */
class LocalConformanceTest extends StoreConformanceTest {
    @Override
    Repository open(Path dir) throws IOException {
        return Repository.open(dir, StoreFixture.smallOptions());
    }
}
