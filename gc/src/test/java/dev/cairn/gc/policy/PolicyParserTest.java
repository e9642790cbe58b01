package dev.cairn.gc.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class PolicyParserTest {

    private static PolicyException fail(String yaml) {
        PolicyException e = catchThrowableOfType(PolicyException.class, () -> PolicyParser.parse(yaml));
        assertThat(e).as("expected a PolicyException for:\n" + yaml).isNotNull();
        return e;
    }

    private static PolicyException.Problem only(String yaml) {
        PolicyException e = fail(yaml);
        assertThat(e.problems()).as(e.getMessage()).hasSize(1);
        return e.problems().get(0);
    }

    @Test
    void parsesEveryKey() throws Exception {
        PolicySet set = PolicyParser.parse("""
                policies:
                  - series: "resnet50/*"
                    last: 3
                    within: 1d12h
                    hourly: 24
                    daily: 7
                    weekly: 4
                    monthly: 12
                    yearly: unlimited
                    tags: [milestone, best]
                    best:
                      - {metric: val_loss, mode: min, n: 3}
                      - {metric: accuracy, mode: max}
                    every_n_steps: 10000
                    max_recompute: 2h
                    keep_lineage: true
                    floor: 2
                    max_remove: "25%"
                    timezone: Europe/Berlin
                    grace: 2w
                    chain: keep_base
                  - series: "bert/**"
                    last: 1
                    max_remove: 7
                """);
        assertThat(set.policies()).hasSize(2);
        RetentionPolicy p = set.policyFor("resnet50/run-7").orElseThrow();
        KeepRules r = p.rules();
        assertThat(r.last()).isEqualTo(3);
        assertThat(r.within().orElseThrow().days()).isEqualTo(1);
        assertThat(r.within().orElseThrow().seconds()).isEqualTo(12 * 3600);
        assertThat(List.of(r.hourly(), r.daily(), r.weekly(), r.monthly(), r.yearly()))
                .containsExactly(24, 7, 4, 12, KeepRules.UNLIMITED);
        assertThat(r.tags()).containsExactlyInAnyOrder("milestone", "best");
        assertThat(r.best()).containsExactly(new BestRule("val_loss", BestRule.Mode.MIN, 3),
                new BestRule("accuracy", BestRule.Mode.MAX, 1));
        assertThat(r.everyNSteps()).isEqualTo(10000);
        assertThat(r.maxRecompute().orElseThrow().toDuration()).isEqualTo(Duration.ofHours(2));
        assertThat(p.keepLineage()).isTrue();
        assertThat(p.floor()).isEqualTo(2);
        assertThat(p.maxRemove().limitFor(100)).isEqualTo(25);
        assertThat(p.timezone()).isEqualTo(ZoneId.of("Europe/Berlin"));
        assertThat(p.grace().toDuration()).isEqualTo(Duration.ofDays(14));
        assertThat(p.chain()).isEqualTo(ChainMode.KEEP_BASE);
        RetentionPolicy q = set.policyFor("bert/a/b").orElseThrow();
        assertThat(q.maxRemove().limitFor(1000)).isEqualTo(7);
        assertThat(q.floor()).isEqualTo(1);
        assertThat(q.grace().toDuration()).isEqualTo(Duration.ofHours(24));
        assertThat(q.timezone()).isEqualTo(ZoneId.of("Z"));
        assertThat(q.chain()).isEqualTo(ChainMode.REBASE);
        assertThat(p.maxRemove()).isNotEqualTo(MaxRemove.DEFAULT);
        assertThat(set.policyFor("resnet50/run-7/eval")).isEmpty();
    }

    @Test
    void unknownKeyIsNamedWithTheAllowedKeysAndItsPosition() {
        PolicyException.Problem p = only("""
                policies:
                  - series: a
                    last: 2
                    daly: 3
                """);
        assertThat(p.line()).isEqualTo(4);
        assertThat(p.column()).isEqualTo(5);
        assertThat(p.path()).isEqualTo("policies[0].daly");
        assertThat(p.message()).isEqualTo("unknown key 'daly' (did you mean 'daily'?); allowed keys: series, last,"
                + " within, hourly, daily, weekly, monthly, yearly, tags, best, every_n_steps, max_recompute,"
                + " keep_lineage, floor, max_remove, timezone, grace, chain");
        assertThat(p.toString()).startsWith("line 4, column 5 (policies[0].daly): unknown key 'daly'");
    }

    @Test
    void unknownKeyInBestAndMissingMode() {
        PolicyException e = fail("""
                policies:
                  - series: a
                    best: [{metric: loss, nn: 3}]
                """);
        assertThat(e.problems()).extracting(PolicyException.Problem::message).containsExactly(
                "unknown key 'nn' (did you mean 'n'?); allowed keys in a 'best' entry: metric, mode, n",
                "missing required key 'mode' (min or max) in a 'best' entry");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "7y    | bad duration '7y': years and months are not supported because their length varies (use d or w)",
        "90    | bad duration '90': the number has no unit",
        "1.5h  | bad duration '1.5h': fractions are not supported (write 1h30m, not 1.5h)",
        "2h1d  | bad duration '2h1d': expected a number followed by a unit (w, d, h, m = minutes, s)",
        "-2d   | bad duration '-2d': durations cannot be negative",
        "0s    | 'within' must be longer than zero",
    })
    void badDurations(String value, String message) {
        PolicyException.Problem p = only("policies:\n  - series: a\n    last: 1\n    within: " + value + "\n");
        assertThat(p.path()).isEqualTo("policies[0].within");
        assertThat(p.line()).isEqualTo(4);
        assertThat(p.column()).isEqualTo(13);
        assertThat(p.message()).contains(message);
    }

    @Test
    void durationsParse() {
        assertThat(PolicyDuration.parse("90s").toDuration()).isEqualTo(Duration.ofSeconds(90));
        assertThat(PolicyDuration.parse("15m").toDuration()).isEqualTo(Duration.ofMinutes(15));
        assertThat(PolicyDuration.parse("2h").toDuration()).isEqualTo(Duration.ofHours(2));
        assertThat(PolicyDuration.parse("7d").days()).isEqualTo(7);
        assertThat(PolicyDuration.parse("2w").days()).isEqualTo(14);
        assertThat(PolicyDuration.parse("1d12h").toDuration()).isEqualTo(Duration.ofHours(36));
        assertThat(PolicyDuration.parse("1w2d3h4m5s").toDuration())
                .isEqualTo(Duration.ofDays(9).plusHours(3).plusMinutes(4).plusSeconds(5));
        assertThatThrownBy(() -> PolicyDuration.parse("1d1d")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PolicyDuration.parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PolicyDuration.parse("99999999999999999999d")).hasMessageContaining("too large");
    }

    @Test
    void negativeCountsAreRefused() {
        PolicyException.Problem p = only("policies:\n  - series: a\n    daily: -1\n");
        assertThat(p.message()).isEqualTo("'daily' must not be negative, got -1; write 'unlimited' to keep every bucket"
                + " (restic before 0.16 read -1 as 'off'; current restic refuses negative counts too)");
        assertThat(only("policies:\n  - series: a\n    last: 1\n    best: [{metric: l, mode: min, n: -2}]\n").message())
                .isEqualTo("'n' must be a whole number >= 1, got -2");
        assertThat(only("policies:\n  - series: a\n    every_n_steps: -5\n").message())
                .isEqualTo("'every_n_steps' must be a whole number of steps >= 1, got -5");
        assertThat(only("policies:\n  - series: a\n    last: 1\n    max_remove: -1\n").message())
                .startsWith("'max_remove' must be a count >= 0 (e.g. 20) or a percentage");
        assertThat(only("policies:\n  - series: a\n    daily: 7d\n").message())
                .isEqualTo("'daily' must be a whole number >= 0, or 'unlimited' (a count, not a duration), got '7d'");
    }

    @Test
    void floorZeroIsRefused() {
        PolicyException.Problem p = only("policies:\n  - series: a\n    last: 3\n    floor: 0\n");
        assertThat(p.path()).isEqualTo("policies[0].floor");
        assertThat(p.message()).isEqualTo("'floor' must be a whole number >= 1 (the newest restorable checkpoint is"
                + " always kept, so 0 is not possible), got 0");
    }

    @Test
    void policiesThatKeepNothingAreRefused() {
        assertThat(only("policies:\n  - series: runs/*\n    last: 0\n").message()).isEqualTo(
                "the policy for series 'runs/*' would keep nothing beyond the invariants (newest restorable, holds,"
                        + " floor): its keep rules (last: 0) keep nothing. Add at least one of last, within, hourly,"
                        + " daily, weekly, monthly, yearly, tags, best, every_n_steps, max_recompute (e.g. 'last: 5'"
                        + " keeps the 5 newest)");
        PolicyException.Problem none = only("policies:\n  - series: a\n    floor: 3\n    keep_lineage: true\n");
        assertThat(none.message()).contains("would keep nothing beyond the invariants").contains("it has no keep rule");
        assertThat(none.line()).isEqualTo(2);
        assertThat(only("policies:\n  - series: a\n    tags: []\n    daily: 0\n").message())
                .contains("its keep rules (daily: 0, tags: []) keep nothing");
    }

    @Test
    void overlappingGlobsAreRefusedWithASeriesBothMatch() {
        PolicyException.Problem p = only("""
                policies:
                  - series: "runs/*"
                    last: 1
                  - series: "*/exp-1"
                    last: 2
                """);
        assertThat(p.path()).isEqualTo("policies[1].series");
        assertThat(p.line()).isEqualTo(4);
        assertThat(p.message()).isEqualTo("series globs overlap: 'runs/*' (policies[0]) and '*/exp-1' (policies[1])"
                + " both match the series 'runs/exp-1'; make them disjoint so each series has exactly one policy");
        assertThat(only("policies:\n  - {series: a/b, last: 1}\n  - {series: \"a/**\", last: 1}\n").message())
                .contains("both match the series 'a/b'");
        assertThat(only("policies:\n  - {series: x, last: 1}\n  - {series: x, last: 2}\n").message())
                .contains("both match the series 'x'");
    }

    @Test
    void disjointGlobsAreAccepted() throws Exception {
        PolicySet set = PolicyParser.parse("""
                policies:
                  - {series: "a/*", last: 1}
                  - {series: "a/*/b", last: 1}
                  - {series: "b/**/x", last: 1}
                  - {series: "b/**/y", last: 1}
                  - {series: "c?", last: 1}
                  - {series: "c", last: 1}
                """);
        assertThat(set.policies()).hasSize(6);
    }

    @Test
    void otherBadValues() {
        assertThat(only("policies:\n  - series: a\n    last: 1\n    max_remove: 120%\n").message())
                .isEqualTo("'max_remove' must be a count >= 0 (e.g. 20) or a percentage of the series between 0% and"
                        + " 100% (e.g. \"50%\"), got '120%'");
        assertThat(only("policies:\n  - series: a\n    last: 1\n    timezone: Europe/Berln\n").message())
                .isEqualTo("unknown time zone 'Europe/Berln'; use an IANA zone id such as UTC, Europe/Berlin or"
                        + " America/New_York");
        assertThat(only("policies:\n  - series: a\n    last: 1\n    chain: rebuild\n").message())
                .isEqualTo("'chain' must be 'rebase' or 'keep_base', got 'rebuild'");
        assertThat(only("policies:\n  - series: a\n    last: 1\n    keep_lineage: yes please\n").message())
                .isEqualTo("'keep_lineage' must be true or false, got 'yes please'");
        assertThat(only("policies:\n  - series: \"a[0]\"\n    last: 1\n").message())
                .isEqualTo("series glob 'a[0]': '[' at position 2 is reserved; only *, ** and ? are special");
        assertThat(only("policies:\n  - last: 1\n").message())
                .isEqualTo("missing required key 'series' (a series name or glob, e.g. \"resnet50/*\")");
        assertThat(only("policies:\n  - series: a\n    last: 1\n    tags: milestone\n").message())
                .isEqualTo("'tags' must be a list of tag names, e.g. [milestone, best], got 'milestone'");
        assertThat(only("policies:\n  - series: a\n    last: 1.5\n").message())
                .isEqualTo("'last' must be a whole number >= 0, or 'unlimited', got 1.5");
    }

    @Test
    void documentShape() {
        assertThat(only("").message()).contains("the policy file is empty");
        assertThat(fail("policy:\n  - {series: a, last: 1}\n").problems()).extracting(PolicyException.Problem::message)
                .containsExactly("unknown top-level key 'policy'; a policy file has only the key 'policies'",
                        "missing the key 'policies' (a list of policies)");
        assertThat(only("policies: {series: a}\n").message()).startsWith("'policies' must be a list of policies");
        PolicyException.Problem dup = only("policies:\n  - series: a\n    last: 1\n    last: 2\n");
        assertThat(dup.message()).contains("Duplicate field 'last'");
        assertThat(dup.line()).isEqualTo(4);
        PolicyException.Problem syntax = only("policies: [\n  - series: a\n");
        assertThat(syntax.line()).isPositive();
    }

    @Test
    void collectsEveryProblemAtOnce() {
        PolicyException e = fail("""
                policies:
                  - series: a
                    last: -3
                    floor: 0
                    timezone: Mars/Base
                  - series: b
                    weekly: 2
                    grace: forever
                """);
        assertThat(e.problems()).extracting(PolicyException.Problem::path).containsExactly(
                "policies[0].last", "policies[0].floor", "policies[0].timezone", "policies[1].grace");
        assertThat(e.getMessage()).startsWith("invalid retention policy (4 problems):\n  line 3, column 11");
    }

    @Test
    void treeInputReportsPathsWithoutPositions() throws Exception {
        JsonNode cairnYaml = new ObjectMapper(new YAMLFactory()).readTree("""
                listen: 127.0.0.1:7433
                policies:
                  - series: a
                    hourly: 3
                  - series: b
                    weekly: 0
                """);
        PolicyException e = catchThrowableOfType(PolicyException.class,
                () -> PolicyParser.parsePolicies(cairnYaml.get("policies")));
        assertThat(e.problems()).hasSize(1);
        assertThat(e.problems().get(0).line()).isZero();
        assertThat(e.problems().get(0).path()).isEqualTo("policies[1]");
        assertThat(e.getMessage()).startsWith("invalid retention policy: policies[1]: the policy for series 'b'");
        JsonNode ok = new ObjectMapper(new YAMLFactory()).readTree("policies:\n  - {series: a, hourly: 3}\n");
        assertThat(PolicyParser.parseDocument(ok).policies()).hasSize(1);
        assertThat(PolicyParser.parsePolicies(ok.get("policies")).policyFor("a")).isPresent();
    }

    @Test
    void readerInput() throws Exception {
        PolicySet set = PolicyParser.parse(new java.io.StringReader("policies:\n  - {series: a, last: 1}\n"));
        assertThat(set.policyFor("a").orElseThrow().rules().tags()).isEqualTo(Set.of());
    }
}
