package dev.cairn.s3;

import dev.cairn.gc.GarbageCollector;
import dev.cairn.gc.GcCancel;
import dev.cairn.gc.GcOptions;
import dev.cairn.gc.GcReport;
import dev.cairn.gc.TrimRequest;
import dev.cairn.gc.Trimmer;
import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.pack.PackId;
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
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One owner per prefix (docs/S3.md, "Ownership"): a second store on a prefix does not start; one
 * forced onto it deletes nothing of the first; the first stops writing when it finds out; a
 * restart puts back packs the bucket lost; restore, pruning and multipart clean-up keep to the
 * owner's objects; a prefix written before owner objects existed is claimed.
 */
class PrefixOwnershipTest {
    @TempDir
    Path dir;
    final S3ProxyServer s3 = S3ProxyServer.shared();
    // Only explicit, barrier and close backups: the schedule never fires during a test.
    final S3Settings settings = s3.settings(null).withBackupEvery(Duration.ofHours(1));
    final ObjectKeys keys = new ObjectKeys(settings.prefix());
    final Clock later = Clock.fixed(Instant.parse("2026-12-04T00:00:00Z"), ZoneOffset.UTC);

    private Repository open(String name) throws IOException {
        return S3Stores.open(dir.resolve(name), StoreFixture.smallOptions(), settings);
    }

    private Bucket bucket() {
        return Bucket.open(settings, null);
    }

    /** The store id of the store in {@code name}, creating its config if it has none (as a first start would). */
    private String storeIdOf(String name) throws IOException {
        Files.createDirectories(dir.resolve(name));
        try (MetaDb db = MetaDb.open(dir.resolve(name).resolve("meta"))) {
            return Repository.loadOrCreateConfig(dir.resolve(name), db, StoreFixture.smallOptions()).storeIdHex();
        }
    }

    private Set<String> objects(Bucket b) throws IOException {
        Set<String> out = new TreeSet<>();
        b.list(settings.prefix() + "/").forEach(o -> out.add(o.key()));
        return out;
    }

    private static Status status(Throwable t) {
        return t instanceof CairnException c ? c.status() : null;
    }

    @Test
    void theServerHonoursIfNoneMatchOnPut() throws Exception {
        try (Bucket b = bucket()) {
            String key = settings.prefix() + "/probe";
            b.put(key, new byte[] {1}, true);
            assertThatThrownBy(() -> b.put(key, new byte[] {2}, true))
                    .isInstanceOfSatisfying(BucketException.class, e -> assertThat(e.status()).isEqualTo(412));
            assertThat(b.get(key)).containsExactly(1);
        }
    }

    @Test
    void aSecondStoreOnAnOwnedPrefixRefusesToStartNamingBothStores() throws Exception {
        String idA;
        try (Repository a = open("a")) {
            idA = a.config().storeIdHex();
            StoreFixture.put(a, StoreFixture.opts("a", 1), TestData.random(1, 300_000));
        }
        try (Bucket b = bucket()) {
            assertThat(OwnerRecord.decode(b.get(keys.owner())).storeId()).isEqualTo(idA);
        }
        assertThatThrownBy(() -> open("b"))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED))
                .hasMessageContaining(idA)
                .hasMessageContaining(storeIdOf("b"))
                .hasMessageContaining(settings.prefix())
                .hasMessageContaining("--take-over-prefix");
        // the owner itself opens as before
        try (Repository a = open("a")) {
            assertThat(a.config().storeIdHex()).isEqualTo(idA);
        }
    }

    /**
     * The scenario: A serves a prefix; B, with a new data directory, is forced onto the
     * same prefix by a forged owner object. B's GC and backups delete nothing of A's (A's packs
     * are reported as unknown), B's start leaves A's multipart upload alone, and A stops writing
     * at its next backup with a clear error, while its reads go on.
     */
    @Test
    void aStoreForcedOntoAnotherStoresPrefixDeletesNothingOfItsAndTheOtherStopsWriting() throws Exception {
        Repository a = open("a");
        try (Bucket b = bucket()) {
            String idA = a.config().storeIdHex();
            List<ManifestId> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(StoreFixture.put(a, StoreFixture.opts("a", i), TestData.random(10 + i, 400_000)).id());
            }
            S3Stores.backupOf(a).backupIfChanged();
            String upload = b.startMultipart(keys.pack(new PackId(7), idA, 1)); // one of A's, in flight
            Set<String> before = objects(b);

            String idB = storeIdOf("b");
            b.put(keys.owner(), new OwnerRecord(idB, "forged", Instant.EPOCH).encode(), false);
            try (Repository rb = open("b")) {
                assertThat(b.multipartUploads(keys.packsPrefix())).extracting(Bucket.Upload::uploadId).contains(upload);
                for (int i = 0; i < MetadataBackup.KEEP + 2; i++) {
                    StoreFixture.put(rb, StoreFixture.opts("b", i), TestData.random(50 + i, 100_000));
                    S3Stores.backupOf(rb).backupIfChanged(); // B prunes its own backups, never A's
                }
                GcReport gc = new GarbageCollector(rb, later, GcOptions.defaults()).run(false, new GcCancel());
                assertThat(gc.packsDeleted()).as("B's GC deletes no pack of A's").isZero();
                List<String> unknown = ((S3PackStore) rb.packs()).unknownPacks();
                assertThat(unknown).isNotEmpty().allMatch(k -> k.startsWith(keys.packsPrefix(idA)));
                assertThat(objects(b)).as("everything of A's is still there").containsAll(before);

                // A's next backup finds the other owner: writes stop, with an error naming it
                ManifestId after = StoreFixture.put(a, StoreFixture.opts("a", 9), TestData.random(19, 200_000)).id();
                assertThatThrownBy(() -> S3Stores.backupOf(a).backupIfChanged())
                        .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED))
                        .hasMessageContaining(idB);
                assertThat(S3Stores.writesStopped(a)).contains(idB);
                assertThatThrownBy(() -> StoreFixture.put(a, StoreFixture.opts("a", 10), TestData.random(20, 200_000)))
                        .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED))
                        .hasMessageContaining("stopped");
                assertThatThrownBy(() -> S3Stores.checkWritable(a)).hasMessageContaining(idB);
                assertThat(StoreFixture.get(a, ids.get(0))).isEqualTo(TestData.random(10, 400_000));
                assertThat(StoreFixture.get(a, after)).isEqualTo(TestData.random(19, 200_000));
                assertThat(objects(b)).containsAll(before);
            }
        } finally {
            a.close();
        }
    }

    @Test
    void aForeignDescriptorAtTheNextNumberStopsWritesAndAnOwnOneIsSkipped() throws Exception {
        try (Repository a = open("a"); Bucket b = bucket()) {
            MetadataBackup m = S3Stores.backupOf(a);
            String idA = a.config().storeIdHex();
            StoreFixture.put(a, StoreFixture.opts("a", 1), TestData.random(1, 200_000));
            long n = m.backupIfChanged().number();
            // An older write of A's own that failed after all: the number is taken, A goes on past it
            b.put(keys.backup(n + 1), new BackupDescriptor(n + 1, 1, idA, List.of()).encode(), true);
            StoreFixture.put(a, StoreFixture.opts("a", 2), TestData.random(2, 200_000));
            assertThat(m.backupIfChanged().number()).isEqualTo(n + 2);
            // Another store's descriptor at A's next number: a second writer on the prefix
            String other = "ab".repeat(16);
            b.put(keys.backup(n + 3), new BackupDescriptor(n + 3, 1, other, List.of()).encode(), true);
            StoreFixture.put(a, StoreFixture.opts("a", 3), TestData.random(3, 200_000));
            assertThatThrownBy(m::backupIfChanged)
                    .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED))
                    .hasMessageContaining(other);
            assertThat(S3Stores.writesStopped(a)).contains(other);
            assertThatThrownBy(() -> StoreFixture.put(a, StoreFixture.opts("a", 4), TestData.random(4, 200_000)))
                    .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED));
            assertThat(b.get(keys.backup(n + 3))).as("the other store's descriptor is untouched")
                    .isEqualTo(new BackupDescriptor(n + 3, 1, other, List.of()).encode());
        }
    }

    @Test
    void aRestartUploadsAgainCachedPacksTheIndexNeedsThatTheBucketLost() throws Exception {
        List<ManifestId> ids = new ArrayList<>();
        try (Repository a = open("a")) {
            for (int i = 0; i < 3; i++) {
                ids.add(StoreFixture.put(a, StoreFixture.opts("a", i), TestData.random(30 + i, 400_000)).id());
            }
        }
        try (Bucket b = bucket()) {
            List<String> packs = new ArrayList<>();
            b.list(keys.packsPrefix()).forEach(o -> packs.add(o.key()));
            assertThat(packs).isNotEmpty();
            b.delete(packs); // what the other daemon's GC did
        }
        try (Repository a = open("a")) {
            S3PackStore packs = (S3PackStore) a.packs();
            for (var p : packs.list()) {
                assertThat(packs.bucket().head(packs.keyOf(p.id()))).as("pack " + p.id() + " is back").isNotNull();
            }
            StoreConformanceTest.assertClean(a);
        }
        // the bucket alone serves them again: a store restored from it reads every checkpoint
        S3Stores.restore(dir.resolve("r"), settings);
        try (Repository r = open("r")) {
            for (int i = 0; i < 3; i++) {
                assertThat(StoreFixture.get(r, ids.get(i))).isEqualTo(TestData.random(30 + i, 400_000));
            }
        }
    }

    /**
     * A chunk index dropped as damaged by a repair open is rebuilt after the pack store started:
     * the start must not take the cached packs the bucket lost for unreferenced (they are the last
     * copies) just because the index is empty at that moment.
     */
    @Test
    void aRebuildOfADamagedChunkIndexKeepsCachedPacksTheBucketLost() throws Exception {
        List<ManifestId> ids = new ArrayList<>();
        try (Repository a = open("a")) {
            for (int i = 0; i < 3; i++) {
                ids.add(StoreFixture.put(a, StoreFixture.opts("a", i), TestData.random(40 + i, 400_000)).id());
            }
            a.db().flush();
        }
        try (Bucket b = bucket()) {
            List<String> packs = new ArrayList<>();
            b.list(keys.packsPrefix()).forEach(o -> packs.add(o.key()));
            assertThat(packs).isNotEmpty();
            b.delete(packs);
        }
        Path victim;
        try (MetaDb db = MetaDb.open(dir.resolve("a").resolve("meta"))) {
            List<Path> files = db.tableFiles(MetaDb.Cf.CHUNKS);
            assertThat(files).hasSize(1);
            victim = files.get(0);
        }
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(victim.toFile(), "rw")) {
            f.seek(40);
            int x = f.read();
            f.seek(40);
            f.write(x ^ 0x10);
        }
        try (Repository a = S3Stores.open(dir.resolve("a"), StoreFixture.smallOptions().withMarkDamagedOnOpen(true),
                settings)) {
            assertThat(a.db().droppedFamilies()).contains(MetaDb.Cf.CHUNKS);
        }
        try (Repository a = open("a")) {
            for (int i = 0; i < 3; i++) {
                assertThat(StoreFixture.get(a, ids.get(i))).isEqualTo(TestData.random(40 + i, 400_000));
            }
            StoreConformanceTest.assertClean(a);
        }
    }

    @Test
    void restoreFromABucketWithTwoStoresBackupsPicksTheOwners() throws Exception {
        ManifestId id;
        long ownersNewest;
        try (Repository a = open("a")) {
            id = StoreFixture.put(a, StoreFixture.opts("a", 1), TestData.random(5, 300_000)).id();
            ownersNewest = S3Stores.backupOf(a).backupIfChanged().number();
        }
        String other = "cd".repeat(16);
        try (Bucket b = bucket()) {
            // another store's backups, numbered higher (it wrote after A's last one)
            b.put(keys.backup(ownersNewest + 5), new BackupDescriptor(ownersNewest + 5, 1, other, List.of()).encode(), true);
            b.put(keys.backup(ownersNewest + 6), new BackupDescriptor(ownersNewest + 6, 1, other, List.of()).encode(), true);
        }
        BackupDescriptor restored = S3Stores.restore(dir.resolve("r"), settings);
        assertThat(restored.number()).isEqualTo(ownersNewest);
        try (Repository r = open("r")) {
            assertThat(StoreFixture.get(r, id)).isEqualTo(TestData.random(5, 300_000));
        }
        // Without an owner object the owner cannot be told: refused, naming the stores
        try (Bucket b = bucket()) {
            b.delete(List.of(keys.owner()));
        }
        assertThatThrownBy(() -> S3Stores.restore(dir.resolve("r2"), settings))
                .hasMessageContaining(other).hasMessageContaining("several stores");
    }

    @Test
    void multipartCleanUpAtStartAbortsOnlyThisStoresUploads() throws Exception {
        String idA;
        try (Repository a = open("a")) {
            idA = a.config().storeIdHex();
        }
        try (Bucket b = bucket()) {
            String ours = b.startMultipart(keys.pack(new PackId(1), idA, 1));
            String others = b.startMultipart(keys.pack(new PackId(2), "ef".repeat(16), 1));
            String noStore = b.startMultipart(keys.legacyPack(new PackId(3)));
            try (Repository a = open("a")) {
                assertThat(b.multipartUploads(keys.packsPrefix())).extracting(Bucket.Upload::uploadId)
                        .doesNotContain(ours).contains(others, noStore);
            }
        }
    }

    /**
     * A prefix as the previous build left it: no owner object, pack keys without a store id.
     * The store claims it at start, reads its packs, and GC deletes those its index referenced
     * once they are dead, but never one its index does not know.
     */
    @Test
    void aPrefixWrittenByThePreviousBuildIsClaimedAndItsPacksStayUsable() throws Exception {
        List<ManifestId> ids = new ArrayList<>();
        String idA;
        try (Repository a = open("a")) {
            idA = a.config().storeIdHex();
            for (int i = 0; i < 4; i++) {
                ids.add(StoreFixture.put(a, StoreFixture.opts("g", i), TestData.random(60 + i, 300_000)).id());
            }
        }
        String stranger = keys.legacyPack(new PackId(0x5eed));
        try (Bucket b = bucket()) {
            for (Bucket.ObjectInfo o : b.list(keys.packsPrefix())) {
                ObjectKeys.PackKey k = keys.parsePack(o.key());
                byte[] bytes = b.get(o.key(), 0, (int) o.size());
                b.put(keys.legacyPack(k.id()), bytes, false);
                b.delete(List.of(o.key()));
            }
            // a pack without a store id that this store's index does not reference
            Bucket.ObjectInfo any = b.list(keys.packsPrefix()).get(0);
            b.put(stranger, b.get(any.key(), 0, (int) any.size()), false);
            b.delete(List.of(keys.owner()));
        }
        try (Repository a = open("a"); Bucket b = bucket()) {
            assertThat(OwnerRecord.decode(b.get(keys.owner())).storeId()).as("claimed").isEqualTo(idA);
            StoreConformanceTest.assertClean(a);
            String yaml = "policies:\n  - series: g\n    last: 1\n    max_remove: 100%\n";
            new Trimmer(a, later).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
            GcReport gc = new GarbageCollector(a, Clock.offset(later, Duration.ofDays(30)), GcOptions.defaults())
                    .run(false, new GcCancel());
            assertThat(gc.packsDeleted()).as("its own dead packs without a store id").isPositive();
            assertThat(b.head(stranger)).as("a pack its index never referenced").isNotNull();
            assertThat(((S3PackStore) a.packs()).unknownPacks()).contains(stranger);
            assertThat(StoreFixture.get(a, ids.get(3))).isEqualTo(TestData.random(63, 300_000));
            StoreConformanceTest.assertClean(a);
        }
    }

    @Test
    void aPrefixWithoutOwnerHoldingAnotherStoresBackupIsNotClaimed() throws Exception {
        String other = "12".repeat(16);
        try (Bucket b = bucket()) {
            b.put(keys.backup(1), new BackupDescriptor(1, 1, other, List.of()).encode(), true);
        }
        assertThatThrownBy(() -> open("a"))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED))
                .hasMessageContaining(other).hasMessageContaining("no owner object");
        try (Bucket b = bucket()) {
            assertThat(b.get(keys.owner())).isNull();
        }
    }

    @Test
    void takingOverAPrefixMakesTheNewStoreItsOwnerAndFencesTheOldOne() throws Exception {
        try (Repository a = open("a")) {
            String idA = a.config().storeIdHex();
            StoreFixture.put(a, StoreFixture.opts("a", 1), TestData.random(1, 200_000));
            OwnerRecord replaced = S3Stores.takeOver(dir.resolve("b"), StoreFixture.smallOptions(), settings);
            assertThat(replaced.storeId()).isEqualTo(idA);
            String idB;
            try (Repository rb = open("b")) {
                idB = rb.config().storeIdHex();
                StoreFixture.put(rb, StoreFixture.opts("b", 1), TestData.random(2, 200_000));
            }
            assertThatThrownBy(() -> S3Stores.backupOf(a).backupIfChanged()).hasMessageContaining(idB);
            assertThat(S3Stores.takeOver(dir.resolve("b"), StoreFixture.smallOptions(), settings)).as("owner already")
                    .isNull();
        }
    }

    @Test
    void ownerObjectsAreCheckedOnRead() {
        OwnerRecord r = new OwnerRecord("0f".repeat(16), "host-1", Instant.parse("2026-12-04T18:00:00Z"));
        byte[] enc = r.encode();
        assertThat(OwnerRecord.decode(enc)).isEqualTo(r);
        String text = new String(enc, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text).startsWith("CAIRN-OWNER 1\nstore " + "0f".repeat(16) + "\n");
        assertThatThrownBy(() -> OwnerRecord.decode(text.replace("host-1", "host-2").getBytes()))
                .hasMessageContaining("checksum mismatch");
        assertThatThrownBy(() -> OwnerRecord.decode(text.replace("CAIRN-OWNER 1", "CAIRN-OWNER 3").getBytes()))
                .hasMessageContaining("unsupported version");
        assertThatThrownBy(() -> OwnerRecord.decode("nope".getBytes())).hasMessageContaining("not a Cairn owner");
    }
}
