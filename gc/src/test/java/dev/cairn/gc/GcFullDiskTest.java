package dev.cairn.gc;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.PackInfo;
import dev.cairn.store.pack.SmallVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GC on a full disk (issue 10 item 3): the packs live on a {@link SmallVolume} (writes fail with
 * "No space left on device" when its budget is spent, deletes give space back). GC deletes dead
 * packs first, repacks least-live first in groups that fit, abandons a group that runs out of
 * space without leaving partial packs, and says NO_SPACE when it cannot go on.
 */
class GcFullDiskTest {
    @TempDir
    Path dir;
    SmallVolume volume = new SmallVolume(1L << 40);
    Repository repo;
    final Instant start = Instant.parse("2026-11-02T00:00:00Z");
    final Clock afterGrace = Clock.offset(Clock.fixed(start, ZoneOffset.UTC), Duration.ofDays(2));
    ManifestId keeper;
    byte[] keeperData;

    @BeforeEach
    void open() throws IOException {
        repo = Repository.open(dir, StoreFixture.smallOptions(), MetaDb.open(dir.resolve("meta")), volume.packStore(dir));
    }

    @AfterEach
    void close() throws IOException {
        repo.close();
    }

    /**
     * Four packs, each half live (their second half is also in the keeper checkpoint) once their
     * own checkpoints are gone, and {@code dead} packs that nothing will reference.
     */
    private void build(int dead) throws IOException {
        List<ManifestId> doomed = new ArrayList<>();
        ByteArrayBuilder keep = new ByteArrayBuilder();
        for (int k = 0; k < 4; k++) {
            byte[] x = TestData.random(10 + k, 200_000);
            byte[] y = TestData.random(20 + k, 200_000);
            doomed.add(StoreFixture.put(repo, StoreFixture.opts("a", k), concat(x, y)).id());
            repo.chunks().sealCurrent();
            keep.add(y);
        }
        for (int j = 0; j < dead; j++) {
            doomed.add(StoreFixture.put(repo, StoreFixture.opts("a", 10 + j), TestData.random(30 + j, 900_000)).id());
            repo.chunks().sealCurrent();
        }
        keeperData = keep.bytes();
        keeper = StoreFixture.put(repo, StoreFixture.opts("keep", 0), keeperData).id();
        repo.chunks().sealCurrent();
        try (MetaDb.Batch b = repo.db().batch()) {
            for (ManifestId id : doomed) {
                repo.manifests().trash(b, repo.manifests().get(id), repo.labels(id),
                        new Labels.Trash(start, start.plusSeconds(60), "test"));
            }
            repo.db().write(b, true);
        }
    }

    private GcReport gc(GcOptions o) throws IOException {
        return new GarbageCollector(repo, afterGrace, o).run(false, new GcCancel());
    }

    /** Every pack file (but the writer's) has an index entry pointing into it, and vice versa. */
    private void assertNoPartialOrOrphanPacks() throws IOException {
        Set<String> indexed = new HashSet<>();
        try (var c = repo.db().scan(Cf.CHUNKS, null, null)) {
            while (c.next()) {
                indexed.add(dev.cairn.store.chunk.ChunkIndexCodec.decode(c.value()).location().pack().toHex());
            }
        }
        Set<String> files = new HashSet<>();
        var inUse = repo.chunks().packsInUse();
        for (PackInfo p : repo.packs().list()) {
            if (!inUse.contains(p.id())) { // not the empty pack created ahead for the next writes
                assertThat(p.sealed()).as("pack %s sealed", p.id()).isTrue();
                files.add(p.id().toHex());
            }
        }
        assertThat(files).isEqualTo(indexed);
    }

    @Test
    void withNoSpaceAndNothingWhollyDeadGcSaysNoSpaceAndLeavesNoPartialPacks() throws Exception {
        build(0);
        volume.setFree(0);
        List<PackInfo> before = repo.packs().list();
        assertThatThrownBy(() -> gc(GcOptions.defaults()))
                .isInstanceOfSatisfying(CairnException.class, e -> assertThat(e.status()).isEqualTo(Status.NO_SPACE))
                .hasMessageContaining("too full to repack");
        assertThat(repo.packs().list()).isEqualTo(before); // nothing written, nothing half-switched
        assertThat(StoreFixture.get(repo, keeper)).isEqualTo(keeperData);
        VerifyAssert.clean(repo);

        volume.setFree(10L << 20); // space freed elsewhere: the next GC finishes the job
        GcReport r = gc(GcOptions.defaults());
        assertThat(r.packsRewritten()).isEqualTo(4);
        assertThat(r.unexplainedChunks()).isZero();
        assertNoPartialOrOrphanPacks();
        assertThat(StoreFixture.get(repo, keeper)).isEqualTo(keeperData);
        VerifyAssert.clean(repo);
    }

    @Test
    void deadPacksGoFirstAndTheirSpacePaysForTheRepacks() throws Exception {
        build(3);
        volume.setFree(0);
        GcReport r = gc(GcOptions.defaults());
        assertThat(r.packsDeleted()).isEqualTo(3);
        assertThat(r.packsRewritten()).isEqualTo(4);
        assertThat(volume.free()).isPositive();
        assertNoPartialOrOrphanPacks();
        assertThat(StoreFixture.get(repo, keeper)).isEqualTo(keeperData);
        VerifyAssert.clean(repo);
    }

    /**
     * The free space shrinks under the GC (another writer on the volume): a group runs out of
     * space half-way; it is abandoned (its new packs deleted at once) and retried in halves.
     */
    @Test
    void aGroupThatRunsOutOfSpaceIsAbandonedAndRetriedSmaller() throws Exception {
        build(0);
        volume.setFree(300_000); // one pack's live half fits, two do not
        volume.overReport(2L << 20); // the GC plans one group of all four
        GcReport r = gc(GcOptions.defaults());
        assertThat(r.packsRewritten()).isEqualTo(4);
        assertNoPartialOrOrphanPacks();
        assertThat(StoreFixture.get(repo, keeper)).isEqualTo(keeperData);
        VerifyAssert.clean(repo);
    }

    @Test
    void theReserveIsReleasedWhenGcRunsOutOfSpaceAndPutBackAfterwards() throws Exception {
        build(0);
        GcOptions withReserve = GcOptions.defaults().withReserveBytes(256 << 10);
        assertThat(repo.reserve().ensure(withReserve.reserveBytes())).isTrue();
        assertThat(Files.size(repo.reserve().file())).isEqualTo(256 << 10);
        volume.setFree(0);
        assertThatThrownBy(() -> gc(withReserve))
                .isInstanceOfSatisfying(CairnException.class, e -> assertThat(e.status()).isEqualTo(Status.NO_SPACE));
        // It was released for the retry and put back after the GC (the data directory has room).
        assertThat(Files.size(repo.reserve().file())).isEqualTo(256 << 10);
        assertThat(repo.reserve().release()).isEqualTo(256 << 10);
        assertThat(Files.exists(repo.reserve().file())).isFalse();
        VerifyAssert.clean(repo);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static final class ByteArrayBuilder {
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        void add(byte[] b) {
            out.writeBytes(b);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
