package dev.cairn.bench;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.Chunker;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.chunk.EncodedChunk;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The measurement behind the default chunk sizes (docs/CHUNKING.md): for each series of
 * gen_series.py and each candidate (min, avg, max), the number of chunks, the unique raw bytes,
 * the stored bytes after per-chunk LZ4 (plus 86 bytes per unique chunk for its pack record header
 * and index entry), the logical/stored ratio, and the chunk-list metadata per checkpoint.
 *
 * <p>Usage: {@code ChunkSizeSurvey DATA_ROOT series[,series...]}
 */
public final class ChunkSizeSurvey {
    static final int[][] CANDIDATES = {
            {2 << 10, 8 << 10, 32 << 10},
            {4 << 10, 16 << 10, 64 << 10},
            {8 << 10, 32 << 10, 128 << 10},
            {16 << 10, 64 << 10, 256 << 10},
            {256 << 10, 1 << 20, 4 << 20},
    };

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        System.out.println("| series | min/avg/max KiB | chunks per ckpt | mean chunk | unique raw MiB | stored MiB | logical/stored | chunk-list KiB per ckpt |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
        for (String series : args[1].split(",")) {
            List<Path> files;
            try (Stream<Path> s = Files.list(root.resolve(series))) {
                files = s.filter(p -> p.getFileName().toString().endsWith(".bin")).sorted().toList();
            }
            for (int[] p : CANDIDATES) {
                Chunker ch = new Chunker(new ChunkerParams(p[0], p[1], p[2]));
                Set<ChunkId> seen = new HashSet<>();
                long logical = 0;
                long chunks = 0;
                long uniqueRaw = 0;
                long stored = 0;
                for (Path f : files) {
                    byte[] d = Files.readAllBytes(f);
                    logical += d.length;
                    int pos = 0;
                    while (pos < d.length) {
                        int n = ch.cut(d, pos, d.length - pos, true);
                        ChunkId id = ChunkId.of(d, pos, n);
                        chunks++;
                        if (seen.add(id)) {
                            uniqueRaw += n;
                            EncodedChunk e = ChunkCodec.shared().encode(d, pos, n);
                            stored += e.length() + 48 + 38;
                        }
                        pos += n;
                    }
                }
                System.out.printf("| %s | %d/%d/%d | %d | %.1f KiB | %.1f | %.1f | %.2f | %.0f |%n", series, p[0] >> 10,
                        p[1] >> 10, p[2] >> 10, chunks / files.size(), logical / (double) chunks / 1024,
                        uniqueRaw / 1048576.0, stored / 1048576.0, (double) logical / stored,
                        chunks / (double) files.size() * 36 / 1024);
            }
        }
    }
}
