package dev.cairn.s3;

import dev.cairn.gc.GarbageCollector;
import dev.cairn.gc.GcCancel;
import dev.cairn.gc.GcOptions;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import dev.cairn.store.pack.LocalPackStore;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackInfo;
import dev.cairn.store.pack.PackWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What is particular to packs on S3: object layout, visibility, multipart, the cache, prefixes, leftovers. */
class S3PackStoreTest {
    @TempDir
    Path dir;
    final S3ProxyServer s3 = S3ProxyServer.shared();

    private static Bucket plainBucket(S3Settings s) {
        return Bucket.open(s, null);
    }

    @Test
    void objectsFollowTheDocumentedLayoutAndAreByteIdenticalPacks() throws Exception {
        S3Settings s = s3.settings("layout/" + System.nanoTime());
        try (Repository repo = S3Stores.open(dir, StoreFixture.smallOptions(), s)) {
            StoreFixture.put(repo, StoreFixture.opts("l", 1), TestData.random(1, 2_500_000));
        }
        try (Bucket b = plainBucket(s)) {
            List<Bucket.ObjectInfo> all = b.list(s.prefix() + "/");
            assertThat(all).isNotEmpty();
            int packs = 0;
            for (Bucket.ObjectInfo o : all) {
                String rel = o.key().substring(s.prefix().length() + 1);
                assertThat(rel).matches("packs/[0-9a-f]{32}/[0-9a-f]{16}/([0-9a-f]{2})/\\1[0-9a-f]{14}\\.pack|meta/files/[0-9a-f]{64}"
                        + "|meta/backups/[0-9]{20}\\.backup|owner");
                if (rel.startsWith("packs/")) {
                    packs++;
                    byte[] head = b.get(o.key(), 0, 8);
                    byte[] tail = b.get(o.key(), o.size() - 8, 8);
                    assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("CAIRNPK\0");
                    assertThat(new String(tail, StandardCharsets.US_ASCII)).isEqualTo("CAIRNEND");
                }
            }
            assertThat(packs).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void aPackIsListedAndInTheBucketOnlyOnceItsUploadCompleted() throws Exception {
        S3Settings s = s3.settings(null);
        try (Repository repo = S3Stores.open(dir, StoreFixture.smallOptions(), s)) {
            S3PackStore packs = (S3PackStore) repo.packs();
            PackWriter w = packs.create();
            byte[] raw = TestData.random(5, 10_000);
            ChunkId id = ChunkId.of(raw, 0, raw.length);
            var loc = w.append(id, new EncodedChunk(0, raw.length, raw, 0, raw.length));
            w.sync();
            PackInfo before = find(packs.list(), w);
            assertThat(before.sealed()).as("listed as a local, unsealed pack").isFalse();
            assertThat(packs.bucket().head(packs.keyOf(w.id()))).as("no object yet").isNull();
            PackIndex idx = w.seal();
            assertThat(idx.entries()).hasSize(1);
            assertThat(find(packs.list(), w).sealed()).isTrue();
            Bucket.ObjectInfo o = packs.bucket().head(packs.keyOf(w.id()));
            assertThat(o.size()).isEqualTo(idx.size());
            assertThat(packs.read(loc, id).length()).isEqualTo(raw.length);
            packs.delete(w.id());
            assertThat(packs.bucket().head(packs.keyOf(w.id()))).isNull();
            assertThat(packs.list()).noneMatch(p -> p.id().equals(w.id()));
        }
    }

    /**
     * Deleting several packs is one DeleteObjects request, and their cached local copies go with
     * them (one batched local delete, outside the cache's monitor).
     */
    @Test
    void deletingSeveralPacksIsOneRequestAndDropsTheirCachedCopies() throws Exception {
        S3Settings s = s3.settings(null);
        try (Repository repo = S3Stores.open(dir, StoreFixture.smallOptions(), s)) {
            S3PackStore packs = (S3PackStore) repo.packs();
            List<dev.cairn.store.pack.PackId> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                PackWriter w = packs.create();
                byte[] raw = TestData.random(20 + i, 5_000);
                w.append(ChunkId.of(raw, 0, raw.length), new EncodedChunk(0, raw.length, raw, 0, raw.length));
                w.seal();
                ids.add(w.id());
            }
            assertThat(packs.cachedBytes()).as("complete copies of the uploaded packs").isPositive();
            Map<String, Long> before = packs.bucket().requests().snapshot();

            packs.deleteAll(ids);

            Map<String, Long> diff = RequestCounter.diff(before, packs.bucket().requests().snapshot());
            assertThat(diff.getOrDefault("DeleteObjects", 0L)).isEqualTo(1L);
            for (var id : ids) {
                assertThat(packs.bucket().head(packs.keyOf(id))).isNull();
                try (var files = Files.walk(dir)) {
                    assertThat(files.filter(f -> f.getFileName().toString().equals(id.toHex() + ".pack")))
                            .as("local copy of %s", id).isEmpty();
                }
            }
            assertThat(packs.cachedBytes()).isZero();
            assertThat(packs.list()).noneMatch(p -> ids.contains(p.id()));
        }
    }

    private static PackInfo find(List<PackInfo> l, PackWriter w) {
        return l.stream().filter(p -> p.id().equals(w.id())).findFirst().orElseThrow();
    }

    @Test
    void bigPacksGoUpInPartsAndCarryAMultipartEtag() throws Exception {
        S3Settings s = s3.settings(null);
        try (Repository repo = S3Stores.open(dir, StoreFixture.smallOptions().withPackTargetBytes(12L << 20), s)) {
            S3PackStore packs = (S3PackStore) repo.packs();
            byte[] data = TestData.random(9, 20_000_000);
            ManifestId id = StoreFixture.put(repo, StoreFixture.opts("big", 1), data).id();
            Map<String, Long> req = packs.bucket().requests().snapshot();
            assertThat(req).containsKey("CreateMultipartUpload").containsKey("UploadPart");
            assertThat(req.get("UploadPart")).isGreaterThanOrEqualTo(3);
            boolean multipartEtag = false;
            for (PackInfo p : packs.list()) {
                Bucket.ObjectInfo o = packs.bucket().head(packs.keyOf(p.id()));
                multipartEtag |= o != null && o.etag() != null && o.etag().matches("\"?[0-9a-f]{32}-[0-9]+\"?");
            }
            assertThat(multipartEtag).isTrue();
            assertThat(StoreFixture.get(repo, id)).isEqualTo(data);
            StoreConformanceTest.assertClean(repo);
        }
    }

    @Test
    void theCacheStaysWithinItsBoundAndColdReadsUseRangedGets() throws Exception {
        long bound = 3L << 20;
        S3Settings s = s3.settings(null).withCacheBytes(bound);
        try (Repository repo = S3Stores.open(dir, StoreFixture.smallOptions(), s)) {
            S3PackStore packs = (S3PackStore) repo.packs();
            byte[] data = TestData.random(11, 10_000_000);
            ManifestId id = StoreFixture.put(repo, StoreFixture.opts("c", 1), data).id();
            assertThat(packs.cachedBytes()).isLessThanOrEqualTo(bound);
            assertThat(packs.cacheEvictions()).as("evicted uploaded packs").isPositive();
            long gets = packs.bucket().requests().snapshot().getOrDefault("GetObject", 0L);
            assertThat(StoreFixture.get(repo, id)).isEqualTo(data);
            long cold = packs.bucket().requests().snapshot().getOrDefault("GetObject", 0L) - gets;
            assertThat(cold).as("ranged GETs for a cold read").isPositive().isLessThan(40);
            assertThat(packs.cachedBytes()).isLessThanOrEqualTo(bound);
        }
    }

    @Test
    void twoStoresShareABucketUnderDistinctPrefixes() throws Exception {
        S3Settings a = s3.settings(null);
        S3Settings b = s3.settings(null);
        try (Repository ra = S3Stores.open(dir.resolve("a"), StoreFixture.smallOptions(), a);
             Repository rb = S3Stores.open(dir.resolve("b"), StoreFixture.smallOptions(), b)) {
            ManifestId ia = StoreFixture.put(ra, StoreFixture.opts("a", 1), TestData.random(1, 1_500_000)).id();
            ManifestId ib = StoreFixture.put(rb, StoreFixture.opts("b", 1), TestData.random(2, 1_500_000)).id();
            List<PackInfo> pa = ra.packs().list();
            List<PackInfo> pb = rb.packs().list();
            assertThat(pa).noneMatch(p -> pb.stream().anyMatch(q -> q.id().equals(p.id())));
            // GC of a store with nothing to free deletes nothing, and never another prefix's objects
            new GarbageCollector(ra, Clock.systemUTC(), GcOptions.defaults()).run(false, new GcCancel());
            assertThat(StoreFixture.get(rb, ib)).isEqualTo(TestData.random(2, 1_500_000));
            assertThat(StoreFixture.get(ra, ia)).isEqualTo(TestData.random(1, 1_500_000));
        }
    }

    @Test
    void leftoversOfACrashedWriterAreRemovedAtOpen() throws Exception {
        S3Settings s = s3.settings(null);
        Path store = dir.resolve("store");
        ManifestId id;
        String storeId;
        try (Repository repo = S3Stores.open(store, StoreFixture.smallOptions(), s)) {
            id = StoreFixture.put(repo, StoreFixture.opts("x", 1), TestData.random(3, 800_000)).id();
            storeId = repo.config().storeIdHex();
        }
        // A staging pack that never reached the bucket, and a multipart upload never completed.
        LocalPackStore staging = new LocalPackStore(s.cacheDirFor(store));
        PackWriter w = staging.create();
        byte[] raw = TestData.random(4, 5000);
        w.append(ChunkId.of(raw, 0, raw.length), new EncodedChunk(0, raw.length, raw, 0, raw.length));
        w.seal();
        staging.close();
        Path leftover = staging.pathOf(w.id());
        ObjectKeys keys = new ObjectKeys(s.prefix());
        try (Bucket b = plainBucket(s)) {
            b.startMultipart(keys.pack(new dev.cairn.store.pack.PackId(42), storeId, 1));
            assertThat(b.multipartUploads(keys.packsPrefix())).hasSize(1);
        }
        try (Repository repo = S3Stores.open(store, StoreFixture.smallOptions(), s)) {
            assertThat(Files.exists(leftover)).isFalse();
            assertThat(repo.packs().list()).noneMatch(p -> p.id().equals(w.id()));
            assertThat(StoreFixture.get(repo, id)).isEqualTo(TestData.random(3, 800_000));
        }
        try (Bucket b = plainBucket(s)) {
            assertThat(b.multipartUploads(keys.packsPrefix())).isEmpty();
        }
    }
}
