package dev.cairn.store;

import dev.cairn.protocol.chunk.TestData;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.MetaDb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Rebasing keeps ids and bytes, and lets a parent go in the same atomic batch. */
class RebaseTest {
    @TempDir
    Path dir;

    private static List<byte[]> history(int n) {
        List<byte[]> v = new ArrayList<>();
        byte[] b = TestData.random(1, 1_000_000);
        for (int i = 0; i < n; i++) {
            b = b.clone();
            System.arraycopy(TestData.random(100 + i, 20_000), 0, b, (i * 131_000) % 900_000, 20_000);
            v.add(b);
        }
        return v;
    }

    @Test
    void childOfATrashedParentIsReparentedOrMaterialisedAndStillRestores() throws IOException {
        List<byte[]> v = history(4);
        try (Repository repo = StoreFixture.open(dir)) {
            List<PutResult> r = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                r.add(StoreFixture.put(repo, StoreFixture.opts("c", i), v.get(i)));
            }
            assertThat(r).extracting(PutResult::kind).containsExactly("full", "delta", "delta", "delta");
            StoredManifest a = repo.manifests().get(r.get(0).id());
            StoredManifest b = repo.manifests().get(r.get(1).id());
            StoredManifest c = repo.manifests().get(r.get(2).id());
            // Remove b: c is re-expressed against a (its nearest kept ancestor) in the same batch.
            PreparedForm cOnA = repo.prepareRebase(c, a);
            assertThat(cOnA.form().isDelta()).isTrue();
            assertThat(cOnA.form().parent()).isEqualTo(a.id());
            try (MetaDb.Batch batch = repo.db().batch()) {
                cOnA.commitInto(batch, repo.manifests(), c);
                repo.manifests().trash(batch, b, repo.labels(b.id()),
                        new Labels.Trash(Instant.now(), Instant.now().plusSeconds(3600), "test"));
                repo.db().write(batch, true);
            }
            assertThat(repo.manifests().children(b.id())).isEmpty();
            assertThat(repo.manifests().children(a.id())).contains(c.id());
            for (int i = 0; i < v.size(); i++) {
                assertThat(StoreFixture.get(repo, r.get(i).id())).as("version %d", i).isEqualTo(v.get(i));
            }
            // Materialise d (whose parent c now has a shorter chain): same id, full form.
            StoredManifest d = repo.manifests().get(r.get(3).id());
            PreparedForm dFull = repo.prepareRebase(d, null);
            assertThat(dFull.form().isDelta()).isFalse();
            try (MetaDb.Batch batch = repo.db().batch()) {
                dFull.commitInto(batch, repo.manifests(), d);
                repo.db().write(batch, true);
            }
            assertThat(repo.show(d.id()).kind()).isEqualTo("full");
            assertThat(StoreFixture.get(repo, d.id())).isEqualTo(v.get(3));
            assertThat(repo.verify(true).clean()).isTrue();
        }
    }
}
