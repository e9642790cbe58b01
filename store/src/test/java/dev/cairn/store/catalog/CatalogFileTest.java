package dev.cairn.store.catalog;

import dev.cairn.protocol.manifest.ManifestId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The catalog's files on their own: replay, torn tails, resynchronisation, the compaction trigger. */
class CatalogFileTest {
    @TempDir
    Path dir;

    private static final byte[] CONFIG = "config-bytes".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static ManifestId id(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) i;
        b[31] = (byte) (i * 7);
        return ManifestId.fromBytes(b);
    }

    private static byte[] labels(int i, int round) {
        return ("labels " + i + " round " + round).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private void write(Catalog c, int ids, int rounds) throws IOException {
        for (int r = 0; r < rounds; r++) {
            Catalog.Pending p = c.pending();
            for (int i = 0; i < ids; i++) {
                if (r == 0) {
                    p.manifest(id(i), ("manifest " + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                            List.of(new CatalogCodec.Segment(new byte[] {1, 2}, new byte[] {3})));
                }
                p.labels(id(i), labels(i, r));
            }
            c.appendDirect(p);
        }
    }

    @Test
    void replayGivesTheLastRecordPerIdAndTheConfig() throws IOException {
        try (Catalog c = Catalog.open(dir, Catalog.DEFAULT_MIN_DEAD_BYTES)) {
            c.start(CONFIG, 1);
            write(c, 5, 3);
            Catalog.Pending p = c.pending();
            p.forget(id(4));
            c.appendDirect(p);
        }
        try (Catalog c = Catalog.open(dir, Catalog.DEFAULT_MIN_DEAD_BYTES)) {
            assertThat(c.replay().config()).isEqualTo(CONFIG);
            assertThat(c.replay().forgotten()).containsExactly(id(4));
            assertThat(c.known()).hasSize(4);
            for (Catalog.Known k : c.known()) {
                int i = k.id().toBytes()[0];
                assertThat(k.labels()).isEqualTo(labels(i, 2));
                assertThat(k.hasManifest()).isTrue();
            }
            c.start(CONFIG, 1);
            assertThat(c.manifest(id(2)).segments()).hasSize(1);
            assertThat(new String(c.manifest(id(2)).manifest(), java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo("manifest 2");
        }
    }

    @Test
    void anIncompleteLastRecordIsCutAndADamagedOneInTheMiddleIsReported() throws IOException {
        try (Catalog c = Catalog.open(dir, Catalog.DEFAULT_MIN_DEAD_BYTES)) {
            c.start(CONFIG, 1);
            write(c, 5, 2);
        }
        Path f = dir.resolve(Catalog.name(1));
        long size = Files.size(f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size - 3); // a torn append
        }
        try (Catalog c = Catalog.open(dir, Catalog.DEFAULT_MIN_DEAD_BYTES)) {
            assertThat(c.replay().damage()).isEmpty();
            assertThat(c.replay().records()).isEqualTo(14);
        }
        assertThat(Files.size(f)).as("cut at the last whole record").isLessThan(size - 3);
        long cut = Files.size(f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(cut / 2);
            int b = raf.read();
            raf.seek(cut / 2);
            raf.write(b ^ 0xff);
        }
        try (Catalog c = Catalog.open(dir, Catalog.DEFAULT_MIN_DEAD_BYTES)) {
            assertThat(c.replay().damage()).hasSize(1);
            assertThat(c.replay().damage().get(0).file()).isEqualTo(f);
            assertThat(c.replay().records()).as("only the damaged record is lost").isEqualTo(13);
        }
        assertThat(Files.size(f)).as("damage is never cut").isEqualTo(cut);
    }

    @Test
    void aForgetTriggersACompactionWhenMostBytesAreDead() throws IOException {
        try (Catalog c = Catalog.open(dir, 1)) {
            c.start(CONFIG, 1);
            write(c, 3, 30);
            long[] before = c.sizes();
            Catalog.Pending p = c.pending();
            p.forget(id(0));
            c.appendDirect(p);
            p.afterWrite(); // what MetaDb.write runs after the RocksDB batch
            c.close(); // waits for the background compaction
            assertThat(before[0]).isGreaterThan(2 * before[1]);
        }
        try (Catalog c = Catalog.open(dir, 1)) {
            long[] after = c.sizes();
            assertThat(after[0]).isEqualTo(after[1]);
            assertThat(c.known()).hasSize(2);
            assertThat(c.replay().forgotten()).isEmpty(); // compacted away with the manifest
        }
    }
}
