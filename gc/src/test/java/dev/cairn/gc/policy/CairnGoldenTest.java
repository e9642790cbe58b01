package dev.cairn.gc.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cairn.protocol.manifest.ManifestId;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hand-derived golden files for the rules restic does not have ({@code policy-golden/cairn/*.yaml}):
 * best, every_n_steps, max_recompute, holds, floor, lineage, chains and the brake. Each file holds
 * the policies (read through {@link PolicyParser#parsePolicies}, the cairn.yaml path), the
 * checkpoints, {@code now}, and the expected plan with every reason text, with and (optionally)
 * without force.
 */
class CairnGoldenTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TestFactory
    Stream<DynamicTest> goldenPlans() throws IOException {
        Path dir = ResticGoldenTest.DIR.resolve("cairn");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(5);
        List<DynamicTest> tests = new ArrayList<>();
        for (Path f : files) {
            JsonNode doc = YAML.readTree(f.toFile());
            for (String key : List.of("expect", "expect_forced")) {
                if (doc.has(key)) {
                    boolean force = key.equals("expect_forced");
                    tests.add(DynamicTest.dynamicTest(f.getFileName() + (force ? " (forced)" : ""),
                            () -> check(doc, doc.get(key), force)));
                }
            }
        }
        return tests.stream();
    }

    private static void check(JsonNode doc, JsonNode expect, boolean force) throws Exception {
        PolicySet policies = PolicyParser.parsePolicies(doc.get("policies"));
        Map<String, ManifestId> ids = new LinkedHashMap<>();
        List<CheckpointFacts> facts = checkpoints(doc.get("checkpoints"), ids);
        Map<ManifestId, String> names = new HashMap<>();
        ids.forEach((n, id) -> names.put(id, n));
        Instant now = Instant.parse(doc.get("now").asText());

        // Shuffled input must not matter.
        List<CheckpointFacts> shuffled = new ArrayList<>(facts);
        Collections.shuffle(shuffled, new java.util.Random(7));
        RetentionPlan plan = RetentionEngine.plan(facts, policies, s -> true, now, force);
        assertThat(RetentionEngine.plan(shuffled, policies, s -> true, now, force)).isEqualTo(plan);

        JsonNode series = expect.get("series");
        List<String> expectedSeries = new ArrayList<>();
        series.fieldNames().forEachRemaining(expectedSeries::add);
        assertThat(plan.series().stream().map(SeriesPlan::series).toList())
                .as("trimmed series").containsExactlyElementsOf(new TreeSet<>(expectedSeries));
        for (SeriesPlan sp : plan.series()) {
            JsonNode e = series.get(sp.series());
            Map<String, List<String>> expectedKeep = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> k : e.get("keep").properties()) {
                List<String> rs = new ArrayList<>();
                k.getValue().forEach(r -> rs.add(r.asText()));
                rs.sort(null);
                expectedKeep.put(k.getKey(), rs);
            }
            Map<String, List<String>> actualKeep = new LinkedHashMap<>();
            for (KeptCheckpoint k : sp.kept()) {
                List<String> rs = new ArrayList<>();
                for (KeepReason r : k.reasons()) {
                    rs.add(substitute(r.text(), ids));
                }
                rs.sort(null);
                actualKeep.put(names.get(k.id()), rs);
            }
            assertThat(actualKeep).as(sp.series() + " kept (newest first) with reasons")
                    .containsExactlyEntriesOf(expectedKeep);
            assertThat(sp.removed().stream().map(names::get).toList()).as(sp.series() + " removed")
                    .containsExactlyElementsOf(texts(e.get("remove")));
            if (e.has("blocked")) {
                assertThat(sp.blocked()).as(sp.series() + " blocked").isPresent();
                assertThat(sp.blocked().get()).contains(e.get("blocked").asText());
                assertThat(sp.wouldRemove().stream().map(names::get).toList())
                        .containsExactlyElementsOf(texts(e.get("would_remove")));
            } else {
                assertThat(sp.blocked()).as(sp.series() + " blocked").isEmpty();
            }
        }
        Map<String, String> expectedRebases = new LinkedHashMap<>();
        expect.get("rebases").properties().forEach(en ->
                expectedRebases.put(en.getKey(), en.getValue().isNull() ? null : en.getValue().asText()));
        Map<String, String> actualRebases = new LinkedHashMap<>();
        for (Rebase r : plan.rebases()) {
            actualRebases.put(names.get(r.id()), r.newParent() == null ? null : names.get(r.newParent()));
        }
        assertThat(actualRebases).as("rebases").isEqualTo(expectedRebases);
    }

    private static List<String> texts(JsonNode list) {
        List<String> out = new ArrayList<>();
        if (list != null) {
            list.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    private static String substitute(String text, Map<String, ManifestId> ids) {
        String out = text;
        for (Map.Entry<String, ManifestId> e : ids.entrySet()) {
            out = out.replace(e.getValue().shortHex(), e.getKey());
        }
        return out;
    }

    static List<CheckpointFacts> checkpoints(JsonNode list, Map<String, ManifestId> ids) {
        for (JsonNode c : list) {
            ids.put(c.get("name").asText(), ResticGoldenTest.id("cairn-golden/" + c.get("name").asText()));
        }
        List<CheckpointFacts> out = new ArrayList<>();
        for (JsonNode c : list) {
            Map<String, Double> metrics = new HashMap<>();
            if (c.has("metrics")) {
                c.get("metrics").properties().forEach(m -> metrics.put(m.getKey(),
                        m.getValue().isNumber() ? m.getValue().doubleValue() : Double.parseDouble(
                                m.getValue().asText())));
            }
            List<Hold> holds = new ArrayList<>();
            if (c.has("holds")) {
                for (JsonNode h : c.get("holds")) {
                    holds.add(new Hold(h.get("owner").asText(), h.get("reason").asText(),
                            h.has("until") ? Instant.parse(h.get("until").asText()) : null));
                }
            }
            Set<String> tags = new TreeSet<>(texts(c.get("tags")));
            out.add(new CheckpointFacts(ids.get(c.get("name").asText()), c.get("series").asText(),
                    Instant.parse(c.get("at").asText()),
                    c.has("step") ? OptionalLong.of(c.get("step").asLong()) : OptionalLong.empty(),
                    metrics, tags, holds,
                    c.has("parent") ? ids.get(c.get("parent").asText()) : null,
                    c.has("derived_from") ? ids.get(c.get("derived_from").asText()) : null,
                    c.has("compute") ? OptionalDouble.of(c.get("compute").asDouble()) : OptionalDouble.empty(),
                    !c.has("restorable") || c.get("restorable").asBoolean(),
                    c.has("bytes") ? c.get("bytes").asLong() : 0));
        }
        return out;
    }
}
