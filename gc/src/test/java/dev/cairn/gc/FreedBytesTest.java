package dev.cairn.gc;

import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.util.LongHashSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trim's freed-bytes numbers, computed with batched index lookups or one scan of the index,
 * equal the chunk-by-chunk definition (docs/GC.md, "Applying a trim"), whatever the batch size.
 */
class FreedBytesTest {
    @TempDir
    Path dir;
    Repository repo;
    final List<ManifestId> ids = new ArrayList<>();

    @BeforeEach
    void checkpointsSharingChunks() throws IOException {
        repo = StoreFixture.open(dir);
        byte[] b = TestData.random(7, 600_000);
        for (int i = 0; i < 6; i++) {
            b = b.clone();
            System.arraycopy(TestData.random(70 + i, 120_000), 0, b, (i % 4) * 120_000, 120_000);
            ids.add(StoreFixture.put(repo, StoreFixture.opts("run", i * 60), b).id());
        }
        // Another series sharing the first checkpoint's bytes: its chunks are never freed.
        StoreFixture.put(repo, StoreFixture.opts("other", 0), TestData.random(7, 600_000));
    }

    @AfterEach
    void close() throws IOException {
        repo.close();
    }

    /** The definition, one index lookup per chunk. */
    private Map<ManifestId, Long> reference(List<ManifestId> live, List<ManifestId> removed) throws IOException {
        LongHashSet kept = new LongHashSet();
        for (ManifestId id : live) {
            if (!removed.contains(id)) {
                repo.manifests().forEachRef(repo.manifests().get(id), r -> kept.add(r.id().prefix64()));
            }
        }
        LongHashSet counted = new LongHashSet();
        Map<ManifestId, Long> out = new LinkedHashMap<>();
        for (ManifestId id : removed) {
            long[] sum = {0};
            repo.manifests().forEachRef(repo.manifests().get(id), r -> {
                if (!kept.contains(r.id().prefix64()) && counted.add(r.id().prefix64())) {
                    ChunkLocation loc = repo.chunks().locate(r.id());
                    sum[0] += loc.storedLength() + FreedBytes.PACK_RECORD_OVERHEAD;
                }
            });
            out.put(id, sum[0]);
        }
        return out;
    }

    @Test
    void batchedLookupsGiveTheChunkByChunkNumbers() throws IOException {
        List<ManifestId> live = new ArrayList<>();
        repo.list("run").forEach(m -> live.add(m.id()));
        repo.list("other").forEach(m -> live.add(m.id()));
        List<ManifestId> removed = List.of(ids.get(0), ids.get(1), ids.get(2), ids.get(4));
        Map<ManifestId, Long> expected = reference(live, removed);
        assertThat(expected.values().stream().mapToLong(Long::longValue).sum()).isPositive();

        try {
            FreedBytes.forceMode = false; // batched lookups
            for (int batch : new int[] {1, 2, 7, FreedBytes.LOOKUP_BATCH}) {
                Map<ManifestId, Long> got = FreedBytes.compute(repo, live, removed, batch);
                assertThat(got).as("batch %d", batch).containsExactlyEntriesOf(expected);
            }
            FreedBytes.forceMode = true; // one scan of the index
            assertThat(FreedBytes.compute(repo, live, removed)).containsExactlyEntriesOf(expected);
            FreedBytes.forceMode = null;
            assertThat(FreedBytes.compute(repo, live, removed)).containsExactlyEntriesOf(expected);
            assertThat(FreedBytes.compute(repo, live, List.of())).isEmpty();
        } finally {
            FreedBytes.forceMode = null;
        }
    }
}
