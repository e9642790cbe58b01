package dev.cairn.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code bin/cairn} script as a child process (bash, env.sh, the newest JDK), against an
 * in-process daemon: put a file and stdin, get them back bit-exact, and an exit code. The script
 * builds the CLI first if its jar is missing or stale (under {@code mvn verify} the reactor has
 * just packaged it).
 */
class BinCairnProcessTest {
    @TempDir
    static Path dir;
    static TestDaemon daemon;
    static Path bin;

    @BeforeAll
    static void start() throws IOException {
        daemon = TestDaemon.start(dir.resolve("data"));
        bin = Path.of(System.getProperty("user.dir")).getParent().resolve("bin/cairn");
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    record Result(int code, String out, String err) {
    }

    static Result run(Path stdin, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(bin.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("CAIRN_SERVER", daemon.address());
        pb.environment().remove("CAIRN_TOKEN");
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
                : ProcessBuilder.Redirect.from(stdin.toFile()));
        Process p = pb.start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("bin/cairn did not finish within 600 s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /**
     * bin/cairn's start-up archive (bin/env.sh, cairn_cli_archive) stays out of the user's way: a
     * call after the one that made it prints nothing on stderr, and an archive the JVM cannot use
     * (here: overwritten with garbage, its key still matching) only costs the archive, never the
     * call or a line of noise.
     */
    @Test
    void theStartUpArchiveNeverFailsACallOrPrintsNoise() throws Exception {
        Result first = run(null, "stats");
        assertThat(first.code()).as(first.err()).isZero();
        Result second = run(null, "stats", "--json");
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.err()).isEmpty();
        assertThat(second.out()).contains("\"checkpoints\"");

        Path cds = bin.getParent().getParent().resolve("cli/target/cds");
        List<Path> archives;
        try (var files = Files.list(cds)) {
            archives = files.filter(f -> f.toString().endsWith(".aot") || f.toString().endsWith(".jsa"))
                    .filter(f -> Files.exists(Path.of(f + ".key"))).toList();
        }
        assertThat(archives).as("an archive with its key in " + cds).isNotEmpty();
        Path saved = dir.resolve("archive.saved");
        for (Path a : archives) {
            Files.copy(a, saved.resolveSibling(a.getFileName() + ".saved"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            a.toFile().setWritable(true);
            Files.write(a, TestDaemon.data(7, 1 << 16));
        }
        try {
            Result damaged = run(null, "stats");
            assertThat(damaged.code()).as(damaged.err()).isZero();
            assertThat(damaged.err()).isEmpty();
            assertThat(damaged.out()).contains("checkpoints:");
        } finally {
            for (Path a : archives) {
                Files.copy(saved.resolveSibling(a.getFileName() + ".saved"), a, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    @Test
    void putAndGetThroughTheScript() throws Exception {
        Path f = dir.resolve("weights.bin");
        Files.write(f, TestDaemon.data(42, 3_000_000));
        Result put = run(null, "put", "--series", "bin/file", "--step", "1", f.toString());
        assertThat(put.code()).as(put.err()).isZero();
        String id = put.out().trim();
        assertThat(id).matches("[0-9a-f]{64}");
        Path back = dir.resolve("weights.back");
        Result get = run(null, "get", id.substring(0, 10), "-o", back.toString());
        assertThat(get.code()).as(get.err()).isZero();
        assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(f));

        Result viaStdin = run(f, "put", "--series", "bin/stdin", "--json", "-");
        assertThat(viaStdin.code()).as(viaStdin.err()).isZero();
        assertThat(viaStdin.out()).contains("\"newBytes\" : 0");

        Result missing = run(null, "show", "ab".repeat(32));
        assertThat(missing.code()).isEqualTo(3);
        assertThat(missing.err()).contains("NOT_FOUND");
    }

    /**
     * {@code producer | { cairn put -; next; }} over the local socket: the daemon reads the pipe
     * itself, and the pipe's read end, which the shell and {@code next} share with the CLI, is left
     * as it was (blocking): the CLI hands over a description of its own, not stdin's.
     */
    @Test
    void aPipeHandedToTheDaemonStaysBlockingForTheRestOfThePipeline() throws Exception {
        Path f = dir.resolve("piped.bin");
        Files.write(f, TestDaemon.data(43, 2_000_000));
        String script = "cat \"$1\" | { \"$2\" --local --socket \"$3\" put --series bin/pipe - || exit 9;"
                + " grep '^flags:' /proc/self/fdinfo/0; }";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", script, "bash", f.toString(), bin.toString(),
                daemon.daemon().localSocket().toString());
        pb.environment().remove("CAIRN_SERVER");
        pb.environment().remove("CAIRN_TOKEN");
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(600, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(err)).isZero();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(2);
        int flags = Integer.parseInt(lines.get(1).substring("flags:".length()).strip(), 8);
        assertThat(flags & 04000).as("O_NONBLOCK on the shared pipe, flags 0%o", flags).isZero();
        Path back = dir.resolve("piped.back");
        Result get = run(null, "get", lines.get(0).trim(), "-o", back.toString());
        assertThat(get.code()).as(get.err()).isZero();
        assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(f));
    }
}
