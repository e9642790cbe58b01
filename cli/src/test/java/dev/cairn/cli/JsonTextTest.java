package dev.cairn.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link JsonText} prints what Jackson's INDENT_OUTPUT printed before it (scripts parse it; people read it). */
class JsonTextTest {
    static final ObjectMapper JACKSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static void same(Object v) throws Exception {
        assertThat(JsonText.render(v)).isEqualTo(JACKSON.writeValueAsString(v));
    }

    @Test
    void scalarsAndEscapes() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "plain");
        m.put("esc", "q\" b\\ n\n r\r t\t b\b f\f nul\u0000 us\u001f del\u007f é ☃ 😀 /");
        m.put("null", null);
        m.put("t", true);
        m.put("f", false);
        m.put("int", -7);
        m.put("long", Long.MIN_VALUE);
        m.put("double", 0.31);
        m.put("tiny", 1.0e-9);
        m.put("huge", 1.5e300);
        m.put("whole", 3.0);
        m.put("nan", Double.NaN);
        m.put("inf", Double.NEGATIVE_INFINITY);
        m.put("float", 0.1f);
        m.put("big", new BigInteger("123456789012345678901234567890"));
        m.put("dec", new BigDecimal("1.2500"));
        m.put("char", 'c');
        m.put("enum", java.time.DayOfWeek.MONDAY);
        same(m);
        same("top-level string");
        same(42L);
        same(null);
    }

    @Test
    void nesting() throws Exception {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("a", 1);
        inner.put("list", List.of(1, 2, 3));
        inner.put("emptyList", List.of());
        inner.put("emptyMap", Map.of());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("obj", inner);
        m.put("objs", List.of(inner, inner));
        m.put("nested", List.of(List.of(inner), List.of(), List.of("x")));
        same(m);
        same(List.of(m, Map.of()));
        same(List.of());
        same(Map.of());
    }

    @Test
    void randomTrees() throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 300; i++) {
            same(tree(r, 0));
        }
    }

    @Test
    void otherKindsOfValueAreLeftToJackson() throws Exception {
        assertThat(JsonText.render(Map.of("tree", JACKSON.readTree("{\"a\":1}")))).isNull();
        assertThat(JsonText.render(List.of(new Object()))).isNull();
    }

    private static Object tree(SplittableRandom r, int depth) {
        int kind = depth > 3 ? r.nextInt(4) : r.nextInt(6);
        switch (kind) {
            case 0:
                return r.nextLong();
            case 1:
                return r.nextBoolean() ? r.nextDouble() * Math.pow(10, r.nextInt(-20, 20)) : null;
            case 2: {
                StringBuilder s = new StringBuilder();
                for (int i = r.nextInt(6); i > 0; i--) {
                    s.append((char) r.nextInt(0, 0x3000));
                }
                return s.toString();
            }
            case 3:
                return r.nextBoolean();
            case 4: {
                List<Object> l = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    l.add(tree(r, depth + 1));
                }
                return l;
            }
            default: {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    m.put("k" + i + (char) r.nextInt(0x20, 0x500), tree(r, depth + 1));
                }
                return m;
            }
        }
    }
}
