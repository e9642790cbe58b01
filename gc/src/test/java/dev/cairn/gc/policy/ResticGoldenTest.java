package dev.cairn.gc.policy;

import dev.cairn.protocol.manifest.ManifestId;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replays the timelines in {@code policy-golden/*.case} through the engine and compares with what
 * real restic decided ({@code *.golden}, written by {@code gc/src/test/restic/make_golden.sh}).
 *
 * <p>restic before 0.16 did not keep the oldest snapshot while a bucket rule has counts left (restic
 * PR 4366); the engine follows current restic. When a golden file was written by such a version,
 * the test adds that one keep from an independent oracle (distinct bucket keys computed with
 * {@link DateTimeFormatter}, not with the engine's arithmetic) and says so in the output.
 */
class ResticGoldenTest {

    static final Path DIR = resource("policy-golden");

    record Case(String name, ZoneId zone, List<String> labels, List<CheckpointFacts> facts) { }

    record Block(String flags, Map<String, List<String>> keep, Set<String> remove) { }

    record Golden(String resticVersion, List<Block> blocks) { }

    @TestFactory
    Stream<DynamicTest> everyCaseMatchesRestic() throws IOException {
        List<Path> cases;
        try (Stream<Path> s = Files.list(DIR)) {
            cases = s.filter(p -> p.toString().endsWith(".case")).sorted().toList();
        }
        assertThat(cases).hasSizeGreaterThanOrEqualTo(5);
        List<DynamicTest> tests = new ArrayList<>();
        for (Path c : cases) {
            Case cs = readCase(c);
            Path g = DIR.resolve(cs.name + ".golden");
            assertThat(g).as("golden file for " + c.getFileName() + " (run make_golden.sh)").exists();
            Golden golden = readGolden(g);
            assertThat(golden.blocks).as("policies in " + g.getFileName())
                    .hasSize((int) Files.readAllLines(c).stream().filter(l -> l.startsWith("policy ")).count());
            for (Block b : golden.blocks) {
                tests.add(DynamicTest.dynamicTest(cs.name + ": " + b.flags, () -> compare(cs, golden, b)));
            }
        }
        return tests.stream();
    }

    private static void compare(Case cs, Golden golden, Block block) throws Exception {
        String yaml = policyYaml(block.flags, cs.zone);
        PolicySet policies = PolicyParser.parse(yaml);
        Instant latest = cs.facts.stream().map(CheckpointFacts::createdAt).max(Instant::compareTo).orElseThrow();
        RetentionPlan plan = RetentionEngine.plan(cs.facts, policies, s -> true, latest.plusSeconds(86_400), true);
        SeriesPlan sp = plan.series().get(0);

        Map<ManifestId, String> labelOf = new HashMap<>();
        for (int i = 0; i < cs.facts.size(); i++) {
            labelOf.put(cs.facts.get(i).id(), cs.labels.get(i));
        }
        Map<String, List<String>> expected = new TreeMap<>();
        block.keep.forEach((label, reasons) -> expected.put(label, normaliseRestic(reasons)));
        String oldestNote = "";
        if (olderThan016(golden.resticVersion)) {
            oldestNote = addOldestKeeps(cs, block.flags, expected);
        }

        Map<String, List<String>> actual = new TreeMap<>();
        Map<String, List<KeepReason>> all = new TreeMap<>();
        for (KeptCheckpoint k : sp.kept()) {
            String label = labelOf.get(k.id());
            all.put(label, k.reasons());
            List<String> resticLike = new ArrayList<>();
            for (KeepReason r : k.reasons()) {
                if (r.kind().isResticRule()) {
                    resticLike.add(r.kind().name());
                } else if (r.kind() == KeepReason.Kind.TAG) {
                    resticLike.add("TAG " + r.text().substring("tag ".length()));
                } else {
                    assertThat(r.kind().isInvariant()).as(label + ": " + r).isTrue();
                }
            }
            if (!resticLike.isEmpty()) {
                resticLike.sort(null);
                actual.put(label, resticLike);
            }
            checkBucketTexts(cs, label, k.reasons());
        }
        System.out.printf("restic-golden %-20s %-55s restic %s: %d kept%s%n", cs.name, block.flags,
                golden.resticVersion, expected.size(), oldestNote);
        assertThat(actual).as("restic-rule keeps and reasons for " + block.flags).isEqualTo(expected);
        // Whatever restic removes, Cairn removes too, unless an invariant (newest restorable) keeps it.
        Set<String> removed = new TreeSet<>();
        sp.removed().forEach(id -> removed.add(labelOf.get(id)));
        Set<String> expectedRemoved = new TreeSet<>(block.remove);
        expectedRemoved.removeAll(expected.keySet());
        expectedRemoved.removeAll(all.keySet());
        assertThat(removed).isEqualTo(expectedRemoved);
        assertThat(sp.kept().size() + sp.removed().size()).isEqualTo(cs.facts.size());
    }

    /** The bucket named in a reason is the checkpoint's own bucket in the policy zone. */
    private static void checkBucketTexts(Case cs, String label, List<KeepReason> reasons) {
        CheckpointFacts f = cs.facts.get(cs.labels.indexOf(label));
        ZonedDateTime t = f.createdAt().atZone(cs.zone);
        for (KeepReason r : reasons) {
            String bucket = switch (r.kind()) {
                case HOURLY -> DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH").format(t);
                case DAILY -> DateTimeFormatter.ISO_LOCAL_DATE.format(t);
                case WEEKLY -> DateTimeFormatter.ISO_WEEK_DATE.format(t).substring(0, 8);
                case MONTHLY -> DateTimeFormatter.ofPattern("yyyy-MM").format(t);
                case YEARLY -> DateTimeFormatter.ofPattern("yyyy").format(t);
                default -> null;
            };
            if (bucket != null) {
                String kind = r.kind().name().toLowerCase(java.util.Locale.ROOT);
                assertThat(r.text()).as(label).isIn(kind + " " + bucket, "oldest " + kind + " " + bucket);
            }
        }
    }

    private static List<String> normaliseRestic(List<String> matches) {
        List<String> out = new ArrayList<>();
        for (String m : matches) {
            String s = m.startsWith("oldest ") ? m.substring("oldest ".length()) : m;
            if (s.equals("last snapshot")) {
                out.add("LAST");
            } else if (s.matches("(hourly|daily|weekly|monthly|yearly) snapshot")) {
                out.add(s.substring(0, s.indexOf(' ')).toUpperCase(java.util.Locale.ROOT));
            } else if (s.startsWith("within ")) {
                out.add("WITHIN");
            } else if (s.startsWith("has tags [") && s.endsWith("]")) {
                out.add("TAG " + s.substring("has tags [".length(), s.length() - 1));
            } else {
                throw new AssertionError("unknown restic reason: " + m);
            }
        }
        out.sort(null);
        return out;
    }

    static boolean olderThan016(String version) {
        String[] p = version.split("\\.");
        int major = Integer.parseInt(p[0]);
        int minor = Integer.parseInt(p[1]);
        return major == 0 && minor < 16;
    }

    /**
     * restic ≥ 0.16 keeps the oldest snapshot for a bucket rule that still has counts when it gets
     * there and that would otherwise skip it (same bucket as the next newer kept one). Computes that
     * independently and adds it to what an older restic reported.
     */
    private static String addOldestKeeps(Case cs, String flags, Map<String, List<String>> expected) {
        Map<String, Integer> counts = bucketFlags(flags);
        List<Integer> newestFirst = new ArrayList<>();
        for (int i = 0; i < cs.facts.size(); i++) {
            newestFirst.add(i);
        }
        newestFirst.sort((a, b) -> cs.facts.get(b).createdAt().compareTo(cs.facts.get(a).createdAt()));
        int oldest = newestFirst.get(newestFirst.size() - 1);
        int second = newestFirst.get(newestFirst.size() - 2);
        StringBuilder note = new StringBuilder();
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            DateTimeFormatter f = switch (e.getKey()) {
                case "hourly" -> DateTimeFormatter.ofPattern("yyyyMMddHH");
                case "daily" -> DateTimeFormatter.ofPattern("yyyyMMdd"); // not BASIC_ISO_DATE: it appends the offset
                case "weekly" -> DateTimeFormatter.ISO_WEEK_DATE;
                case "monthly" -> DateTimeFormatter.ofPattern("yyyyMM");
                default -> DateTimeFormatter.ofPattern("yyyy");
            };
            java.util.function.IntFunction<String> key = i -> {
                String s = f.format(cs.facts.get(i).createdAt().atZone(cs.zone));
                return e.getKey().equals("weekly") ? s.substring(0, 8) : s;
            };
            Set<String> distinctBeforeOldest = new TreeSet<>();
            for (int i : newestFirst) {
                if (i != oldest) {
                    distinctBeforeOldest.add(key.apply(i));
                }
            }
            if (key.apply(oldest).equals(key.apply(second)) && distinctBeforeOldest.size() < e.getValue()) {
                String label = cs.labels.get(oldest);
                List<String> rs = new ArrayList<>(expected.getOrDefault(label, List.of()));
                rs.add(e.getKey().toUpperCase(java.util.Locale.ROOT));
                rs.sort(null);
                expected.put(label, rs);
                note.append(" (+oldest ").append(e.getKey()).append(' ').append(label).append(", restic >= 0.16)");
            }
        }
        return note.toString();
    }

    private static Map<String, Integer> bucketFlags(String flags) {
        Map<String, Integer> out = new LinkedHashMap<>();
        String[] t = flags.trim().split("\\s+");
        for (int i = 0; i < t.length; i += 2) {
            String k = t[i].substring("--keep-".length());
            if (List.of("hourly", "daily", "weekly", "monthly", "yearly").contains(k)) {
                out.put(k, Integer.parseInt(t[i + 1]));
            }
        }
        return out;
    }

    /** restic flags → a Cairn policy document: the same rules, the case's zone, no brake. */
    static String policyYaml(String flags, ZoneId zone) {
        StringBuilder y = new StringBuilder("policies:\n  - series: golden\n    timezone: " + zone
                + "\n    max_remove: \"100%\"\n");
        List<String> tags = new ArrayList<>();
        String[] t = flags.trim().split("\\s+");
        for (int i = 0; i < t.length; i += 2) {
            String k = t[i].substring("--keep-".length());
            String v = t[i + 1];
            switch (k) {
                case "tag" -> tags.add(v);
                case "last", "hourly", "daily", "weekly", "monthly", "yearly", "within" ->
                        y.append("    ").append(k).append(": ").append(v).append('\n');
                default -> throw new AssertionError("unsupported flag in golden case: " + t[i]);
            }
        }
        if (!tags.isEmpty()) {
            y.append("    tags: [").append(String.join(", ", tags)).append("]\n");
        }
        return y.toString();
    }

    static Case readCase(Path p) throws IOException {
        String name = p.getFileName().toString().replace(".case", "");
        ZoneId zone = null;
        List<String> labels = new ArrayList<>();
        List<CheckpointFacts> facts = new ArrayList<>();
        for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
            String[] f = line.trim().split("\\s+");
            if (f[0].equals("zone")) {
                zone = ZoneId.of(f[1]);
            } else if (f[0].equals("at")) {
                String label = String.format("cp%02d", labels.size());
                Instant t = LocalDateTime.parse(f[1] + "T" + f[2]).atZone(zone).toInstant();
                Set<String> tags = f.length > 3 ? Set.of(f[3].split(",")) : Set.of();
                facts.add(CheckpointFacts.of(id(name + "/" + label), "golden", t).withTags(tags));
                labels.add(label);
            }
        }
        return new Case(name, zone, labels, facts);
    }

    static Golden readGolden(Path p) throws IOException {
        String version = null;
        List<Block> blocks = new ArrayList<>();
        String flags = null;
        Map<String, List<String>> keep = null;
        Set<String> remove = null;
        for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            if (line.startsWith("restic ")) {
                version = line.substring("restic ".length()).trim();
            } else if (line.startsWith("policy ")) {
                flags = line.substring("policy ".length());
                keep = new LinkedHashMap<>();
                remove = new TreeSet<>();
            } else if (line.startsWith("keep ")) {
                String[] f = line.split(" ", 3);
                keep.put(f[1], List.of(f[2].split("\\|")));
            } else if (line.startsWith("remove ")) {
                remove.add(line.substring("remove ".length()).trim());
            } else if (line.equals("end")) {
                blocks.add(new Block(flags, keep, remove));
            }
        }
        assertThat(version).as("restic version line in " + p).isNotNull();
        return new Golden(version, blocks);
    }

    static ManifestId id(String seed) {
        try {
            return ManifestId.fromBytes(MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static Path resource(String name) {
        try {
            return Path.of(ResticGoldenTest.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void versionOracleKnowsWhichResticKeepsTheOldest() {
        assertThat(olderThan016("0.14.0")).isTrue();
        assertThat(olderThan016("0.16.4")).isFalse();
        assertThat(olderThan016("0.18.1")).isFalse();
    }
}
