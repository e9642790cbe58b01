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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Leases with a fencing epoch (docs/S3.md, "Leases"): the owner object is renewed by
 * compare-and-swap; a lease measured by the holder's own clock lapses when renewals fail and then
 * fences its writes (retries included); a copy of the store waits for the lease to lapse and takes
 * the next epoch; a partitioned former holder deletes nothing of the new holder's; keys written
 * before epochs existed stay readable and collectable.
 */
class LeaseTest {
    @TempDir
    Path dir;
    final S3ProxyServer s3 = S3ProxyServer.shared();
    /**
     * The lease of holders that a test makes lapse or that a taker waits out. Such holders
     * measure it by a test clock, so a slow machine cannot make them lapse by accident; the
     * others keep the default lease (30 s), which no test waits for.
     */
    static final Duration LEASE = Duration.ofSeconds(2);
    // Only explicit, barrier and close backups; few, short retries so a partitioned call ends soon.
    final S3Settings settings = s3.settings(null).withBackupEvery(Duration.ofHours(1))
            .withRetries(2, Duration.ofSeconds(5));
    final S3Settings shortLease = settings.withLease(LEASE);
    final ObjectKeys keys = new ObjectKeys(settings.prefix());
    final Clock later = Clock.fixed(Instant.parse("2026-12-04T00:00:00Z"), ZoneOffset.UTC);

    private static Status status(Throwable t) {
        return t instanceof CairnException c ? c.status() : null;
    }

    /** Every object under the prefix but the owner object, with its ETag. */
    private Map<String, String> objects(Bucket b) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (Bucket.ObjectInfo o : b.list(settings.prefix() + "/")) {
            if (!o.key().equals(keys.owner())) {
                out.put(o.key(), o.etag());
            }
        }
        return out;
    }

    @Test
    void theServerHonoursIfMatchOnPut() throws Exception {
        try (Bucket b = Bucket.open(settings, null)) {
            String key = settings.prefix() + "/probe";
            String e1 = b.put(key, new byte[] {1}, true);
            Bucket.Versioned v = b.getVersioned(key);
            assertThat(v.etag()).isEqualTo(e1);
            String e2 = b.putIfMatch(key, new byte[] {2}, e1);
            assertThat(e2).isNotEqualTo(e1);
            assertThatThrownBy(() -> b.putIfMatch(key, new byte[] {3}, e1))
                    .isInstanceOfSatisfying(BucketException.class, e -> assertThat(e.status()).isEqualTo(412));
            assertThat(b.get(key)).containsExactly(2);
            assertThatThrownBy(() -> b.putIfMatch(settings.prefix() + "/nothing", new byte[] {3}, e1))
                    .isInstanceOfSatisfying(BucketException.class, e -> assertThat(e.status()).isIn(404, 412));
        }
    }

    @Test
    void leaseRecordsRoundTripAndAreChecked() {
        OwnerRecord r = OwnerRecord.lease("0f".repeat(16), 7, "1a".repeat(16), 30_000).renewed();
        byte[] enc = r.encode();
        assertThat(OwnerRecord.decode(enc)).isEqualTo(r);
        assertThat(OwnerRecord.decode(r.releasedNow().encode()).released()).isTrue();
        String text = new String(enc, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text).startsWith("CAIRN-OWNER 2\nstore " + "0f".repeat(16) + "\nepoch 7\nholder " + "1a".repeat(16)
                + "\nlease_ms 30000\nrenewal 1\nstate held\n");
        assertThatThrownBy(() -> OwnerRecord.decode(text.replace("epoch 7", "epoch 8").getBytes()))
                .hasMessageContaining("checksum mismatch");
        assertThat(r.renewed().encode()).as("every renewal is another object, so another ETag").isNotEqualTo(enc);
    }

    /**
     * The owner of a prefix is partitioned away (every request of its client fails). Its lease
     * lapses by its own clock; a copy restored from the bucket waits out the lease and takes the
     * next epoch, then commits. The former owner, its network back for everything but the owner
     * object, cannot delete anything (GC and a direct DeleteObjects are fenced); once its network
     * is back entirely its renewal finds the new holder and it stops for good. The new holder's
     * objects are untouched and it serves every checkpoint.
     */
    @Test
    void aPartitionedOwnerCannotDeleteAfterLosingItsLease() throws Exception {
        AtomicLong clockA = new AtomicLong();
        FaultyHttpClient[] fa = new FaultyHttpClient[1];
        Repository a = S3Stores.open(dir.resolve("a"), StoreFixture.smallOptions(), shortLease,
                http -> fa[0] = new FaultyHttpClient(http, 1), clockA::get);
        Repository b = null;
        try (Bucket plain = Bucket.open(settings, null)) {
            List<ManifestId> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(StoreFixture.put(a, StoreFixture.opts("a", i), TestData.random(10 + i, 300_000)).id());
            }
            S3Stores.backupOf(a).backupIfChanged();
            PrefixOwner ownerA = S3Stores.packsOf(a).owner();
            long epochA = ownerA.epoch();

            // The partition, and A's lease running out by A's clock (its renewals fail meanwhile).
            fa[0].always(FaultyHttpClient.any(), FaultyHttpClient.Fault.RESET);
            clockA.addAndGet(LEASE.toNanos());
            assertThat(ownerA.leaseValid()).isFalse();
            assertThatThrownBy(() -> StoreFixture.put(a, StoreFixture.opts("a", 9), TestData.random(19, 200_000)))
                    .satisfies(e -> assertThat(e).hasStackTraceContaining("lease"));

            // A copy restored from the bucket (same store id, another data directory) takes over.
            S3Stores.restore(dir.resolve("b"), settings);
            b = S3Stores.open(dir.resolve("b"), StoreFixture.smallOptions(), settings);
            PrefixOwner ownerB = S3Stores.packsOf(b).owner();
            assertThat(b.config().storeIdHex()).isEqualTo(a.config().storeIdHex());
            assertThat(ownerB.epoch()).isEqualTo(epochA + 1);
            List<ManifestId> idsB = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                idsB.add(StoreFixture.put(b, StoreFixture.opts("b", i), TestData.random(30 + i, 300_000)).id());
            }
            S3Stores.backupOf(b).backupIfChanged();
            String newEpochPacks = keys.packsPrefix(b.config().storeIdHex()) + String.format("%016x/", epochA + 1);
            Map<String, String> before = objects(plain);
            assertThat(before.keySet()).anyMatch(k -> k.startsWith(newEpochPacks));

            // A's network is back for everything but its owner object: it cannot renew, so it
            // deletes nothing, neither through GC nor through a DeleteObjects sent directly.
            fa[0].clear();
            fa[0].always(r -> r.encodedPath().endsWith("/owner"), FaultyHttpClient.Fault.RESET);
            String yaml = "policies:\n  - series: a\n    last: 1\n    max_remove: 100%\n";
            new Trimmer(a, later).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
            assertThatThrownBy(() -> new GarbageCollector(a, Clock.offset(later, Duration.ofDays(30)),
                    GcOptions.defaults()).run(false, new GcCancel()))
                    .satisfies(e -> assertThat(e).hasStackTraceContaining("lease"));
            Bucket bucketA = S3Stores.packsOf(a).bucket();
            long fencedBefore = bucketA.fence().refused();
            assertThatThrownBy(() -> bucketA.delete(List.copyOf(before.keySet())))
                    .isInstanceOf(BucketException.class).hasMessageContaining("fenced");
            assertThat(bucketA.fence().refused()).isGreaterThan(fencedBefore);
            assertThat(objects(plain)).as("nothing deleted").isEqualTo(before);

            // Its network back entirely: its renewal meets the new holder's owner object.
            fa[0].clear();
            ownerA.renew();
            assertThat(S3Stores.writesStopped(a)).as("stopped for good").contains("epoch");
            assertThatThrownBy(() -> new GarbageCollector(a, Clock.offset(later, Duration.ofDays(30)),
                    GcOptions.defaults()).run(false, new GcCancel()))
                    .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED));
            assertThat(objects(plain)).as("nothing deleted").isEqualTo(before);

            // The new holder serves every checkpoint: the old owner's (from the backup) and its own.
            for (int i = 0; i < 3; i++) {
                assertThat(StoreFixture.get(b, ids.get(i))).isEqualTo(TestData.random(10 + i, 300_000));
            }
            for (int i = 0; i < 2; i++) {
                assertThat(StoreFixture.get(b, idsB.get(i))).isEqualTo(TestData.random(30 + i, 300_000));
            }
            StoreConformanceTest.assertClean(b);
            assertThat(ownerB.leaseValid()).isTrue();
        } finally {
            a.close();
            if (b != null) {
                b.close();
            }
        }
    }

    /**
     * A key of this store's id under a later epoch than this daemon's can only come from a newer
     * holder of its lease: it is not this daemon's to delete (GC, even with every pack of this
     * daemon's dead, leaves it alone) and writes stop.
     */
    @Test
    void aPackKeyOfALaterEpochIsNeverDeletedAndStopsWrites() throws Exception {
        try (Repository a = S3Stores.open(dir.resolve("a"), StoreFixture.smallOptions(), settings);
             Bucket b = Bucket.open(settings, null)) {
            String id = a.config().storeIdHex();
            long epoch = S3Stores.packsOf(a).owner().epoch();
            StoreFixture.put(a, StoreFixture.opts("a", 1), TestData.random(1, 300_000));
            StoreFixture.put(a, StoreFixture.opts("a", 2), TestData.random(2, 300_000));
            Bucket.ObjectInfo own = b.list(keys.packsPrefix(id)).get(0);
            // the newer holder's copy of a pack with the same id, and one of its own
            String sameId = keys.pack(keys.parsePack(own.key()).id(), id, epoch + 1);
            String newer = keys.pack(new dev.cairn.store.pack.PackId(0x7e57), id, epoch + 1);
            byte[] bytes = b.get(own.key(), 0, (int) own.size());
            b.put(sameId, bytes, false);
            b.put(newer, bytes, false);
            String yaml = "policies:\n  - series: a\n    last: 1\n    max_remove: 100%\n";
            new Trimmer(a, later).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
            assertThatThrownBy(() -> new GarbageCollector(a, Clock.offset(later, Duration.ofDays(30)),
                    GcOptions.defaults()).run(false, new GcCancel()))
                    .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED));
            assertThat(S3Stores.writesStopped(a)).contains("later lease epoch");
            assertThat(b.head(sameId)).isNotNull();
            assertThat(b.head(newer)).isNotNull();
            assertThat(S3Stores.packsOf(a).unknownPacks()).contains(sameId, newer);
        }
    }

    /**
     * A restore picks its backup before it holds the lease; if the old daemon backed up again
     * after that pick (its deletions after that backup may remove packs the restored index
     * names), the restored store does not start: restore again.
     */
    @Test
    void aRestoredStoreRefusesToStartIfTheOldHolderBackedUpAfterThePick() throws Exception {
        try (Repository a = S3Stores.open(dir.resolve("a"), StoreFixture.smallOptions(), settings)) {
            StoreFixture.put(a, StoreFixture.opts("a", 1), TestData.random(1, 100_000));
            S3Stores.backupOf(a).backupIfChanged();
            S3Stores.restore(dir.resolve("b"), settings);
            StoreFixture.put(a, StoreFixture.opts("a", 2), TestData.random(2, 100_000));
        } // the final backup at close comes after the pick
        assertThatThrownBy(() -> S3Stores.open(dir.resolve("b"), StoreFixture.smallOptions(), settings))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED))
                .hasMessageContaining("restore-from-bucket again");
        S3Stores.restore(dir.resolve("c"), settings);
        try (Repository c = S3Stores.open(dir.resolve("c"), StoreFixture.smallOptions(), settings)) {
            assertThat(StoreFixture.get(c, StoreFixture.put(c, StoreFixture.opts("c", 1),
                    TestData.random(3, 1000)).id())).isEqualTo(TestData.random(3, 1000));
        }
        assertThat(dir.resolve("c").resolve(BackupRestorer.RESTORED_MARKER)).doesNotExist();
    }

    @Test
    void aCopyOfTheStoreDoesNotStartWhileTheHolderRenews() throws Exception {
        // The holder renews every 2 s and never lapses (test clock); the copy would wait 6 s for
        // the lease to lapse, and refuses at the first renewal it sees.
        AtomicLong clock = new AtomicLong();
        try (Repository a = S3Stores.open(dir.resolve("a"), StoreFixture.smallOptions(),
                settings.withLease(Duration.ofSeconds(6)), null, clock::get)) {
            StoreFixture.put(a, StoreFixture.opts("a", 1), TestData.random(1, 100_000));
            S3Stores.backupOf(a).backupIfChanged();
            S3Stores.restore(dir.resolve("b"), settings);
            assertThatThrownBy(() -> S3Stores.open(dir.resolve("b"), StoreFixture.smallOptions(), settings))
                    .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED))
                    .hasMessageContaining("renews it");
            assertThat(S3Stores.writesStopped(a)).isNull();
            StoreFixture.put(a, StoreFixture.opts("a", 2), TestData.random(2, 100_000));
        }
    }

    /**
     * A lapsed lease suspends writes only: the next renewal (a compare-and-swap from the ETag the
     * holder wrote last) resumes them; a clean close releases the lease, so the next holder (here
     * a restored copy) need not wait, and takes the next epoch.
     */
    @Test
    void aLapsedLeaseResumesOnRenewalAndACleanCloseReleasesIt() throws Exception {
        AtomicLong clock = new AtomicLong();
        long epoch;
        try (Repository a = S3Stores.open(dir.resolve("a"), StoreFixture.smallOptions(), settings, null, clock::get)) {
            PrefixOwner owner = S3Stores.packsOf(a).owner();
            epoch = owner.epoch();
            clock.addAndGet(settings.lease().toNanos());
            assertThatThrownBy(owner::checkWritable).hasMessageContaining("suspended");
            owner.renew();
            assertThat(owner.leaseValid()).isTrue();
            assertThat(owner.epoch()).isEqualTo(epoch);
            StoreFixture.put(a, StoreFixture.opts("a", 1), TestData.random(1, 100_000));
        }
        try (Bucket b = Bucket.open(settings, null)) {
            OwnerRecord r = OwnerRecord.decode(b.get(keys.owner()));
            assertThat(r.released()).isTrue();
            assertThat(r.epoch()).isEqualTo(epoch);
            assertThat(r.renewal()).isPositive();
        }
        S3Stores.restore(dir.resolve("b"), settings);
        AtomicLong never = new AtomicLong(); // a taker that waited would wait forever on this clock
        try (Repository b = S3Stores.open(dir.resolve("b"), StoreFixture.smallOptions(), settings, null, never::get)) {
            assertThat(S3Stores.packsOf(b).owner().epoch()).isEqualTo(epoch + 1);
        }
    }

    /**
     * A prefix of the build before epochs: a version-1 owner object and pack keys with a store id
     * but no epoch. It opens (the owner object becomes a lease), serves its checkpoints, and its
     * GC deletes those packs once dead.
     */
    @Test
    void packKeysWithoutAnEpochStayReadableAndCollectable() throws Exception {
        List<ManifestId> ids = new ArrayList<>();
        String id;
        try (Repository a = S3Stores.open(dir.resolve("a"), StoreFixture.smallOptions(), settings)) {
            id = a.config().storeIdHex();
            for (int i = 0; i < 4; i++) {
                ids.add(StoreFixture.put(a, StoreFixture.opts("g", i), TestData.random(60 + i, 300_000)).id());
            }
        }
        try (Bucket b = Bucket.open(settings, null)) {
            for (Bucket.ObjectInfo o : b.list(keys.packsPrefix())) {
                ObjectKeys.PackKey k = keys.parsePack(o.key());
                b.put(keys.packWithoutEpoch(k.id(), id), b.get(o.key(), 0, (int) o.size()), false);
                b.delete(List.of(o.key()));
            }
            b.put(keys.owner(), new OwnerRecord(id, "old-build", Instant.EPOCH).encode(), false);
        }
        try (Repository a = S3Stores.open(dir.resolve("a"), StoreFixture.smallOptions(), settings);
             Bucket b = Bucket.open(settings, null)) {
            assertThat(OwnerRecord.decode(b.get(keys.owner())).epoch()).as("migrated to a lease").isEqualTo(1);
            StoreConformanceTest.assertClean(a);
            String yaml = "policies:\n  - series: g\n    last: 1\n    max_remove: 100%\n";
            new Trimmer(a, later).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
            GcReport gc = new GarbageCollector(a, Clock.offset(later, Duration.ofDays(30)), GcOptions.defaults())
                    .run(false, new GcCancel());
            assertThat(gc.packsDeleted()).as("its own dead packs without an epoch").isPositive();
            assertThat(StoreFixture.get(a, ids.get(3))).isEqualTo(TestData.random(63, 300_000));
            StoreConformanceTest.assertClean(a);
        }
    }

    @Test
    void theFenceRefusesWritesOnceTheLeaseLapsesButNotReads() throws Exception {
        AtomicLong clock = new AtomicLong();
        try (Repository a = S3Stores.open(dir.resolve("a"), StoreFixture.smallOptions(), settings, null, clock::get)) {
            Bucket bucket = S3Stores.packsOf(a).bucket();
            String key = settings.prefix() + "/probe-" + TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
            bucket.put(key, new byte[] {1}, false);
            clock.addAndGet(settings.lease().toNanos());
            assertThatThrownBy(() -> bucket.put(key, new byte[] {2}, false)).hasMessageContaining("fenced");
            assertThat(bucket.get(key)).containsExactly(1);
            S3Stores.packsOf(a).owner().renew();
            bucket.delete(List.of(key));
        }
    }
}
