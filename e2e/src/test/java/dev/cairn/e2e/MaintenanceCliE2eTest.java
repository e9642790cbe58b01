package dev.cairn.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.cli.ExitCodes;
import dev.cairn.server.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The maintenance commands of bin/cairn (trim, trim log, trash, hold, tag, gc, policy simulate)
 * in-process against a real daemon whose clock the test moves, so grace periods and hold expiry
 * pass without waiting.
 */
class MaintenanceCliE2eTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(T0.plus(Duration.ofDays(1)));
    TestDaemon daemon;
    Map<String, String> env;

    @BeforeEach
    void start() throws IOException {
        daemon = TestDaemon.start(TestDaemon.config(dir.resolve("data"), TestDaemon.SMALL), clock);
        env = new HashMap<>();
        env.put("CAIRN_SERVER", daemon.address());
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    Cli cli(String... args) {
        return Cli.run(env, null, args);
    }

    Cli ok(String... args) {
        Cli r = cli(args);
        assertThat(r.code()).as("%s", r).isZero();
        return r;
    }

    Cli exit(int code, String... args) {
        Cli r = cli(args);
        assertThat(r.code()).as("%s", r).isEqualTo(code);
        return r;
    }

    static JsonNode json(Cli r) throws IOException {
        return JSON.readTree(r.stdout());
    }

    /** A policy file governing {@code glob} with the given rule lines. */
    Path policy(String name, String glob, String... rules) throws IOException {
        StringBuilder b = new StringBuilder("policies:\n  - series: \"" + glob + "\"\n");
        for (String r : rules) {
            b.append("    ").append(r).append('\n');
        }
        Path p = dir.resolve(name);
        Files.writeString(p, b.toString());
        return p;
    }

    record Put(String id, Path file) {
    }

    /** {@code n} checkpoints an hour apart from T0, each with its own content; oldest first. */
    List<Put> history(String series, int n, long seed) throws IOException {
        List<Put> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path f = dir.resolve(series.replace('/', '_') + "-" + i + ".bin");
            Files.write(f, TestDaemon.data(seed + i, 40_000));
            JsonNode put = json(ok("put", "--json", "--series", series, "--step", Long.toString(1000L * i), "--time",
                    T0.plus(Duration.ofHours(i)).toString(), f.toString()));
            out.add(new Put(put.get("id").asText(), f));
        }
        return out;
    }

    static List<String> ids(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get("id").asText()));
        return out;
    }

    static Set<String> kinds(JsonNode keepItem) {
        Set<String> out = new HashSet<>();
        keepItem.get("reasons").forEach(r -> out.add(r.get("kind").asText()));
        return out;
    }

    // ================================================================== trim, trash, log

    @Test
    void trimDryRunThenApplyThenTrashRestoreBitExactAndTrimLog() throws Exception {
        List<Put> h = history("exp/a", 6, 100);
        Path p = policy("keep2.yaml", "exp/*", "last: 2", "max_remove: 100%", "grace: 1h");

        JsonNode dry = json(ok("trim", "--dry-run", "--json", "--policy", p.toString()));
        assertThat(ids(dry.get("keep"))).containsExactly(h.get(5).id(), h.get(4).id());
        assertThat(kinds(dry.get("keep").get(0))).contains("last", "newest_restorable");
        assertThat(dry.get("keep").get(1).get("reasons").get(0).get("text").asText()).isEqualTo("last 2");
        assertThat(dry.get("keep").get(0).get("series").asText()).isEqualTo("exp/a");
        assertThat(ids(dry.get("remove"))).containsExactly(h.get(3).id(), h.get(2).id(), h.get(1).id(), h.get(0).id());
        long freed = 0;
        for (JsonNode r : dry.get("remove")) {
            assertThat(r.get("freedBytes").asLong()).isPositive();
            assertThat(r.get("series").asText()).isEqualTo("exp/a");
            freed += r.get("freedBytes").asLong();
        }
        assertThat(dry.get("remove").get(3).get("createdAt").asText()).isEqualTo(T0.toString());
        assertThat(dry.get("freedBytes").asLong()).isEqualTo(freed);
        assertThat(dry.get("dryRun").asBoolean()).isTrue();
        assertThat(dry.get("applied").asBoolean()).isFalse();
        assertThat(dry.get("auditId").isNull()).isTrue();
        assertThat(dry.get("blocked")).isEmpty();
        assertThat(dry.get("rebases")).isEmpty();
        assertThat(dry.get("policySource").asText()).isEqualTo(p.toString());
        assertThat(dry.get("series").get(0).get("trashExpiresAt").asText())
                .isEqualTo(clock.instant().plus(Duration.ofHours(1)).toString());
        assertThat(json(ok("ls", "--json", "--series", "exp/a"))).hasSize(6);

        String human = ok("trim", "--dry-run", "--policy", p.toString()).out();
        assertThat(human).contains("exp/a (policy exp/*): keep 2, remove 4", "last 2", "newest restorable",
                "remove", h.get(0).id().substring(0, 12), "dry run, nothing changed");

        JsonNode applied = json(ok("trim", "--json", "--policy", p.toString()));
        assertThat(applied.get("applied").asBoolean()).isTrue();
        assertThat(applied.get("dryRun").asBoolean()).isFalse();
        String audit = applied.get("auditId").asText();
        assertThat(audit).startsWith("trim-");
        assertThat(applied.get("remove")).isEqualTo(dry.get("remove"));
        assertThat(applied.get("requestedBy").asText()).isEqualTo("default (cairn-cli/0.1.0)");
        assertThat(ids(json(ok("ls", "--json", "--series", "exp/a")))).containsExactly(h.get(4).id(), h.get(5).id());

        JsonNode trash = json(ok("trash", "ls", "--json"));
        assertThat(ids(trash)).containsExactlyInAnyOrder(h.get(0).id(), h.get(1).id(), h.get(2).id(), h.get(3).id());
        for (JsonNode t : trash) {
            assertThat(t.get("auditId").asText()).isEqualTo(audit);
            assertThat(t.get("series").asText()).isEqualTo("exp/a");
            assertThat(t.get("logicalBytes").asLong()).isEqualTo(40_000);
            assertThat(t.get("expiresAt").asText()).isEqualTo(clock.instant().plus(Duration.ofHours(1)).toString());
        }
        assertThat(ok("trash", "ls").out()).startsWith("ID").contains(h.get(1).id().substring(0, 12), audit);

        // Restore by prefix: back exactly as it was, bytes included.
        String restored = ok("trash", "restore", h.get(0).id().substring(0, 10)).out();
        assertThat(restored).contains("restored " + h.get(0).id());
        Path back = dir.resolve("restored.bin");
        ok("get", h.get(0).id(), "-o", back.toString());
        assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(h.get(0).file()));
        JsonNode show = json(ok("show", "--json", h.get(0).id()));
        assertThat(show.get("trash").isNull()).isTrue();
        assertThat(show.get("step").asLong()).isZero();
        assertThat(ids(json(ok("trash", "ls", "--json")))).hasSize(3).doesNotContain(h.get(0).id());
        // Not in the trash (any more): CONFLICT.
        Cli again = exit(ExitCodes.CONFLICT, "trash", "restore", h.get(0).id());
        assertThat(again.stderr()).contains("CONFLICT");
        exit(ExitCodes.NOT_FOUND, "trash", "restore", "ab".repeat(32));

        JsonNode log = json(ok("trim", "log", "--json"));
        assertThat(log).hasSize(1);
        assertThat(log.get(0).get("id").asText()).isEqualTo(audit);
        assertThat(log.get(0).get("removed").asLong()).isEqualTo(4);
        assertThat(log.get(0).get("kept").asLong()).isEqualTo(2);
        assertThat(log.get(0).get("freedBytes").asLong()).isEqualTo(freed);
        assertThat(log.get(0).get("policySource").asText()).isEqualTo(p.toString());
        assertThat(log.get(0).get("report").isNull()).isTrue();
        JsonNode full = json(ok("trim", "log", "--reports", "--limit", "1", "--json"));
        assertThat(full.get(0).get("report").get("policyText").asText()).isEqualTo(Files.readString(p));
        assertThat(ok("trim", "log").out()).startsWith("AUDIT ID").contains(audit, "default (cairn-cli/0.1.0)");
        exit(ExitCodes.USAGE, "trim", "log", "--limit", "-1");
    }

    // ================================================================== holds and tags

    @Test
    void heldCheckpointSurvivesATrimUntilTheHoldGoesAndTagsShow() throws Exception {
        List<Put> h = history("exp/held", 4, 200);
        String oldest = h.get(0).id();

        JsonNode hold = json(ok("hold", "add", oldest.substring(0, 8), "--owner", "eval-job", "--reason",
                "nightly eval", "--ttl", "2h", "--json"));
        assertThat(hold.get("id").asText()).isEqualTo(oldest);
        assertThat(hold.get("owner").asText()).isEqualTo("eval-job");
        assertThat(hold.get("expiresAt").asText()).isEqualTo(clock.instant().plus(Duration.ofHours(2)).toString());
        ok("hold", "add", oldest, "--owner", "deploy", "--reason", "serving");
        assertThat(ok("show", oldest).out()).contains("hold:        eval-job (nightly eval) until "
                + clock.instant().plus(Duration.ofHours(2)), "hold:        deploy (serving)");
        JsonNode shown = json(ok("show", "--json", oldest));
        assertThat(shown.get("holds")).hasSize(2);

        JsonNode tags = json(ok("tag", oldest, "--add", "milestone", "--add", "best", "--remove", "nope", "--json"));
        assertThat(tags.get("tags").toString()).isEqualTo("[\"best\",\"milestone\"]");
        assertThat(ok("tag", oldest, "--remove", "best").out().trim()).isEqualTo("tags: milestone");
        assertThat(ok("show", oldest).out()).contains("tags:        milestone");
        exit(ExitCodes.USAGE, "tag", oldest, "--add", "no spaces");

        Path p = policy("last1.yaml", "exp/*", "last: 1", "max_remove: 100%");
        JsonNode trim = json(ok("trim", "--json", "--policy", p.toString()));
        assertThat(ids(trim.get("keep"))).containsExactly(h.get(3).id(), oldest);
        JsonNode heldItem = trim.get("keep").get(1);
        assertThat(kinds(heldItem)).containsExactly("hold");
        assertThat(heldItem.get("reasons").toString()).contains("eval-job", "deploy");
        assertThat(ids(trim.get("remove"))).containsExactly(h.get(2).id(), h.get(1).id());

        // A checkpoint in the trash cannot be held.
        exit(ExitCodes.CONFLICT, "hold", "add", h.get(1).id(), "--owner", "x", "--reason", "y");

        ok("hold", "rm", oldest, "--owner", "deploy");
        exit(ExitCodes.NOT_FOUND, "hold", "rm", oldest, "--owner", "deploy");
        // The remaining hold expires without renewal: the next trim removes the checkpoint.
        clock.advance(Duration.ofHours(3));
        JsonNode after = json(ok("trim", "--json", "--policy", p.toString()));
        assertThat(ids(after.get("remove"))).containsExactly(oldest);
        assertThat(json(ok("show", "--json", oldest)).get("trash").isNull()).isFalse();

        exit(ExitCodes.USAGE, "hold", "add", oldest, "--owner", "o", "--reason", "r", "--ttl", "soon");
        exit(ExitCodes.USAGE, "hold", "add", oldest, "--owner", "o", "--reason", "r", "--ttl", "0s");
        exit(ExitCodes.USAGE, "hold", "add", oldest, "--owner", "o"); // --reason missing
        exit(ExitCodes.USAGE, "hold");
    }

    // ================================================================== gc

    @Test
    void gcDryRunNumbersEqualTheRealRunOnceTheGracePeriodHasPassed() throws Exception {
        List<Put> h = history("exp/gc", 5, 300);
        Path p = policy("gc.yaml", "exp/*", "last: 1", "max_remove: 100%", "grace: 1h");
        ok("trim", "--policy", p.toString());

        // Within the grace period nothing is deleted for good.
        JsonNode early = json(ok("gc", "--dry-run", "--json"));
        assertThat(early.get("manifestsDeleted").asLong()).isZero();
        assertThat(early.get("chunksFreed").asLong()).isZero();
        assertThat(ids(json(ok("trash", "ls", "--json")))).hasSize(4);

        clock.advance(Duration.ofHours(2));
        JsonNode dry = json(ok("gc", "--dry-run", "--json"));
        assertThat(dry.get("dryRun").asBoolean()).isTrue();
        assertThat(dry.get("manifestsDeleted").asLong()).isEqualTo(4);
        assertThat(dry.get("chunksFreed").asLong()).isPositive();
        assertThat(ids(json(ok("trash", "ls", "--json")))).hasSize(4); // the dry run changed nothing
        assertThat(ok("gc", "--dry-run").out()).contains("dry run", "manifests deleted: 4", "phases:");

        JsonNode real = json(ok("gc", "--json"));
        assertThat(real.get("dryRun").asBoolean()).isFalse();
        for (String k : new String[] {"manifestsDeleted", "rebased", "chunksLive", "chunksFreed", "bytesReclaimed",
                "packsDeleted", "packsRewritten", "bytesCopied", "orphanSegments"}) {
            assertThat(real.get(k).asLong()).as(k).isEqualTo(dry.get(k).asLong());
        }
        List<String> phases = new ArrayList<>();
        real.get("phaseMillis").fieldNames().forEachRemaining(phases::add);
        assertThat(phases).containsExactly("resume", "expire", "mark", "sweep", "delete", "repack");
        assertThat(real.get("totalMillis").asLong()).isNotNegative();

        assertThat(json(ok("trash", "ls", "--json"))).isEmpty();
        exit(ExitCodes.NOT_FOUND, "trash", "restore", h.get(0).id());
        JsonNode second = json(ok("gc", "--json"));
        assertThat(second.get("manifestsDeleted").asLong()).isZero();
        assertThat(second.get("chunksFreed").asLong()).isZero();
        assertThat(json(ok("verify", "--read-data", "--json")).get("clean").asBoolean()).isTrue();
        Path back = dir.resolve("survivor.bin");
        ok("get", h.get(4).id(), "-o", back.toString());
        assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(h.get(4).file()));
    }

    // ================================================================== policy errors and the brake

    @Test
    void badPolicyFileIsInvalidPolicyWithTheParsersMessageAndChangesNothing() throws Exception {
        history("exp/bad", 3, 400);
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "policies:\n  - series: \"exp/*\"\n    lastt: 3\n");
        Cli r = exit(ExitCodes.USAGE, "trim", "--policy", bad.toString());
        assertThat(r.stderr()).contains("INVALID_POLICY", "lastt", "line 3");
        JsonNode err = json(exit(ExitCodes.USAGE, "trim", "--json", "--policy", bad.toString()));
        assertThat(err.get("status").asText()).isEqualTo("INVALID_POLICY");
        assertThat(err.get("exitCode").asInt()).isEqualTo(ExitCodes.USAGE);
        assertThat(err.get("error").asText()).contains("lastt");
        exit(ExitCodes.USAGE, "policy", "simulate", "--policy", bad.toString(), "--series", "exp/bad");

        // No policy at all: the daemon has none in cairn.yaml.
        assertThat(exit(ExitCodes.USAGE, "trim", "--dry-run").stderr()).contains("INVALID_POLICY");
        // A policy file that is not there is a local file error.
        exit(ExitCodes.LOCAL_IO, "trim", "--policy", dir.resolve("missing.yaml").toString());

        assertThat(json(ok("ls", "--json", "--series", "exp/bad"))).hasSize(3);
        assertThat(json(ok("trim", "log", "--json"))).isEmpty();
    }

    @Test
    void maxRemoveBrakeExitsFiveWithTheMessageAndForceRemoves() throws Exception {
        List<Put> h = history("exp/brake", 6, 500);
        Path p = policy("typo.yaml", "exp/*", "last: 1"); // max_remove defaults to 50%

        Cli dry = exit(ExitCodes.CONFLICT, "trim", "--dry-run", "--json", "--policy", p.toString());
        assertThat(dry.stderr()).contains("max_remove brake held", "exp/brake", "--force");
        JsonNode d = json(dry);
        assertThat(d.get("blocked")).hasSize(1);
        assertThat(d.get("blocked").get(0).get("series").asText()).isEqualTo("exp/brake");
        assertThat(d.get("blocked").get(0).get("message").asText()).contains("max_remove");
        assertThat(d.get("remove")).isEmpty();

        Cli brake = exit(ExitCodes.CONFLICT, "trim", "--json", "--policy", p.toString());
        JsonNode b = json(brake);
        assertThat(b.get("remove")).isEmpty();
        assertThat(b.get("keep")).hasSize(6);
        assertThat(kinds(b.get("keep").get(5))).contains("max_remove_brake");
        assertThat(json(ok("ls", "--json", "--series", "exp/brake"))).hasSize(6);
        Cli human = exit(ExitCodes.CONFLICT, "trim", "--dry-run", "--policy", p.toString());
        assertThat(human.out()).contains("BLOCKED: ", "max_remove");

        JsonNode forced = json(ok("trim", "--force", "--json", "--policy", p.toString()));
        assertThat(forced.get("force").asBoolean()).isTrue();
        assertThat(forced.get("blocked")).isEmpty();
        assertThat(ids(forced.get("remove"))).hasSize(5);
        assertThat(ids(json(ok("ls", "--json", "--series", "exp/brake")))).containsExactly(h.get(5).id());
    }

    // ================================================================== simulation

    @Test
    void policySimulateWritesTheSvgAndReportsBandsAndStoredBytes() throws Exception {
        history("sim/a", 12, 600);
        history("sim/b", 2, 700);
        Path p = policy("sim.yaml", "sim/*", "last: 2", "hourly: 4", "max_remove: 100%");
        Path svg = dir.resolve("timeline.svg");

        JsonNode sim = json(ok("policy", "simulate", "--policy", p.toString(), "--series", "sim/a", "--svg",
                svg.toString(), "--json"));
        JsonNode s = sim.get("simulations").get(0);
        assertThat(sim.get("simulations")).hasSize(1);
        assertThat(s.get("series").asText()).isEqualTo("sim/a");
        assertThat(s.get("policy").asText()).isEqualTo("sim/*");
        assertThat(s.get("puts").asInt()).isEqualTo(12);
        assertThat(s.get("survivors").asInt()).isEqualTo(4);
        assertThat(s.get("timeline")).hasSize(12);
        int survivors = 0;
        for (JsonNode e : s.get("timeline")) {
            survivors += e.get("survives").asBoolean() ? 1 : 0;
            assertThat(e.get("storedBytesAfter").asLong()).isNotNegative();
        }
        assertThat(survivors).isEqualTo(4);
        assertThat(s.get("bands")).isNotEmpty();
        assertThat(s.get("bands").get(0).get("label").asText()).isEqualTo("<1d");
        assertThat(s.get("storedBytes").asLong()).isPositive();
        assertThat(s.get("svgFile").asText()).isEqualTo(svg.toString());
        String text = Files.readString(svg, StandardCharsets.UTF_8);
        assertThat(text).contains("<svg");
        assertThat(text.strip()).endsWith("</svg>");

        String human = ok("policy", "simulate", "--policy", p.toString(), "--series", "sim/a").out();
        assertThat(human).contains("sim/a (policy sim/*): 12 puts, 4 survive", "AGE", "LARGEST GAP", "<1d",
                "stored bytes over time", "survivors:", "last 2");

        // Without --series: every series the policy governs (found by a dry-run trim, which changes nothing).
        JsonNode all = json(ok("policy", "simulate", "--policy", p.toString(), "--json"));
        List<String> series = new ArrayList<>();
        all.get("simulations").forEach(n -> series.add(n.get("series").asText()));
        assertThat(series).containsExactly("sim/a", "sim/b");
        exit(ExitCodes.USAGE, "policy", "simulate", "--policy", p.toString(), "--svg", svg.toString());
        assertThat(json(ok("ls", "--json"))).hasSize(14);
        assertThat(json(ok("trim", "log", "--json"))).isEmpty();

        exit(ExitCodes.NOT_FOUND, "policy", "simulate", "--policy", p.toString(), "--series", "sim/none");
        exit(ExitCodes.USAGE, "policy", "simulate", "--policy", p.toString(), "--series", "other/x"); // none governs it
        exit(ExitCodes.USAGE, "policy");
    }
}
