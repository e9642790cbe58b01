package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Crash recovery: a pack cut at any byte (as a crash can leave it) recovers exactly the records
 * that were complete before the cut, and recovery is idempotent.
 */
class PackRecoveryTest {
    @TempDir
    Path root;

    private record Written(PackId id, List<ChunkLocation> locs, TestChunks chunks, byte[] bytes) {
    }

    private Written write(long seed, boolean seal, int... sizes) throws IOException {
        TestChunks chunks = TestChunks.ofSizes(seed, sizes);
        try (LocalPackStore store = new LocalPackStore(root)) {
            PackWriter w = store.create();
            List<ChunkLocation> locs = chunks.appendTo(w);
            if (seal) {
                w.seal();
            } else {
                w.sync();
                w.close();
            }
            return new Written(w.id(), locs, chunks, Files.readAllBytes(store.pathOf(w.id())));
        }
    }

    @Test
    void truncationAtEveryOffsetOfAnUnsealedPackRecoversTheCompleteRecords() throws IOException {
        long seed = Seeds.seed("truncateUnsealed");
        Written p = write(seed, false, 0, 1, 33, 7, 60);
        assertThat(p.locs()).extracting(ChunkLocation::codec).contains(ChunkCodec.RAW);
        checkEveryCut(p);
    }

    @Test
    void truncationAtEveryOffsetOfASealedPackRecoversTheCompleteRecords() throws IOException {
        // A cut anywhere in the footer leaves all records; the footer is rebuilt.
        long seed = Seeds.seed("truncateSealed");
        Written p = write(seed, true, 5, 0, 40);
        checkEveryCut(p);
    }

    private void checkEveryCut(Written p) throws IOException {
        Path path = null;
        for (int cut = 0; cut <= p.bytes().length; cut++) {
            try (LocalPackStore store = new LocalPackStore(root)) {
                path = store.pathOf(p.id());
                Files.write(path, Arrays.copyOf(p.bytes(), cut));
                int complete = 0;
                while (complete < p.locs().size() && end(p.locs().get(complete)) <= cut) {
                    complete++;
                }
                List<ChunkLocation> expected = p.locs().subList(0, complete);
                String where = "cut at " + cut + " of " + p.bytes().length;

                PackIndex recovered = store.recover(p.id());
                assertThat(recovered.sealed()).as(where).isTrue();
                assertThat(recovered.entries()).as(where).extracting(PackIndex.Entry::location).isEqualTo(expected);
                for (int i = 0; i < complete; i++) {
                    assertThat(recovered.entries().get(i).id()).isEqualTo(p.chunks().chunks().get(i).id());
                    assertThat(store.read(expected.get(i), p.chunks().chunks().get(i).id()).length())
                            .isEqualTo(expected.get(i).storedLength());
                }
                assertThat(Files.size(path)).as(where).isEqualTo(recovered.size());
                assertThat(store.readIndex(p.id())).as(where).isEqualTo(recovered);

                byte[] after = Files.readAllBytes(path);
                assertThat(store.recover(p.id())).as("idempotent, " + where).isEqualTo(recovered);
                assertThat(Files.readAllBytes(path)).as("second recover changes nothing, " + where).isEqualTo(after);
            }
        }
    }

    private static long end(ChunkLocation loc) {
        return loc.offset() + PackCodec.RECORD_HEADER_SIZE + loc.storedLength();
    }

    @Test
    void recoveredPackMatchesWhatSealingWouldHaveWritten() throws IOException {
        long seed = Seeds.seed("recoverEqualsSeal");
        Written unsealed = write(seed, false, 100, 2, 0, 1000);
        Written sealed = write(seed, true, 100, 2, 0, 1000);
        try (LocalPackStore store = new LocalPackStore(root)) {
            store.recover(unsealed.id());
            byte[] a = Files.readAllBytes(store.pathOf(unsealed.id()));
            // Same records, same footer: the files differ only in the pack id and header CRC.
            assertThat(a.length).isEqualTo(sealed.bytes().length);
            assertThat(Arrays.copyOfRange(a, PackCodec.HEADER_SIZE, a.length))
                    .isEqualTo(Arrays.copyOfRange(sealed.bytes(), PackCodec.HEADER_SIZE, a.length));
        }
    }

    @Test
    void unsealedPackWithGarbageTailIsCutBeforeIt() throws IOException {
        Written p = write(11, false, 10, 20);
        try (LocalPackStore store = new LocalPackStore(root)) {
            byte[] withJunk = Arrays.copyOf(p.bytes(), p.bytes().length + 100);
            Arrays.fill(withJunk, p.bytes().length, withJunk.length, (byte) 0x01); // looks like a record type byte
            Files.write(store.pathOf(p.id()), withJunk);
            PackIndex before = store.readIndex(p.id());
            assertThat(before.sealed()).isFalse();
            assertThat(before.size()).isEqualTo(withJunk.length);
            assertThat(before.entries()).extracting(PackIndex.Entry::location).isEqualTo(p.locs());
            PackIndex recovered = store.recover(p.id());
            assertThat(recovered.entries()).extracting(PackIndex.Entry::location).isEqualTo(p.locs());
            long recordsEnd = end(p.locs().get(p.locs().size() - 1));
            assertThat(recovered.size()).isEqualTo(recordsEnd + PackCodec.footerLength(recordsEnd, p.locs().size()));
        }
    }

    @Test
    void crashBetweenFooterAndEndMagicRecovers() throws IOException {
        Written p = write(12, true, 10, 20, 30);
        try (LocalPackStore store = new LocalPackStore(root)) {
            // What the first fsync of a seal leaves: everything but the end magic.
            Files.write(store.pathOf(p.id()), Arrays.copyOf(p.bytes(), p.bytes().length - 8));
            PackIndex unsealed = store.readIndex(p.id());
            assertThat(unsealed.sealed()).isFalse();
            assertThat(unsealed.entries()).extracting(PackIndex.Entry::location).isEqualTo(p.locs());
            assertThat(store.list()).extracting(PackInfo::sealed).containsExactly(false);
            store.recover(p.id());
            assertThat(Files.readAllBytes(store.pathOf(p.id()))).isEqualTo(p.bytes());
        }
    }

    @Test
    void recoverOfAnEmptyFileSealsAnEmptyPack() throws IOException {
        try (LocalPackStore store = new LocalPackStore(root)) {
            PackId id = new PackId(0x00ff_00ff_00ff_00ffL);
            Files.createDirectories(store.pathOf(id).getParent());
            Files.write(store.pathOf(id), new byte[0]);
            assertThatThrownBy(() -> store.readIndex(id)).isInstanceOf(CorruptPackException.class)
                    .hasMessageContaining("truncated");
            PackIndex idx = store.recover(id);
            assertThat(idx.entries()).isEmpty();
            assertThat(idx.sealed()).isTrue();
            assertThat(store.readIndex(id)).isEqualTo(idx);
        }
    }
}
