package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.pack.PackCodec;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 10, item 2: a sealed pack whose end was damaged is not a crash leftover. Recovery at open
 * must not cut it; exactly the checkpoints whose chunks lie in damaged bytes fail with CORRUPT,
 * the others restore bit-exact, verify reports the damage, and an index rebuild does not make it
 * worse. Uses only the repository API, real files and a real RocksDB.
 */
class SealedPackDamageTest {
    @TempDir
    Path dir;

    /** Six checkpoints in one sealed pack; the first three share their first chunks. */
    record Store(Path dir, Map<ManifestId, byte[]> data, Path pack, String packHex, List<PackIndex.Entry> records,
                 Map<ManifestId, Set<ChunkId>> refs) {

        /** Checkpoints referencing a chunk whose record overlaps [from, to). */
        Set<ManifestId> hitting(long from, long to) {
            Set<ChunkId> hit = new HashSet<>();
            for (PackIndex.Entry e : records) {
                long start = e.location().offset();
                long end = start + PackCodec.RECORD_HEADER_SIZE + e.location().storedLength();
                if (start < to && end > from) {
                    hit.add(e.id());
                }
            }
            Set<ManifestId> out = new HashSet<>();
            refs.forEach((id, chunks) -> {
                if (chunks.stream().anyMatch(hit::contains)) {
                    out.add(id);
                }
            });
            return out;
        }
    }

    static RepositoryOptions options() {
        return StoreFixture.smallOptions().withPackTargetBytes(64 << 20);
    }

    static Store sixCheckpointsInOnePack(Path dir) throws IOException {
        Map<ManifestId, byte[]> data = new LinkedHashMap<>();
        Map<ManifestId, Set<ChunkId>> refs = new LinkedHashMap<>();
        byte[] base = TestData.random(100, 120_000);
        try (Repository repo = Repository.open(dir, options())) {
            for (int i = 0; i < 6; i++) {
                byte[] b;
                if (i < 3) {
                    b = Arrays.copyOf(base, base.length + 30_000);
                    System.arraycopy(TestData.random(200 + i, 30_000), 0, b, base.length, 30_000);
                } else {
                    b = TestData.random(300 + i, 150_000);
                }
                ManifestId id = StoreFixture.put(repo, StoreFixture.opts("s" + i, i), b).id();
                data.put(id, b);
                Set<ChunkId> r = new HashSet<>();
                repo.manifests().forEachRef(repo.manifests().get(id), ref -> r.add(ref.id()));
                refs.put(id, r);
            }
            repo.chunks().sealCurrent();
            // (plus the empty pack created ahead for the next writes, deleted at close)
            List<PackInfo> packs = repo.packs().list().stream().filter(PackInfo::sealed).toList();
            assertThat(packs).hasSize(1);
            String hex = packs.get(0).id().toHex();
            List<PackIndex.Entry> records = repo.packs().readIndex(packs.get(0).id()).entries();
            return new Store(dir, data, packFile(dir, hex), hex, records, refs);
        }
    }

    static Path packFile(Path dir, String hex) {
        return dir.resolve("packs").resolve(hex.substring(0, 2)).resolve(hex + ".pack");
    }

    static void flip(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x10);
        }
    }

    static void cut(Path file, long bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() - bytes);
        }
    }

    /** Exactly {@code damaged} fail with CORRUPT naming the pack; every other checkpoint restores bit-exact. */
    static void checkRestores(Repository repo, Store s, Set<ManifestId> damaged) throws IOException {
        for (Map.Entry<ManifestId, byte[]> e : s.data().entrySet()) {
            if (damaged.contains(e.getKey())) {
                assertThatThrownBy(() -> StoreFixture.get(repo, e.getKey())).as("checkpoint %s", e.getKey().shortHex())
                        .isInstanceOf(CairnException.class)
                        .satisfies(x -> assertThat(((CairnException) x).status()).isEqualTo(Status.CORRUPT))
                        .hasMessageContaining(s.packHex()).hasMessageContaining("offset");
            } else {
                assertThat(StoreFixture.get(repo, e.getKey())).as("checkpoint %s", e.getKey().shortHex())
                        .isEqualTo(e.getValue());
            }
        }
    }

    static void checkVerify(Repository repo, Set<ManifestId> damaged, boolean packProblem) throws IOException {
        VerifyReport r = repo.verify(true);
        assertThat(r.clean()).isFalse();
        assertThat(r.damaged().keySet()).isEqualTo(damaged);
        if (packProblem) {
            assertThat(r.problems()).anySatisfy(p -> assertThat(p.kind()).isEqualTo("pack"));
        }
    }

    @Test
    void flippedByteAndLostEndMagicInASealedPackCostOnlyTheChunkItHit() throws IOException {
        // The exact repro of issue 10 item 2: flip byte 2000, lose the last 8 bytes.
        Store s = sixCheckpointsInOnePack(dir);
        Set<ManifestId> damaged = s.hitting(2000, 2001);
        assertThat(damaged).as("the flip hits the chunk the first three share").hasSize(3);
        flip(s.pack(), 2000);
        cut(s.pack(), 8);
        byte[] bytes = Files.readAllBytes(s.pack());

        try (Repository repo = Repository.open(dir, options())) {
            assertThat(Files.readAllBytes(s.pack())).as("nothing cut or rewritten").isEqualTo(bytes);
            checkRestores(repo, s, damaged);
            // The server reads encoded chunks: pack corruption must reach it as CORRUPT, not IO_ERROR.
            ChunkId victim = s.records().stream().filter(e -> e.location().offset() <= 2000
                    && e.location().offset() + PackCodec.RECORD_HEADER_SIZE + e.location().storedLength() > 2000)
                    .findFirst().orElseThrow().id();
            assertThatThrownBy(() -> repo.chunks().readEncoded(victim)).isInstanceOf(CairnException.class)
                    .satisfies(x -> assertThat(((CairnException) x).status()).isEqualTo(Status.CORRUPT));
            checkVerify(repo, damaged, true);

            RebuildReport rr = repo.rebuildIndex();
            assertThat(rr.missingReferenced()).as("rebuild indexes every record the footer names").isZero();
            assertThat(Files.readAllBytes(s.pack())).isEqualTo(bytes);
            checkRestores(repo, s, damaged);
            checkVerify(repo, damaged, true);
        }
        try (Repository repo = Repository.open(dir, options())) {
            assertThat(Files.readAllBytes(s.pack())).as("a second open changes nothing either").isEqualTo(bytes);
            checkRestores(repo, s, damaged);
        }
    }

    /**
     * Seeded random flips in the record area of a sealed pack, half of them with the end magic
     * cut too: each costs exactly the checkpoints whose chunk it hit, and the pack is neither cut
     * nor rewritten. One trial by default; `mvn -Psoak` runs {@code cairn.soak.pack.trials} from
     * {@code cairn.soak.seed}.
     */
    @Test
    void randomFlipsCostOnlyTheChunksTheyHit() throws IOException {
        long seed = Long.getLong("cairn.soak.seed", 0x5EA1L);
        int trials = Integer.getInteger("cairn.soak.pack.trials", 1);
        Random r = new Random(seed);
        for (int t = 0; t < trials; t++) {
            Store s = sixCheckpointsInOnePack(dir.resolve("random-" + t));
            long from = s.records().stream().mapToLong(e -> e.location().offset()).min().orElseThrow();
            long to = s.records().stream().mapToLong(e -> e.location().offset() + PackCodec.RECORD_HEADER_SIZE
                    + e.location().storedLength()).max().orElseThrow();
            long at = from + r.nextLong(to - from);
            boolean cutEnd = r.nextBoolean();
            Set<ManifestId> damaged = s.hitting(at, at + 1);
            flip(s.pack(), at);
            if (cutEnd) {
                cut(s.pack(), 8);
            }
            byte[] bytes = Files.readAllBytes(s.pack());
            String what = "seed " + seed + " trial " + t + ": flip at " + at + (cutEnd ? ", end magic cut" : "");
            try (Repository repo = Repository.open(s.dir(), options())) {
                assertThat(Files.readAllBytes(s.pack())).as(what + ": nothing cut or rewritten").isEqualTo(bytes);
                assertThat(damaged).as(what).isNotEmpty();
                checkRestores(repo, s, damaged);
                checkVerify(repo, damaged, cutEnd);
            } catch (AssertionError e) {
                throw new AssertionError(what, e);
            }
        }
    }

    @Test
    void damagedEndMagicAloneCostsNothing() throws IOException {
        Store s = sixCheckpointsInOnePack(dir);
        long size = Files.size(s.pack());
        for (int i = 0; i < 8; i++) {
            flip(s.pack(), size - 1 - i);
        }
        byte[] bytes = Files.readAllBytes(s.pack());
        try (Repository repo = Repository.open(dir, options())) {
            assertThat(Files.readAllBytes(s.pack())).isEqualTo(bytes);
            checkRestores(repo, s, Set.of());
            VerifyReport r = repo.verify(true);
            assertThat(r.damaged()).isEmpty();
            assertThat(r.problems()).singleElement().satisfies(p -> assertThat(p.kind()).isEqualTo("pack"));
            repo.rebuildIndex();
            assertThat(Files.readAllBytes(s.pack())).isEqualTo(bytes);
            checkRestores(repo, s, Set.of());
        }
    }

    @Test
    void damagedFooterWithEndMagicPresentIsReportedAndRebuildIndexesEveryRecord() throws IOException {
        Store s = sixCheckpointsInOnePack(dir);
        long size = Files.size(s.pack());
        flip(s.pack(), size - PackCodec.TRAILER_SIZE - 100); // inside the footer entries
        byte[] bytes = Files.readAllBytes(s.pack());
        try (Repository repo = Repository.open(dir, options())) {
            checkRestores(repo, s, Set.of());
            VerifyReport r = repo.verify(true);
            assertThat(r.damaged()).isEmpty();
            assertThat(r.problems()).singleElement().satisfies(p -> assertThat(p.message()).contains("footer CRC32C"));
            RebuildReport rr = repo.rebuildIndex();
            assertThat(rr.missingReferenced()).isZero();
            assertThat(rr.chunks()).isEqualTo(s.records().size());
            assertThat(Files.readAllBytes(s.pack())).isEqualTo(bytes);
            checkRestores(repo, s, Set.of());
        }
    }

    @Test
    void sealedPackTruncatedInTheRecordAreaLosesOnlyTheRecordsAfterTheCut() throws IOException {
        Store s = sixCheckpointsInOnePack(dir);
        long footerStart = s.records().get(s.records().size() - 1).location().offset() + PackCodec.RECORD_HEADER_SIZE
                + s.records().get(s.records().size() - 1).location().storedLength();
        long size = Files.size(s.pack());
        long cutAt = footerStart - 5000;
        cut(s.pack(), size - cutAt);
        Set<ManifestId> damaged = s.hitting(cutAt, Long.MAX_VALUE);
        assertThat(damaged).isNotEmpty().hasSizeLessThan(6);
        byte[] bytes = Files.readAllBytes(s.pack());
        try (Repository repo = Repository.open(dir, options())) {
            assertThat(Files.readAllBytes(s.pack())).isEqualTo(bytes);
            checkRestores(repo, s, damaged);
            checkVerify(repo, damaged, true);
            repo.rebuildIndex();
            assertThat(Files.readAllBytes(s.pack())).isEqualTo(bytes);
            // The entries of the lost records are kept: still CORRUPT naming the pack, not missing.
            checkRestores(repo, s, damaged);
            checkVerify(repo, damaged, true);
        }
    }

    static List<Path> packFiles(Path store) throws IOException {
        try (Stream<Path> st = Files.walk(store.resolve("packs"))) {
            return new ArrayList<>(st.filter(p -> p.toString().endsWith(".pack")).sorted().toList());
        }
    }
}
