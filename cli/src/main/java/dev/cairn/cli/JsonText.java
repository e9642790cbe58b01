package dev.cairn.cli;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;

/**
 * Renders the {@code --json} values ({@link Json}'s maps, lists, strings, numbers, booleans and
 * nulls) as text, character for character as Jackson's {@code ObjectMapper} with {@code
 * INDENT_OUTPUT} does (its default pretty printer: two-space indented objects, {@code "name" :
 * value}, arrays inline as {@code [ a, b ]}, {@code { }} and {@code [ ]} when empty; control
 * characters escaped, uppercase <code>&#92;u00XX</code>; NaN and infinities as strings). Without it, a
 * command's {@code --json} would load and set up Jackson (~1,000 classes, ~6 MiB of the
 * CLI's peak RSS; docs/BENCHMARKS.md, "CLI start-up").
 *
 * <p>Any other kind of value (e.g. a Jackson tree) is not rendered: {@link #render} returns null
 * and the caller falls back to Jackson. Stateless; thread-safe.
 */
final class JsonText {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private JsonText() {
    }

    /** The JSON text of {@code value}, or null if it holds a kind of value this class does not render. */
    static String render(Object value) {
        StringBuilder b = new StringBuilder(256);
        return write(b, value, 0) ? b.toString() : null;
    }

    private static boolean write(StringBuilder b, Object v, int nesting) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String s) {
            string(b, s);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short
                || v instanceof Byte || v instanceof BigInteger || v instanceof BigDecimal) {
            b.append(v);
        } else if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) {
                string(b, d.toString());
            } else {
                b.append(d.doubleValue());
            }
        } else if (v instanceof Float f) {
            if (f.isNaN() || f.isInfinite()) {
                string(b, f.toString());
            } else {
                b.append(f.floatValue());
            }
        } else if (v instanceof Character c) {
            string(b, c.toString());
        } else if (v instanceof Enum<?> e) {
            string(b, e.name());
        } else if (v instanceof Map<?, ?> m) {
            return object(b, m, nesting);
        } else if (v instanceof Collection<?> c) {
            return array(b, c, nesting);
        } else {
            return false;
        }
        return true;
    }

    private static boolean object(StringBuilder b, Map<?, ?> m, int nesting) {
        b.append('{');
        if (m.isEmpty()) {
            b.append(" }");
            return true;
        }
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (e.getKey() == null) {
                return false;
            }
            if (!first) {
                b.append(',');
            }
            first = false;
            indent(b, nesting + 1);
            string(b, e.getKey().toString());
            b.append(" : ");
            if (!write(b, e.getValue(), nesting + 1)) {
                return false;
            }
        }
        indent(b, nesting);
        b.append('}');
        return true;
    }

    /** Arrays are inline in Jackson's default printer: they add no indentation level. */
    private static boolean array(StringBuilder b, Collection<?> c, int nesting) {
        b.append('[');
        if (c.isEmpty()) {
            b.append(" ]");
            return true;
        }
        boolean first = true;
        for (Object o : c) {
            b.append(first ? " " : ", ");
            first = false;
            if (!write(b, o, nesting)) {
                return false;
            }
        }
        b.append(" ]");
        return true;
    }

    private static void indent(StringBuilder b, int nesting) {
        b.append('\n');
        for (int i = 0; i < nesting; i++) {
            b.append("  ");
        }
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
