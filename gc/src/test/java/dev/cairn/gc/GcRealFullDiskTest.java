package dev.cairn.gc;

import dev.cairn.gc.policy.PolicyParser;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.Repository;
import dev.cairn.store.Reserve;
import dev.cairn.store.StoreFixture;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.meta.MetaDb;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The full-disk scenario on a real 40 MiB file system (a tmpfs; needs root to mount, and
 * is skipped otherwise): puts until the disk is full fail with NO_SPACE, then trim + GC gets the
 * space back from inside Cairn, and the store verifies clean and takes puts again. The trim runs
 * with not a byte free and writes more catalog data than the catalog file's last page holds:
 * without the trim releasing the reserve first ({@code Reserve.releaseIfLow}), its catalog append
 * fails with {@code NO_SPACE} ("cannot append to the catalog file").
 */
class GcRealFullDiskTest {
    /** Small checkpoints put before the large ones (all removed by the trim). */
    private static final int SMALL = 200;

    @TempDir
    Path dir;

    @Test
    void aFullDiskIsRecoveredByGc() throws Exception {
        Path mnt = dir.resolve("vol");
        Files.createDirectories(mnt);
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", mnt.toString()),
                "cannot mount a tmpfs here (not root?)");
        try {
            Instant t0 = Instant.parse("2026-11-02T00:00:00Z");
            Path store = mnt.resolve("store");
            List<ManifestId> ids = new ArrayList<>();
            byte[] last = null;
            CairnException full = null;
            try (Repository repo = StoreFixture.open(store)) {
                assertThat(repo.reserve().ensure(Reserve.AUTO)).isTrue();
                // Many small checkpoints first: the trim below removes them all, so its catalog
                // records (one labels record per removal, and the audit record) take several
                // KiB, more than the last page of the catalog file can have left. On a disk with
                // no byte free they need fresh pages: only the reserve can give them.
                for (int i = 0; i < SMALL; i++) {
                    ids.add(StoreFixture.put(repo, StoreFixture.opts("run", i), TestData.random(10_000 + i, 2_000)).id());
                }
                for (int i = SMALL; i < SMALL + 40 && full == null; i++) {
                    byte[] b = TestData.random(500 + i, 2_000_000);
                    try {
                        ids.add(StoreFixture.put(repo, StoreFixture.opts("run", i), b).id());
                        last = b;
                    } catch (CairnException e) {
                        full = e;
                    }
                }
                assertThat(full).as("the volume filled up").isNotNull();
                assertThat(full.status()).as(full.toString()).isEqualTo(Status.NO_SPACE);
                assertThat(ids).hasSizeGreaterThan(SMALL + 3);
                // Take the last free bytes too (another writer on the volume): only the reserve is left.
                Path filler = mnt.resolve("filler");
                try (var out = Files.newOutputStream(filler)) {
                    byte[] block = new byte[64 << 10];
                    while (true) {
                        out.write(block);
                    }
                } catch (IOException expected) {
                    // ENOSPC
                }
                assertThat(Files.getFileStore(mnt).getUsableSpace()).as("not a byte left").isZero();
                // The documented way out: trim, then gc. The trim's catalog and RocksDB writes need
                // a few KiB, which it takes from the reserve (before that fix: NO_SPACE here).
                String yaml = "policies:\n  - series: run\n    last: 1\n    grace: 0s\n    max_remove: 100%\n";
                Clock later = Clock.fixed(t0.plus(Duration.ofDays(1)), ZoneOffset.UTC);
                TrimReport trimmed = new Trimmer(repo, later).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml,
                        null, false, false, "t"));
                assertThat(trimmed.removedCount()).isEqualTo(ids.size() - 1);
                Files.delete(filler);
                long freeBefore = Files.getFileStore(mnt).getUsableSpace();
                GcReport r = new GarbageCollector(repo, Clock.offset(later, Duration.ofHours(1)),
                        GcOptions.defaults().withReserveBytes(Reserve.AUTO)).run(false, new GcCancel());
                long freeAfter = Files.getFileStore(mnt).getUsableSpace();
                System.out.printf("full disk: %d puts, then %s; gc deleted %d manifests, %d packs, rewrote %d;"
                        + " free %d -> %d bytes%n", ids.size(), full.getMessage(), r.manifestsDeleted(), r.packsDeleted(),
                        r.packsRewritten(), freeBefore, freeAfter);
                assertThat(r.manifestsDeleted()).isEqualTo(ids.size() - 1);
                assertThat(freeAfter - freeBefore).isGreaterThan(10L << 20);
                VerifyAssert.clean(repo);
                assertThat(StoreFixture.get(repo, ids.get(ids.size() - 1))).isEqualTo(last);
                byte[] again = TestData.random(999, 2_000_000);
                ManifestId next = StoreFixture.put(repo, StoreFixture.opts("run", 100), again).id();
                assertThat(StoreFixture.get(repo, next)).isEqualTo(again);
            }
        } finally {
            unmount(mnt);
        }
    }

    /**
     * Unmounts; if the file system is still busy, names what this JVM still holds open in it (a
     * leak would be a bug of the store's close) and detaches it lazily so the temp dir goes away.
     */
    private static void unmount(Path mnt) throws Exception {
        if (run("umount", mnt.toString())) {
            return;
        }
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path f : fds.toList()) {
                try {
                    Path target = Files.readSymbolicLink(f);
                    if (target.startsWith(mnt)) {
                        System.out.println("still open at unmount: " + f + " -> " + target);
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        run("umount", "-l", mnt.toString());
    }

    private static boolean run(String... cmd) throws Exception {
        try {
            Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            pr.getInputStream().readAllBytes();
            return pr.waitFor(30, TimeUnit.SECONDS) && pr.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
