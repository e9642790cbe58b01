package dev.cairn.store;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.chunk.PackRecord;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.PackCodec;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.cairn.store.SealedPackDamageTest.checkRestores;
import static dev.cairn.store.SealedPackDamageTest.cut;
import static dev.cairn.store.SealedPackDamageTest.flip;
import static dev.cairn.store.SealedPackDamageTest.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pack records (docs/FORMAT.md, "Pack records"): written at seal, backfilled for stores of the
 * previous build, and what recovery at open uses, with the chunk index, to tell crash leftovers
 * (recovered as before) from damaged packs (kept, marked, reported).
 */
class PackRecordRecoveryTest {
    @TempDir
    Path dir;

    private static Map<PackId, PackRecord> records(Repository repo) throws IOException {
        return repo.chunks().packRecords();
    }

    private static void dropAllRecords(Path store) throws IOException {
        try (Repository repo = Repository.open(store, options()); var b = repo.db().batch()) {
            b.deleteRange(Cf.PACKS, new byte[0], Keys.pack(-1L));
            b.delete(Cf.PACKS, Keys.pack(-1L));
            repo.db().write(b, true);
            assertThat(records(repo)).isEmpty();
        }
    }

    /**
     * Three committed checkpoints whose chunks sit in the pack still being written, and a copy of
     * the store taken while it is open: what a crash (SIGKILL keeps the page cache) leaves.
     */
    private record Crashed(Path store, Map<ManifestId, byte[]> data, Map<ManifestId, Set<ChunkId>> refs, Path pack,
                           List<PackIndex.Entry> records) {
        Set<ManifestId> hitting(long offset) {
            Set<ManifestId> out = new HashSet<>();
            for (PackIndex.Entry e : records) {
                ChunkLocation l = e.location();
                if (l.offset() <= offset && offset < l.offset() + PackCodec.RECORD_HEADER_SIZE + l.storedLength()) {
                    refs.forEach((id, r) -> {
                        if (r.contains(e.id())) {
                            out.add(id);
                        }
                    });
                }
            }
            return out;
        }
    }

    private Crashed crashWithAnOpenPack() throws IOException {
        Path live = dir.resolve("live");
        Path copy = dir.resolve("crashed");
        Map<ManifestId, byte[]> data = new LinkedHashMap<>();
        Map<ManifestId, Set<ChunkId>> refs = new LinkedHashMap<>();
        try (Repository repo = Repository.open(live, options())) {
            for (int i = 0; i < 3; i++) {
                byte[] b = TestData.random(40 + i, 60_000);
                ManifestId id = StoreFixture.put(repo, StoreFixture.opts("c" + i, i), b).id();
                data.put(id, b);
                Set<ChunkId> r = new HashSet<>();
                repo.manifests().forEachRef(repo.manifests().get(id), ref -> r.add(ref.id()));
                refs.put(id, r);
            }
            // Every commit synced and indexed the open pack; nothing sealed it.
            List<PackInfo> unsealed = repo.packs().list().stream().filter(p -> !p.sealed() && p.size() > PackCodec.HEADER_SIZE).toList();
            assertThat(unsealed).hasSize(1);
            PackId id = unsealed.get(0).id();
            List<PackIndex.Entry> recs = repo.packs().readIndex(id).entries();
            DamageTest.copyTree(live, copy);
            return new Crashed(copy, data, refs, SealedPackDamageTest.packFile(copy, id.toHex()), recs);
        }
    }

    @Test
    void anUnsealedCrashLeftoverIsStillCutAndSealedAndRecorded() throws IOException {
        Crashed c = crashWithAnOpenPack();
        long recordsEnd = Files.size(c.pack());
        try (RandomAccessFile f = new RandomAccessFile(c.pack().toFile(), "rw")) {
            f.seek(recordsEnd);
            f.write(TestData.random(7, 3000)); // a torn record: the crash's tail
        }
        try (Repository repo = Repository.open(c.store(), options())) {
            PackId id = PackId.parse(c.pack().getFileName().toString().substring(0, 16));
            PackIndex idx = repo.packs().readIndex(id);
            assertThat(idx.sealed()).isTrue();
            assertThat(idx.entries()).isEqualTo(c.records());
            PackRecord rec = records(repo).get(id);
            assertThat(rec.state()).isEqualTo(PackRecord.State.SEALED);
            assertThat(rec.count()).isEqualTo(c.records().size());
            assertThat(rec.footerStart()).isEqualTo(recordsEnd);
            assertThat(rec.sealedLength()).isEqualTo(Files.size(c.pack()));
            checkRestores(repo, storeView(c), Set.of());
            assertThat(repo.verify(true).clean()).isTrue();
        }
    }

    @Test
    void aDamagedRecordInAnUnsealedPackCostsThatRecordOnlyAndRebuildIndexesTheRecordsAfterIt() throws IOException {
        Crashed c = crashWithAnOpenPack();
        ChunkLocation middle = c.records().get(c.records().size() / 2).location();
        long at = middle.offset() + PackCodec.RECORD_HEADER_SIZE + middle.storedLength() / 2;
        Set<ManifestId> damaged = c.hitting(at);
        assertThat(damaged).hasSize(1);
        flip(c.pack(), at);
        byte[] bytes = Files.readAllBytes(c.pack());
        try (Repository repo = Repository.open(c.store(), options())) {
            assertThat(Files.readAllBytes(c.pack())).as("referenced records after the damage: not cut").isEqualTo(bytes);
            PackId id = PackId.parse(c.pack().getFileName().toString().substring(0, 16));
            assertThat(records(repo).get(id).state()).isEqualTo(PackRecord.State.DAMAGED);
            assertThat(records(repo).get(id).reason()).contains("index references records up to");
            checkRestores(repo, storeView(c), damaged);

            // Drop the index: the rebuild must find the records after the damaged one by resynchronising.
            try (var b = repo.db().batch()) {
                byte[] end = new byte[33];
                Arrays.fill(end, (byte) 0xff);
                b.deleteRange(Cf.CHUNKS, new byte[0], end);
                repo.db().write(b, true);
            }
            RebuildReport rr = repo.rebuildIndex();
            assertThat(rr.damaged()).hasSize(1);
            assertThat(rr.chunks()).isEqualTo(c.records().size() - 1);
            assertThat(Files.readAllBytes(c.pack())).isEqualTo(bytes);
            for (Map.Entry<ManifestId, byte[]> e : c.data().entrySet()) {
                if (!damaged.contains(e.getKey())) {
                    assertThat(StoreFixture.get(repo, e.getKey())).isEqualTo(e.getValue());
                }
            }
            assertThat(repo.verify(false).damaged().keySet()).isEqualTo(damaged);
        }
    }

    @Test
    void aStoreWithoutPackRecordsGetsThemAtOpen() throws IOException {
        SealedPackDamageTest.Store s = SealedPackDamageTest.sixCheckpointsInOnePack(dir);
        dropAllRecords(dir);
        try (Repository repo = Repository.open(dir, options())) {
            PackId id = PackId.parse(s.packHex());
            PackRecord rec = records(repo).get(id);
            assertThat(rec).isNotNull();
            assertThat(rec.state()).isEqualTo(PackRecord.State.SEALED);
            assertThat(rec.count()).isEqualTo(s.records().size());
            assertThat(rec.sealedLength()).isEqualTo(Files.size(s.pack()));
            assertThat(rec.footerCrc()).isEqualTo(dev.cairn.store.pack.PackFiles.footerCrc(repo.packs().readIndex(id)));
            assertThat(repo.verify(true).clean()).isTrue();
        }
        // The record now protects the pack like one sealed by this build.
        flip(s.pack(), 2000);
        cut(s.pack(), 8);
        byte[] bytes = Files.readAllBytes(s.pack());
        try (Repository repo = Repository.open(dir, options())) {
            assertThat(Files.readAllBytes(s.pack())).isEqualTo(bytes);
            checkRestores(repo, s, s.hitting(2000, 2001));
        }
    }

    @Test
    void withoutARecordTheChunkIndexKeepsADamagedPackFromBeingCut() throws IOException {
        // A store of the previous build, damaged before its first open by this one: the footer is
        // gone and a record in the middle is damaged; the index references records past it.
        SealedPackDamageTest.Store s = SealedPackDamageTest.sixCheckpointsInOnePack(dir);
        dropAllRecords(dir);
        long footerStart = s.records().get(s.records().size() - 1).location().offset() + PackCodec.RECORD_HEADER_SIZE
                + s.records().get(s.records().size() - 1).location().storedLength();
        cut(s.pack(), Files.size(s.pack()) - footerStart);
        flip(s.pack(), 2000);
        byte[] bytes = Files.readAllBytes(s.pack());
        try (Repository repo = Repository.open(dir, options())) {
            assertThat(Files.readAllBytes(s.pack())).isEqualTo(bytes);
            assertThat(records(repo).get(PackId.parse(s.packHex())).state()).isEqualTo(PackRecord.State.DAMAGED);
            checkRestores(repo, s, s.hitting(2000, 2001));
            repo.rebuildIndex();
            assertThat(Files.readAllBytes(s.pack())).isEqualTo(bytes);
            checkRestores(repo, s, s.hitting(2000, 2001));
        }
    }

    @Test
    void theExactReproOnAStoreWithoutRecordsKeepsEveryByte() throws IOException {
        // Without a record, a footer that checks out right before the missing magic is what a crash
        // between the two fsyncs of a seal leaves: recovery writes the magic, and nothing else.
        SealedPackDamageTest.Store s = SealedPackDamageTest.sixCheckpointsInOnePack(dir);
        dropAllRecords(dir);
        byte[] original = Files.readAllBytes(s.pack());
        flip(s.pack(), 2000);
        cut(s.pack(), 8);
        byte[] damagedBytes = Files.readAllBytes(s.pack());
        try (Repository repo = Repository.open(dir, options())) {
            byte[] now = Files.readAllBytes(s.pack());
            assertThat(now).hasSize(original.length);
            assertThat(Arrays.copyOf(now, damagedBytes.length)).isEqualTo(damagedBytes);
            checkRestores(repo, s, s.hitting(2000, 2001));
            repo.rebuildIndex();
            checkRestores(repo, s, s.hitting(2000, 2001));
        }
    }

    @Test
    void gcDeletesTheRecordsOfThePacksItDeletes() throws IOException {
        try (Repository repo = Repository.open(dir, options())) {
            StoreFixture.put(repo, StoreFixture.opts("g", 0), TestData.random(9, 50_000));
            repo.chunks().sealCurrent();
            List<PackId> sealed = repo.packs().list().stream().filter(PackInfo::sealed).map(PackInfo::id).toList();
            assertThat(records(repo).keySet()).containsAll(sealed);
            repo.chunks().deletePacks(sealed);
            assertThat(records(repo).keySet()).doesNotContainAnyElementsOf(sealed);
            assertThat(repo.packs().list()).extracting(PackInfo::id).doesNotContainAnyElementsOf(sealed);
        }
    }

    private static SealedPackDamageTest.Store storeView(Crashed c) {
        return new SealedPackDamageTest.Store(c.store(), c.data(), c.pack(),
                c.pack().getFileName().toString().substring(0, 16), c.records(), c.refs());
    }
}
