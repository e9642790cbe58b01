package dev.cairn.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** How the CLI picks the local socket or TCP, and put/get over the socket (in-process). */
class LocalCliE2eTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static TestDaemon daemon;

    @BeforeAll
    static void start() throws IOException {
        daemon = TestDaemon.start(dir.resolve("data"));
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    static JsonNode putJson(Map<String, String> env, Path f, String... global) throws IOException {
        String[] args = new String[global.length + 5];
        System.arraycopy(global, 0, args, 0, global.length);
        System.arraycopy(new String[] {"--json", "put", "--series", "cli/local", f.toString()}, 0, args, global.length, 5);
        Cli r = Cli.run(env, null, args);
        assertThat(r.code()).as("%s", r).isZero();
        return JSON.readTree(r.stdout());
    }

    @Test
    void theSocketIsPickedWhenItExistsAndNoServerIsNamed() throws Exception {
        String sock = daemon.daemon().localSocket().toString();
        Path f = dir.resolve("a");
        Files.write(f, TestDaemon.data(1, 300_000));
        // Local: the daemon read the file itself, the CLI uploaded nothing.
        JsonNode local = putJson(Map.of("CAIRN_SOCKET", sock), f);
        assertThat(local.get("newBytes").asLong()).isPositive();
        assertThat(local.get("uploadedBytes").asLong()).isZero();
        Path g = dir.resolve("b");
        Files.write(g, TestDaemon.data(2, 300_000));
        // CAIRN_SERVER names a server: TCP, where the client uploads what is new.
        JsonNode remote = putJson(Map.of("CAIRN_SOCKET", sock, "CAIRN_SERVER", daemon.address()), g);
        assertThat(remote.get("uploadedBytes").asLong()).isPositive();
        // --local wins over nothing, --remote over an existing socket.
        Path h = dir.resolve("c");
        Files.write(h, TestDaemon.data(3, 300_000));
        assertThat(putJson(Map.of("CAIRN_SERVER", daemon.address()), h, "--remote", "--socket", sock)
                .get("uploadedBytes").asLong()).isPositive();
        Path k = dir.resolve("d");
        Files.write(k, TestDaemon.data(4, 300_000));
        assertThat(putJson(Map.of(), k, "--local", "--socket", sock).get("uploadedBytes").asLong()).isZero();
        // get -o over the socket, bit-exact; standard input over the socket.
        Path back = dir.resolve("a.back");
        Cli get = Cli.run(Map.of("CAIRN_SOCKET", sock), null, "get", local.get("id").asText(), "-o", back.toString());
        assertThat(get.code()).as("%s", get).isZero();
        assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(f));
        Cli stdin = Cli.run(Map.of("CAIRN_SOCKET", sock), Files.readAllBytes(f), "put", "--series", "cli/stdin", "-");
        assertThat(stdin.code()).as("%s", stdin).isZero();
    }

    @Test
    void localWithoutASocketIsAUsageError() {
        Cli r = Cli.run(Map.of(), null, "--local", "--socket", dir.resolve("nope.sock").toString(), "stats");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.stderr()).contains("no daemon socket at");
        Cli both = Cli.run(Map.of(), null, "--local", "--remote", "stats");
        assertThat(both.code()).isEqualTo(2);
    }
}
