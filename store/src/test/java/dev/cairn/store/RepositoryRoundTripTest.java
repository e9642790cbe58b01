package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.Patch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.cairn.store.StoreFixture.get;
import static dev.cairn.store.StoreFixture.opts;
import static dev.cairn.store.StoreFixture.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RepositoryRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void streamRoundTripIsBitExactAndIdsAreStable() throws IOException {
        byte[] data = TestData.random(1, 3_000_000);
        try (Repository repo = StoreFixture.open(dir)) {
            PutResult r = put(repo, opts("s/a", 0), data);
            assertThat(r.kind()).isEqualTo("full");
            assertThat(r.logicalBytes()).isEqualTo(data.length);
            assertThat(r.newBytes()).isEqualTo(data.length);
            assertThat(get(repo, r.id())).isEqualTo(data);
            PutResult again = put(repo, opts("s/a", 0), data);
            assertThat(again.id()).isEqualTo(r.id());
            assertThat(again.existed()).isTrue();
            assertThat(again.newBytes()).isZero();
        }
        try (Repository repo = StoreFixture.open(dir)) {
            assertThat(repo.list("s/a")).hasSize(1);
            assertThat(get(repo, repo.list("s/a").get(0).id())).isEqualTo(data);
            assertThat(repo.verify(true).clean()).isTrue();
        }
    }

    @Test
    void emptyAndTinyStreams() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            PutResult empty = put(repo, opts("s", 0), new byte[0]);
            assertThat(get(repo, empty.id())).isEmpty();
            PutResult one = put(repo, opts("s", 1), new byte[] {42});
            assertThat(get(repo, one.id())).containsExactly(42);
        }
    }

    @Test
    void unchangedDataIsNotStoredTwice() throws IOException {
        byte[] a = TestData.random(2, 2_000_000);
        byte[] b = a.clone();
        for (int i = 0; i < 10; i++) {
            b[100_000 * i + 7] ^= 1;
        }
        try (Repository repo = StoreFixture.open(dir)) {
            put(repo, opts("s", 0), a);
            PutResult r = put(repo, opts("s", 1), b);
            assertThat(r.newBytes()).isLessThan(10L * 3 * 8192);
            assertThat(get(repo, r.id())).isEqualTo(b);
            StoreStats st = repo.stats();
            assertThat(st.checkpoints()).isEqualTo(2);
            assertThat(st.logicalBytes()).isEqualTo(4_000_000);
            assertThat(st.chunkBytes()).isLessThan(2_300_000);
        }
    }

    @Test
    void autoDeltaChainsAreCappedAndEveryVersionRestores() throws IOException {
        Random rnd = new Random(7);
        System.out.println("seed 7");
        byte[] data = TestData.random(3, 1_500_000);
        List<byte[]> versions = new ArrayList<>();
        List<PutResult> results = new ArrayList<>();
        try (Repository repo = Repository.open(dir, StoreFixture.smallOptions().withMaxChainDepth(3))) {
            for (int v = 0; v < 12; v++) {
                data = data.clone();
                for (int k = 0; k < 3; k++) {
                    int at = rnd.nextInt(data.length - 1000);
                    System.arraycopy(TestData.random(100 + v * 10 + k, 1000), 0, data, at, 1000);
                }
                versions.add(data);
                results.add(put(repo, opts("chain", v), data));
            }
            List<String> kinds = results.stream().map(PutResult::kind).toList();
            assertThat(kinds).containsExactly("full", "delta", "delta", "delta", "full", "delta", "delta", "delta",
                    "full", "delta", "delta", "delta");
            for (int v = 0; v < versions.size(); v++) {
                assertThat(get(repo, results.get(v).id())).as("version %d", v).isEqualTo(versions.get(v));
                CheckpointInfo info = repo.show(results.get(v).id());
                assertThat(info.depth()).isEqualTo(v % 4);
            }
            assertThat(repo.verify(false).clean()).isTrue();
        }
    }

    @Test
    void deltaIsNotUsedWhenMostChunksChanged() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            put(repo, opts("s", 0), TestData.random(4, 500_000));
            PutResult r = put(repo, opts("s", 1), TestData.random(5, 500_000));
            assertThat(r.kind()).isEqualTo("full");
        }
    }

    @Test
    void explicitParentInAnotherSeries() throws IOException {
        byte[] base = TestData.random(6, 800_000);
        byte[] tuned = base.clone();
        tuned[400_000] ^= 0x55;
        try (Repository repo = StoreFixture.open(dir)) {
            PutResult b = put(repo, opts("base", 0), base);
            PutResult t = repo.put(opts("tuned", 1).withParent(b.id()).withAutoDelta(false),
                    new java.io.ByteArrayInputStream(tuned));
            assertThat(t.kind()).isEqualTo("delta");
            assertThat(t.parent()).isEqualTo(b.id());
            assertThat(get(repo, t.id())).isEqualTo(tuned);
        }
    }

    @Test
    void writerFilledByTheCaller() throws IOException {
        byte[] data = TestData.random(8, 1_000_000);
        try (Repository repo = StoreFixture.open(dir)) {
            PutResult r;
            try (CheckpointWriter w = repo.newCheckpoint(opts("w", 0))) {
                for (int i = 0; i < data.length; i += 777) {
                    w.write(data, i, Math.min(777, data.length - i));
                }
                r = w.commit();
            }
            assertThat(get(repo, r.id())).isEqualTo(data);
            try (CheckpointWriter w = repo.newCheckpoint(opts("w", 1))) {
                w.write(data, 0, 1000);
            }
            assertThat(repo.list("w")).hasSize(1);
        }
    }

    @Test
    void directoryCheckpointRestoresAsADirectory() throws IOException {
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("sub/deeper"));
        Files.createDirectories(src.resolve("empty"));
        Files.write(src.resolve("model.bin"), TestData.random(9, 700_000));
        Files.write(src.resolve("sub/opt.bin"), TestData.random(10, 300_000));
        Files.write(src.resolve("sub/deeper/zero.bin"), new byte[0]);
        Files.writeString(src.resolve("config.json"), "{\"lr\": 0.001}");
        try (Repository repo = StoreFixture.open(dir.resolve("store"))) {
            PutResult r = repo.putDirectory(opts("d", 0), src);
            assertThat(repo.show(r.id()).header().entries()).extracting(e -> e.name())
                    .containsExactly("config.json", "empty", "model.bin", "sub/deeper/zero.bin", "sub/opt.bin");
            Path out = dir.resolve("out");
            repo.restore(r.id(), out);
            for (String f : List.of("model.bin", "sub/opt.bin", "sub/deeper/zero.bin", "config.json")) {
                assertThat(Files.readAllBytes(out.resolve(f))).as(f).isEqualTo(Files.readAllBytes(src.resolve(f)));
            }
            assertThat(out.resolve("empty")).isEmptyDirectory();
            assertThatThrownBy(() -> repo.restore(r.id(), out)).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
            // A second version with one file changed dedups everything else and may be a delta.
            Files.write(src.resolve("sub/opt.bin"), TestData.random(11, 300_000));
            PutResult r2 = repo.putDirectory(opts("d", 1), src);
            assertThat(r2.newBytes()).isLessThan(400_000);
            repo.restore(r2.id(), dir.resolve("out2"));
            assertThat(Files.readAllBytes(dir.resolve("out2/sub/opt.bin"))).isEqualTo(Files.readAllBytes(src.resolve("sub/opt.bin")));
            assertThatThrownBy(() -> repo.open(r2.id())).isInstanceOf(CairnException.class).hasMessageContaining("directory");
        }
    }

    @Test
    void symlinksInADirectoryAreRefused() throws IOException {
        Path src = dir.resolve("src");
        Files.createDirectories(src);
        Files.write(src.resolve("a"), new byte[] {1});
        Files.createSymbolicLink(src.resolve("link"), src.resolve("a"));
        try (Repository repo = StoreFixture.open(dir.resolve("store"))) {
            assertThatThrownBy(() -> repo.putDirectory(opts("d", 0), src)).hasMessageContaining("symbolic link");
            assertThat(repo.list("d")).isEmpty();
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {21, 22, 23, 24, 25, 26})
    void patchedDeltaEqualsAFullPutOfThePatchedBytes(long seed) throws IOException {
        Random rnd = new Random(seed);
        System.out.println("patch seed " + seed);
        byte[] base = TestData.random(seed, 400_000 + rnd.nextInt(400_000));
        try (Repository repo = StoreFixture.open(dir)) {
            PutResult parent = put(repo, opts("p", 0), base);
            byte[] expected = base.clone();
            List<Patch> patches = new ArrayList<>();
            long pos = rnd.nextInt(20_000);
            while (pos < base.length) {
                int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 100 : 20_000);
                byte[] data = TestData.random(seed * 1000 + patches.size(), len);
                if (pos + len > base.length && rnd.nextBoolean()) {
                    len = (int) (base.length - pos);
                    data = java.util.Arrays.copyOf(data, len);
                }
                patches.add(new Patch("", pos, data));
                if (pos + len > expected.length) {
                    expected = java.util.Arrays.copyOf(expected, (int) (pos + len));
                }
                System.arraycopy(data, 0, expected, (int) pos, len);
                pos += len + rnd.nextInt(150_000);
            }
            java.util.Collections.shuffle(patches, rnd);
            PutResult d = repo.putDelta(opts("p", 1).withParent(parent.id()), patches);
            assertThat(get(repo, d.id())).isEqualTo(expected);
            // Chunking the patched bytes from scratch gives the same chunk list.
            PutResult full = put(repo, opts("q", 1), expected);
            assertThat(repo.show(d.id()).header().entries().get(0))
                    .isEqualTo(repo.show(full.id()).header().entries().get(0));
            assertThat(full.newBytes()).isZero();
        }
    }

    @Test
    void patchErrors() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            PutResult p = put(repo, opts("p", 0), TestData.random(1, 10_000));
            assertThatThrownBy(() -> repo.putDelta(opts("p", 1).withParent(p.id()),
                    List.of(new Patch("", 20_000, new byte[1]))))
                    .isInstanceOf(CairnException.class).hasMessageContaining("past the end");
            assertThatThrownBy(() -> repo.putDelta(opts("p", 1).withParent(p.id()),
                    List.of(new Patch("", 0, new byte[10]), new Patch("", 5, new byte[10]))))
                    .hasMessageContaining("overlap");
            assertThatThrownBy(() -> repo.putDelta(opts("p", 1).withParent(p.id()),
                    List.of(new Patch("nope", 0, new byte[10])))).hasMessageContaining("not a file");
            ManifestId unknown = ManifestId.parse("ab".repeat(32));
            assertThatThrownBy(() -> repo.putDelta(opts("p", 1).withParent(unknown), List.of()))
                    .isInstanceOf(CairnException.class)
                    .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.NOT_FOUND));
            assertThat(repo.list("p")).hasSize(1);
        }
    }

    @Test
    void idPrefixesResolve() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            PutResult r = put(repo, opts("s", 0), TestData.random(1, 1000));
            assertThat(repo.resolve(r.id().toHex().substring(0, 8))).isEqualTo(r.id());
            assertThatThrownBy(() -> repo.resolve("zz")).hasMessageContaining("not a checkpoint id");
        }
    }

    @Test
    void compactCompressionStoresZstdAndReadsBackEveryCodec() throws IOException {
        byte[] text = dev.cairn.protocol.chunk.TestData.pages(3, 200);
        long fastBytes;
        PutResult fast;
        try (Repository repo = StoreFixture.open(dir)) {
            fast = put(repo, opts("c", 0), text);
            fastBytes = fast.storedBytes();
        }
        // The same store reopened in compact mode: new chunks get zstd, old LZ4 ones still read.
        try (Repository repo = Repository.open(dir, StoreFixture.smallOptions()
                .withCompression(dev.cairn.protocol.chunk.Compression.COMPACT))) {
            byte[] other = dev.cairn.protocol.chunk.TestData.pages(4, 200);
            PutResult compact = put(repo, opts("c", 1), other);
            assertThat(compact.storedBytes()).isLessThan(fastBytes);
            assertThat(get(repo, fast.id())).isEqualTo(text);
            assertThat(get(repo, compact.id())).isEqualTo(other);
            assertThat(repo.verify(true).clean()).isTrue();
        }
    }
}
