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

    public PolicyException(List<Problem> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
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
