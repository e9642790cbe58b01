package dev.cairn.gc.policy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A duration as written in a policy: {@code 90s}, {@code 15m}, {@code 2h}, {@code 7d}, {@code 2w},
 * or a compound such as {@code 1d12h}. Units, in the only order allowed, each at most once:
 * {@code w} (7 days), {@code d}, {@code h}, {@code m} (minutes), {@code s}.
 *
 * <p>Days (and weeks) are kept apart from the clock part because {@code within} counts them as
 * calendar days in the policy's time zone, exactly as restic's {@code --keep-within} does with
 * {@code AddDate}: across a DST change, {@code within: 2d} spans 47 or 49 hours, while
 * {@code within: 48h} is always 48 hours. Everywhere else (grace, {@code max_recompute}) a day is
 * 86,400 seconds.
 *
 * <p>There are no months or years: their length varies, and restic's {@code m} means months while
 * ours means minutes (see docs/GC.md). Keeping {@code m} for minutes follows the brief and every
 * other duration in Cairn's configuration.
 *
 * @param days    whole calendar days (weeks folded in)
 * @param seconds the clock part, in seconds
 * @param text    the text as written, for reasons and messages
 */
public record PolicyDuration(long days, long seconds, String text) {

    private static final Pattern GRAMMAR =
            Pattern.compile("(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");
    private static final long MAX_DAYS = 1_000_000; // ~2700 years: anything larger is a typo

    public PolicyDuration {
        Objects.requireNonNull(text, "text");
        if (days < 0 || seconds < 0) {
            throw new IllegalArgumentException("negative duration: " + text);
        }
    }

    /**
     * Parses the policy syntax.
     *
     * @throws IllegalArgumentException with a message that says what is wrong and what is accepted
     */
    public static PolicyDuration parse(String text) {
        String t = text == null ? "" : text.strip();
        Matcher m = GRAMMAR.matcher(t);
        if (t.isEmpty() || !m.matches()) {
            throw new IllegalArgumentException("bad duration '" + text + "': " + hint(t));
        }
        try {
            long weeks = group(m, 1);
            long days = Math.addExact(Math.multiplyExact(weeks, 7), group(m, 2));
            long secs = Math.addExact(Math.addExact(Math.multiplyExact(group(m, 3), 3600),
                    Math.multiplyExact(group(m, 4), 60)), group(m, 5));
            if (days > MAX_DAYS || secs > MAX_DAYS * 86_400) {
                throw new ArithmeticException();
            }
            return new PolicyDuration(days, secs, t);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("bad duration '" + text + "': too large (at most "
                    + MAX_DAYS + " days)");
        }
    }

    private static long group(Matcher m, int g) {
        String s = m.group(g);
        return s == null ? 0 : Long.parseLong(s);
    }

    private static String hint(String t) {
        String base = "expected a number followed by a unit (w, d, h, m = minutes, s), e.g. 90s, 15m, 2h, 7d, 2w, "
                + "or a compound like 1d12h with units in that order, each at most once";
        if (t.startsWith("-")) {
            return "durations cannot be negative; " + base;
        }
        if (t.matches("\\d+")) {
            return "the number has no unit; " + base;
        }
        if (t.matches(".*\\d+(y|mo|M)\\b.*") || t.endsWith("y")) {
            return "years and months are not supported because their length varies (use d or w); " + base;
        }
        if (t.contains(".")) {
            return "fractions are not supported (write 1h30m, not 1.5h); " + base;
        }
        return base;
    }

    public boolean isZero() {
        return days == 0 && seconds == 0;
    }

    /** The length with a day as exactly 86,400 seconds (grace periods, compute budgets). */
    public Duration toDuration() {
        return Duration.ofDays(days).plusSeconds(seconds);
    }

    /**
     * {@code t} minus this duration, with the days counted as calendar days in {@code zone}: what
     * restic computes as {@code latest.AddDate(0, 0, -days).Add(-hours)}.
     */
    public Instant subtractFrom(Instant t, ZoneId zone) {
        return t.atZone(zone).minusDays(days).toInstant().minusSeconds(seconds);
    }

    @Override
    public String toString() {
        return text;
    }
}
