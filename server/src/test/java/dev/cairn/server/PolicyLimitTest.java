package dev.cairn.server;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.ErrorReply;
import dev.cairn.protocol.wire.Message.PolicySimulate;
import dev.cairn.protocol.wire.Message.Trim;
import dev.cairn.protocol.wire.Wire;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The size limits on YAML a daemon reads (issue 10 item 5): a client's policy over
 * {@link Wire#MAX_POLICY_BYTES} gets LIMIT_EXCEEDED for TRIM and POLICY_SIMULATE and touches
 * nothing; one just under it, with a long comment line, is applied; an oversized cairn.yaml is
 * refused naming the file.
 */
class PolicyLimitTest {
    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    @TempDir
    Path dir;

    private static String policy() {
        return "policies:\n  - series: \"lim/*\"\n    last: 1\n";
    }

    @Test
    void oversizedPolicyIsLimitExceededAndTouchesNothing() throws Exception {
        CairnDaemon d = DaemonFixture.start(dir.resolve("data"));
        try (WireDriver w = WireDriver.open(d.address(), "")) {
            for (int i = 0; i < 2; i++) {
                w.put("lim/a", T0.plusSeconds(3600L * i), DaemonFixture.data(i, 3_000));
            }
            // Valid YAML up front, then one comment line that takes it over the limit.
            String big = policy() + "# " + "x".repeat(Wire.MAX_POLICY_BYTES) + "\n";
            for (Message req : new Message[] {new Trim(null, big, "big.yaml", false, true),
                    new PolicySimulate("lim/a", big, false)}) {
                Message m = w.call(req);
                assertThat(m).isInstanceOf(ErrorReply.class);
                ErrorReply e = (ErrorReply) m;
                assertThat(e.status()).as(e.message()).isEqualTo(Status.LIMIT_EXCEEDED);
                assertThat(e.message()).contains("the limit is " + Wire.MAX_POLICY_BYTES + " bytes");
            }
            assertThat(w.list("lim/a")).hasSize(2);
            assertThat(w.trimLog(0, false)).isEmpty();

            // Just under the limit, with a 16 000-character comment line: parsed and applied.
            StringBuilder ok = new StringBuilder(policy()).append("# ").append("y".repeat(16_000)).append('\n');
            while (ok.length() < Wire.MAX_POLICY_BYTES - 200) {
                ok.append("# ").append("z".repeat(8_000)).append('\n');
            }
            WireDriver.TrimResult r = w.trim(new Trim(null, ok.toString(), "ok.yaml", false, true));
            assertThat(r.ok().applied()).isTrue();
            assertThat(w.list("lim/a")).hasSize(1);
        } finally {
            assertThat(d.stop()).isTrue();
        }
    }

    @Test
    void oversizedConfigFileIsRefusedNamingIt() throws Exception {
        Path f = dir.resolve("cairn.yaml");
        // Only comments, in short lines: valid YAML that would take long to read at this size.
        String line = "# " + "c".repeat(1000) + "\n";
        Files.writeString(f, line.repeat(ConfigLoader.MAX_CONFIG_BYTES / line.length() + 1));
        assertThatThrownBy(() -> ConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("config file " + f)
                .hasMessageContaining("the limit is " + ConfigLoader.MAX_CONFIG_BYTES + " bytes");
        // A long line, under the size limit, is refused naming the file and the line.
        Files.writeString(f, "listen: 127.0.0.1:0\n# " + "c".repeat(100_000) + "\n");
        assertThatThrownBy(() -> ConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("line 2 is longer than");
        // Deep nesting in cairn.yaml: refused by the parser's explicit depth limit.
        Files.writeString(f, "store: " + "[".repeat(100) + "]".repeat(100) + "\n");
        assertThatThrownBy(() -> ConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("nesting depth");
    }
}
