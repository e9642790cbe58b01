package dev.cairn.store.meta;

import dev.cairn.store.meta.MetaDb.Cf;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RocksDB preallocates its write-ahead log in blocks sized from the write buffers: with ten
 * column families of 64 MiB buffers that was ~70 MB on disk for a log holding kilobytes, which a
 * full small volume could not spare (issue 10 item 3). Measures what {@code meta/} occupies on
 * disk ({@code du}, allocated blocks, not file lengths) after a few small synced writes.
 */
class MetaDbSpaceTest {
    @TempDir
    Path dir;

    @Test
    void aSmallLogDoesNotHoldTensOfMegabytesOfPreallocatedSpace() throws Exception {
        Path meta = dir.resolve("meta");
        try (MetaDb db = MetaDb.open(meta)) {
            for (int i = 0; i < 200; i++) {
                db.put(Cf.META, ("k" + i).getBytes(StandardCharsets.US_ASCII), new byte[100], true);
            }
            long kib = duKib(meta);
            System.out.println("meta/ with a 20 KB log occupies " + kib + " KiB on disk");
            assertThat(kib).as("KiB allocated under meta/").isLessThan(24 * 1024);
        }
    }

    /** On a real 40 MiB file system (tmpfs; needs root, skipped otherwise) the log takes a few MiB. */
    @Test
    void onASmallVolumeTheLogTakesAFewMegabytes() throws Exception {
        Path mnt = dir.resolve("small");
        java.nio.file.Files.createDirectories(mnt);
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", mnt.toString()),
                "cannot mount a tmpfs here (not root?)");
        try {
            Path meta = mnt.resolve("meta");
            try (MetaDb db = MetaDb.open(meta)) {
                for (int i = 0; i < 200; i++) {
                    db.put(Cf.META, ("k" + i).getBytes(StandardCharsets.US_ASCII), new byte[100], true);
                }
                long kib = duKib(meta);
                System.out.println("on a 40 MiB volume, meta/ with a 20 KB log occupies " + kib + " KiB");
                assertThat(kib).isLessThan(8 * 1024);
            }
        } finally {
            run("umount", mnt.toString());
        }
    }

    private static boolean run(String... cmd) throws Exception {
        try {
            Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            pr.getInputStream().readAllBytes();
            return pr.waitFor(30, TimeUnit.SECONDS) && pr.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static long duKib(Path p) throws Exception {
        Process pr;
        try {
            pr = new ProcessBuilder("du", "-sk", p.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("no du on this system");
            return 0;
        }
        String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        Assumptions.assumeTrue(pr.waitFor(30, TimeUnit.SECONDS) && pr.exitValue() == 0, "du failed: " + out);
        return Long.parseLong(out.split("\\s+")[0]);
    }
}
