package dev.cairn.protocol.wire;

import dev.cairn.protocol.Status;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/PROTOCOL.md's opcode, status and limit tables say what the code does. */
class ProtocolDocTest {
    private static String doc() throws Exception {
        return Files.readString(Path.of("..", "docs", "PROTOCOL.md"));
    }

    @Test
    void opcodeTableMatchesOpcode() throws Exception {
        Pattern row = Pattern.compile("\\| 0x([0-9A-F]{2}) \\| `([A-Z_]+)`(?: \\(reserved\\))? \\| (?:0x([0-9A-F]{2})(?: `([A-Z_]+)`)?|none|) *\\|");
        Matcher m = row.matcher(doc());
        int rows = 0;
        while (m.find()) {
            rows++;
            int op = Integer.parseInt(m.group(1), 16);
            assertThat(Opcode.name(op)).as("opcode 0x%02X", op).isEqualTo(m.group(2));
            assertThat(Opcode.isRequest(op)).isTrue();
            if (m.group(3) != null) {
                int resp = Integer.parseInt(m.group(3), 16);
                assertThat(resp).isEqualTo(Opcode.responseTo(op));
                if (m.group(4) != null) {
                    assertThat(Opcode.name(resp)).isEqualTo(m.group(4));
                }
            }
        }
        assertThat(rows).isEqualTo(33); // 3 connection + 8 queries + 13 put path + 9 maintenance
        for (int part = 0xF0; part <= Opcode.FD_READY; part++) {
            assertThat(doc()).contains(String.format("0x%02X `%s`", part, Opcode.name(part)));
        }
    }

    @Test
    void statusTableMatchesStatus() throws Exception {
        Pattern row = Pattern.compile("\\| (\\d+) \\| `([A-Z_]+)` \\|");
        Matcher m = row.matcher(doc());
        Map<Integer, String> documented = new HashMap<>();
        while (m.find()) {
            documented.put(Integer.parseInt(m.group(1)), m.group(2));
        }
        for (Status s : Status.values()) {
            assertThat(documented.get(s.code())).as("status %d", s.code()).isEqualTo(s.name());
        }
        assertThat(documented).hasSize(Status.values().length);
    }

    @Test
    void limitsTableMatchesDefaults() throws Exception {
        Limits d = Limits.defaults();
        String doc = doc().replace("\u202f", " ");
        assertThat(doc).contains("| 1 | maxFrame | " + group(d.maxFrame()) + " |");
        assertThat(doc).contains("| 2 | maxHaveIds | " + d.maxHaveIds() + " |");
        assertThat(doc).contains("| 3 | maxUploadChunks | " + d.maxUploadChunks() + " |");
        assertThat(doc).contains("| 4 | maxRefs | " + d.maxRefs() + " |");
        assertThat(doc).contains("| 5 | maxSessions | " + d.maxSessions() + " |");
        assertThat(doc).contains("| 6 | maxInFlight | " + d.maxInFlight() + " |");
        assertThat(doc).contains("| 7 | maxPatchBytes | " + group(d.maxPatchBytes()) + " |");
        assertThat(doc).contains("| 8 | idleTimeoutSeconds | " + d.idleTimeoutSeconds() + " |");
        assertThat(doc).contains("| 9 | compression | " + d.compression().code() + " |");
        assertThat(doc).contains(group(Wire.MIN_MAX_FRAME) + "** (16 MiB + 64 KiB");
        assertThat(doc).contains("**" + group(Wire.HANDSHAKE_MAX_FRAME) + "** (`Wire.HANDSHAKE_MAX_FRAME`)");
    }

    private static String group(long v) {
        return String.format("%,d", v).replace(',', ' ');
    }
}
