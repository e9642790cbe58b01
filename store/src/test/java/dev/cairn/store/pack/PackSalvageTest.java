package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Damage costs the damaged record only: scans and salvage resynchronise after a bad record, a
 * footer is found when the end moved, and recovery cuts nothing but a torn tail.
 */
class PackSalvageTest {
    @TempDir
    Path root;

    private record Written(PackId id, List<ChunkLocation> locs, TestChunks chunks, byte[] bytes, Path path) {
        long end(int i) {
            return locs.get(i).offset() + PackCodec.RECORD_HEADER_SIZE + locs.get(i).storedLength();
        }
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
            Path path = store.pathOf(w.id());
            return new Written(w.id(), locs, chunks, Files.readAllBytes(path), path);
        }
    }

    private record Scanned(List<Long> records, List<Long> corrupt) {
    }

    private static Scanned scan(LocalPackStore store, PackId id) throws IOException {
        List<Long> records = new ArrayList<>();
        List<Long> corrupt = new ArrayList<>();
        store.scan(id, new PackStore.RecordVisitor() {
            @Override
            public void record(ChunkId chunk, ChunkLocation loc, EncodedChunk data) {
                records.add(loc.offset());
            }

            @Override
            public void corrupt(PackId pack, long offset, CorruptPackException problem) {
                corrupt.add(offset);
            }
        });
        return new Scanned(records, corrupt);
    }

    @Test
    void aDamagedRecordOfAnUnsealedPackCostsThatRecordOnly() throws IOException {
        Written p = write(21, false, 300, 0, 700, 40, 1200, 90);
        // Every byte of every record but the last (whose damage looks like a torn tail), two masks.
        for (int k = 0; k < p.locs().size() - 1; k++) {
            for (long at = p.locs().get(k).offset(); at < p.end(k); at += (at < p.locs().get(k).offset() + 48 ? 1 : 37)) {
                for (int mask : new int[] {0x01, 0x80}) {
                    byte[] bad = p.bytes().clone();
                    bad[(int) at] ^= (byte) mask;
                    Files.write(p.path(), bad);
                    String where = "record " + k + ", flip 0x" + Integer.toHexString(mask) + " at " + at;
                    List<ChunkLocation> others = new ArrayList<>(p.locs());
                    others.remove(k);
                    try (LocalPackStore store = new LocalPackStore(root)) {
                        PackIndex salvaged = store.salvage(p.id());
                        assertThat(salvaged.entries()).as(where).extracting(PackIndex.Entry::location).isEqualTo(others);
                        assertThat(salvaged.damage()).as(where).hasSize(1);
                        assertThat(salvaged.damage().get(0).offset()).as(where).isEqualTo(p.locs().get(k).offset());
                        assertThat(salvaged.damage().get(0).length()).as(where).isEqualTo(p.end(k) - p.locs().get(k).offset());

                        Scanned s = scan(store, p.id());
                        assertThat(s.records()).as(where).isEqualTo(others.stream().map(ChunkLocation::offset).toList());
                        assertThat(s.corrupt()).as(where).containsExactly(p.locs().get(k).offset());

                        assertThatThrownBy(() -> store.recover(p.id())).as(where).isInstanceOf(DamagedPackException.class)
                                .hasMessageContaining("intact records follow");
                        assertThat(Files.readAllBytes(p.path())).as(where).isEqualTo(bad);
                    }
                }
            }
        }
    }

    @Test
    void recoveryNeverCutsBeforeWhatTheCallerReferences() throws IOException {
        Written p = write(22, false, 100, 200, 300);
        byte[] cut = Arrays.copyOf(p.bytes(), (int) p.end(1) + 10); // the third record torn
        Files.write(p.path(), cut);
        try (LocalPackStore store = new LocalPackStore(root)) {
            assertThatThrownBy(() -> store.recover(p.id(), p.end(2))).isInstanceOf(DamagedPackException.class)
                    .hasMessageContaining("index references records up to offset " + p.end(2));
            assertThat(Files.readAllBytes(p.path())).isEqualTo(cut);
            // What it references ends before the cut: an ordinary torn tail.
            PackIndex idx = store.recover(p.id(), p.end(1));
            assertThat(idx.entries()).extracting(PackIndex.Entry::location).isEqualTo(p.locs().subList(0, 2));
            assertThat(store.readIndex(p.id()).sealed()).isTrue();
        }
    }

    @Test
    void aFooterIsFoundWhenTheFileLostItsEndMagicOrGrew() throws IOException {
        Written p = write(23, true, 100, 200, 300);
        PackIndex sealed;
        try (LocalPackStore store = new LocalPackStore(root)) {
            sealed = store.readIndex(p.id());
        }
        // Grown: bytes after the end magic. Not what a crash leaves: recovery refuses, salvage reads the footer.
        byte[] grown = Arrays.copyOf(p.bytes(), p.bytes().length + 4096);
        Arrays.fill(grown, p.bytes().length, grown.length, (byte) 7);
        Files.write(p.path(), grown);
        try (LocalPackStore store = new LocalPackStore(root)) {
            PackIndex s = store.salvage(p.id());
            assertThat(s.sealed()).isTrue();
            assertThat(s.entries()).isEqualTo(sealed.entries());
            assertThat(s.damage()).singleElement().satisfies(d -> assertThat(d.detail()).contains("file is"));
            Scanned sc = scan(store, p.id());
            assertThat(sc.records()).hasSize(3);
            assertThat(sc.corrupt()).hasSize(1);
            assertThatThrownBy(() -> store.recover(p.id())).isInstanceOf(DamagedPackException.class);
            assertThat(Files.readAllBytes(p.path())).isEqualTo(grown);
        }
        // The last 8 bytes lost, and a record damaged: the footer still names every record.
        byte[] shortened = Arrays.copyOf(p.bytes(), p.bytes().length - 8);
        shortened[(int) p.locs().get(1).offset() + 60] ^= 1;
        Files.write(p.path(), shortened);
        try (LocalPackStore store = new LocalPackStore(root)) {
            PackIndex s = store.salvage(p.id());
            assertThat(s.sealed()).isTrue();
            assertThat(s.entries()).isEqualTo(sealed.entries());
            assertThat(s.damage()).singleElement().satisfies(d -> assertThat(d.detail()).contains("8 bytes short"));
            Scanned sc = scan(store, p.id());
            assertThat(sc.records()).containsExactly(p.locs().get(0).offset(), p.locs().get(2).offset());
            assertThat(sc.corrupt()).contains(p.locs().get(1).offset());
        }
    }

    @Test
    void withoutAFooterSalvageListsTheRecordsBeforeAndAfterTheDamage() throws IOException {
        Written p = write(24, true, 500, 600, 700, 800);
        long footerStart = p.end(3);
        byte[] b = Arrays.copyOf(p.bytes(), (int) footerStart - 100); // footer and end of the last record gone
        Arrays.fill(b, (int) p.locs().get(1).offset() + 10, (int) p.locs().get(1).offset() + 30, (byte) 0); // header of record 1
        Files.write(p.path(), b);
        try (LocalPackStore store = new LocalPackStore(root)) {
            PackIndex s = store.salvage(p.id());
            assertThat(s.sealed()).isFalse();
            assertThat(s.entries()).extracting(PackIndex.Entry::location).containsExactly(p.locs().get(0), p.locs().get(2));
            assertThat(s.damage()).hasSize(2);
            assertThat(s.damage().get(0).offset()).isEqualTo(p.locs().get(1).offset());
            assertThat(s.damage().get(1).offset()).isEqualTo(p.locs().get(3).offset());
            assertThat(s.damage().get(1).detail()).contains("no footer");
        }
    }
}
