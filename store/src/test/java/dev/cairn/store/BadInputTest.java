package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.LocalPackStore;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackInfo;
import dev.cairn.store.pack.PackStore;
import dev.cairn.store.pack.PackWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad stores and bad situations give typed errors that say what to do, and lose nothing. */
class BadInputTest {
    @TempDir
    Path dir;

    private static Status status(Throwable t) {
        return ((CairnException) t).status();
    }

    @Test
    void otherChunkerParametersAreRefused() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            StoreFixture.put(repo, StoreFixture.opts("s", 0), TestData.random(1, 10_000));
        }
        assertThatThrownBy(() -> Repository.open(dir, RepositoryOptions.defaults().withChunker(ChunkerParams.DEFAULT)))
                .isInstanceOf(CairnException.class)
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.PARAMS_MISMATCH))
                .hasMessageContaining("min=512").hasMessageContaining("new --data directory");
        // Opening without chunker settings uses the store's own.
        try (Repository repo = Repository.open(dir, RepositoryOptions.defaults())) {
            assertThat(repo.config().chunker()).isEqualTo(StoreFixture.SMALL);
            assertThat(repo.list("s")).hasSize(1);
        }
    }

    @Test
    void aStoreWrittenByANewerCairnIsRefused() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            StoreConfig c = repo.config();
            StoreConfig newer = new StoreConfig(StoreConfig.FORMAT_VERSION + 1, c.chunker(), c.createdAt(), c.storeId());
            repo.db().put(Cf.META, Keys.CONFIG, newer.encode(), true);
        }
        assertThatThrownBy(() -> StoreFixture.open(dir))
                .isInstanceOf(CairnException.class)
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.UNSUPPORTED_VERSION))
                .hasMessageContaining("upgrade Cairn");
    }

    @Test
    void aStoreInUseIsRefusedWithAHint() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            assertThatThrownBy(() -> StoreFixture.open(dir))
                    .isInstanceOf(CairnException.class)
                    .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED))
                    .hasMessageContaining("in use by another process");
            assertThat(repo.list("x")).isEmpty();
        }
    }

    @Test
    void aStoreInUseByAnotherProcessIsRefused() throws Exception {
        Path store = dir.resolve("store");
        try (ChildJvm child = ChildJvm.start(dir, List.of(), CrashDriver.class, store.toString(), "commit.after-batch",
                "1", "3")) {
            assertThat(child.nextLine(120)).startsWith("AT ");
            assertThatThrownBy(() -> StoreFixture.open(store))
                    .satisfies(e -> assertThat(status(e)).isEqualTo(Status.STORE_LOCKED));
        }
    }

    @Test
    void junkInThePacksDirectoryDoesNotBreakTheStore() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            StoreFixture.put(repo, StoreFixture.opts("s", 0), TestData.random(2, 100_000));
        }
        Files.createDirectories(dir.resolve("packs/zz"));
        Files.writeString(dir.resolve("packs/zz/notes.txt"), "hello");
        Files.createDirectories(dir.resolve("packs/00"));
        Files.write(dir.resolve("packs/00/00000000000000aa.pack"), new byte[0]);
        try (Repository repo = StoreFixture.open(dir)) {
            assertThat(repo.list("s")).hasSize(1);
            assertThat(StoreFixture.get(repo, repo.list("s").get(0).id())).isEqualTo(TestData.random(2, 100_000));
        }
    }

    @Test
    void unknownOrTruncatedPackFilesAreTypedErrors() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            StoreFixture.put(repo, StoreFixture.opts("s", 0), TestData.random(3, 100_000));
        }
        Files.createDirectories(dir.resolve("packs/ab"));
        Files.writeString(dir.resolve("packs/ab/abababababababab.pack"), "this is not a pack at all, just text");
        try (Repository repo = StoreFixture.open(dir)) {
            VerifyReport r = repo.verify(false);
            assertThat(r.problems()).anySatisfy(p -> assertThat(p.message()).containsIgnoringCase("not a cairn pack"));
            assertThat(r.damaged()).isEmpty();
        }
    }

    @Test
    void aFullDiskFailsThePutCleanlyAndLosesNothing() throws IOException {
        AtomicLong budget = new AtomicLong(Long.MAX_VALUE);
        MetaDb db = MetaDb.open(dir.resolve("meta"));
        PackStore packs = new DiskFullPackStore(new LocalPackStore(dir), budget);
        ManifestId first;
        try (Repository repo = Repository.open(dir, StoreFixture.smallOptions(), db, packs)) {
            first = StoreFixture.put(repo, StoreFixture.opts("s", 0), TestData.random(4, 300_000)).id();
            budget.set(150_000);
            assertThatThrownBy(() -> StoreFixture.put(repo, StoreFixture.opts("s", 1), TestData.random(5, 600_000)))
                    .isInstanceOf(IOException.class).hasMessageContaining("No space left");
            assertThat(repo.list("s")).extracting(CheckpointInfo::id).containsExactly(first);
            budget.set(Long.MAX_VALUE);
        }
        try (Repository repo = StoreFixture.open(dir)) {
            assertThat(StoreFixture.get(repo, first)).isEqualTo(TestData.random(4, 300_000));
            PutResult again = StoreFixture.put(repo, StoreFixture.opts("s", 1), TestData.random(5, 600_000));
            assertThat(StoreFixture.get(repo, again.id())).isEqualTo(TestData.random(5, 600_000));
            assertThat(repo.verify(true).clean()).isTrue();
        }
    }

    @Test
    void missingParentOrDerivedFromIsNotFound() throws IOException {
        ManifestId unknown = ManifestId.parse("cd".repeat(32));
        try (Repository repo = StoreFixture.open(dir)) {
            assertThatThrownBy(() -> repo.put(StoreFixture.opts("s", 0).withParent(unknown),
                    new java.io.ByteArrayInputStream(new byte[10])))
                    .satisfies(e -> assertThat(status(e)).isEqualTo(Status.NOT_FOUND))
                    .hasMessageContaining("parent");
            var meta = dev.cairn.protocol.manifest.CheckpointMeta.of("s", Instant.EPOCH).withDerivedFrom(unknown);
            assertThatThrownBy(() -> repo.put(PutOptions.of(meta), new java.io.ByteArrayInputStream(new byte[10])))
                    .satisfies(e -> assertThat(status(e)).isEqualTo(Status.NOT_FOUND))
                    .hasMessageContaining("derived-from");
            assertThatThrownBy(() -> repo.show(unknown)).satisfies(e -> assertThat(status(e)).isEqualTo(Status.NOT_FOUND));
            assertThat(repo.sessions()).isEmpty();
        }
    }

    @Test
    void badNamesAreRefusedBeforeAnythingIsWritten() {
        assertThatThrownBy(() -> StoreFixture.opts("../etc", 0)).hasMessageContaining("bad series name");
        assertThatThrownBy(() -> StoreFixture.opts("a//b", 0)).hasMessageContaining("bad series name");
        assertThatThrownBy(() -> StoreFixture.opts("s", 0).withTags(List.of("has space")))
                .hasMessageContaining("bad tag");
        assertThatThrownBy(() -> dev.cairn.protocol.manifest.EntryHeader.validateName("a/../b"))
                .hasMessageContaining("relative path");
    }

    @Test
    void entryNamesARestoreCouldNotCreateAreRefusedAtCommit() throws IOException {
        StringBuilder deep = new StringBuilder();
        while (deep.length() < 4095 - 2) {
            deep.append("a".repeat(100)).append('/');
        }
        String path4095 = deep.substring(0, 4093) + "zz";
        try (Repository repo = StoreFixture.open(dir)) {
            try (PutSession s = repo.begin(StoreFixture.opts("names", 0))) {
                s.entry("d").finish();
                assertThatThrownBy(() -> s.entry("d/x"))
                        .satisfies(e -> assertThat(status(e)).isEqualTo(Status.BAD_REQUEST))
                        .hasMessageContaining("'d/x'").hasMessageContaining("'d'");
                assertThatThrownBy(() -> s.directory("d/empty"))
                        .satisfies(e -> assertThat(status(e)).isEqualTo(Status.BAD_REQUEST));
                assertThatThrownBy(() -> s.entry("d"))
                        .satisfies(e -> assertThat(status(e)).isEqualTo(Status.BAD_REQUEST))
                        .hasMessageContaining("duplicate");
                assertThatThrownBy(() -> s.entry("e/" + "s".repeat(256)))
                        .satisfies(e -> assertThat(status(e)).isEqualTo(Status.BAD_REQUEST))
                        .hasMessageContaining("255");
                assertThatThrownBy(() -> s.entry(path4095))
                        .satisfies(e -> assertThat(status(e)).isEqualTo(Status.BAD_REQUEST))
                        .hasMessageContaining("4095 bytes");
            }
            assertThat(repo.list("names")).isEmpty();

            // The directory put refuses before writing anything.
            Path root = dir.resolve("tree");
            Path longFile = root.resolve(deep.substring(0, 3100).replaceAll("/+$", "") + "/f");
            Files.createDirectories(longFile.getParent());
            Files.write(longFile, new byte[] {1, 2, 3});
            assertThatThrownBy(() -> repo.putDirectory(StoreFixture.opts("names", 1), root))
                    .satisfies(e -> assertThat(status(e)).isEqualTo(Status.BAD_REQUEST))
                    .hasMessageContaining(String.valueOf(dev.cairn.protocol.manifest.EntryNames.MAX_PATH_BYTES));
            assertThat(repo.list("names")).isEmpty();
            assertThat(repo.sessions()).isEmpty();

            // Deep nesting and multi-byte names within the limits round-trip.
            Path ok = dir.resolve("ok");
            Path nested = ok.resolve("ü".repeat(127)).resolve("日本".repeat(42)).resolve("x/".repeat(600) + "end");
            Files.createDirectories(nested.getParent());
            Files.write(nested, TestData.random(2, 3000));
            Files.createDirectories(ok.resolve("d-a"));
            Files.write(ok.resolve("d"), new byte[] {9});
            PutResult r = repo.putDirectory(StoreFixture.opts("names", 2), ok);
            Path back = dir.resolve("back");
            repo.restore(r.id(), back);
            assertThat(Files.readAllBytes(back.resolve(ok.relativize(nested)))).isEqualTo(Files.readAllBytes(nested));
            assertThat(Files.isDirectory(back.resolve("d-a"))).isTrue();
            // A target too long for the longest name is refused before anything is written.
            Path far = dir.resolve(("t".repeat(200) + "/").repeat(12) + "back");
            assertThatThrownBy(() -> repo.restore(r.id(), far))
                    .satisfies(e -> assertThat(status(e)).isEqualTo(Status.BAD_REQUEST))
                    .hasMessageContaining("too long");
            assertThat(Files.exists(dir.resolve("t".repeat(200)))).isFalse();
        }
    }

    /** A pack layer whose disk fills up after {@code budget} more bytes. */
    static final class DiskFullPackStore implements PackStore {
        private final PackStore inner;
        private final AtomicLong budget;

        DiskFullPackStore(PackStore inner, AtomicLong budget) {
            this.inner = inner;
            this.budget = budget;
        }

        @Override
        public PackWriter create() throws IOException {
            PackWriter w = inner.create();
            return new PackWriter() {
                @Override
                public PackId id() {
                    return w.id();
                }

                @Override
                public ChunkLocation append(ChunkId id, EncodedChunk chunk) throws IOException {
                    if (budget.addAndGet(-chunk.length()) < 0) {
                        throw new IOException("No space left on device");
                    }
                    return w.append(id, chunk);
                }

                @Override
                public long size() {
                    return w.size();
                }

                @Override
                public int count() {
                    return w.count();
                }

                @Override
                public void sync() throws IOException {
                    w.sync();
                }

                @Override
                public PackIndex seal() throws IOException {
                    return w.seal();
                }

                @Override
                public void close() throws IOException {
                    w.close();
                }
            };
        }

        @Override
        public EncodedChunk read(ChunkLocation loc, ChunkId expectedId) throws IOException {
            return inner.read(loc, expectedId);
        }

        @Override
        public List<PackInfo> list() throws IOException {
            return inner.list();
        }

        @Override
        public PackIndex readIndex(PackId id) throws IOException {
            return inner.readIndex(id);
        }

        @Override
        public void scan(PackId id, RecordVisitor visitor) throws IOException {
            inner.scan(id, visitor);
        }

        @Override
        public PackIndex recover(PackId id, long keep) throws IOException {
            return inner.recover(id, keep);
        }

        @Override
        public void delete(PackId id) throws IOException {
            inner.delete(id);
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}
