package dev.cairn.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.client.PutResult;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ManifestId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line without a daemon: parsing, usage errors, exit codes, JSON shapes. */
class CliTest {

    @Test
    void helpAndVersionExitZero() {
        CliRun r = CliRun.run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("put", "get", "ls", "show", "stats", "verify", "Exit codes");
        assertThat(CliRun.run("put", "--help").out()).contains("--series", "--step", "--metric", "--tag", "--time",
                "--parent", "--derived-from", "--compute-seconds", "PATH|-");
        assertThat(CliRun.run("--version").code()).isZero();
    }

    @Test
    void onlyTheNamedSubcommandIsBuiltAndGlobalOptionValuesAreNotTakenForIt() {
        assertThat(CairnCommand.named(new String[] {"stats"})).isEqualTo("stats");
        assertThat(CairnCommand.named(new String[] {"--json", "--server", "h:1", "put", "--series", "ls", "-"}))
                .isEqualTo("put");
        assertThat(CairnCommand.named(new String[] {"--token", "stats", "ls"})).isEqualTo("ls");
        assertThat(CairnCommand.named(new String[] {"--token=stats", "ls"})).isEqualTo("ls");
        assertThat(CairnCommand.named(new String[] {"--help"})).isNull();
        assertThat(CairnCommand.named(new String[] {"frobnicate", "put"})).isNull();
        // Every command is still reachable under the name its annotation gives it, and suggestions
        // still see every name.
        for (Map.Entry<String, Class<?>> e : CairnCommand.SUBCOMMANDS.entrySet()) {
            assertThat(e.getValue().getAnnotation(picocli.CommandLine.Command.class).name()).isEqualTo(e.getKey());
            assertThat(CliRun.run(e.getKey(), "--help").code()).as(e.getKey()).isZero();
        }
        assertThat(CliRun.run("--help").out()).contains(CairnCommand.SUBCOMMANDS.keySet());
        assertThat(CliRun.run("lss").stderr()).contains("Did you mean", "ls");
    }

    @Test
    void badFlagsAreUsageErrors() {
        assertThat(CliRun.run("put", "-").code()).isEqualTo(ExitCodes.USAGE); // --series missing
        assertThat(CliRun.run("put", "--series", "s", "--bogus", "-").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(CliRun.run("frobnicate").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(CliRun.run().code()).isEqualTo(ExitCodes.USAGE);
        assertThat(CliRun.run("get", "abcdef").code()).isEqualTo(ExitCodes.USAGE); // -o missing
        assertThat(CliRun.run("put", "--series", "s", "--step", "ten", "-").code()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void badValuesAreUsageErrorsBeforeAnyConnection() {
        // Nothing listens on the server given; a usage error must be reported first.
        String srv = "127.0.0.1:" + freePort();
        CliRun metric = CliRun.run("--server", srv, "put", "--series", "s", "--metric", "loss", "-");
        assertThat(metric.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(metric.stderr()).contains("NAME=VALUE");
        CliRun nan = CliRun.run("--server", srv, "put", "--series", "s", "--metric", "loss=abc", "-");
        assertThat(nan.code()).isEqualTo(ExitCodes.USAGE);
        CliRun time = CliRun.run("--server", srv, "put", "--series", "s", "--time", "yesterday", "-");
        assertThat(time.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(time.stderr()).contains("ISO-8601");
        CliRun series = CliRun.run("--server", srv, "put", "--series", "bad series", "-");
        assertThat(series.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(series.stderr()).contains("bad series name");
        CliRun tag = CliRun.run("--server", srv, "put", "--series", "s", "--tag", "no spaces", "-");
        assertThat(tag.code()).isEqualTo(ExitCodes.USAGE);
        CliRun server = CliRun.run("--server", "nonsense", "ls");
        assertThat(server.code()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void unreachableDaemonIsUnavailableWithAClearMessage() {
        String srv = "127.0.0.1:" + freePort();
        CliRun r = CliRun.run("--server", srv, "ls");
        assertThat(r.code()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(r.stderr()).contains("cannot connect to " + srv);
        CliRun env = CliRun.run(Map.of("CAIRN_SERVER", srv), null, "stats");
        assertThat(env.code()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(env.stderr()).contains(srv);
    }

    @Test
    void jsonErrorOnStdout() throws Exception {
        String srv = "127.0.0.1:" + freePort();
        CliRun r = CliRun.run("--server", srv, "ls", "--json");
        assertThat(r.code()).isEqualTo(ExitCodes.UNAVAILABLE);
        Map<?, ?> j = new ObjectMapper().readValue(r.stdout(), Map.class);
        assertThat(j.get("exitCode")).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat((String) j.get("error")).contains("cannot connect");
    }

    @Test
    void missingInputFileIsALocalError() {
        String srv = "127.0.0.1:" + freePort();
        // The client connects lazily, so a missing file is reported without a daemon.
        CliRun r = CliRun.run("--server", srv, "put", "--series", "s", "/nonexistent/cairn-input");
        assertThat(r.code()).isIn(ExitCodes.LOCAL_IO, ExitCodes.UNAVAILABLE);
    }

    @ParameterizedTest
    @EnumSource(Status.class)
    void everyStatusHasAnExitCodeInItsFamily(Status s) {
        int code = ExitCodes.of(s);
        assertThat(code).isBetween(0, 10);
        assertThat(ExitCodes.of(new CairnException(s, "x"))).isEqualTo(code);
    }

    @Test
    void exitCodeFamilies() {
        assertThat(ExitCodes.of(Status.OK)).isEqualTo(0);
        assertThat(ExitCodes.of(Status.BAD_REQUEST)).isEqualTo(2);
        assertThat(ExitCodes.of(Status.NOT_FOUND)).isEqualTo(3);
        assertThat(ExitCodes.of(Status.UNAUTHENTICATED)).isEqualTo(4);
        assertThat(ExitCodes.of(Status.CONFLICT)).isEqualTo(5);
        assertThat(ExitCodes.of(Status.CORRUPT)).isEqualTo(6);
        assertThat(ExitCodes.of(Status.MISSING_CHUNKS)).isEqualTo(6);
        assertThat(ExitCodes.of(Status.BUSY)).isEqualTo(7);
        assertThat(ExitCodes.of(Status.TIMEOUT)).isEqualTo(7);
        assertThat(ExitCodes.of(Status.NO_SPACE)).isEqualTo(8);
        assertThat(ExitCodes.of(Status.UNSUPPORTED_VERSION)).isEqualTo(9);
        assertThat(ExitCodes.of(Status.INTERNAL)).isEqualTo(1);
        assertThat(ExitCodes.of(new NoSuchFileException("x"))).isEqualTo(10);
        assertThat(ExitCodes.of(new FileAlreadyExistsException("x"))).isEqualTo(10);
        assertThat(ExitCodes.of(new IOException("disk"))).isEqualTo(10);
        assertThat(ExitCodes.of(new IllegalStateException("bug"))).isEqualTo(1);
        // Distinct families: no two of these share a code.
        Set<Integer> codes = new HashSet<>();
        for (Status s : List.of(Status.BAD_REQUEST, Status.NOT_FOUND, Status.UNAUTHENTICATED, Status.CONFLICT,
                Status.CORRUPT, Status.BUSY, Status.NO_SPACE, Status.UNSUPPORTED_VERSION, Status.INTERNAL)) {
            assertThat(codes.add(ExitCodes.of(s))).as(s.name()).isTrue();
        }
    }

    @Test
    void putJsonShape() {
        ManifestId id = ManifestId.parse("12".repeat(32));
        Map<String, Object> j = Json.put(new PutResult(id, "full", 10, 5, 4, 3, 2, null, false, 2, 4));
        assertThat(j.keySet()).containsExactly("id", "kind", "logicalBytes", "newBytes", "storedBytes", "chunks",
                "newChunks", "parent", "existed", "uploadedBytes");
        assertThat(j.get("id")).isEqualTo(id.toHex());
        assertThat(j.get("parent")).isNull();
        assertThat(j.get("logicalBytes")).isEqualTo(10L);
    }

    @Test
    void humanSizes() {
        assertThat(Sizes.human(0)).isEqualTo("0 B");
        assertThat(Sizes.human(1023)).isEqualTo("1023 B");
        assertThat(Sizes.human(1536)).isEqualTo("1.5 KiB");
        assertThat(Sizes.human(256L << 20)).isEqualTo("256 MiB");
        assertThat(Sizes.human(5L << 30)).isEqualTo("5.0 GiB");
    }

    @Test
    void timeFormats() {
        PutCommand p = new PutCommand();
        p.spec = new picocli.CommandLine(new CairnCommand()).addSubcommand("put", PutCommand.class).getSubcommands()
                .get("put").getCommandSpec();
        assertThat(p.parseTime("2026-11-01T12:00:00Z").toString()).isEqualTo("2026-11-01T12:00:00Z");
        assertThat(p.parseTime("2026-11-01T14:00:00+02:00").toString()).isEqualTo("2026-11-01T12:00:00Z");
        assertThat(p.parseTime("2026-11-01T12:00:00").toString()).isEqualTo("2026-11-01T12:00:00Z");
        assertThat(p.parseTime("2026-11-01").toString()).isEqualTo("2026-11-01T00:00:00Z");
    }

    @Test
    void progressBarAppearsAfterASecondOnlyWhenEnabled() throws Exception {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream ps = new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8);
        Output on = new Output(System.out, ps, System.in, Map.of(), true);
        try (Progress p = Progress.start(on, "put", 4L << 20)) {
            p.add(1L << 20);
            Thread.sleep(1400);
        }
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("put [", "25%", "1.0 MiB / 4.0 MiB");
        err.reset();
        Output off = new Output(System.out, ps, System.in, Map.of("CAIRN_PROGRESS", "0"), true);
        try (Progress p = Progress.start(off, "put", 100)) {
            p.add(10);
            Thread.sleep(1200);
        }
        assertThat(err.size()).isZero();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
