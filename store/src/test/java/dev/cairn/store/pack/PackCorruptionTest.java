package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Flips bytes at every offset of a small pack and checks that each flip is caught where it must
 * be: header damage by everything, record damage by reading or scanning that record (and nothing
 * else), footer damage by the index read and the scan, never silently.
 */
class PackCorruptionTest {
    private static final int[] MASKS = {0x01, 0x80};

    @TempDir
    Path root;

    /** Three small records: empty, one raw byte, a 120-byte run that LZ4 compresses. */
    private static TestChunks smallChunks(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] zeros = new byte[120];
        EncodedChunk lz4 = ChunkCodec.shared().encode(zeros, 0, zeros.length);
        assertThat(lz4.codec()).isEqualTo(ChunkCodec.LZ4);
        byte[] stored = java.util.Arrays.copyOfRange(lz4.data(), lz4.offset(), lz4.offset() + lz4.length());
        return new TestChunks(List.of(
                TestChunks.chunk(r, 0, false),
                TestChunks.chunk(r, 1, false),
                new TestChunks.Chunk(ChunkId.of(zeros, 0, zeros.length), zeros,
                        new EncodedChunk(ChunkCodec.LZ4, zeros.length, stored, 0, stored.length))));
    }

    /** What each API made of one damaged file. */
    private record Outcome(Object index, List<Long> scanCorruptOffsets, List<Long> scanRecordOffsets,
                           Exception scanError, List<Object> reads) {
    }

    private Outcome probe(PackId id, List<ChunkLocation> locs, TestChunks chunks) throws IOException {
        // A fresh store each time, so no channel (and header check) is cached from an earlier flip.
        try (LocalPackStore store = new LocalPackStore(root, 2)) {
            Object index;
            try {
                index = store.readIndex(id);
            } catch (IOException e) {
                index = e;
            }
            List<Long> corrupt = new ArrayList<>();
            List<Long> records = new ArrayList<>();
            Exception scanError = null;
            try {
                store.scan(id, new PackStore.RecordVisitor() {
                    @Override
                    public void record(ChunkId chunkId, ChunkLocation loc, EncodedChunk chunk) {
                        records.add(loc.offset());
                    }

                    @Override
                    public void corrupt(PackId pack, long offset, CorruptPackException problem) {
                        assertThat(problem.getMessage()).contains(pack.toHex());
                        corrupt.add(offset);
                    }
                });
            } catch (IOException e) {
                scanError = e;
            }
            List<Object> reads = new ArrayList<>();
            for (int i = 0; i < locs.size(); i++) {
                try {
                    reads.add(store.read(locs.get(i), chunks.chunks().get(i).id()));
                } catch (IOException e) {
                    reads.add(e);
                }
            }
            return new Outcome(index, corrupt, records, scanError, reads);
        }
    }

    @Test
    void aFlippedByteAtEveryOffsetOfASealedPackIsDetected() throws IOException {
        long seed = Seeds.seed("flipSealed");
        TestChunks chunks = smallChunks(seed);
        PackIndex pristineIndex;
        List<ChunkLocation> locs;
        PackId id;
        try (LocalPackStore store = new LocalPackStore(root, 2)) {
            PackWriter w = store.create();
            locs = chunks.appendTo(w);
            pristineIndex = w.seal();
            id = w.id();
        }
        Path path = root.resolve("packs").resolve(id.toHex().substring(0, 2)).resolve(id.toHex() + ".pack");
        byte[] pristine = Files.readAllBytes(path);
        long footerStart = locs.get(locs.size() - 1).offset() + PackCodec.RECORD_HEADER_SIZE + locs.get(locs.size() - 1).storedLength();
        List<Long> recordOffsets = locs.stream().map(ChunkLocation::offset).toList();
        assertThat(pristine.length).as("keep the pack small so this test stays fast").isLessThan(600);

        for (int at = 0; at < pristine.length; at++) {
            for (int mask : MASKS) {
                byte[] bad = pristine.clone();
                bad[at] ^= (byte) mask;
                Files.write(path, bad);
                Outcome o = probe(id, locs, chunks);
                String where = "flip 0x" + Integer.toHexString(mask) + " at offset " + at + " of " + pristine.length + ": " + o;
                if (at < PackCodec.HEADER_SIZE) {
                    assertThat(o.index()).as(where).isInstanceOf(CorruptPackException.class);
                    assertThat(o.scanError()).as(where).isInstanceOf(CorruptPackException.class);
                    assertThat(o.reads()).as(where).allMatch(CorruptPackException.class::isInstance);
                } else if (at < footerStart) {
                    int k = recordAt(locs, at);
                    assertThat(o.index()).as(where).isEqualTo(pristineIndex);
                    assertThat(o.scanError()).as(where).isNull();
                    assertThat(o.scanCorruptOffsets()).as(where).containsExactly(locs.get(k).offset());
                    List<Long> others = new ArrayList<>(recordOffsets);
                    others.remove(k);
                    assertThat(o.scanRecordOffsets()).as(where).isEqualTo(others);
                    for (int i = 0; i < locs.size(); i++) {
                        if (i == k) {
                            assertThat(o.reads().get(i)).as(where).isInstanceOf(CorruptPackException.class);
                            assertThat(((Exception) o.reads().get(i)).getMessage()).as(where)
                                    .contains(id.toHex()).contains("offset " + locs.get(k).offset()).contains("expected");
                        } else {
                            assertThat(o.reads().get(i)).as(where).isInstanceOf(EncodedChunk.class);
                        }
                    }
                } else {
                    assertThat(o.index()).as(where).isInstanceOf(CorruptPackException.class);
                    // The scan reports the footer and still checks every record sequentially.
                    assertThat(o.scanError()).as(where).isNull();
                    assertThat(o.scanCorruptOffsets()).as(where).hasSize(1);
                    assertThat(o.scanRecordOffsets()).as(where).isEqualTo(recordOffsets);
                    assertThat(o.reads()).as(where).allMatch(EncodedChunk.class::isInstance);
                }
            }
        }
    }

    @Test
    void aFlippedByteInAnUnsealedPackStopsTheScanAtThatRecord() throws IOException {
        long seed = Seeds.seed("flipUnsealed");
        TestChunks chunks = smallChunks(seed);
        List<ChunkLocation> locs;
        PackId id;
        try (LocalPackStore store = new LocalPackStore(root, 2)) {
            PackWriter w = store.create();
            locs = chunks.appendTo(w);
            w.sync();
            w.close();
            id = w.id();
        }
        Path path = root.resolve("packs").resolve(id.toHex().substring(0, 2)).resolve(id.toHex() + ".pack");
        byte[] pristine = Files.readAllBytes(path);
        for (int at = 0; at < pristine.length; at++) {
            byte[] bad = pristine.clone();
            bad[at] ^= (byte) 0x10;
            Files.write(path, bad);
            Outcome o = probe(id, locs, chunks);
            String where = "flip at offset " + at + ": " + o;
            if (at < PackCodec.HEADER_SIZE) {
                assertThat(o.index()).as(where).isInstanceOf(CorruptPackException.class);
                continue;
            }
            int k = recordAt(locs, at);
            assertThat(o.index()).as(where).isInstanceOf(PackIndex.class);
            PackIndex idx = (PackIndex) o.index();
            assertThat(idx.sealed()).isFalse();
            assertThat(idx.entries()).as(where).extracting(e -> e.location()).isEqualTo(locs.subList(0, k));
            assertThat(o.reads().get(k)).as(where).isInstanceOf(CorruptPackException.class);
        }
    }

    private static int recordAt(List<ChunkLocation> locs, long at) {
        for (int i = 0; i < locs.size(); i++) {
            ChunkLocation l = locs.get(i);
            if (at >= l.offset() && at < l.offset() + PackCodec.RECORD_HEADER_SIZE + l.storedLength()) {
                return i;
            }
        }
        return fail("no record covers offset " + at);
    }

    @Test
    void unknownMagicIsNotAPack() throws IOException {
        PackId id = sealedEmptyPack();
        Path path = pathOf(id);
        byte[] b = Files.readAllBytes(path);
        System.arraycopy("GARBAGE!".getBytes(), 0, b, 0, 8);
        Files.write(path, b);
        try (LocalPackStore store = new LocalPackStore(root)) {
            assertThatThrownBy(() -> store.readIndex(id)).isInstanceOf(NotAPackException.class)
                    .hasMessageContaining("not a Cairn pack").hasMessageContaining("GARBAGE!");
            assertThatThrownBy(() -> store.recover(id)).isInstanceOf(NotAPackException.class);
            assertThat(Files.readAllBytes(path)).as("recover leaves what it cannot read untouched").isEqualTo(b);
        }
    }

    @Test
    void newerVersionSaysSo() throws IOException {
        PackId id = sealedEmptyPack();
        // A version-2 header: 4 bytes longer, checksum at its end, as the frozen prefix allows.
        byte[] header = new byte[32];
        PackCodec.encodeHeader(id, header);
        PackCodec.putU16(header, PackCodec.H_VERSION, 2);
        PackCodec.putU16(header, PackCodec.H_LENGTH, 32);
        PackCodec.putU32(header, 28, PackCodec.crc(header, 0, 28));
        Files.write(pathOf(id), header);
        try (LocalPackStore store = new LocalPackStore(root)) {
            assertThatThrownBy(() -> store.readIndex(id)).isInstanceOf(UnsupportedPackVersionException.class)
                    .hasMessageContaining("written by a newer Cairn").hasMessageContaining("format version 2");
            assertThatThrownBy(() -> store.read(new ChunkLocation(id, 32, 0, 0, ChunkCodec.RAW), ChunkId.of(new byte[0], 0, 0)))
                    .isInstanceOf(UnsupportedPackVersionException.class);
            assertThatThrownBy(() -> store.recover(id)).isInstanceOf(UnsupportedPackVersionException.class);
        }
        // Unknown feature flags in a version-1 header are the same story.
        byte[] v1 = new byte[PackCodec.HEADER_SIZE];
        PackCodec.encodeHeader(id, v1);
        PackCodec.putU32(v1, PackCodec.H_FLAGS, 4);
        PackCodec.putU32(v1, PackCodec.H_CRC, PackCodec.crc(v1, 0, PackCodec.H_CRC));
        Files.write(pathOf(id), v1);
        try (LocalPackStore store = new LocalPackStore(root)) {
            assertThatThrownBy(() -> store.readIndex(id)).isInstanceOf(UnsupportedPackVersionException.class)
                    .hasMessageContaining("flags 0x4");
        }
    }

    @Test
    void truncatedFilesAreCorrupt() throws IOException {
        PackId id = sealedEmptyPack();
        Path path = pathOf(id);
        byte[] full = Files.readAllBytes(path);
        Files.write(path, java.util.Arrays.copyOf(full, 10));
        try (LocalPackStore store = new LocalPackStore(root)) {
            assertThatThrownBy(() -> store.readIndex(id)).isInstanceOf(CorruptPackException.class)
                    .hasMessageContaining("truncated").hasMessageContaining("10 bytes");
            assertThatThrownBy(() -> store.scan(id, null)).isInstanceOf(CorruptPackException.class);
        }
        // Sealed pack with data, cut inside a record: the index points past the end.
        TestChunks chunks = TestChunks.ofSizes(5, 100, 100);
        List<ChunkLocation> locs;
        PackId id2;
        try (LocalPackStore store = new LocalPackStore(root)) {
            PackWriter w = store.create();
            locs = chunks.appendTo(w);
            w.seal();
            id2 = w.id();
        }
        byte[] data = Files.readAllBytes(pathOf(id2));
        Files.write(pathOf(id2), java.util.Arrays.copyOf(data, (int) locs.get(1).offset() + 60));
        try (LocalPackStore store = new LocalPackStore(root)) {
            assertThatThrownBy(() -> store.read(locs.get(1), chunks.chunks().get(1).id()))
                    .isInstanceOf(CorruptPackException.class).hasMessageContaining("extends past the end");
            PackIndex idx = store.readIndex(id2);
            assertThat(idx.sealed()).isFalse();
            assertThat(idx.entries()).extracting(PackIndex.Entry::location).containsExactly(locs.get(0));
        }
    }

    @Test
    void packIdInHeaderMustMatchTheFileName() throws IOException {
        PackId id = sealedEmptyPack();
        PackId other = new PackId(id.value() ^ 1);
        Files.createDirectories(pathOf(other).getParent());
        Files.copy(pathOf(id), pathOf(other));
        try (LocalPackStore store = new LocalPackStore(root)) {
            assertThatThrownBy(() -> store.readIndex(other)).isInstanceOf(CorruptPackException.class)
                    .hasMessageContaining("pack id in header: expected " + other + ", actual " + id);
        }
    }

    @Test
    void damagedEndMagicIsCorruptAndRecoverRepairsIt() throws IOException {
        PackId id;
        PackIndex sealed;
        try (LocalPackStore store = new LocalPackStore(root)) {
            PackWriter w = store.create();
            TestChunks.ofSizes(9, 10, 20).appendTo(w);
            sealed = w.seal();
            id = w.id();
        }
        byte[] b = Files.readAllBytes(pathOf(id));
        java.util.Arrays.fill(b, b.length - 8, b.length, (byte) 0);
        Files.write(pathOf(id), b);
        try (LocalPackStore store = new LocalPackStore(root)) {
            assertThatThrownBy(() -> store.readIndex(id)).isInstanceOf(CorruptPackException.class)
                    .hasMessageContaining("end magic");
            assertThat(store.recover(id)).isEqualTo(sealed);
            assertThat(store.readIndex(id)).isEqualTo(sealed);
        }
    }

    @Test
    void recoverRefusesASealedPackWithADamagedFooter() throws IOException {
        PackId id;
        try (LocalPackStore store = new LocalPackStore(root)) {
            PackWriter w = store.create();
            TestChunks.ofSizes(9, 10, 20).appendTo(w);
            w.seal();
            id = w.id();
        }
        byte[] b = Files.readAllBytes(pathOf(id));
        b[b.length - PackCodec.TRAILER_SIZE - 10] ^= 1;   // inside the footer entries
        Files.write(pathOf(id), b);
        try (LocalPackStore store = new LocalPackStore(root)) {
            assertThatThrownBy(() -> store.recover(id)).isInstanceOf(CorruptPackException.class)
                    .hasMessageContaining("footer CRC32C: expected");
            assertThat(Files.readAllBytes(pathOf(id))).isEqualTo(b);
        }
    }

    private PackId sealedEmptyPack() throws IOException {
        try (LocalPackStore store = new LocalPackStore(root)) {
            PackWriter w = store.create();
            w.seal();
            return w.id();
        }
    }

    private Path pathOf(PackId id) {
        return root.resolve("packs").resolve(id.toHex().substring(0, 2)).resolve(id.toHex() + ".pack");
    }
}
