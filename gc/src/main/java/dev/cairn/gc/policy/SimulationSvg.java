package dev.cairn.gc.policy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws a {@link SimulationResult} as a self-contained SVG (no scripts, fonts or external styles):
 * a time axis with one mark per checkpoint, survivors in the upper row coloured by their primary
 * reason kind, removed checkpoints in the lower row in grey, a legend, and below them the stored
 * bytes over time.
 */
public final class SimulationSvg {

    private static final int WIDTH = 1000;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int KEPT_Y = 70;
    private static final int REMOVED_Y = 110;
    private static final int AXIS_Y = 135;
    private static final int BYTES_TOP = 175;
    private static final int BYTES_BOTTOM = 275;
    private static final int LEGEND_Y = 305;
    private static final String REMOVED_COLOUR = "#b0b0b0";

    static final Map<KeepReason.Kind, String> COLOURS = new EnumMap<>(KeepReason.Kind.class);

    static {
        String[] palette = {"#1f77b4", "#17becf", "#aec7e8", "#2ca02c", "#98df8a", "#bcbd22", "#8c564b",
            "#e377c2", "#d62728", "#9467bd", "#ff7f0e", "#000000", "#7f7f7f", "#ff9896", "#c5b0d5", "#c49c94",
            "#f7b6d2"};
        KeepReason.Kind[] kinds = KeepReason.Kind.values();
        for (int i = 0; i < kinds.length; i++) {
            COLOURS.put(kinds[i], palette[i % palette.length]);
        }
    }

    private SimulationSvg() {
    }

    public static String render(SimulationResult r) {
        List<SimulationResult.Entry> t = r.timeline();
        Instant start = t.get(0).createdAt();
        Instant end = t.get(t.size() - 1).createdAt();
        double span = Math.max(1, Duration.between(start, end).toMillis());
        double plotWidth = WIDTH - LEFT - RIGHT;
        EnumSet<KeepReason.Kind> used = EnumSet.noneOf(KeepReason.Kind.class);
        for (SimulationResult.Entry e : t) {
            if (e.survived()) {
                used.add(e.reasons().get(0).kind());
            }
        }
        int legendRows = (used.size() + 1 + 3) / 4;
        int height = LEGEND_Y + legendRows * 18 + 10;
        StringBuilder s = new StringBuilder(256 + t.size() * 90);
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
                .append("\" font-family=\"sans-serif\" font-size=\"11\">\n");
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        long survivors = t.stream().filter(SimulationResult.Entry::survived).count();
        s.append("<text x=\"").append(LEFT).append("\" y=\"22\" font-size=\"14\">")
                .append(esc("series " + r.series() + " — policy " + r.policy().series() + ": " + survivors + " of "
                        + t.size() + " checkpoints survive"))
                .append("</text>\n");
        s.append("<text x=\"8\" y=\"").append(KEPT_Y + 4).append("\">kept</text>\n");
        s.append("<text x=\"8\" y=\"").append(REMOVED_Y + 4).append("\">removed</text>\n");
        s.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(AXIS_Y).append("\" x2=\"")
                .append(WIDTH - RIGHT).append("\" y2=\"").append(AXIS_Y).append("\" stroke=\"black\"/>\n");
        DateTimeFormatter fmt = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);
        for (int k = 0; k <= 5; k++) {
            double x = LEFT + plotWidth * k / 5;
            Instant at = start.plusMillis((long) (span * k / 5));
            s.append("<line x1=\"").append(f(x)).append("\" y1=\"").append(AXIS_Y).append("\" x2=\"").append(f(x))
                    .append("\" y2=\"").append(AXIS_Y + 5).append("\" stroke=\"black\"/>")
                    .append("<text x=\"").append(f(x)).append("\" y=\"").append(AXIS_Y + 17)
                    .append("\" text-anchor=\"").append(k == 0 ? "start" : k == 5 ? "end" : "middle").append("\">")
                    .append(esc(fmt.format(at))).append("</text>\n");
        }
        for (SimulationResult.Entry e : t) {
            double x = LEFT + plotWidth * Duration.between(start, e.createdAt()).toMillis() / span;
            if (e.survived()) {
                KeepReason primary = e.reasons().get(0);
                s.append("<circle cx=\"").append(f(x)).append("\" cy=\"").append(KEPT_Y).append("\" r=\"4\" fill=\"")
                        .append(COLOURS.get(primary.kind())).append("\"><title>")
                        .append(esc(e.id().shortHex() + " " + e.createdAt() + ": " + join(e.reasons())))
                        .append("</title></circle>\n");
            } else {
                s.append("<line x1=\"").append(f(x)).append("\" y1=\"").append(REMOVED_Y - 6).append("\" x2=\"")
                        .append(f(x)).append("\" y2=\"").append(REMOVED_Y + 6).append("\" stroke=\"")
                        .append(REMOVED_COLOUR).append("\"><title>")
                        .append(esc(e.id().shortHex() + " " + e.createdAt() + ": removed at " + e.removedAt()))
                        .append("</title></line>\n");
            }
        }
        long maxBytes = 1;
        for (SimulationResult.BytesPoint p : r.storedBytes()) {
            maxBytes = Math.max(maxBytes, p.bytes());
        }
        s.append("<text x=\"8\" y=\"").append(BYTES_TOP + 4).append("\">").append(esc(human(maxBytes)))
                .append("</text>\n<text x=\"8\" y=\"").append(BYTES_BOTTOM).append("\">0 B</text>\n");
        s.append("<text x=\"").append(LEFT).append("\" y=\"").append(BYTES_TOP - 8)
                .append("\">stored bytes (approximation: sum of newBytes of survivors)</text>\n");
        s.append("<polyline fill=\"none\" stroke=\"#1f77b4\" points=\"");
        for (SimulationResult.BytesPoint p : r.storedBytes()) {
            double x = LEFT + plotWidth * Duration.between(start, p.at()).toMillis() / span;
            double y = BYTES_BOTTOM - (BYTES_BOTTOM - BYTES_TOP) * (double) p.bytes() / maxBytes;
            s.append(f(x)).append(',').append(f(y)).append(' ');
        }
        s.append("\"/>\n");
        int k = 0;
        for (KeepReason.Kind kind : used) {
            legend(s, k++, COLOURS.get(kind), "kept: " + kind.name().toLowerCase(Locale.ROOT));
        }
        legend(s, k, REMOVED_COLOUR, "removed");
        s.append("</svg>\n");
        return s.toString();
    }

    private static void legend(StringBuilder s, int k, String colour, String label) {
        int x = LEFT + (k % 4) * 220;
        int y = LEGEND_Y + (k / 4) * 18;
        s.append("<rect x=\"").append(x).append("\" y=\"").append(y - 9).append("\" width=\"10\" height=\"10\" fill=\"")
                .append(colour).append("\"/><text x=\"").append(x + 15).append("\" y=\"").append(y)
                .append("\">").append(esc(label)).append("</text>\n");
    }

    private static String join(List<KeepReason> rs) {
        StringBuilder b = new StringBuilder();
        for (KeepReason r : rs) {
            if (b.length() > 0) {
                b.append("; ");
            }
            b.append(r.text());
        }
        return b.toString();
    }

    private static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String esc(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
