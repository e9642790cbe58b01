package dev.cairn.gc.policy;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * The bounds every YAML text Cairn reads (a policy from a client, {@code cairn.yaml}) is held to,
 * and the one place the YAML parser is configured with them.
 *
 * <p>Why a line limit: SnakeYAML, under Jackson's YAML parser, keeps its look-ahead in a window
 * that it copies whole each time it reads the next 1 KiB of input, and it scans a comment or a
 * scalar by peeking one code point further at a time without consuming. A single long line thus
 * costs time quadratic in its length (a 15 MiB comment line: 134 s and 3.6 GB of garbage), while
 * the same bytes in short lines parse in linear time. Lines of at most {@link #MAX_LINE_CHARS}
 * keep every token short, so parsing is linear in the size of the text.
 *
 * <p>Aliases: Jackson reports a YAML alias ({@code *name}) as a plain string and never expands
 * it, so an alias bomb ("billion laughs") cannot blow up here; the policy parser refuses aliases
 * with a clear message anyway, since they cannot mean what the writer intended. The SnakeYAML
 * limits (aliases, recursive keys, nesting, code points) are set explicitly for the day a path
 * through SnakeYAML's composer appears.
 */
public final class YamlLimits {
    /** Longest line, in chars, of a YAML text Cairn parses. */
    public static final int MAX_LINE_CHARS = 16 * 1024;
    /**
     * Deepest nesting of mappings and lists. A policy file needs 5 (document, policies, policy,
     * best, best entry), cairn.yaml about as many.
     */
    public static final int MAX_DEPTH = 32;

    private YamlLimits() {
    }

    /**
     * A YAML factory that refuses nesting beyond {@link #MAX_DEPTH}, documents beyond
     * {@code maxChars} code points, aliases in SnakeYAML's composer, and duplicate keys.
     * Thread-safe once built, like every Jackson factory.
     */
    public static YAMLFactory factory(int maxChars) {
        LoaderOptions lo = new LoaderOptions();
        lo.setCodePointLimit(maxChars);
        lo.setNestingDepthLimit(MAX_DEPTH);
        lo.setMaxAliasesForCollections(0);
        lo.setAllowRecursiveKeys(false);
        lo.setProcessComments(false);
        return YAMLFactory.builder()
                .loaderOptions(lo)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_DEPTH)
                        .maxStringLength(maxChars)
                        .maxDocumentLength(maxChars)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
    }

    /** The 1-based number of the first line longer than {@link #MAX_LINE_CHARS}, or 0 if none is. */
    public static int firstLongLine(CharSequence text) {
        int line = 1;
        int start = 0;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                if (i - start > MAX_LINE_CHARS) {
                    return line;
                }
                if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
                    i++;
                }
                line++;
                start = i + 1;
            }
        }
        return n - start > MAX_LINE_CHARS ? line : 0;
    }

    /** The length of {@code s} in UTF-8 bytes, without encoding it. */
    public static long utf8Length(CharSequence s) {
        long n = 0;
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
