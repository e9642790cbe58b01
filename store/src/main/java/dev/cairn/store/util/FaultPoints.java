package dev.cairn.store.util;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Named points on the write and delete paths where a crash or an I/O failure is most
 * interesting (after pack data is synced but before the manifest batch, between a GC's index
 * switch and its pack deletes, ...). Nothing is armed in normal operation and {@link #reach} is
 * then one volatile read. The crash harness arms points in a child process and kills it there
 * with SIGKILL; fault tests arm them to throw.
 *
 * <p>The point names are listed in docs/FORMAT.md next to the ordering rules they probe.
 */
public final class FaultPoints {
    /** What to do at an armed point. */
    @FunctionalInterface
    public interface Action {
        void run(String point) throws java.io.IOException;
    }

    private static final Map<String, Action> ARMED = new ConcurrentHashMap<>();
    private static volatile boolean any;

    private FaultPoints() {
    }

    /** Called by the store at point {@code name}. */
    public static void reach(String name) throws java.io.IOException {
        if (any) {
            Action a = ARMED.get(name);
            if (a != null) {
                a.run(name);
            }
        }
    }

    public static void arm(String name, Action action) {
        ARMED.put(name, action);
        any = true;
    }

    public static void disarmAll() {
        ARMED.clear();
        any = false;
    }
}
