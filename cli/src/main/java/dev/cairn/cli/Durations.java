package dev.cairn.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations on the command line, in the grammar of policy files (docs/GC.md "Durations"): a number
 * and a unit — {@code s}, {@code m} (minutes), {@code h}, {@code d} (86 400 s), {@code w} (7 days)
 * — or a compound with the units in that order, each at most once: {@code 90s}, {@code 30m},
 * {@code 2h}, {@code 7d}, {@code 1d12h}.
 */
final class Durations {
    private static final Pattern FORM = Pattern.compile("(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");
    private static final long[] UNIT_SECONDS = {7 * 86_400L, 86_400L, 3_600L, 60L, 1L};

    private Durations() {
    }

    /** @throws IllegalArgumentException with a message that shows the accepted forms */
    static Duration parse(String text) {
        String t = text == null ? "" : text.trim();
        Matcher m = FORM.matcher(t);
        if (t.isEmpty() || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 30m, 2h, 7d, 1d12h; units w, d,"
                    + " h, m, s in that order; m is minutes)");
        }
        long seconds = 0;
        try {
            for (int i = 0; i < UNIT_SECONDS.length; i++) {
                if (m.group(i + 1) != null) {
                    seconds = Math.addExact(seconds, Math.multiplyExact(Long.parseLong(m.group(i + 1)), UNIT_SECONDS[i]));
                }
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
        return Duration.ofSeconds(seconds);
    }

    /** "3d 4h", "2h 5m", "45s", "250 ms": the two largest units, for people. */
    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        long s = ms / 1000;
        long[] parts = {s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60, s % 60};
        String[] units = {"d", "h", "m", "s"};
        StringBuilder b = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < parts.length && shown < 2; i++) {
            if (parts[i] > 0 || (shown > 0)) {
                if (parts[i] > 0) {
                    b.append(b.length() > 0 ? " " : "").append(parts[i]).append(units[i]);
                }
                shown++;
            }
        }
        return b.toString();
    }
}
