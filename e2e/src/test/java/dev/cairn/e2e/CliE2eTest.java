package dev.cairn.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.cli.ExitCodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** bin/cairn's commands, run in-process through the picocli entry point, against a real daemon. */
class CliE2eTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static TestDaemon daemon;
    static Map<String, String> env;

    @BeforeAll
    static void start() throws IOException {
        daemon = TestDaemon.start(dir.resolve("data"));
        env = new HashMap<>();
        env.put("CAIRN_SERVER", daemon.address());
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    static Cli cli(String... args) {
        return Cli.run(env, null, args);
    }

    static Cli ok(String... args) {
        Cli r = cli(args);
        assertThat(r.code()).as("%s", r).isZero();
        return r;
    }

    static JsonNode json(Cli r) throws IOException {
        return JSON.readTree(r.stdout());
    }

    @Test
    void fileRoundTripBitExactAndSecondPutDedups() throws Exception {
        Path f = dir.resolve("model.bin");
        Files.write(f, TestDaemon.data(1, 2_000_000));
        Cli put = ok("put", "--series", "cli/file", "--step", "10", "--metric", "val_loss=0.25", "--tag", "best",
                "--time", "2026-11-01T10:00:00Z", "--compute-seconds", "12.5", f.toString());
        String id = put.out().trim();
        assertThat(id).matches("[0-9a-f]{64}");
        Path back = dir.resolve("model.back");
        ok("get", id.substring(0, 8), "-o", back.toString());
        assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(f));

        JsonNode second = json(ok("put", "--json", "--series", "cli/file", "--step", "20", f.toString()));
        assertThat(second.get("id").asText()).matches("[0-9a-f]{64}").isNotEqualTo(id);
        assertThat(second.get("newBytes").asLong()).isZero();
        assertThat(second.get("uploadedBytes").asLong()).isZero();
        assertThat(second.get("logicalBytes").asLong()).isEqualTo(2_000_000);
        for (String k : new String[] {"kind", "storedBytes", "chunks", "newChunks", "parent", "existed"}) {
            assertThat(second.has(k)).as(k).isTrue();
        }

        JsonNode show = json(ok("show", id, "--json"));
        assertThat(show.get("series").asText()).isEqualTo("cli/file");
        assertThat(show.get("createdAt").asText()).isEqualTo("2026-11-01T10:00:00Z");
        assertThat(show.get("step").asLong()).isEqualTo(10);
        assertThat(show.get("metrics").get("val_loss").asDouble()).isEqualTo(0.25);
        assertThat(show.get("computeSeconds").asDouble()).isEqualTo(12.5);
        assertThat(show.get("tags").get(0).asText()).isEqualTo("best");
        assertThat(show.get("entries")).hasSize(1);
        assertThat(ok("show", id).out()).contains("series:      cli/file", "val_loss");
    }

    @Test
    void stdinRoundTripToStdout() throws Exception {
        byte[] data = TestDaemon.data(2, 1_234_567);
        Cli put = Cli.run(env, data, "put", "--series", "cli/stdin", "-");
        assertThat(put.code()).as("%s", put).isZero();
        String id = put.out().trim();
        Cli get = ok("get", id, "-o", "-");
        assertThat(get.stdout()).isEqualTo(data);
    }

    @Test
    void getToStdoutOfADamagedCheckpointSaysTheOutputIsIncomplete() throws Exception {
        try (TestDaemon d = TestDaemon.start(dir.resolve("damaged"))) {
            Map<String, String> e = Map.of("CAIRN_SERVER", d.address());
            byte[] data = TestDaemon.data(9, 12 << 20);
            Cli put = Cli.run(e, data, "put", "--series", "cli/damaged", "-");
            assertThat(put.code()).as("%s", put).isZero();
            String id = put.out().trim();
            Path pack;
            try (var files = Files.walk(dir.resolve("damaged").resolve("packs"))) {
                pack = files.filter(Files::isRegularFile).max(java.util.Comparator.comparingLong(f -> f.toFile().length()))
                        .orElseThrow();
            }
            try (var ch = java.nio.channels.FileChannel.open(pack, java.nio.file.StandardOpenOption.WRITE,
                    java.nio.file.StandardOpenOption.READ)) {
                long at = ch.size() * 2 / 3;
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64);
                ch.read(b, at);
                for (int i = 0; i < 64; i++) {
                    b.put(i, (byte) ~b.get(i));
                }
                ch.write(b.rewind(), at);
            }
            Cli get = Cli.run(e, null, "get", id, "-o", "-");
            assertThat(get.code()).as("%s", get).isEqualTo(ExitCodes.DAMAGED);
            assertThat(get.stdout().length).isPositive().isLessThan(data.length);
            assertThat(get.stdout()).isEqualTo(java.util.Arrays.copyOf(data, get.stdout().length));
            assertThat(get.stderr()).contains(get.stdout().length + " bytes were written to standard output before the"
                    + " error; the output is incomplete");
        }
    }

    @Test
    void directoryRoundTrip() throws Exception {
        Path src = dir.resolve("ckpt");
        Files.createDirectories(src.resolve("shards"));
        Files.createDirectories(src.resolve("logs/empty"));
        for (int i = 0; i < 5; i++) {
            Files.write(src.resolve("shards/part-" + i), TestDaemon.data(10 + i, 100_000 * (i + 1)));
        }
        Files.writeString(src.resolve("config.json"), "{\"lr\": 0.1}");
        String id = ok("put", "--series", "cli/dir", src.toString()).out().trim();
        Path out = dir.resolve("ckpt-restored");
        JsonNode got = json(ok("--json", "get", id, "-o", out.toString()));
        assertThat(got.get("kind").asText()).isEqualTo("directory");
        assertThat(tree(out)).isEqualTo(tree(src));
        assertThat(Files.isDirectory(out.resolve("logs/empty"))).isTrue();
        // A directory checkpoint cannot go to stdout.
        assertThat(cli("get", id, "-o", "-").code()).isEqualTo(ExitCodes.USAGE);
        // The target must not exist: a local file error, and nothing is overwritten.
        Cli again = cli("get", id, "-o", out.toString());
        assertThat(again.code()).isEqualTo(ExitCodes.LOCAL_IO);
        assertThat(again.stderr()).contains("already exists");
    }

    @Test
    void symlinksAreRefusedWithAClearMessage() throws Exception {
        Path src = dir.resolve("with-link");
        Files.createDirectories(src);
        Files.writeString(src.resolve("a"), "a");
        Files.createSymbolicLink(src.resolve("b"), src.resolve("a"));
        Cli r = cli("put", "--series", "cli/link", src.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.stderr()).contains("symbolic link", "not supported");
    }

    @Test
    void lsStatsVerify() throws Exception {
        Path f = dir.resolve("small.bin");
        Files.write(f, TestDaemon.data(3, 50_000));
        String a = ok("put", "--series", "cli/ls", "--time", "2026-01-01T00:00:00Z", f.toString()).out().trim();
        String b = ok("put", "--series", "cli/ls", "--time", "2026-01-02T00:00:00Z", "--parent", a.substring(0, 12),
                "--derived-from", a, f.toString()).out().trim();
        JsonNode ls = json(ok("ls", "--series", "cli/ls", "--json"));
        assertThat(ls).hasSize(2);
        assertThat(ls.get(0).get("id").asText()).isEqualTo(a);
        assertThat(ls.get(1).get("id").asText()).isEqualTo(b);
        assertThat(ls.get(1).get("derivedFrom").asText()).isEqualTo(a);
        String table = ok("ls", "--series", "cli/ls").out();
        assertThat(table).startsWith("ID").contains(a.substring(0, 12), "cli/ls", "2026-01-02T00:00:00Z");
        JsonNode stats = json(ok("stats", "--json"));
        assertThat(stats.get("checkpoints").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(ok("stats").out()).contains("logical size:", "iB");
        JsonNode v = json(ok("verify", "--read-data", "--json"));
        assertThat(v.get("clean").asBoolean()).isTrue();
        assertThat(v.get("readData").asBoolean()).isTrue();
    }

    @Test
    void unknownIdsAndBadPrefixes() {
        String none = "ab".repeat(32);
        assertThat(cli("get", none, "-o", dir.resolve("x").toString()).code()).isEqualTo(ExitCodes.NOT_FOUND);
        Cli show = cli("show", none);
        assertThat(show.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(show.stderr()).contains("NOT_FOUND");
        assertThat(cli("show", "fedcba9876").code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(cli("show", "xyz").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli("put", "--series", "cli/x", "--parent", none, "-").code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(cli("get").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli("put", "--series", "cli/x", dir.resolve("does-not-exist").toString()).code())
                .isEqualTo(ExitCodes.LOCAL_IO);
    }

    @Test
    void tokensAreChecked() throws Exception {
        try (TestDaemon secured = TestDaemon.start(TestDaemon.config(dir.resolve("secured"), TestDaemon.SMALL)
                .withTokens(Map.of("s3cret-token", "team-a")))) {
            Map<String, String> e = Map.of("CAIRN_SERVER", secured.address());
            Cli none = Cli.run(e, null, "ls");
            assertThat(none.code()).as("%s", none).isEqualTo(ExitCodes.ACCESS);
            assertThat(none.stderr()).contains("UNAUTHENTICATED");
            assertThat(Cli.run(e, null, "--token", "wrong", "ls").code()).isEqualTo(ExitCodes.ACCESS);
            assertThat(Cli.run(Map.of("CAIRN_SERVER", secured.address(), "CAIRN_TOKEN", "s3cret-token"), null, "ls")
                    .code()).isZero();
            assertThat(Cli.run(e, null, "stats", "--token", "s3cret-token").code()).isZero();
        }
    }

    static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = root.relativize(p).toString();
                if (Files.isDirectory(p)) {
                    m.put(rel + "/", "dir");
                } else {
                    m.put(rel, java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(Files.readAllBytes(p))));
                }
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }
}
