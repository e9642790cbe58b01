package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb.Cf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Damage to packs, index and manifests is detected, attributed to checkpoints, and never returned as data. */
class DamageTest {
    @TempDir
    Path dir;

    private static List<Path> packFiles(Path store) throws IOException {
        try (Stream<Path> s = Files.walk(store.resolve("packs"))) {
            return s.filter(p -> p.toString().endsWith(".pack")).sorted().toList();
        }
    }

    private static void flip(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x10);
        }
    }

    @Test
    void aFlippedPackByteIsReportedWithTheCheckpointsItDamagesAndGetFails() throws IOException {
        byte[] a = TestData.random(1, 600_000);
        byte[] b = TestData.random(2, 600_000);
        ManifestId ida;
        ManifestId idb;
        try (Repository repo = StoreFixture.open(dir)) {
            ida = StoreFixture.put(repo, StoreFixture.opts("a", 0), a).id();
            idb = StoreFixture.put(repo, StoreFixture.opts("b", 0), b).id();
            repo.chunks().sealCurrent();
        }
        // Flip a byte inside the payload of a's 10th chunk.
        dev.cairn.store.pack.ChunkLocation loc;
        try (Repository repo = StoreFixture.open(dir)) {
            var m = repo.manifests().get(ida);
            var cur = repo.manifests().cursor(m, 0);
            cur.seek(10);
            loc = repo.chunks().locate(cur.next().id());
        }
        Path victim = packFiles(dir).stream().filter(p -> p.getFileName().toString().startsWith(loc.pack().toHex()))
                .findFirst().orElseThrow();
        flip(victim, loc.offset() + dev.cairn.store.pack.PackCodec.RECORD_HEADER_SIZE + loc.storedLength() / 2);
        try (Repository repo = StoreFixture.open(dir)) {
            VerifyReport quick = repo.verify(false);
            VerifyReport full = repo.verify(true);
            assertThat(full.clean()).isFalse();
            assertThat(full.problems()).anySatisfy(p -> assertThat(p.kind()).isEqualTo("chunk"));
            assertThat(full.damaged().keySet()).contains(ida);
            for (ManifestId damaged : full.damaged().keySet()) {
                assertThatThrownBy(() -> StoreFixture.get(repo, damaged))
                        .isInstanceOf(CairnException.class)
                        .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.CORRUPT))
                        .hasMessageContaining("chunk");
            }
            // Undamaged checkpoints still restore bit-exact.
            if (!full.damaged().containsKey(ida)) {
                assertThat(StoreFixture.get(repo, ida)).isEqualTo(a);
            }
            if (!full.damaged().containsKey(idb)) {
                assertThat(StoreFixture.get(repo, idb)).isEqualTo(b);
            }
            assertThat(quick.bytesRead()).isZero();
        }
    }

    @Test
    void everyByteOfASmallPackIsCovered() throws IOException {
        // One tiny checkpoint in its own pack: flip each byte in turn; either verify --read-data
        // flags the checkpoint, or the byte was outside anything a restore reads (and get still works).
        Path base = dir.resolve("base");
        byte[] data = TestData.random(3, 5_000);
        ManifestId id;
        try (Repository repo = StoreFixture.open(base)) {
            id = StoreFixture.put(repo, StoreFixture.opts("t", 0), data).id();
            repo.chunks().sealCurrent();
        }
        Path pack = packFiles(base).get(0);
        long size = Files.size(pack);
        int missed = 0;
        for (long off = 0; off < size; off += 37) {
            Path copy = dir.resolve("c" + off);
            copyTree(base, copy);
            flip(packFiles(copy).get(0), off);
            try (Repository repo = StoreFixture.open(copy)) {
                VerifyReport r = repo.verify(true);
                if (r.clean()) {
                    missed++;
                }
                if (r.damaged().containsKey(id)) {
                    assertThatThrownBy(() -> StoreFixture.get(repo, id)).isInstanceOf(IOException.class);
                } else {
                    // Damage outside the records (header, footer) is reported but costs no data.
                    assertThat(StoreFixture.get(repo, id)).isEqualTo(data);
                }
            } catch (CairnException e) {
                // A damaged header or footer may already fail at open; that is detection too.
                assertThat(e.status()).isIn(Status.CORRUPT, Status.UNSUPPORTED_VERSION);
            }
            deleteTree(copy);
        }
        assertThat(missed).as("flipped bytes that verify did not notice").isZero();
    }

    @Test
    void damagedManifestRecordIsReported() throws IOException {
        try (Repository repo = StoreFixture.open(dir)) {
            ManifestId id = StoreFixture.put(repo, StoreFixture.opts("m", 0), TestData.random(4, 10_000)).id();
            byte[] v = repo.db().get(Cf.MANIFESTS, Keys.manifest(id));
            v[v.length / 2] ^= 1;
            repo.db().put(Cf.MANIFESTS, Keys.manifest(id), v, true);
            VerifyReport r = repo.verify(false);
            assertThat(r.damaged()).containsKey(id);
            assertThatThrownBy(() -> StoreFixture.get(repo, id)).isInstanceOf(CairnException.class)
                    .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.CORRUPT));
        }
    }

    @Test
    void lostIndexIsRebuiltFromPackFooters() throws IOException {
        byte[] a = TestData.random(5, 900_000);
        byte[] b = a.clone();
        b[1000] ^= 1;
        ManifestId ia;
        ManifestId ib;
        try (Repository repo = StoreFixture.open(dir)) {
            ia = StoreFixture.put(repo, StoreFixture.opts("r", 0), a).id();
            ib = StoreFixture.put(repo, StoreFixture.opts("r", 1), b).id();
            // Lose the whole chunk index.
            byte[] end = new byte[33];
            java.util.Arrays.fill(end, (byte) 0xff);
            try (var batch = repo.db().batch()) {
                batch.deleteRange(Cf.CHUNKS, new byte[0], end);
                repo.db().write(batch, true);
            }
            assertThat(repo.verify(false).damaged()).containsKeys(ia, ib);
            assertThatThrownBy(() -> StoreFixture.get(repo, ia)).isInstanceOf(CairnException.class);
            RebuildReport rr = repo.rebuildIndex();
            assertThat(rr.missingReferenced()).isZero();
            assertThat(rr.chunks()).isPositive();
            assertThat(repo.verify(true).clean()).isTrue();
            assertThat(StoreFixture.get(repo, ia)).isEqualTo(a);
            assertThat(StoreFixture.get(repo, ib)).isEqualTo(b);
        }
    }

    @Test
    void lostPackFileIsReported() throws IOException {
        ManifestId id;
        try (Repository repo = StoreFixture.open(dir)) {
            id = StoreFixture.put(repo, StoreFixture.opts("p", 0), TestData.random(6, 50_000)).id();
            repo.chunks().sealCurrent();
        }
        for (Path p : packFiles(dir)) {
            Files.delete(p);
        }
        try (Repository repo = StoreFixture.open(dir)) {
            VerifyReport r = repo.verify(false);
            assertThat(r.damaged()).containsKey(id);
            assertThat(r.problems()).anySatisfy(p -> assertThat(p.message()).contains("missing"));
            assertThatThrownBy(() -> {
                try (InputStream in = repo.open(id)) {
                    in.readAllBytes();
                }
            }).isInstanceOf(CairnException.class);
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else if (!p.getFileName().toString().equals("LOCK")) {
                    Files.copy(p, t);
                }
            }
        }
    }

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }

}
