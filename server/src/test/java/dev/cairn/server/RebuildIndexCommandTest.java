package dev.cairn.server;

import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;
import dev.cairn.store.meta.MetaDb.Cf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cairnd --rebuild-index} restores a lost chunk index from the pack footers. */
class RebuildIndexCommandTest {
    @TempDir
    Path dir;

    @Test
    void rebuildsALostIndex() throws Exception {
        byte[] data = new byte[3 << 20];
        new Random(5).nextBytes(data);
        dev.cairn.protocol.manifest.ManifestId id;
        try (Repository repo = Repository.open(dir, RepositoryOptions.defaults())) {
            id = repo.put(PutOptions.of(CheckpointMeta.of("s", Instant.EPOCH)), new ByteArrayInputStream(data)).id();
            byte[] end = new byte[33];
            Arrays.fill(end, (byte) 0xff);
            try (var b = repo.db().batch()) {
                b.deleteRange(Cf.CHUNKS, new byte[0], end);
                repo.db().write(b, true);
            }
            assertThat(repo.verify(false).clean()).isFalse();
        }
        int rc = new CommandLine(new DaemonCommand()).execute("--data", dir.toString(), "--rebuild-index");
        assertThat(rc).isZero();
        try (Repository repo = Repository.open(dir, RepositoryOptions.defaults())) {
            assertThat(repo.verify(true).clean()).isTrue();
            try (InputStream in = repo.open(id)) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(120) // without the table check, the daemon would start and serve: fail, not hang
    void aDamagedChunkIndexTableRefusesTheStartWithStatus3AndTheRebuildRepairsIt() throws Exception {
        byte[] data = new byte[3 << 20];
        new Random(6).nextBytes(data);
        dev.cairn.protocol.manifest.ManifestId id;
        Path victim;
        try (Repository repo = Repository.open(dir, RepositoryOptions.defaults())) {
            id = repo.put(PutOptions.of(CheckpointMeta.of("s", Instant.EPOCH)), new ByteArrayInputStream(data)).id();
            repo.db().flush();
            victim = repo.db().tableFiles(Cf.CHUNKS).get(0);
        }
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(victim.toFile(), "rw")) {
            f.seek(20);
            int b = f.read();
            f.seek(20);
            f.write(b ^ 1);
        }
        int start = new CommandLine(new DaemonCommand()).execute("--data", dir.toString(), "--listen", "127.0.0.1:0",
                "--socket", "off");
        assertThat(start).isEqualTo(DaemonCommand.DAMAGED_STORE);
        int rc = new CommandLine(new DaemonCommand()).execute("--data", dir.toString(), "--rebuild-index");
        assertThat(rc).isZero();
        assertThat(victim).doesNotExist();
        try (Repository repo = Repository.open(dir, RepositoryOptions.defaults())) {
            assertThat(repo.verify(true).clean()).isTrue();
            try (InputStream in = repo.open(id)) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
        }
    }
}
