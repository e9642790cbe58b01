package dev.cairn.store.pack;

/**
 * Seeds for randomized tests: fresh per run for coverage, printed so a failure can be replayed
 * with {@code -Dcairn.test.seed=<value>}.
 */
final class Seeds {
    private Seeds() {
    }

    static long seed(String test) {
        Long fixed = Long.getLong("cairn.test.seed");
        long seed = fixed != null ? fixed : System.nanoTime() ^ 0x9e3779b97f4a7c15L;
        System.out.printf("[seed] %s: -Dcairn.test.seed=%d%n", test, seed);
        return seed;
    }
}
