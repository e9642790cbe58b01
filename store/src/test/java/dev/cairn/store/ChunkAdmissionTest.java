package dev.cairn.store;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ChunkRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The put path's one GC-safety call: {@link PutSession#admit} and {@link ChunkAdmission}. */
class ChunkAdmissionTest {
    @TempDir
    Path dir;

    @Test
    void admittedIdsAreLiveForGcFromTheAdmissionUntilTheirRefIsAdded() throws Exception {
        byte[] a = TestData.random(1, 5000);
        byte[] b = TestData.random(2, 5000);
        ChunkId ia = ChunkId.of(a, 0, a.length);
        ChunkId ib = ChunkId.of(b, 0, b.length);
        try (Repository repo = StoreFixture.open(dir)) {
            PutSession s = repo.begin(StoreFixture.opts("s", 1));
            EntryBuilder e = s.entry("");
            ChunkAdmission adm = s.admit(List.of(ia, ib));
            // Declared before anything is stored: a GC that starts now must keep both.
            assertThat(unflushed(s)).containsExactlyInAnyOrder(ia, ib);
            assertThat(adm.present(0)).isFalse();
            assertThat(adm.foundPresent()).isZero();

            EncodedChunk ea = ChunkCodec.shared().encode(a, 0, a.length);
            assertThat(adm.store(0, ea)).isTrue();
            assertThat(adm.store(0, ea)).as("a second store of the same admission appends nothing").isFalse();
            assertThat(adm.storeMissing(i -> ChunkCodec.shared().encode(b, 0, b.length))).isEqualTo(1);
            assertThat(adm.stored()).isEqualTo(2);

            e.add(new ChunkRef(ia, a.length));
            e.add(new ChunkRef(ib, b.length));
            e.finish();
            PutResult r = s.commit();
            assertThat(r.newBytes()).isEqualTo(a.length + b.length);

            // A second session finds both present: nothing is stored, nothing counted.
            PutSession t = repo.begin(StoreFixture.opts("s", 2));
            t.entry("");
            ChunkAdmission again = t.admit(List.of(ia, ib));
            assertThat(again.foundPresent()).isEqualTo(2);
            assertThat(again.storeMissing(i -> {
                throw new AssertionError("a present chunk is never encoded");
            })).isZero();
            assertThat(unflushed(t)).containsExactlyInAnyOrder(ia, ib);
            t.abort();
        }
    }

    private static Set<ChunkId> unflushed(PutSession s) {
        Set<ChunkId> out = new HashSet<>();
        s.forEachUnflushed(out::add);
        return out;
    }
}
