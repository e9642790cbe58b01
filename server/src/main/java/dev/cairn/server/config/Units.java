package dev.cairn.server.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the sizes ("64MiB", "4096") and durations ("300s", "5m", "30") of cairn.yaml. */
public final class Units {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kib|mib|gib|tib|kb|mb|gb|tb)?");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

    private Units() {
    }

    /** Bytes; binary suffixes KiB/MiB/GiB/TiB (KB/MB/... mean the same here), none = bytes. */
    public static long bytes(String key, String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new ConfigException(key + ": '" + text + "' is not a size (e.g. 4096, 64KiB, 16MiB, 1GiB)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        int shift = switch (unit) {
            case "kib", "kb" -> 10;
            case "mib", "mb" -> 20;
            case "gib", "gb" -> 30;
            case "tib", "tb" -> 40;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new ConfigException(key + ": '" + text + "' is too large");
        }
        return n << shift;
    }

    /** A size that must fit an int. */
    public static int intBytes(String key, String text) {
        long v = bytes(key, text);
        if (v > Integer.MAX_VALUE) {
            throw new ConfigException(key + ": '" + text + "' is too large (at most 2GiB - 1)");
        }
        return (int) v;
    }

    /** A duration; suffixes ms, s, m, h, d; none = seconds. */
    public static Duration duration(String key, String text) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new ConfigException(key + ": '" + text + "' is not a duration (e.g. 30s, 5m, 1h)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
