package dev.cairn.gc.policy;

import dev.cairn.protocol.manifest.ManifestId;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PolicySimulatorTest {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** A put every hour for 90 days, each a delta on the previous one, 1 MiB new each. */
    static List<CheckpointFacts> hourly(int days) {
        List<CheckpointFacts> out = new ArrayList<>();
        ManifestId prev = null;
        for (int h = 0; h < days * 24; h++) {
            ManifestId id = ResticGoldenTest.id("sim/" + h);
            out.add(new CheckpointFacts(id, "train/run", T0.plus(Duration.ofHours(h)), OptionalLong.of(h * 100L),
                    Map.of(), h == 500 ? Set.of("milestone") : Set.of(), List.of(), prev, null,
                    OptionalDouble.of(3600), true, 1 << 20));
            prev = id;
        }
        return out;
    }

    static RetentionPolicy policy() throws PolicyException {
        return PolicyParser.parse("""
                policies:
                  - series: "train/*"
                    last: 6
                    daily: 7
                    weekly: 4
                    monthly: 12
                    tags: [milestone]
                """).policies().get(0);
    }

    @Test
    void replaysTrimAfterEveryPut() throws Exception {
        List<CheckpointFacts> history = hourly(90);
        SimulationResult r = PolicySimulator.simulate(history, policy());
        List<SimulationResult.Entry> survivors = r.survivors();
        // 6 last + up to 7 daily + 4 weekly + 3 monthly + the milestone, with overlaps
        assertThat(survivors.size()).isBetween(12, 21);
        assertThat(survivors).anyMatch(e -> e.reasons().stream().anyMatch(x -> x.text().equals("tag milestone")));
        assertThat(survivors.get(survivors.size() - 1).id()).isEqualTo(history.get(history.size() - 1).id());
        assertThat(r.timeline()).hasSize(history.size());
        for (SimulationResult.Entry e : r.timeline()) {
            if (!e.survived()) {
                assertThat(e.removedAt()).isAfterOrEqualTo(e.createdAt());
                assertThat(e.reasons()).isEmpty();
            } else {
                assertThat(e.reasons()).isNotEmpty();
            }
        }
        // bytes: one point per put; the last is the survivors' new bytes
        assertThat(r.storedBytes()).hasSize(history.size());
        assertThat(r.storedBytes().get(r.storedBytes().size() - 1).bytes()).isEqualTo(survivors.size() * (1L << 20));
        assertThat(r.storedBytes().stream().mapToLong(SimulationResult.BytesPoint::bytes).max().orElseThrow())
                .isLessThanOrEqualTo(30L << 20);
        // gaps: under a day the last 6 hours are all there; the 1-7d band is daily
        SimulationResult.AgeBand day = r.ageBands().get(0);
        assertThat(day.label()).isEqualTo("<1d");
        assertThat(day.largestGap()).isPresent();
        assertThat(day.largestGap().get()).isLessThanOrEqualTo(Duration.ofHours(24));
        SimulationResult.AgeBand week = r.ageBands().get(1);
        assertThat(week.survivors()).isBetween(5, 8);
        // daily 7 keeps 23:00 of days 83..89; the gap ending at the oldest of them (age 6d) reaches
        // back to the weekly keep of Sunday 2026-03-22 (day 80): 3 days.
        assertThat(week.largestGap().orElseThrow()).isEqualTo(Duration.ofDays(3));
        assertThat(r.ageBands().get(4).survivors()).isZero();
        assertThat(r.stepsOverMaxRemove()).isZero();
    }

    @Test
    void removedCheckpointsAreGoneForGood() throws Exception {
        // last: 1 after every put: each put removes the previous one, never to come back
        RetentionPolicy p = RetentionPolicy.of("train/*", KeepRules.NONE.withLast(1));
        List<CheckpointFacts> h = hourly(2);
        SimulationResult r = PolicySimulator.simulate(h, p);
        assertThat(r.survivors()).hasSize(1);
        for (int i = 0; i < h.size() - 1; i++) {
            assertThat(r.timeline().get(i).removedAt()).isEqualTo(h.get(i + 1).createdAt());
        }
        // A one-shot plan at the end would keep the same here, but e.g. "last 1" then adding "tags" later
        // could not bring anything back: the simulation never resurrects.
        Set<ManifestId> ids = new HashSet<>();
        r.survivors().forEach(e -> ids.add(e.id()));
        assertThat(ids).containsExactly(h.get(h.size() - 1).id());
    }

    @Test
    void countsTrimsTheBrakeWouldHaveStopped() {
        // "last 2" on a history of 10, introduced all at once: the first trims are fine, since only one
        // checkpoint goes each time; max_remove 0 makes every removal a brake trip.
        RetentionPolicy p = RetentionPolicy.of("train/*", KeepRules.NONE.withLast(2)).withMaxRemove(MaxRemove.count(0));
        SimulationResult r = PolicySimulator.simulate(hourly(1).subList(0, 10), p);
        assertThat(r.stepsOverMaxRemove()).isEqualTo(8);
        assertThat(r.survivors()).hasSize(2);
    }

    @Test
    void rejectsMixedSeriesAndForeignPolicies() {
        RetentionPolicy p = RetentionPolicy.of("train/*", KeepRules.NONE.withLast(1));
        List<CheckpointFacts> mixed = new ArrayList<>(hourly(1).subList(0, 2));
        mixed.add(CheckpointFacts.of(ResticGoldenTest.id("other"), "eval/run", T0));
        assertThatThrownBy(() -> PolicySimulator.simulate(mixed, p)).hasMessageContaining("one series at a time");
        assertThatThrownBy(() -> PolicySimulator.simulate(hourly(1), RetentionPolicy.of("x", KeepRules.NONE.withLast(1))))
                .hasMessageContaining("does not apply to series 'train/run'");
        assertThatThrownBy(() -> PolicySimulator.simulate(List.of(), p)).hasMessageContaining("empty");
    }

    @Test
    void svgIsSelfContainedWithOneMarkPerCheckpointAndALegend() throws Exception {
        SimulationResult r = PolicySimulator.simulate(hourly(30), policy());
        String svg = SimulationSvg.render(r);
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
        assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(r.survivors().size());
        int removed = r.timeline().size() - r.survivors().size();
        // removed marks are lines with a title; axis ticks are lines without one
        int removedMarks = 0;
        var lines = doc.getElementsByTagName("line");
        for (int i = 0; i < lines.getLength(); i++) {
            if (lines.item(i).getTextContent().contains("removed at")) {
                removedMarks++;
            }
        }
        assertThat(removedMarks).isEqualTo(removed);
        assertThat(svg).contains("kept: last").contains("kept: tag").contains(">removed<")
                .doesNotContain("<script").doesNotContain("href=");
        for (SimulationResult.Entry e : r.survivors()) {
            assertThat(svg).contains("fill=\"" + SimulationSvg.COLOURS.get(e.reasons().get(0).kind()) + "\"><title>"
                    + e.id().shortHex());
        }
        assertThat(SimulationSvg.esc("a<b & \"c\">")).isEqualTo("a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
