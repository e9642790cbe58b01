package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A disk that fills up or an fsync that fails must never leave the writer claiming data it lost. */
class PackWriterFaultTest {
    @TempDir
    Path root;
    final List<FaultyFileChannel> channels = new ArrayList<>();
    LocalPackStore store;

    @BeforeEach
    void open() throws IOException {
        store = new LocalPackStore(root, 4, (path, options) -> {
            FaultyFileChannel ch = new FaultyFileChannel(FileChannel.open(path, options));
            channels.add(ch);
            return ch;
        });
    }

    @Test
    void aFailedAppendLeavesNoTraceAndTheNextAppendReusesTheSpace() throws IOException {
        long seed = Seeds.seed("diskFull");
        TestChunks chunks = TestChunks.random(seed, 40, 5000);
        PackWriter w = store.create();
        FaultyFileChannel ch = channels.get(0);
        List<ChunkLocation> kept = new ArrayList<>();
        List<ChunkId> keptIds = new ArrayList<>();
        for (int i = 0; i < chunks.chunks().size(); i++) {
            TestChunks.Chunk c = chunks.chunks().get(i);
            if (i % 3 == 2) {
                // The disk fills up part-way through this record (or right at its start).
                ch.writeBudget = (i * 7L) % (PackCodec.RECORD_HEADER_SIZE + c.encoded().length() + 1);
                long size = w.size();
                int count = w.count();
                assertThatThrownBy(() -> w.append(c.id(), c.encoded()))
                        // NO_SPACE, not an anonymous I/O error: the wire says "the disk is full"
                        .isInstanceOfSatisfying(dev.cairn.protocol.CairnException.class, x -> assertThat(x.status())
                                .isEqualTo(dev.cairn.protocol.Status.NO_SPACE))
                        .hasMessageContaining("No space left on device")
                        .hasMessageContaining(store.pathOf(w.id()).toString())
                        .hasMessageContaining("offset " + size);
                assertThat(w.size()).isEqualTo(size);
                assertThat(w.count()).isEqualTo(count);
                ch.writeBudget = -1;   // space freed
                continue;
            }
            kept.add(w.append(c.id(), c.encoded()));
            keptIds.add(c.id());
        }
        // A last partial record that is never retried: seal must cut it off.
        ch.writeBudget = 20;
        TestChunks.Chunk last = chunks.chunks().get(0);
        assertThatThrownBy(() -> w.append(last.id(), last.encoded())).isInstanceOf(IOException.class);
        ch.writeBudget = -1;

        PackIndex sealed = w.seal();
        assertThat(sealed.entries()).extracting(PackIndex.Entry::location).isEqualTo(kept);
        assertThat(sealed.entries()).extracting(PackIndex.Entry::id).isEqualTo(keptIds);
        assertThat(store.readIndex(w.id())).isEqualTo(sealed);
        for (int i = 0; i < kept.size(); i++) {
            byte[] raw = ChunkCodec.shared().decode(store.read(kept.get(i), keptIds.get(i)));
            assertThat(ChunkId.of(raw, 0, raw.length)).isEqualTo(keptIds.get(i));
        }
    }

    @Test
    void aFailedFsyncPoisonsTheWriter() throws IOException {
        PackWriter w = store.create();
        TestChunks chunks = TestChunks.ofSizes(3, 10, 20);
        w.append(chunks.chunks().get(0).id(), chunks.chunks().get(0).encoded());
        channels.get(0).failForce = true;
        assertThatThrownBy(w::sync).isInstanceOf(IOException.class).hasMessageContaining("Input/output error")
                .hasMessageContaining(store.pathOf(w.id()).toString());
        channels.get(0).failForce = false;
        // A retried fsync could succeed for pages the kernel already dropped: refuse everything.
        assertThatThrownBy(w::sync).isInstanceOf(IOException.class).hasMessageContaining("earlier fsync");
        assertThatThrownBy(() -> w.append(chunks.chunks().get(1).id(), chunks.chunks().get(1).encoded()))
                .isInstanceOf(IOException.class).hasMessageContaining("earlier fsync");
        assertThatThrownBy(w::seal).isInstanceOf(IOException.class).hasMessageContaining("earlier fsync");
        w.close();
        assertThat(store.readIndex(w.id()).sealed()).isFalse();
    }

    @Test
    void aFailedSealLeavesAnUnsealedPackThatRecovers() throws IOException {
        PackWriter w = store.create();
        TestChunks chunks = TestChunks.ofSizes(4, 10, 20, 30);
        List<ChunkLocation> locs = chunks.appendTo(w);
        channels.get(0).writeBudget = 30; // the footer does not fit
        assertThatThrownBy(w::seal).isInstanceOf(IOException.class).hasMessageContaining("sealing");
        w.close();
        PackIndex idx = store.readIndex(w.id());
        assertThat(idx.sealed()).isFalse();
        assertThat(idx.entries()).extracting(PackIndex.Entry::location).isEqualTo(locs);
        assertThat(store.recover(w.id()).entries()).extracting(PackIndex.Entry::location).isEqualTo(locs);
    }

    @Test
    void aFailedCreateLeavesNoFile() throws IOException {
        store.close();
        store = new LocalPackStore(root, 4, (path, options) -> {
            FaultyFileChannel ch = new FaultyFileChannel(FileChannel.open(path, options));
            ch.writeBudget = 5;
            return ch;
        });
        assertThatThrownBy(store::create).isInstanceOf(IOException.class).hasMessageContaining("header");
        assertThat(store.list()).isEmpty();
    }
}
