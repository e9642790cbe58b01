package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rough sanity number for the append and read paths (64 KiB records, page cache), printed and
 * never asserted: timings on a shared 2-core box are noise. JMH benchmarks live in benchmarks/.
 */
class PackThroughputTest {
    private static final int RECORD = 64 * 1024;
    private static final int RECORDS = 2048;   // 128 MiB per pass

    @TempDir
    Path root;

    @Test
    void printAppendAndReadThroughput() throws IOException {
        SplittableRandom r = new SplittableRandom(42);
        byte[][] payloads = new byte[8][RECORD];
        ChunkId[] ids = new ChunkId[payloads.length];
        for (int i = 0; i < payloads.length; i++) {
            r.nextBytes(payloads[i]);
            ids[i] = ChunkId.of(payloads[i], 0, RECORD);
        }
        try (LocalPackStore store = new LocalPackStore(root, 16)) {
            for (int pass = 0; pass < 3; pass++) {   // the first pass warms up the JIT
                PackWriter w = store.create();
                List<ChunkLocation> locs = new ArrayList<>(RECORDS);
                long t0 = System.nanoTime();
                for (int i = 0; i < RECORDS; i++) {
                    int k = i % payloads.length;
                    locs.add(w.append(ids[k], new EncodedChunk(ChunkCodec.RAW, RECORD, payloads[k], 0, RECORD)));
                }
                long t1 = System.nanoTime();
                w.seal();
                long t2 = System.nanoTime();
                long checksum = 0;
                for (int i = 0; i < RECORDS; i++) {
                    EncodedChunk e = store.read(locs.get(i), ids[i % payloads.length]);
                    checksum += e.data()[e.offset() + 7];
                }
                long t3 = System.nanoTime();
                byte[] scratch = new byte[PackCodec.RECORD_HEADER_SIZE + RECORD];
                long reused = 0;
                for (int i = 0; i < RECORDS; i++) {
                    EncodedChunk e = store.read(locs.get(i), ids[i % payloads.length], scratch);
                    reused += e.data()[e.offset() + 7];
                }
                long t4 = System.nanoTime();
                assertThat(reused).isEqualTo(checksum);
                long expected = 0;
                for (int i = 0; i < RECORDS; i++) {
                    expected += payloads[i % payloads.length][7];
                }
                assertThat(checksum).as("reads returned the written bytes").isEqualTo(expected);
                double mib = (double) RECORDS * RECORD / (1 << 20);
                System.out.printf("[throughput] pass %d: append %.0f MiB/s, seal+fsync %.0f ms, read %.0f MiB/s,"
                                + " read into reused buffer %.0f MiB/s (%d x 64 KiB)%n",
                        pass, mib / ((t1 - t0) / 1e9), (t2 - t1) / 1e6, mib / ((t3 - t2) / 1e9), mib / ((t4 - t3) / 1e9), RECORDS);
                store.delete(w.id());
            }
        }
    }
}
