package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalPackStoreTest {
    @TempDir
    Path root;
    LocalPackStore store;

    @BeforeEach
    void open() throws IOException {
        store = new LocalPackStore(root, 4);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static byte[] decode(EncodedChunk e) throws IOException {
        return ChunkCodec.shared().decode(e);
    }

    @Test
    void roundTripOfManyChunksBeforeAndAfterSealAndAcrossReopen() throws IOException {
        long seed = Seeds.seed("roundTrip");
        TestChunks data = TestChunks.random(seed, 400, 100_000);
        // Two records larger than the writer's 1 MiB buffer exercise multi-write records.
        SplittableRandom r = new SplittableRandom(seed);
        List<TestChunks.Chunk> all = new ArrayList<>(data.chunks());
        all.add(TestChunks.chunk(r, 3 * LocalPackWriter.WRITE_BUFFER_SIZE + 17, false));
        all.add(TestChunks.chunk(r, 2 * LocalPackWriter.WRITE_BUFFER_SIZE, true));
        TestChunks chunks = new TestChunks(all);

        PackWriter w = store.create();
        List<ChunkLocation> locs = chunks.appendTo(w);
        assertThat(w.count()).isEqualTo(chunks.chunks().size());
        long expectedSize = PackCodec.HEADER_SIZE;
        for (int i = 0; i < locs.size(); i++) {
            ChunkLocation loc = locs.get(i);
            EncodedChunk e = chunks.chunks().get(i).encoded();
            assertThat(loc).isEqualTo(new ChunkLocation(w.id(), expectedSize, e.length(), e.rawLength(), e.codec()));
            expectedSize += PackCodec.RECORD_HEADER_SIZE + e.length();
        }
        assertThat(w.size()).isEqualTo(expectedSize);
        assertThat(locs).extracting(ChunkLocation::codec).contains(ChunkCodec.RAW, ChunkCodec.LZ4);
        w.sync();

        // Unsealed: reads work and the index comes from a scan.
        assertReadsBack(chunks, locs);
        PackIndex scanned = store.readIndex(w.id());
        assertThat(scanned.sealed()).isFalse();
        assertThat(scanned.entries()).isEqualTo(entries(chunks, locs));

        PackIndex sealed = w.seal();
        assertThat(sealed.sealed()).isTrue();
        assertThat(sealed.entries()).isEqualTo(entries(chunks, locs));
        assertThat(sealed.size()).isEqualTo(Files.size(store.pathOf(w.id()))).isEqualTo(w.size());
        assertThat(sealed.size() % 8).as("sealed packs end 8-byte aligned").isZero();
        assertThat(store.readIndex(w.id())).isEqualTo(sealed);
        assertThat(store.list()).containsExactly(new PackInfo(w.id(), sealed.size(), true));

        store.close();
        store = new LocalPackStore(root, 2);
        assertReadsBack(chunks, locs);
        List<ChunkId> visited = new ArrayList<>();
        store.scan(w.id(), new PackStore.RecordVisitor() {
            @Override
            public void record(ChunkId id, ChunkLocation loc, EncodedChunk chunk) throws IOException {
                assertThat(loc).isEqualTo(locs.get(visited.size()));
                assertThat(decode(chunk)).isEqualTo(chunks.chunks().get(visited.size()).raw());
                visited.add(id);
            }

            @Override
            public void corrupt(PackId pack, long offset, CorruptPackException problem) {
                throw new AssertionError("unexpected corruption", problem);
            }
        });
        assertThat(visited).isEqualTo(chunks.chunks().stream().map(TestChunks.Chunk::id).toList());
        assertThat(store.recover(w.id())).as("recover is a no-op on a sealed pack").isEqualTo(sealed);
        assertThat(Files.size(store.pathOf(w.id()))).isEqualTo(sealed.size());
    }

    private void assertReadsBack(TestChunks chunks, List<ChunkLocation> locs) throws IOException {
        for (int i = 0; i < locs.size(); i++) {
            TestChunks.Chunk c = chunks.chunks().get(i);
            EncodedChunk e = store.read(locs.get(i), c.id());
            assertThat(e.codec()).isEqualTo(c.encoded().codec());
            byte[] raw = decode(e);
            assertThat(ChunkId.of(raw, 0, raw.length)).as("chunk %d", i).isEqualTo(c.id());
        }
    }

    private static List<PackIndex.Entry> entries(TestChunks chunks, List<ChunkLocation> locs) {
        List<PackIndex.Entry> out = new ArrayList<>();
        for (int i = 0; i < locs.size(); i++) {
            out.add(new PackIndex.Entry(chunks.chunks().get(i).id(), locs.get(i)));
        }
        return out;
    }

    @Test
    void packFilesLiveUnderTheirFanOutDirectory() throws IOException {
        PackWriter w = store.create();
        w.seal();
        String hex = w.id().toHex();
        assertThat(root.resolve("packs").resolve(hex.substring(0, 2)).resolve(hex + ".pack")).isRegularFile();
        assertThat(store.pathOf(w.id())).isEqualTo(root.resolve("packs/" + hex.substring(0, 2) + "/" + hex + ".pack"));
    }

    @Test
    void emptyPackSealsAndReads() throws IOException {
        PackWriter w = store.create();
        assertThat(w.size()).isEqualTo(PackCodec.HEADER_SIZE);
        PackIndex idx = w.seal();
        assertThat(idx.entries()).isEmpty();
        assertThat(store.readIndex(w.id())).isEqualTo(idx);
        assertThat(store.list()).containsExactly(new PackInfo(w.id(), idx.size(), true));
    }

    @Test
    void readChecksTheLocationAndTheId() throws IOException {
        TestChunks chunks = TestChunks.ofSizes(1, 500, 300, 10);
        PackWriter w = store.create();
        List<ChunkLocation> locs = chunks.appendTo(w);
        w.seal();
        ChunkLocation loc = locs.get(1);
        ChunkId other = chunks.chunks().get(0).id();

        assertThatThrownBy(() -> store.read(loc, other)).isInstanceOf(CorruptPackException.class)
                .hasMessageContaining("pack " + w.id()).hasMessageContaining("offset " + loc.offset())
                .hasMessageContaining("chunk id: expected " + other + ", actual " + chunks.chunks().get(1).id());
        ChunkLocation shorter = new ChunkLocation(loc.pack(), loc.offset(), loc.storedLength() - 1, loc.rawLength(), loc.codec());
        assertThatThrownBy(() -> store.read(shorter, chunks.chunks().get(1).id())).isInstanceOf(CorruptPackException.class)
                .hasMessageContaining("stored length: expected " + shorter.storedLength() + ", actual " + loc.storedLength());
        ChunkLocation misaligned = new ChunkLocation(loc.pack(), loc.offset() + 1, loc.storedLength(), loc.rawLength(), loc.codec());
        assertThatThrownBy(() -> store.read(misaligned, chunks.chunks().get(1).id())).isInstanceOf(CorruptPackException.class);
        ChunkLocation pastEnd = new ChunkLocation(loc.pack(), 1 << 20, 10, 10, ChunkCodec.RAW);
        assertThatThrownBy(() -> store.read(pastEnd, other)).isInstanceOf(CorruptPackException.class)
                .hasMessageContaining("extends past the end");
        assertThatThrownBy(() -> store.read(new ChunkLocation(loc.pack(), 3, 10, 10, ChunkCodec.RAW), other))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void appendRejectsOversizedAndMalformedChunks() throws IOException {
        ChunkId id = ChunkId.of(new byte[0], 0, 0);
        try (PackWriter w = store.create()) {
            int tooBig = PackCodec.MAX_PAYLOAD + 1;
            assertThatThrownBy(() -> w.append(id, new EncodedChunk(ChunkCodec.RAW, tooBig, new byte[0], 0, tooBig)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(String.valueOf(PackCodec.MAX_PAYLOAD));
            assertThatThrownBy(() -> w.append(id, new EncodedChunk(ChunkCodec.LZ4, tooBig, new byte[10], 0, 10)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.append(id, new EncodedChunk(7, 1, new byte[1], 0, 1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("codec 7");
            assertThatThrownBy(() -> w.append(id, new EncodedChunk(ChunkCodec.RAW, 2, new byte[1], 0, 1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.append(id, new EncodedChunk(ChunkCodec.RAW, 5, new byte[4], 0, 5)))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(w.count()).isZero();
            assertThat(w.size()).isEqualTo(PackCodec.HEADER_SIZE);
            // The largest allowed record is accepted.
            byte[] max = new byte[PackCodec.MAX_PAYLOAD];
            ChunkLocation loc = w.append(ChunkId.of(max, 0, max.length), new EncodedChunk(ChunkCodec.RAW, max.length, max, 0, max.length));
            assertThat(store.read(loc, ChunkId.of(max, 0, max.length)).length()).isEqualTo(max.length);
        }
    }

    @Test
    void writerLifecycle() throws IOException {
        PackWriter w = store.create();
        ChunkId id = ChunkId.of(new byte[1], 0, 1);
        w.append(id, new EncodedChunk(ChunkCodec.RAW, 1, new byte[1], 0, 1));
        assertThatThrownBy(() -> store.delete(w.id())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.recover(w.id())).isInstanceOf(IllegalStateException.class);
        w.seal();
        w.sync(); // durable already: a no-op
        w.close();
        assertThatThrownBy(() -> w.append(id, new EncodedChunk(ChunkCodec.RAW, 1, new byte[1], 0, 1)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(w::seal).isInstanceOf(IllegalStateException.class);

        PackWriter abandoned = store.create();
        abandoned.append(id, new EncodedChunk(ChunkCodec.RAW, 1, new byte[1], 0, 1));
        abandoned.close();
        assertThatThrownBy(() -> abandoned.append(id, new EncodedChunk(ChunkCodec.RAW, 1, new byte[1], 0, 1)))
                .isInstanceOf(IllegalStateException.class);
        PackIndex idx = store.readIndex(abandoned.id());
        assertThat(idx.sealed()).isFalse();
        assertThat(idx.entries()).hasSize(1);
    }

    @Test
    void missingPacksAreReportedAsNotFound() throws IOException {
        PackId ghost = new PackId(0x0123_4567_89ab_cdefL);
        ChunkId id = ChunkId.of(new byte[0], 0, 0);
        assertThatThrownBy(() -> store.read(new ChunkLocation(ghost, PackCodec.HEADER_SIZE, 0, 0, ChunkCodec.RAW), id))
                .isInstanceOf(PackNotFoundException.class).hasMessageContaining(ghost.toHex());
        assertThatThrownBy(() -> store.readIndex(ghost)).isInstanceOf(PackNotFoundException.class);
        assertThatThrownBy(() -> store.recover(ghost)).isInstanceOf(PackNotFoundException.class);
        assertThatThrownBy(() -> store.delete(ghost)).isInstanceOf(PackNotFoundException.class);
        assertThatThrownBy(() -> store.scan(ghost, null)).isInstanceOf(PackNotFoundException.class);
    }

    @Test
    void deleteRemovesThePackAndLaterReadsFail() throws IOException {
        TestChunks chunks = TestChunks.ofSizes(2, 100, 200);
        PackWriter keep = store.create();
        List<ChunkLocation> keepLocs = chunks.appendTo(keep);
        keep.seal();
        PackWriter gone = store.create();
        List<ChunkLocation> goneLocs = chunks.appendTo(gone);
        gone.seal();
        store.read(goneLocs.get(0), chunks.chunks().get(0).id()); // caches its channel

        store.delete(gone.id());
        assertThat(store.pathOf(gone.id())).doesNotExist();
        assertThatThrownBy(() -> store.read(goneLocs.get(0), chunks.chunks().get(0).id()))
                .isInstanceOf(PackNotFoundException.class);
        assertThat(store.list()).extracting(PackInfo::id).containsExactly(keep.id());
        assertThat(store.read(keepLocs.get(1), chunks.chunks().get(1).id()).length()).isEqualTo(keepLocs.get(1).storedLength());
    }

    @Test
    void listIgnoresTempFilesAndSkipsJunk() throws IOException {
        PackWriter sealed = store.create();
        PackIndex idx = sealed.seal();
        PackWriter open = store.create();
        open.append(ChunkId.of(new byte[3], 0, 3), new EncodedChunk(ChunkCodec.RAW, 3, new byte[3], 0, 3));
        open.sync();

        Path packs = root.resolve("packs");
        String hex = sealed.id().toHex();
        Files.writeString(packs.resolve(hex.substring(0, 2)).resolve(hex + ".pack.tmp"), "partial download");
        Files.writeString(packs.resolve(hex.substring(0, 2)).resolve("notes.txt"), "junk");
        Files.writeString(packs.resolve("zz").getParent().resolve("README"), "junk");
        Files.createDirectories(packs.resolve("xy"));
        // A pack filed under the wrong fan-out directory is junk too: readers would never find it.
        Files.createDirectories(packs.resolve("00"));
        Files.writeString(packs.resolve("00").resolve("ff00000000000000.pack"), "misplaced");
        Files.createDirectories(packs.resolve("ab.tmp"));

        assertThat(store.list()).containsExactlyInAnyOrder(
                new PackInfo(sealed.id(), idx.size(), true),
                new PackInfo(open.id(), open.size(), false));
        open.close();
    }

    @Test
    void ioErrorsNameThePath() throws IOException {
        PackWriter w = store.create();
        w.seal();
        Path path = store.pathOf(w.id());
        Files.delete(path);
        Files.createDirectory(path); // reading a directory as a pack fails with an OS error
        assertThatThrownBy(() -> store.readIndex(w.id())).isInstanceOf(IOException.class)
                .hasMessageContaining(path.toString());
    }

    @Test
    void closedStoreRefusesReads() throws IOException {
        PackWriter w = store.create();
        TestChunks chunks = TestChunks.ofSizes(3, 10);
        List<ChunkLocation> locs = chunks.appendTo(w);
        w.seal();
        store.close();
        assertThatThrownBy(() -> store.read(locs.get(0), chunks.chunks().get(0).id())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void readIntoScratchUsesItWhenLargeEnough() throws IOException {
        TestChunks chunks = TestChunks.ofSizes(6, 1000, 3000);
        PackWriter w = store.create();
        List<ChunkLocation> locs = chunks.appendTo(w);
        w.seal();
        byte[] scratch = new byte[PackCodec.RECORD_HEADER_SIZE + 1000];
        EncodedChunk small = store.read(locs.get(0), chunks.chunks().get(0).id(), scratch);
        assertThat(small.data()).isSameAs(scratch);
        assertThat(decode(small)).isEqualTo(chunks.chunks().get(0).raw());
        EncodedChunk big = store.read(locs.get(1), chunks.chunks().get(1).id(), scratch);
        assertThat(big.data()).isNotSameAs(scratch);
        assertThat(decode(big)).isEqualTo(chunks.chunks().get(1).raw());
        // A damaged record in scratch is still an error, whatever the buffer held before.
        assertThatThrownBy(() -> store.read(locs.get(0), chunks.chunks().get(1).id(), scratch))
                .isInstanceOf(CorruptPackException.class);
    }

    @Test
    void payloadBytesAreReturnedExactly() throws IOException {
        // The pack layer stores payloads as given: no decoding, no re-encoding.
        byte[] payload = "not really lz4 but the pack layer does not care".getBytes();
        ChunkId id = ChunkId.of(payload, 0, payload.length);
        PackWriter w = store.create();
        ChunkLocation loc = w.append(id, new EncodedChunk(ChunkCodec.LZ4, 1000, payload, 0, payload.length));
        w.seal();
        EncodedChunk e = store.read(loc, id);
        assertThat(Arrays.copyOfRange(e.data(), e.offset(), e.offset() + e.length())).isEqualTo(payload);
        assertThat(e.rawLength()).isEqualTo(1000);
    }
}
