package dev.cairn.gc.policy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A series name pattern. Series names are {@code /}-separated paths ({@code resnet50/run-7}), so the
 * glob follows the shell and {@code .gitignore} convention:
 * <ul>
 *   <li>{@code *} matches any run of characters <em>within one segment</em> (never a {@code /}),
 *       possibly empty: {@code resnet50/*} matches {@code resnet50/run-7} but not
 *       {@code resnet50/run-7/eval};</li>
 *   <li>{@code **} matches any run of characters <em>across segments</em>, {@code /} included,
 *       possibly empty: {@code resnet50/**} matches both of the above;</li>
 *   <li>{@code ?} matches exactly one character other than {@code /};</li>
 *   <li>every other character matches itself. {@code [ ] { } \} and three or more stars in a row are
 *       reserved and rejected, so that they can gain a meaning later without changing existing
 *       policies.</li>
 * </ul>
 * The whole series name must match. Two globs overlap when some series name matches both
 * ({@link #overlapWitness}); a {@link PolicySet} rejects overlapping globs so that which policy
 * applies to a series never depends on the order of the file.
 */
public final class SeriesGlob {

    private enum Kind { LITERAL, ONE, STAR, DOUBLE_STAR }

    private record Token(Kind kind, char literal) { }

    private final String text;
    private final Token[] tokens;
    private final Pattern regex;

    private SeriesGlob(String text, Token[] tokens, Pattern regex) {
        this.text = text;
        this.tokens = tokens;
        this.regex = regex;
    }

    /**
     * Compiles a glob.
     *
     * @throws IllegalArgumentException naming the offending character and position
     */
    public static SeriesGlob compile(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("series glob must not be empty");
        }
        List<Token> tokens = new ArrayList<>();
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '*' -> {
                    int run = 1;
                    while (i + run < text.length() && text.charAt(i + run) == '*') {
                        run++;
                    }
                    if (run > 2) {
                        throw new IllegalArgumentException("series glob '" + text + "': '" + "*".repeat(run)
                                + "' at position " + (i + 1) + " is not valid; use * (within a segment) or ** (across segments)");
                    }
                    if (run == 2) {
                        tokens.add(new Token(Kind.DOUBLE_STAR, '\0'));
                        re.append(".*");
                    } else {
                        tokens.add(new Token(Kind.STAR, '\0'));
                        re.append("[^/]*");
                    }
                    i += run - 1;
                }
                case '?' -> {
                    tokens.add(new Token(Kind.ONE, '\0'));
                    re.append("[^/]");
                }
                case '[', ']', '{', '}', '\\' -> throw new IllegalArgumentException("series glob '" + text
                        + "': '" + c + "' at position " + (i + 1) + " is reserved; only *, ** and ? are special");
                default -> {
                    if (Character.isISOControl(c)) {
                        throw new IllegalArgumentException("series glob '" + text + "': control character at position " + (i + 1));
                    }
                    tokens.add(new Token(Kind.LITERAL, c));
                    re.append(Pattern.quote(String.valueOf(c)));
                }
            }
        }
        return new SeriesGlob(text, tokens.toArray(new Token[0]), Pattern.compile(re.toString(), Pattern.DOTALL));
    }

    public boolean matches(String series) {
        return regex.matcher(series).matches();
    }

    /**
     * A series name that both globs match, if there is one. This is a real intersection of the two
     * patterns (a breadth-first search over the product of their automata), not a comparison of the
     * texts: {@code runs/*} and {@code *}{@code /exp-1} overlap on {@code runs/exp-1};
     * {@code a/*} and {@code a/*}{@code /b} do not overlap.
     */
    public Optional<String> overlapWitness(SeriesGlob other) {
        Token[] a = tokens;
        Token[] b = other.tokens;
        int width = b.length + 1;
        int states = (a.length + 1) * width;
        int[] prev = new int[states];
        char[] via = new char[states];
        boolean[] seen = new boolean[states];
        Arrays.fill(prev, -1);
        char[] alphabet = alphabet(a, b);
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        seen[0] = true;
        queue.add(0);
        int goal = a.length * width + b.length;
        while (!queue.isEmpty()) {
            int s = queue.poll();
            if (s == goal) {
                StringBuilder w = new StringBuilder();
                for (int x = s; prev[x] >= 0; x = prev[x]) {
                    if (via[x] != '\0') {
                        w.append(via[x]);
                    }
                }
                return Optional.of(w.reverse().toString());
            }
            int i = s / width;
            int j = s % width;
            // epsilon moves: a star may match the empty string
            if (i < a.length && isStar(a[i])) {
                visit(s, (i + 1) * width + j, '\0', seen, prev, via, queue);
            }
            if (j < b.length && isStar(b[j])) {
                visit(s, i * width + j + 1, '\0', seen, prev, via, queue);
            }
            if (i == a.length || j == b.length) {
                continue;
            }
            for (char c : alphabet) {
                int ni = step(a[i], i, c);
                int nj = step(b[j], j, c);
                if (ni >= 0 && nj >= 0) {
                    visit(s, ni * width + nj, c, seen, prev, via, queue);
                }
            }
        }
        return Optional.empty();
    }

    private static void visit(int from, int to, char c, boolean[] seen, int[] prev, char[] via, ArrayDeque<Integer> q) {
        if (!seen[to]) {
            seen[to] = true;
            prev[to] = from;
            via[to] = c;
            q.add(to);
        }
    }

    private static boolean isStar(Token t) {
        return t.kind == Kind.STAR || t.kind == Kind.DOUBLE_STAR;
    }

    /** The automaton state after consuming {@code c} at token {@code i}, or -1. Stars loop on themselves. */
    private static int step(Token t, int i, char c) {
        return switch (t.kind) {
            case LITERAL -> t.literal == c ? i + 1 : -1;
            case ONE -> c != '/' ? i + 1 : -1;
            case STAR -> c != '/' ? i : -1;
            case DOUBLE_STAR -> i;
        };
    }

    /**
     * Every character class the two automata can tell apart: each literal, '/', and one character
     * that is neither (standing for all the others).
     */
    private static char[] alphabet(Token[] a, Token[] b) {
        TreeSet<Character> set = new TreeSet<>();
        for (Token t : a) {
            if (t.kind == Kind.LITERAL) {
                set.add(t.literal);
            }
        }
        for (Token t : b) {
            if (t.kind == Kind.LITERAL) {
                set.add(t.literal);
            }
        }
        set.add('/');
        for (char c : "xyzabcdefghijklmnopqrstuvw0123456789_-".toCharArray()) {
            if (!set.contains(c)) {
                set.add(c);
                break;
            }
        }
        char[] out = new char[set.size()];
        int k = 0;
        for (char c : set) {
            out[k++] = c;
        }
        return out;
    }

    public String text() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeriesGlob g && g.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
