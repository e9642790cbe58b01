package dev.cairn.client;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.KeptInfo;
import dev.cairn.protocol.wire.Message.Reason;
import dev.cairn.protocol.wire.Message.RemovedInfo;
import dev.cairn.protocol.wire.Message.TrimSeries;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the client assembles maintenance answers from their parts (docs/PROTOCOL.md, "Maintenance messages"). */
class MaintenanceRepliesTest {
    static final Instant T = Instant.parse("2026-11-01T00:00:00Z");

    static ManifestId id(int b) {
        byte[] x = new byte[32];
        Arrays.fill(x, (byte) b);
        return ManifestId.fromBytes(x);
    }

    static Message.TextPart[] split(byte[] text, int... cuts) {
        List<Message.TextPart> out = new ArrayList<>();
        int from = 0;
        for (int c : cuts) {
            out.add(new Message.TextPart(Arrays.copyOfRange(text, from, c)));
            from = c;
        }
        out.add(new Message.TextPart(Arrays.copyOfRange(text, from, text.length)));
        return out.toArray(new Message.TextPart[0]);
    }

    @Test
    void aSeriesSplitOverSeveralPartsIsOneSeriesWithTheListsConcatenated() throws Exception {
        List<Reason> last = List.of(new Reason("last", "last 2"));
        Instant exp = T.plusSeconds(3600);
        List<Message.Response> parts = List.of(
                new TrimSeries("a", "*", null, exp, List.of(new KeptInfo(id(1), last)), List.of()),
                new TrimSeries("a", "*", null, exp, List.of(new KeptInfo(id(2), last)),
                        List.of(new RemovedInfo(id(3), T, 10))),
                new TrimSeries("a", "*", null, exp, List.of(), List.of(new RemovedInfo(id(4), T, 20))),
                new TrimSeries("b", "*", "brake held", exp, List.of(new KeptInfo(id(5), List.of(new Reason(
                        "max_remove_brake", "max_remove 1 (trim blocked)")))), List.of()),
                new Message.TrimRebases(List.of(new Message.RebaseInfo(id(6), "a", id(3), id(2)))),
                new Message.TrimRebases(List.of(new Message.RebaseInfo(id(7), "a", id(4), null))));
        TrimReport r = CairnClient.trimReport(new Reply(parts, new Message.TrimOk("trim-9", T, false, true, false,
                "default (t)", "f.yaml", 2, 1, 3, 2, 2, 30)));
        assertThat(r.series()).extracting(TrimReport.SeriesPlan::series).containsExactly("a", "b");
        TrimReport.SeriesPlan a = r.series().get(0);
        assertThat(a.kept()).extracting(TrimReport.Kept::id).containsExactly(id(1), id(2));
        assertThat(a.removed()).extracting(TrimReport.Removed::id).containsExactly(id(3), id(4));
        assertThat(a.freedBytes()).isEqualTo(30);
        assertThat(a.isBlocked()).isFalse();
        assertThat(r.series().get(1).blocked()).isEqualTo("brake held");
        assertThat(r.series().get(1).kept().get(0).reasons()).containsExactly(new KeepReason("max_remove_brake",
                "max_remove 1 (trim blocked)"));
        assertThat(r.rebases()).extracting(TrimReport.Rebase::newParent).containsExactly(id(2), null);
        assertThat(r.anyBlocked()).isTrue();
        assertThat(r.auditId()).isEqualTo("trim-9");
        assertThat(r.freedBytes()).isEqualTo(30);
        assertThat(r.policySource()).isEqualTo("f.yaml");
    }

    @Test
    void trimLogReportsAreDecodedAfterConcatenationEvenWhenAPartSplitsACharacter() throws Exception {
        byte[] json = "{\"id\":\"trim-1\",\"policyText\":\"# größer\"}".getBytes(StandardCharsets.UTF_8);
        int inside = new String(json, StandardCharsets.UTF_8).indexOf('ö') + 1; // in the middle of the 2-byte 'ö'
        Message.TrimLogEntry e1 = new Message.TrimLogEntry("trim-2", T, "scheduler", "cairn.yaml", 1, 1, 0, 0, 0,
                0);
        Message.TrimLogEntry e2 = new Message.TrimLogEntry("trim-1", T, "default (x)", "f", 2, 3, 4, 5, 6, json.length);
        List<Message.Response> parts = new ArrayList<>();
        parts.add(e1);
        parts.add(e2);
        parts.addAll(List.of(split(json, 5, inside)));
        List<TrimLogRecord> log = CairnClient.trimLog(new Reply(parts, new Message.TrimLogOk(2)));
        assertThat(log).extracting(TrimLogRecord::id).containsExactly("trim-2", "trim-1");
        assertThat(log.get(0).reportJson()).isNull();
        assertThat(log.get(1).reportJson()).isEqualTo(new String(json, StandardCharsets.UTF_8));
        assertThat(log.get(1).freedBytes()).isEqualTo(6);

        // A report cut short, or a record count that does not match, is not taken at face value.
        List<Message.Response> cut = List.of(e2, new Message.TextPart(Arrays.copyOf(json, 10)));
        assertThatThrownBy(() -> CairnClient.trimLog(new Reply(cut, new Message.TrimLogOk(1))))
                .isInstanceOfSatisfying(CairnClientException.class, x -> assertThat(x.status()).isEqualTo(Status.CORRUPT));
        assertThatThrownBy(() -> CairnClient.trimLog(new Reply(List.of(e1), new Message.TrimLogOk(2))))
                .isInstanceOfSatisfying(CairnClientException.class, x -> assertThat(x.status()).isEqualTo(Status.CORRUPT));
        assertThatThrownBy(() -> CairnClient.trimLog(new Reply(List.of(new Message.TextPart(json)),
                new Message.TrimLogOk(0)))).isInstanceOf(CairnClientException.class);
    }

    @Test
    void simulationAssemblesTimelinePagesAndTheSvg() throws Exception {
        byte[] svg = "<svg>…</svg>".getBytes(StandardCharsets.UTF_8);
        List<Message.Response> parts = new ArrayList<>();
        parts.add(new Message.SimulationTimeline(List.of(new Message.TimelineEntry(id(1), T, T.plusSeconds(60),
                List.of(), 5))));
        parts.add(new Message.SimulationTimeline(List.of(new Message.TimelineEntry(id(2), T.plusSeconds(60), null,
                List.of(new Reason("last", "last 1")), 7))));
        parts.addAll(List.of(split(svg, 6)));
        Message.PolicySimulateOk ok = new Message.PolicySimulateOk("s", "s*", 2, 1, 1, List.of(
                new Message.AgeBandInfo("<1d", 0, 86_400_000L, 1, null),
                new Message.AgeBandInfo(">365d", 31_536_000_000L, null, 0, 60_000L)), 7, svg.length);
        PolicySimulation s = CairnClient.simulation(new Reply(parts, ok));
        assertThat(s.timeline()).extracting(PolicySimulation.TimelineEntry::survives).containsExactly(false, true);
        assertThat(s.timeline().get(1).reasons()).containsExactly(new KeepReason("last", "last 1"));
        assertThat(s.svg()).isEqualTo("<svg>…</svg>");
        assertThat(s.bands().get(0).to()).isEqualTo(java.time.Duration.ofDays(1));
        assertThat(s.bands().get(1).to()).isNull();
        assertThat(s.bands().get(1).largestGap()).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(s.stepsOverMaxRemove()).isEqualTo(1);

        Message.PolicySimulateOk noSvg = new Message.PolicySimulateOk("s", "s*", 2, 1, 0, List.of(), 7, 0);
        assertThat(CairnClient.simulation(new Reply(parts.subList(0, 2), noSvg)).svg()).isNull();
        Message.PolicySimulateOk morePuts = new Message.PolicySimulateOk("s", "s*", 3, 1, 0, List.of(), 7, 0);
        assertThatThrownBy(() -> CairnClient.simulation(new Reply(parts.subList(0, 2), morePuts)))
                .isInstanceOfSatisfying(CairnClientException.class, x -> assertThat(x.status()).isEqualTo(Status.CORRUPT));
    }

    @Test
    void gcReportKeepsThePhasesInOrder() {
        GcReport g = CairnClient.gcReport(new Message.GcOk("gc-1", false, 4, 1, 0, 10, 5, 100, 1, 0, 0, 0, List.of(
                new Message.PhaseMillis("resume", 1), new Message.PhaseMillis("expire", 2),
                new Message.PhaseMillis("mark", 3), new Message.PhaseMillis("sweep", 4),
                new Message.PhaseMillis("delete", 5), new Message.PhaseMillis("repack", 6)), 21, 4096));
        assertThat(g.phaseMillis().keySet()).containsExactly("resume", "expire", "mark", "sweep", "delete", "repack");
        assertThat(g.phaseMillis().get("repack")).isEqualTo(6);
        assertThat(g.totalMillis()).isEqualTo(21);
        assertThatThrownBy(() -> g.phaseMillis().put("x", 1L)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(g.unexplainedChunks()).isZero(); // a daemon before the field
        GcReport u = CairnClient.gcReport(new Message.GcOk("gc-2", false, 4, 1, 0, 10, 5, 100, 1, 0, 0, 0, List.of(), 0, 0,
                new Message.GcUnexplained(12, 3400, 2, true)));
        assertThat(u.unexplainedChunks()).isEqualTo(12);
        assertThat(u.unexplainedBytes()).isEqualTo(3400);
        assertThat(u.packsKept()).isEqualTo(2);
        assertThat(u.forced()).isTrue();
    }

    @Test
    void trimRequestBuilders() throws Exception {
        TrimRequest r = TrimRequest.withPolicy("policies: []", "f.yaml").withSeries("a/*").withDryRun(true)
                .withForce(true);
        assertThat(r).isEqualTo(new TrimRequest("a/*", "policies: []", "f.yaml", true, true));
        assertThat(TrimRequest.daemonPolicies().policy()).isNull();
        java.nio.file.Path f = java.nio.file.Files.createTempFile("policy", ".yaml");
        try {
            java.nio.file.Files.writeString(f, "policies: # ü\n");
            TrimRequest fromFile = TrimRequest.withPolicyFile(f);
            assertThat(fromFile.policy()).isEqualTo("policies: # ü\n");
            assertThat(fromFile.policySource()).isEqualTo(f.toString());
        } finally {
            java.nio.file.Files.delete(f);
        }
        assertThatThrownBy(() -> TrimRequest.withPolicy(null, "x")).isInstanceOf(IllegalArgumentException.class);
    }
}
