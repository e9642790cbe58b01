package dev.cairn.gc.policy;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A policy file (or block) that cannot be used. Raised while parsing, before anything is evaluated
 * or touched; carries every problem found, each with where it is.
 */
public final class PolicyException extends Exception {

    /**
     * One problem.
     *
     * @param path    where in the document, e.g. {@code policies[1].daily}
     * @param line    1-based line, or 0 if unknown (the block came as a tree, not as text)
     * @param column  1-based column, or 0 if unknown
     * @param message what is wrong and what would be accepted
     */
    public record Problem(String path, int line, int column, String message) {
        @Override
        public String toString() {
            String where = line > 0 ? "line " + line + ", column " + column + " (" + path + ")" : path;
            return where + ": " + message;
        }
    }

    private final List<Problem> problems;
    private final boolean limitExceeded;

    public PolicyException(List<Problem> problems) {
        this(problems, false);
    }

    private PolicyException(List<Problem> problems, boolean limitExceeded) {
        super(format(problems));
        this.problems = List.copyOf(problems);
        this.limitExceeded = limitExceeded;
    }

    /** The text is over a documented size limit ({@link PolicyParser#MAX_POLICY_BYTES}); it was not parsed. */
    static PolicyException limit(int line, String message) {
        return new PolicyException(List.of(new Problem("(document)", line, line > 0 ? 1 : 0, message)), true);
    }

    /**
     * True if the text was refused for its size or line length before any parsing, not for what
     * it says (the daemon answers {@code LIMIT_EXCEEDED} rather than {@code INVALID_POLICY}).
     */
    public boolean limitExceeded() {
        return limitExceeded;
    }

    private static String format(List<Problem> problems) {
        if (problems.size() == 1) {
            return "invalid retention policy: " + problems.get(0);
        }
        return "invalid retention policy (" + problems.size() + " problems):\n"
                + problems.stream().map(p -> "  " + p).collect(Collectors.joining("\n"));
    }

    public List<Problem> problems() {
        return problems;
    }
}
