package dev.cairn.protocol.chunk;

import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChunkCodecTest {
    private static final long SEED = 0x5eed_c0dec_0001L;

    /** Native (when it loads) and both Java ports must behave identically on good and bad input. */
    static Stream<ChunkCodec> codecs() {
        return Stream.of(ChunkCodec.shared(),
                new ChunkCodec(LZ4Factory.safeInstance()),
                new ChunkCodec(LZ4Factory.fastestJavaInstance()));
    }

    private static byte[] random(int len, long seed) {
        byte[] b = new byte[len];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** Text-like data: a small alphabet with repeats, compresses well but not trivially. */
    private static byte[] compressible(int len, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) ('a' + r.nextInt(6));
        }
        return b;
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void incompressibleDataIsStoredRawWithoutCopy(ChunkCodec codec) throws Exception {
        byte[] raw = random(64 * 1024, SEED);
        EncodedChunk e = codec.encode(raw, 0, raw.length);
        assertThat(e.codec()).isEqualTo(ChunkCodec.RAW);
        assertThat(e.data()).isSameAs(raw);
        assertThat(e.length()).isEqualTo(raw.length);
        assertThat(codec.decode(e)).isEqualTo(raw);
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void allZeroDataCompressesAndRoundTrips(ChunkCodec codec) throws Exception {
        byte[] raw = new byte[1 << 20];
        EncodedChunk e = codec.encode(raw, 0, raw.length);
        assertThat(e.codec()).isEqualTo(ChunkCodec.LZ4);
        assertThat(e.rawLength()).isEqualTo(raw.length);
        assertThat(e.length()).isLessThan(raw.length / 200);
        assertThat(codec.decode(e)).isEqualTo(raw);
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void emptyChunkIsRaw(ChunkCodec codec) throws Exception {
        EncodedChunk e = codec.encode(new byte[0], 0, 0);
        assertThat(e).extracting(EncodedChunk::codec, EncodedChunk::rawLength, EncodedChunk::length)
                .containsExactly(ChunkCodec.RAW, 0, 0);
        assertThat(codec.decode(e)).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void sliceInTheMiddleOfAnArrayRoundTripsThroughReusedBuffers(ChunkCodec codec) throws Exception {
        SplittableRandom r = new SplittableRandom(SEED);
        byte[] dst = new byte[ChunkCodec.maxEncodedLength(70_000) + 13];
        byte[] out = new byte[70_000 + 7];
        for (int round = 0; round < 200; round++) {
            int len = r.nextInt(70_000);
            byte[] source = r.nextBoolean() ? compressible(len + 20, r.nextLong()) : random(len + 20, r.nextLong());
            int off = r.nextInt(21);
            EncodedChunk e = codec.encode(source, off, len, dst, 13);
            assertThat(e.length()).isLessThanOrEqualTo(len);
            int n = codec.decodeInto(e, out, 7);
            assertThat(n).isEqualTo(len);
            assertThat(Arrays.equals(out, 7, 7 + len, source, off, off + len))
                    .as("round %d, len %d, codec %d", round, len, e.codec()).isTrue();
        }
    }

    @Test
    void compressionThatSavesLessThanOneThirtySecondIsStoredRaw() {
        // Half random, half zeros saves ~50%: LZ4. 97% random + a short zero run saves < 1/32: RAW.
        byte[] half = random(32 * 1024, SEED);
        Arrays.fill(half, 16 * 1024, half.length, (byte) 0);
        assertThat(ChunkCodec.shared().encode(half, 0, half.length).codec()).isEqualTo(ChunkCodec.LZ4);

        byte[] barely = random(32 * 1024, SEED);
        Arrays.fill(barely, 0, 600, (byte) 0);      // saves < 600 bytes < 1024 = 32 KiB / 32
        assertThat(ChunkCodec.shared().encode(barely, 0, barely.length).codec()).isEqualTo(ChunkCodec.RAW);
    }

    @Test
    void sharedCodecUsesNativeLz4WhereTheJarBundlesIt() {
        // A silent fallback to the Java port costs throughput on every put and get: catch a build
        // or deployment that breaks native loading (e.g. an unwritable java.io.tmpdir).
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        org.junit.jupiter.api.Assumptions.assumeTrue(os.equals("Linux") && (arch.equals("amd64") || arch.equals("aarch64")));
        assertThat(ChunkCodec.shared().toString()).contains("JNI");
    }

    @Test
    void maxEncodedLengthIsLz4sBound() {
        var lz4 = LZ4Factory.fastestJavaInstance().fastCompressor();
        for (int len : new int[] {0, 1, 254, 255, 256, 65_536, 1 << 20, 64 << 20}) {
            assertThat(ChunkCodec.maxEncodedLength(len)).isEqualTo(lz4.maxCompressedLength(len));
        }
    }

    @Test
    void tooSmallDestinationIsRejected() {
        byte[] raw = new byte[1000];
        assertThatThrownBy(() -> ChunkCodec.shared().encode(raw, 0, 1000, new byte[1000], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs " + ChunkCodec.maxEncodedLength(1000));
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void everyCorruptionOfAnLz4PayloadIsRejectedOrDecodesToTheRightLength(ChunkCodec codec) {
        // A flipped byte may still form a valid LZ4 block with the right length (a literal byte
        // changed): then only the chunk's SHA-256 or the pack CRC can tell. What must never happen
        // is wrong-length output or an exception other than CorruptChunkException.
        byte[] raw = compressible(4096, SEED);
        EncodedChunk good = codec.encode(raw, 0, raw.length);
        assertThat(good.codec()).isEqualTo(ChunkCodec.LZ4);
        int rejected = 0;
        for (int i = 0; i < good.length(); i++) {
            for (int mask : new int[] {0x01, 0x80, 0xff}) {
                byte[] bad = Arrays.copyOfRange(good.data(), good.offset(), good.offset() + good.length());
                bad[i] ^= (byte) mask;
                EncodedChunk e = new EncodedChunk(ChunkCodec.LZ4, raw.length, bad, 0, bad.length);
                try {
                    assertThat(codec.decode(e)).hasSize(raw.length);
                } catch (CorruptChunkException expected) {
                    rejected++;
                }
            }
        }
        assertThat(rejected).as("most corruptions break the block structure").isGreaterThan(0);
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void truncatedOrExtendedLz4PayloadIsCorrupt(ChunkCodec codec) {
        byte[] raw = compressible(10_000, SEED);
        EncodedChunk good = codec.encode(raw, 0, raw.length);
        for (int cut = 0; cut < good.length(); cut++) {
            EncodedChunk e = new EncodedChunk(ChunkCodec.LZ4, raw.length, good.data(), good.offset(), cut);
            assertThatThrownBy(() -> codec.decode(e)).as("cut at %d", cut).isInstanceOf(CorruptChunkException.class);
        }
        byte[] longer = Arrays.copyOfRange(good.data(), good.offset(), good.offset() + good.length() + 5);
        assertThatThrownBy(() -> codec.decode(new EncodedChunk(ChunkCodec.LZ4, raw.length, longer, 0, longer.length)))
                .isInstanceOf(CorruptChunkException.class);
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void wrongRawLengthIsCorrupt(ChunkCodec codec) {
        byte[] raw = compressible(10_000, SEED);
        EncodedChunk good = codec.encode(raw, 0, raw.length);
        for (int claimed : new int[] {0, 1, raw.length - 1, raw.length + 1, raw.length * 3}) {
            EncodedChunk e = new EncodedChunk(ChunkCodec.LZ4, claimed, good.data(), good.offset(), good.length());
            assertThatThrownBy(() -> codec.decode(e)).as("claimed %d", claimed)
                    .isInstanceOf(CorruptChunkException.class)
                    .hasMessageContaining("rawLength " + claimed);
        }
        EncodedChunk rawWrong = new EncodedChunk(ChunkCodec.RAW, 11, raw, 0, 10);
        assertThatThrownBy(() -> codec.decode(rawWrong)).isInstanceOf(CorruptChunkException.class)
                .hasMessageContaining("expected 11, actual 10");
        EncodedChunk negative = new EncodedChunk(ChunkCodec.LZ4, -1, good.data(), good.offset(), good.length());
        assertThatThrownBy(() -> codec.decode(negative)).isInstanceOf(CorruptChunkException.class);
    }

    @Test
    void garbageIsNeverDecodedToWrongLength() {
        SplittableRandom r = new SplittableRandom(SEED);
        ChunkCodec codec = ChunkCodec.shared();
        for (int i = 0; i < 2000; i++) {
            byte[] junk = random(1 + r.nextInt(200), r.nextLong());
            int claimed = r.nextInt(5000);
            try {
                assertThat(codec.decode(new EncodedChunk(ChunkCodec.LZ4, claimed, junk, 0, junk.length))).hasSize(claimed);
            } catch (CorruptChunkException expected) {
                // the usual outcome
            }
        }
    }

    @Test
    void unknownCodecNamesTheValue() {
        EncodedChunk e = new EncodedChunk(3, 3, new byte[3], 0, 3);
        assertThatThrownBy(() -> ChunkCodec.shared().decode(e))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown chunk codec 3");
        assertThatThrownBy(() -> ChunkCodec.shared().decodeInto(new EncodedChunk(-7, 3, new byte[3], 0, 3), new byte[3], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-7");
    }

    @Test
    void destinationTooSmallForDecodeIsAnIndexError() {
        EncodedChunk e = ChunkCodec.shared().encode(new byte[100], 0, 100);
        assertThatThrownBy(() -> ChunkCodec.shared().decodeInto(e, new byte[99], 0))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void compactModeUsesZstdWhereItPaysAndRoundTrips() throws Exception {
        ChunkCodec c = ChunkCodec.shared();
        byte[] text = compressible(20_000, SEED + 40);
        EncodedChunk z = c.encode(text, 0, text.length, Compression.COMPACT);
        assertThat(z.codec()).isEqualTo(ChunkCodec.ZSTD);
        assertThat(z.length()).isLessThan(text.length / 2);
        assertThat(c.decode(z)).isEqualTo(text);
        EncodedChunk lz4 = c.encode(text, 0, text.length, Compression.FAST);
        assertThat(lz4.codec()).isEqualTo(ChunkCodec.LZ4);
        assertThat(z.length()).isLessThan(lz4.length());
        byte[] noise = random(20_000, SEED + 41);
        EncodedChunk r = c.encode(noise, 0, noise.length, Compression.COMPACT);
        assertThat(r.codec()).isEqualTo(ChunkCodec.RAW);
        assertThat(c.decode(r)).isEqualTo(noise);
        // Float-like weights: random mantissas, a few exponent values. LZ4 cannot shrink them; zstd can.
        byte[] weights = random(32_768, SEED + 42);
        for (int i = 3; i < weights.length; i += 4) {
            weights[i] = (byte) (0x3c + (weights[i] & 1));
        }
        assertThat(c.encode(weights, 0, weights.length, Compression.FAST).codec()).isEqualTo(ChunkCodec.RAW);
        EncodedChunk w = c.encode(weights, 0, weights.length, Compression.COMPACT);
        assertThat(w.codec()).isEqualTo(ChunkCodec.ZSTD);
        assertThat(c.decode(w)).isEqualTo(weights);
    }

    @Test
    void damagedZstdFramesAreTypedErrors() throws Exception {
        ChunkCodec c = ChunkCodec.shared();
        byte[] text = compressible(10_000, SEED + 43);
        EncodedChunk z = c.encode(text, 0, text.length, Compression.COMPACT);
        byte[] payload = Arrays.copyOfRange(z.data(), z.offset(), z.offset() + z.length());
        // Wrong promised length, in both directions.
        assertThatThrownBy(() -> c.decode(new EncodedChunk(ChunkCodec.ZSTD, text.length - 1, payload, 0, payload.length)))
                .isInstanceOf(CorruptChunkException.class);
        assertThatThrownBy(() -> c.decode(new EncodedChunk(ChunkCodec.ZSTD, text.length + 1, payload, 0, payload.length)))
                .isInstanceOf(CorruptChunkException.class);
        // Every single flipped byte either fails to decode or decodes to other bytes: never silently wrong length.
        SplittableRandom rnd = new SplittableRandom(SEED + 44);
        for (int k = 0; k < 200; k++) {
            byte[] bad = payload.clone();
            bad[rnd.nextInt(bad.length)] ^= (byte) (1 + rnd.nextInt(255));
            try {
                byte[] out = c.decode(new EncodedChunk(ChunkCodec.ZSTD, text.length, bad, 0, bad.length));
                assertThat(out).hasSize(text.length);
            } catch (CorruptChunkException expected) {
                // detected
            }
        }
        // Truncated frame.
        assertThatThrownBy(() -> c.decode(new EncodedChunk(ChunkCodec.ZSTD, text.length, payload, 0, payload.length / 2)))
                .isInstanceOf(CorruptChunkException.class);
    }
}
