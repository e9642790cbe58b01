package dev.cairn.server;

import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.*;
import dev.cairn.store.CheckpointInfo;
import dev.cairn.store.Repository;
import dev.cairn.store.VerifyReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** SIGTERM to a real {@code cairnd} process: it exits 0 and the store reopens clean. */
class ShutdownTest {
    private static final Pattern LISTENING = Pattern.compile("listening on /?[^ ]*:(\\d+) ");
    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @TempDir
    Path dir;

    @Test
    void sigtermFinishesCommitsAbortsSessionsAndExitsZero() throws Exception {
        Path data = dir.resolve("data");
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(javaBin.toString(), "-Xmx256m",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-cp", System.getProperty("java.class.path"),
                "dev.cairn.server.CairnDaemon", "--data", data.toString(), "--listen", "127.0.0.1:0");
        // To a file, not a pipe: Process.destroy() closes the parent's end of the pipes, and the
        // shutdown's log lines would be lost.
        Path logFile = dir.resolve("cairnd.log");
        pb.redirectErrorStream(true);
        pb.redirectOutput(logFile.toFile());
        Process p = pb.start();
        List<String> log = new ArrayList<>();
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < deadline && p.isAlive()) {
                try {
                    Matcher m = LISTENING.matcher(Files.readString(logFile));
                    if (m.find()) {
                        return Integer.parseInt(m.group(1));
                    }
                    Thread.sleep(50);
                } catch (IOException | InterruptedException e) {
                    return -1;
                }
            }
            return -1;
        });
        try {
            int pt = port.get(60, TimeUnit.SECONDS);
            assertThat(pt).as("daemon log: %s", log).isPositive();
            InetSocketAddress a = new InetSocketAddress("127.0.0.1", pt);

            byte[] committed = DaemonFixture.data(700, 400_000);
            byte[] racing = DaemonFixture.data(701, 400_000);
            CommitOk ok;
            try (WireDriver w = WireDriver.open(a, "")) {
                ok = w.put("term/a", T0, committed);
            }
            // An open session with uploaded data that is never committed: must be aborted.
            WireDriver open = WireDriver.open(a, "");
            int s = open.beginPut(CheckpointMeta.of("term/open", T0), List.of(), null);
            open.ok(new Entry(s, "", EntryKind.FILE), EntryOk.class);
            open.addData(s, WireDriver.chunk(DaemonFixture.data(702, 100_000), open.chunker()));
            // A commit in flight when the signal arrives: it either finishes (and is then durable)
            // or is refused; it is never half-written.
            WireDriver racer = WireDriver.open(a, "");
            int rs = racer.beginPut(CheckpointMeta.of("term/race", T0), List.of(), null);
            racer.ok(new Entry(rs, "", EntryKind.FILE), EntryOk.class);
            racer.addData(rs, WireDriver.chunk(racing, racer.chunker()));
            racer.ok(new EndEntry(rs), EndEntryOk.class);
            racer.send(new Commit(rs));

            p.destroy(); // SIGTERM
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("daemon exits").isTrue();
            log.addAll(Files.readAllLines(logFile));
            assertThat(p.exitValue()).as("exit status; log: %s", log).isZero();
            assertThat(log).anyMatch(l -> l.contains("shutting down"));
            assertThat(log).anyMatch(l -> l.contains("stopped"));

            Message raceAnswer = null;
            for (Envelope e : racer.drainUntilClosed()) {
                if (e.requestId() != 0) {
                    raceAnswer = e.message();
                }
            }
            open.close();
            racer.close();

            try (Repository repo = Repository.open(data, dev.cairn.store.RepositoryOptions.defaults())) {
                VerifyReport v = repo.verify(true);
                assertThat(v.clean()).as(v.toString()).isTrue();
                try (InputStream in = repo.open(ok.id())) {
                    assertThat(in.readAllBytes()).isEqualTo(committed);
                }
                assertThat(repo.list("term/open")).isEmpty();
                List<CheckpointInfo> raced = repo.list("term/race");
                if (raceAnswer instanceof CommitOk c) {
                    assertThat(raced).extracting(CheckpointInfo::id).containsExactly(c.id());
                }
                for (CheckpointInfo i : raced) {
                    try (InputStream in = repo.open(i.id())) {
                        assertThat(in.readAllBytes()).isEqualTo(racing);
                    }
                }
            }
        } finally {
            p.destroyForcibly();
        }
    }
}
