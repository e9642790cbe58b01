package dev.cairn.gc.policy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The bounds on policy text (issue 10 item 5): a size limit checked before parsing, a line
 * limit that keeps SnakeYAML's per-token cost from growing with the square of a line, aliases
 * and deep nesting refused with clear messages, positions kept by the single parse.
 */
class PolicyLimitsTest {
    private static final String VALID = "policies:\n  - series: \"a/*\"\n    last: 3\n";

    /** {@code VALID} padded with comment lines of {@code line} chars to {@code total} UTF-8 bytes. */
    private static String padded(int total, int line) {
        StringBuilder sb = new StringBuilder(VALID);
        while (sb.length() < total) {
            int n = Math.min(line, total - sb.length() - 1);
            sb.append('#').append("x".repeat(Math.max(0, n - 1))).append('\n');
        }
        return sb.toString();
    }

    @Test
    void overTheSizeLimitIsRefusedWithoutParsing() {
        // Invalid YAML behind the limit: were it parsed, the error would be a YAML error, not the limit.
        String text = VALID + "x: [" + "#".repeat(PolicyParser.MAX_POLICY_BYTES);
        PolicyException e = catchThrowableOfType(PolicyException.class, () -> PolicyParser.parse(text));
        assertThat(e.limitExceeded()).as(e.getMessage()).isTrue();
        assertThat(e.getMessage()).contains("the limit is " + PolicyParser.MAX_POLICY_BYTES + " bytes");
        // Counted in UTF-8 bytes, not chars: 600 Ki chars of 'é' are 1.2 MiB.
        PolicyException wide = catchThrowableOfType(PolicyException.class,
                () -> PolicyParser.parse(VALID + "# " + "é\n".repeat(600 << 10)));
        assertThat(wide.limitExceeded()).isTrue();
    }

    @Test
    void justUnderTheLimitWithALongCommentLineParses() throws PolicyException {
        String text = "# " + "c".repeat(YamlLimits.MAX_LINE_CHARS - 2) + "\n"
                + padded(PolicyParser.MAX_POLICY_BYTES - YamlLimits.MAX_LINE_CHARS - 1, YamlLimits.MAX_LINE_CHARS);
        assertThat(YamlLimits.utf8Length(text)).isBetween(PolicyParser.MAX_POLICY_BYTES - 64L,
                (long) PolicyParser.MAX_POLICY_BYTES);
        PolicySet set = PolicyParser.parse(text);
        assertThat(set.policyFor("a/b")).isPresent();
    }

    @Test
    void aLineOverTheLineLimitIsRefusedNamingIt() {
        String text = VALID + "# short\n" + "# " + "c".repeat(YamlLimits.MAX_LINE_CHARS) + "\n";
        PolicyException e = catchThrowableOfType(PolicyException.class, () -> PolicyParser.parse(text));
        assertThat(e.limitExceeded()).isTrue();
        assertThat(e.problems().get(0).line()).isEqualTo(5);
        assertThat(e.getMessage()).contains("line 5 is longer than " + YamlLimits.MAX_LINE_CHARS);
        assertThat(YamlLimits.firstLongLine("a\r\n" + "b".repeat(YamlLimits.MAX_LINE_CHARS + 1))).isEqualTo(2);
        assertThat(YamlLimits.firstLongLine("b".repeat(YamlLimits.MAX_LINE_CHARS) + "\r\nc")).isZero();
    }

    @Test
    void errorsAfterALargePrefixStillCarryLineAndColumn() {
        String text = padded(200_000, 1000) + "  - series: \"b/*\"\n    daly: 7\n";
        int line = (int) text.lines().count();
        PolicyException e = catchThrowableOfType(PolicyException.class, () -> PolicyParser.parse(text));
        assertThat(e.limitExceeded()).isFalse();
        PolicyException.Problem p = e.problems().stream().filter(x -> x.path().endsWith(".daly")).findFirst()
                .orElseThrow(() -> new AssertionError(e.getMessage()));
        assertThat(p.line()).isEqualTo(line);
        assertThat(p.column()).isEqualTo(5);
        assertThat(p.message()).contains("did you mean 'daily'");
    }

    @Test
    void aliasBombIsRefused() {
        StringBuilder bomb = new StringBuilder("policies:\n  - series: \"a/*\"\n    last: 3\n    tags: &a0 [lol, lol]\n");
        for (int i = 1; i < 10; i++) {
            bomb.append("  - series: \"s").append(i).append("/*\"\n    last: 1\n    tags: &a").append(i)
                    .append(" [*a").append(i - 1).append(", *a").append(i - 1).append("]\n");
        }
        PolicyException e = catchThrowableOfType(PolicyException.class, () -> PolicyParser.parse(bomb.toString()));
        assertThat(e.limitExceeded()).isFalse();
        assertThat(e.getMessage()).contains("YAML aliases ('*a0') are not allowed");
        assertThat(e.problems().get(0).line()).isEqualTo(7); // the first alias, in the second policy
        // A merge key is an alias too.
        assertThatThrownBy(() -> PolicyParser.parse("base: &b {last: 3}\npolicies:\n  - series: x\n    <<: *b\n"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("YAML aliases ('*b') are not allowed");
    }

    @Test
    void deepNestingIsRefused() {
        String flow = VALID + "    best: " + "[".repeat(100) + "]".repeat(100) + "\n";
        assertThatThrownBy(() -> PolicyParser.parse(flow)).isInstanceOf(PolicyException.class)
                .hasMessageContaining("more than " + YamlLimits.MAX_DEPTH + " levels deep");
        StringBuilder block = new StringBuilder(VALID + "    best:\n");
        for (int i = 0; i < 60; i++) {
            block.append("  ".repeat(i + 3)).append("k").append(i).append(":\n");
        }
        block.append("  ".repeat(63)).append("v\n");
        assertThatThrownBy(() -> PolicyParser.parse(block.toString())).isInstanceOf(PolicyException.class)
                .hasMessageContaining("more than " + YamlLimits.MAX_DEPTH + " levels deep");
    }

    @Test
    void treeMatchesWhatJacksonBuilds() throws Exception {
        // The single-pass tree reader must read values as Jackson's readTree did.
        String text = "policies:\n  - series: \"a/*\"\n    last: 3\n    max_remove: \"50%\"\n    keep_lineage: true\n"
                + "    every_n_steps: 10000000000\n    best: [{metric: val_loss, mode: min, n: 2}]\n";
        PolicySet set = PolicyParser.parse(text);
        RetentionPolicy p = set.policyFor("a/x").orElseThrow();
        assertThat(p.rules().last()).isEqualTo(3);
        assertThat(p.rules().everyNSteps()).isEqualTo(10_000_000_000L);
        assertThat(p.keepLineage()).isTrue();
        assertThat(p.rules().best()).hasSize(1);
    }
}
