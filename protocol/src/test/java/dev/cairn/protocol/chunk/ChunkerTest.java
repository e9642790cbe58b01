package dev.cairn.protocol.chunk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChunkerTest {

    private static final Chunker DEFAULT = new Chunker(ChunkerParams.DEFAULT);
    private static final Chunker SMALL = new Chunker(new ChunkerParams(256, 1024, 4096));

    /** One chunk as (offset, length, id), the unit of the golden vectors. */
    record Cut(long offset, int length, String id) {
        @Override
        public String toString() {
            return offset + " " + length + " " + id;
        }
    }

    static List<Cut> whole(Chunker c, byte[] data) {
        List<Cut> cuts = new ArrayList<>();
        int pos = 0;
        while (pos < data.length) {
            int n = c.cut(data, pos, data.length - pos, true);
            assertThat(n).isPositive();
            cuts.add(new Cut(pos, n, ChunkId.of(data, pos, n).toHex()));
            pos += n;
        }
        return cuts;
    }

    static List<Cut> viaBatcher(Chunker c, int batchBytes, Feeder feeder) throws IOException {
        List<Cut> cuts = new ArrayList<>();
        ChunkBatcher b = new ChunkBatcher(c, batchBytes, batch -> {
            for (int i = 0; i < batch.count(); i++) {
                cuts.add(new Cut(batch.streamOffset() + batch.offset(i), batch.length(i), batch.id(i).toHex()));
            }
        });
        feeder.feed(b);
        b.finish();
        return cuts;
    }

    interface Feeder {
        void feed(ChunkBatcher b) throws IOException;
    }

    @Test
    void goldenVectorsMatchTheCommittedFile() throws IOException {
        byte[] data = goldenInput();
        List<String> expected;
        try (InputStream in = getClass().getResourceAsStream("/chunker-golden-v1.txt")) {
            assertThat(in).as("golden file on the classpath").isNotNull();
            expected = new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines()
                    .filter(l -> !l.startsWith("#")).toList();
        }
        List<String> actual = whole(DEFAULT, data).stream().map(Cut::toString).toList();
        assertThat(actual).containsExactlyElementsOf(expected);
        assertThat(actual).hasSizeGreaterThan(50);
    }

    /** The golden input: random bytes, a long zero run, database-like pages, then random again. */
    static byte[] goldenInput() {
        byte[] a = TestData.random(42, 700_000);
        byte[] z = new byte[300_000];
        byte[] p = TestData.pages(7, 64);
        byte[] r = TestData.random(43, 333_333);
        byte[] all = new byte[a.length + z.length + p.length + r.length];
        int o = 0;
        for (byte[] part : new byte[][] {a, z, p, r}) {
            System.arraycopy(part, 0, all, o, part.length);
            o += part.length;
        }
        return all;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void sameChunksWholeByteByByteAndInRandomSlices(long seed) throws IOException {
        byte[] data = TestData.random(seed, 300_000 + (int) seed * 777);
        Chunker c = SMALL;
        List<Cut> expected = whole(c, data);
        Random rnd = new Random(seed);
        System.out.println("slice seed " + seed);

        assertThat(viaBatcher(c, 1, b -> b.write(data, 0, data.length))).isEqualTo(expected);
        assertThat(viaBatcher(c, 10_000, b -> {
            for (int i = 0; i < data.length; i++) {
                b.write(data, i, 1);
            }
        })).isEqualTo(expected);
        assertThat(viaBatcher(c, 9_000 + rnd.nextInt(50_000), b -> {
            int pos = 0;
            while (pos < data.length) {
                int n = Math.min(data.length - pos, rnd.nextInt(20_000));
                b.write(data, pos, n);
                pos += n;
            }
        })).isEqualTo(expected);
        assertThat(viaBatcher(c, 8192, b -> b.readFrom(new TrickleInputStream(data, rnd)))).isEqualTo(expected);
    }

    @Test
    void defaultParamsSameChunksWholeAndTrickled() throws IOException {
        byte[] data = goldenInput();
        assertThat(viaBatcher(DEFAULT, 200_000, b -> b.readFrom(new TrickleInputStream(data, new Random(9)))))
                .isEqualTo(whole(DEFAULT, data));
    }

    @Test
    void chunksRespectMinAndMaxAndAverageIsNearTarget() {
        byte[] data = TestData.random(11, 8 << 20);
        List<Cut> cuts = whole(DEFAULT, data);
        for (int i = 0; i < cuts.size() - 1; i++) {
            assertThat(cuts.get(i).length()).isBetween(ChunkerParams.DEFAULT.minSize(), ChunkerParams.DEFAULT.maxSize());
        }
        double mean = (double) data.length / cuts.size();
        assertThat(mean).isBetween(12_000.0, 26_000.0);
    }

    @Test
    void insertionBeforeAZeroHeavyRegionLeavesLaterChunksUnchanged() {
        // Database pages: every page has a long zeroed gap. Insert 300 bytes near the start.
        byte[] base = TestData.pages(5, 512);
        byte[] shifted = TestData.insert(base, 1_000, TestData.random(6, 300));
        List<Cut> a = whole(DEFAULT, base);
        List<Cut> b = whole(DEFAULT, shifted);
        Set<String> idsA = new HashSet<>();
        a.forEach(c -> idsA.add(c.id()));
        // Every chunk that starts after the first 200 KiB must also exist in the original.
        long changedAfter = b.stream().filter(c -> c.offset() > 200_000).filter(c -> !idsA.contains(c.id())).count();
        assertThat(changedAfter).isZero();
        long shared = b.stream().filter(c -> idsA.contains(c.id())).count();
        assertThat(shared).isGreaterThan(b.size() - 5);
    }

    @Test
    void insertionBeforeALongZeroRunResynchronisesAfterIt() {
        byte[] zeros = new byte[1 << 20];
        byte[] tail = TestData.random(21, 1 << 20);
        byte[] head = TestData.random(20, 100_000);
        byte[] base = concat(head, zeros, tail);
        byte[] shifted = TestData.insert(base, 5_000, TestData.random(22, 123));
        Set<String> idsA = new HashSet<>();
        whole(DEFAULT, base).forEach(c -> idsA.add(c.id()));
        List<Cut> b = whole(DEFAULT, shifted);
        int tailStart = head.length + 123 + zeros.length;
        // After the zero run, at most the one chunk that straddles its end can differ.
        long differing = b.stream().filter(c -> c.offset() >= tailStart).filter(c -> !idsA.contains(c.id())).count();
        assertThat(differing).isLessThanOrEqualTo(1);
        assertThat(b.stream().filter(c -> c.offset() >= tailStart).count()).isGreaterThan(40);
    }

    @Test
    void zeroRunsAreCutAtMaxNotAtEveryMinimum() {
        List<Cut> cuts = whole(DEFAULT, new byte[1 << 20]);
        assertThat(cuts).hasSize((1 << 20) / ChunkerParams.DEFAULT.maxSize());
    }

    @Test
    void tinyAndEmptyInputs() throws IOException {
        assertThat(viaBatcher(DEFAULT, 1, b -> { })).isEmpty();
        byte[] one = {7};
        assertThat(viaBatcher(DEFAULT, 1, b -> b.write(one, 0, 1))).containsExactly(new Cut(0, 1, ChunkId.of(one, 0, 1).toHex()));
        assertThat(DEFAULT.cut(new byte[10], 0, 10, false)).isEqualTo(-1);
    }

    @Test
    void rejectsBadParameters() {
        assertThatThrownBy(() -> new ChunkerParams(4096, 10_000, 65536)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> new ChunkerParams(16384, 16384, 65536)).hasMessageContaining("min < avg < max");
        assertThatThrownBy(() -> new ChunkerParams(4096, 16384, 64 << 20)).hasMessageContaining("<=");
    }

    @Test
    void batcherRejectsWritesAfterFinish() {
        ChunkBatcher b = new ChunkBatcher(DEFAULT, 1, x -> { });
        b.finish();
        assertThatThrownBy(() -> b.write(new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    /** Returns data in random short reads, as a network stream would. */
    static final class TrickleInputStream extends InputStream {
        private final byte[] data;
        private final Random rnd;
        private int pos;

        TrickleInputStream(byte[] data, Random rnd) {
            this.data = data;
            this.rnd = rnd;
        }

        @Override
        public int read() {
            return pos < data.length ? data[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= data.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, data.length - pos), 1 + rnd.nextInt(5000));
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    /** Writes the golden file; run by hand only when the chunk format deliberately changes. */
    public static void main(String[] args) throws IOException {
        StringBuilder sb = new StringBuilder("# offset length sha256 -- Chunker v1, ChunkerParams.DEFAULT, ChunkerTest.goldenInput()\n");
        for (Cut c : whole(DEFAULT, goldenInput())) {
            sb.append(c).append('\n');
        }
        java.nio.file.Files.writeString(java.nio.file.Path.of(args[0]), sb.toString());
    }
}
