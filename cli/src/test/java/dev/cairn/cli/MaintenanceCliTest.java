package dev.cairn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.client.GcReport;
import dev.cairn.client.KeepReason;
import dev.cairn.client.PolicySimulation;
import dev.cairn.client.TrashEntry;
import dev.cairn.client.TrimLogRecord;
import dev.cairn.client.TrimReport;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Message.HoldInfo;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The maintenance commands without a daemon: parsing, usage errors before connecting, exit codes, JSON shapes. */
class MaintenanceCliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ManifestId A = ManifestId.parse("aa".repeat(32));
    static final ManifestId B = ManifestId.parse("bb".repeat(32));
    static final ManifestId C = ManifestId.parse("cc".repeat(32));
    static final Instant T = Instant.parse("2026-11-01T00:00:00Z");

    /** Nothing listens here: a command that gets as far as connecting exits 7. */
    static final String NOWHERE = "127.0.0.1:" + CliTest.freePort();

    static CliRun run(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--server";
        all[1] = NOWHERE;
        System.arraycopy(args, 0, all, 2, args.length);
        return CliRun.run(all);
    }

    @Test
    void helpListsTheMaintenanceCommandsAndTheirFlags() {
        assertThat(CliRun.run("--help").out()).contains("trim", "trash", "hold", "tag", "gc", "policy",
                "5 conflict (trim: the max_remove brake held)");
        assertThat(CliRun.run("trim", "--help").out()).contains("--series", "--policy", "--dry-run", "--force", "log",
                "Exit code 5");
        assertThat(CliRun.run("trim", "log", "--help").out()).contains("--limit", "--reports");
        assertThat(CliRun.run("trash", "--help").out()).contains("ls", "restore");
        assertThat(CliRun.run("hold", "add", "--help").out()).contains("--owner", "--reason", "--ttl", "ID");
        assertThat(CliRun.run("hold", "rm", "--help").out()).contains("--owner", "ID");
        assertThat(CliRun.run("tag", "--help").out()).contains("--add", "--remove");
        assertThat(CliRun.run("gc", "--help").out()).contains("--dry-run");
        assertThat(CliRun.run("policy", "simulate", "--help").out()).contains("--policy", "--series", "--svg");
    }

    @Test
    void usageErrorsAreReportedBeforeAnyConnection() {
        assertThat(run("trash").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("trash").stderr()).contains("trash ls or trash restore");
        assertThat(run("trash", "restore").code()).isEqualTo(ExitCodes.USAGE); // ID missing
        assertThat(run("hold").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("hold", "add", "abcdef", "--owner", "o").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("hold", "rm", "abcdef").code()).isEqualTo(ExitCodes.USAGE);
        CliRun ttl = run("hold", "add", "abcdef", "--owner", "o", "--reason", "r", "--ttl", "3 days");
        assertThat(ttl.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(ttl.stderr()).contains("--ttl", "not a duration", "30m");
        assertThat(run("hold", "add", "abcdef", "--owner", "o", "--reason", "r", "--ttl", "0m").code())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(run("tag", "abcdef", "--add", "bad tag").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("tag").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("trim", "log", "--limit", "-3").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("trim", "--frobnicate").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("policy").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("gc", "--dry-run", "extra").code()).isEqualTo(ExitCodes.USAGE);
        // A policy file that is not there: a local file error, before connecting.
        assertThat(run("trim", "--policy", "/nonexistent/policy.yaml").code()).isEqualTo(ExitCodes.LOCAL_IO);
        assertThat(run("policy", "simulate", "--policy", "/nonexistent/policy.yaml").code())
                .isEqualTo(ExitCodes.LOCAL_IO);
        // Well-formed commands get as far as the (absent) daemon.
        assertThat(run("gc", "--dry-run").code()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(run("trash", "ls").code()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(run("hold", "add", "abcdef", "--owner", "o", "--reason", "r", "--ttl", "1d12h").code())
                .isEqualTo(ExitCodes.UNAVAILABLE);
    }

    /** A policy file over the daemon's limit: exit 2 (LIMIT_EXCEEDED), checked before connecting or reading it. */
    @Test
    void oversizedPolicyFileIsAUsageErrorBeforeConnecting(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path big = dir.resolve("big.yaml");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(dev.cairn.protocol.wire.Wire.MAX_POLICY_BYTES + 1L); // sparse: the size is what counts
        }
        for (String[] args : new String[][] {{"trim", "--policy", big.toString()},
                {"policy", "simulate", "--series", "a", "--policy", big.toString()}}) {
            CliRun r = run(args);
            assertThat(r.code()).as(r.stderr()).isEqualTo(ExitCodes.USAGE);
            assertThat(r.stderr()).contains("big.yaml", "the limit is " + dev.cairn.protocol.wire.Wire.MAX_POLICY_BYTES);
        }
    }

    @Test
    void brakeAndPolicyExitCodes() {
        // The max_remove brake is the POLICY_BLOCKED family: distinct from success and from usage errors.
        assertThat(ExitCodes.of(Status.POLICY_BLOCKED)).isEqualTo(ExitCodes.CONFLICT).isNotZero();
        assertThat(ExitCodes.of(Status.INVALID_POLICY)).isEqualTo(ExitCodes.USAGE);
        assertThat(ExitCodes.of(Status.CANCELLED)).isEqualTo(ExitCodes.UNAVAILABLE);
    }

    @Test
    void durations() {
        assertThat(Durations.parse("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("2w")).isEqualTo(Duration.ofDays(14));
        assertThat(Durations.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("1d12h")).isEqualTo(Duration.ofHours(36));
        assertThat(Durations.parse(" 1w2d3h4m5s ")).isEqualTo(Duration.ofSeconds(9 * 86_400 + 3 * 3600 + 4 * 60 + 5));
        for (String bad : new String[] {"", "h", "2", "2x", "1.5h", "-1h", "2h1d", "1h1h", "1 h", "30M", "1y"}) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> Durations.parse("99999999999999999w")).hasMessageContaining("too long");
        assertThat(Durations.human(Duration.ofMillis(250))).isEqualTo("250 ms");
        assertThat(Durations.human(Duration.ofSeconds(45))).isEqualTo("45s");
        assertThat(Durations.human(Duration.ofMinutes(125))).isEqualTo("2h 5m");
        assertThat(Durations.human(Duration.ofHours(76))).isEqualTo("3d 4h");
        assertThat(Durations.human(Duration.ofDays(3).plusMinutes(5))).isEqualTo("3d");
    }

    static TrimReport report() {
        TrimReport.SeriesPlan a = new TrimReport.SeriesPlan("exp/a", "exp/*", null, T.plusSeconds(3600),
                List.of(new TrimReport.Kept(A, List.of(new KeepReason("last", "last 1"),
                        new KeepReason("newest_restorable", "newest restorable")))),
                List.of(new TrimReport.Removed(B, T, 1234)));
        TrimReport.SeriesPlan b = new TrimReport.SeriesPlan("exp/b", "exp/*", "max_remove 50% allows removing at most 1",
                T.plusSeconds(3600), List.of(new TrimReport.Kept(C, List.of(new KeepReason("max_remove_brake",
                "max_remove 50% (trim blocked)")))), List.of());
        return new TrimReport(T, false, true, false, "trim-1", "default (cairn-cli/0.1.0)", "p.yaml", List.of(a, b),
                List.of(new TrimReport.Rebase(A, "exp/a", B, null)), 2, 1, 1234, 1);
    }

    @Test
    void trimJsonShape() throws Exception {
        JsonNode j = JSON.valueToTree(Json.trim(report()));
        assertThat(iterable(j.fieldNames())).containsExactly("keep", "remove", "blocked", "rebases", "series", "kept",
                "removed", "freedBytes", "auditId", "applied", "dryRun", "force", "at", "requestedBy", "policySource");
        assertThat(j.get("keep")).hasSize(2);
        JsonNode k = j.get("keep").get(0);
        assertThat(iterable(k.fieldNames())).containsExactly("id", "series", "reasons");
        assertThat(k.get("id").asText()).isEqualTo(A.toHex());
        assertThat(k.get("reasons").get(1).get("kind").asText()).isEqualTo("newest_restorable");
        assertThat(k.get("reasons").get(1).get("text").asText()).isEqualTo("newest restorable");
        JsonNode r = j.get("remove").get(0);
        assertThat(iterable(r.fieldNames())).containsExactly("id", "series", "createdAt", "freedBytes");
        assertThat(r.get("freedBytes").asLong()).isEqualTo(1234);
        assertThat(r.get("createdAt").asText()).isEqualTo("2026-11-01T00:00:00Z");
        assertThat(j.get("blocked")).hasSize(1);
        assertThat(j.get("blocked").get(0).get("series").asText()).isEqualTo("exp/b");
        assertThat(j.get("blocked").get(0).get("message").asText()).startsWith("max_remove 50%");
        assertThat(j.get("rebases").get(0).get("newParent").isNull()).isTrue();
        assertThat(j.get("rebases").get(0).get("oldParent").asText()).isEqualTo(B.toHex());
        assertThat(j.get("series").get(1).get("blocked").asText()).startsWith("max_remove");
        assertThat(j.get("series").get(0).get("freedBytes").asLong()).isEqualTo(1234);
        assertThat(j.get("auditId").asText()).isEqualTo("trim-1");
        assertThat(j.get("applied").asBoolean()).isTrue();
        assertThat(j.get("dryRun").asBoolean()).isFalse();
    }

    @Test
    void gcJsonShapeKeepsThePhaseOrder() {
        Map<String, Long> phases = new LinkedHashMap<>();
        for (String p : new String[] {"resume", "expire", "mark", "sweep", "delete", "repack"}) {
            phases.put(p, (long) p.length());
        }
        JsonNode j = JSON.valueToTree(Json.gc(new GcReport("gc-1", true, 3, 4, 1, 100, 50, 4096, 2, 1, 512, 0, phases,
                27, 16384, 7, 7000, 1, false)));
        assertThat(iterable(j.fieldNames())).containsExactly("gcId", "dryRun", "epoch", "manifestsDeleted", "rebased",
                "chunksLive", "chunksFreed", "bytesReclaimed", "packsDeleted", "packsRewritten", "bytesCopied",
                "orphanSegments", "phaseMillis", "totalMillis", "markSetBytes", "unexplainedChunks", "unexplainedBytes",
                "packsKept", "forced");
        assertThat(j.get("unexplainedBytes").asLong()).isEqualTo(7000);
        assertThat(iterable(j.get("phaseMillis").fieldNames())).containsExactly("resume", "expire", "mark", "sweep",
                "delete", "repack");
        assertThat(j.get("bytesReclaimed").asLong()).isEqualTo(4096);
    }

    @Test
    void otherJsonShapes() throws Exception {
        JsonNode t = JSON.valueToTree(Json.trashEntry(new TrashEntry(A, "s", T, 10, T, T.plusSeconds(60), "trim-1")));
        assertThat(iterable(t.fieldNames())).containsExactly("id", "series", "createdAt", "logicalBytes", "trashedAt",
                "expiresAt", "auditId");
        JsonNode h = JSON.valueToTree(Json.hold(A, new HoldInfo("eval", "nightly", T, null)));
        assertThat(iterable(h.fieldNames())).containsExactly("id", "owner", "reason", "createdAt", "expiresAt");
        assertThat(h.get("expiresAt").isNull()).isTrue();
        JsonNode log = JSON.valueToTree(Json.trimLog(new TrimLogRecord("trim-1", T, "scheduler", "cairn.yaml", 1, 2, 3,
                0, 99, null), JSON.readTree("{\"id\":\"trim-1\"}")));
        assertThat(iterable(log.fieldNames())).containsExactly("id", "at", "requestedBy", "policySource", "seriesCount",
                "kept", "removed", "rebases", "freedBytes", "report");
        assertThat(log.get("report").get("id").asText()).isEqualTo("trim-1");

        PolicySimulation sim = new PolicySimulation("s", "s*", 2, 1, 0, List.of(
                new PolicySimulation.TimelineEntry(A, T, T.plusSeconds(60), List.of(), 10),
                new PolicySimulation.TimelineEntry(B, T.plusSeconds(60), null, List.of(new KeepReason("last", "last 1")), 20)),
                List.of(new PolicySimulation.AgeBand("<1d", Duration.ZERO, Duration.ofDays(1), 1, null)), 20, null);
        JsonNode s = JSON.valueToTree(Json.simulation(sim, "t.svg"));
        assertThat(iterable(s.fieldNames())).containsExactly("series", "policy", "puts", "survivors",
                "stepsOverMaxRemove", "storedBytes", "bands", "timeline", "svgFile");
        assertThat(s.get("timeline").get(0).get("survives").asBoolean()).isFalse();
        assertThat(s.get("timeline").get(1).get("removedAt").isNull()).isTrue();
        assertThat(s.get("bands").get(0).get("toMillis").asLong()).isEqualTo(86_400_000L);
        assertThat(s.get("bands").get(0).get("largestGapMillis").isNull()).isTrue();
        assertThat(PolicyCommand.Simulate.storedSummary(sim)).contains("now 20 B", "peak 20 B", "→");
    }

    static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
