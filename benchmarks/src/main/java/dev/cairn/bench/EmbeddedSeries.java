package dev.cairn.bench;

import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.store.PutResult;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;
import dev.cairn.store.StoreStats;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Puts a gen_series.py series through the embedded store (no daemon) and restores its last
 * checkpoint, printing one TSV row per measurement: ingest MB/s per checkpoint, stored bytes,
 * restore MB/s (verified by SHA-256 against the input file).
 *
 * <p>Usage: {@code EmbeddedSeries SERIES_DIR STORE_DIR [restoreRuns]}
 */
public final class EmbeddedSeries {
    public static void main(String[] args) throws Exception {
        Path series = Path.of(args[0]);
        Path store = Path.of(args[1]);
        int restoreRuns = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        List<Path> files;
        try (Stream<Path> s = Files.list(series)) {
            files = s.filter(p -> p.getFileName().toString().matches("ckpt_\\d+\\.bin")).sorted().toList();
        }
        String name = series.getFileName().toString();
        List<PutResult> results = new ArrayList<>();
        try (Repository repo = Repository.open(store, RepositoryOptions.defaults())) {
            Instant t0 = Instant.parse("2026-11-01T00:00:00Z");
            for (int i = 0; i < files.size(); i++) {
                long size = Files.size(files.get(i));
                long start = System.nanoTime();
                PutResult r;
                try (InputStream in = Files.newInputStream(files.get(i))) {
                    r = repo.put(PutOptions.of(CheckpointMeta.of(name, t0.plusSeconds(3600L * i)).withStep(i)), in);
                }
                double secs = (System.nanoTime() - start) / 1e9;
                results.add(r);
                System.out.printf("%s\tingest\t%d\t%.3f\t%.0f\tMB/s\t%s\tnew=%d\tstored=%d%n", name, i, secs,
                        size / secs / 1e6, r.kind(), r.newBytes(), r.storedBytes());
            }
            StoreStats st = repo.stats();
            long onDisk = dirSize(store);
            System.out.printf("%s\tstored\t%d\tlogical=%d\tpacks=%d\tmeta=%d\tratio=%.2f%n", name, onDisk,
                    st.logicalBytes(), st.storedBytes(), st.metadataBytes(), (double) st.logicalBytes() / onDisk);
            Path last = files.get(files.size() - 1);
            String want = sha(Files.newInputStream(last));
            long size = Files.size(last);
            for (int run = 0; run < restoreRuns; run++) {
                long start = System.nanoTime();
                String got;
                try (InputStream in = repo.open(results.get(results.size() - 1).id())) {
                    got = sha(in);
                }
                double secs = (System.nanoTime() - start) / 1e9;
                System.out.printf("%s\trestore\t%d\t%.3f\t%.0f\tMB/s\t%s%n", name, run, secs, size / secs / 1e6,
                        got.equals(want) ? "OK" : "MISMATCH");
            }
        }
    }

    static String sha(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        int n;
        try (in) {
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static long dirSize(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
