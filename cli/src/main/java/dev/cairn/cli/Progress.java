package dev.cairn.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A progress bar on stderr for transfers that take longer than a second, drawn only when stderr
 * is a terminal (scripts and pipes never see it). Thread-safe: {@link #add} may be called from any
 * thread; a daemon thread redraws a few times a second.
 */
final class Progress implements AutoCloseable {
    private static final long DELAY_NANOS = 1_000_000_000L;

    private final PrintStream err;
    private final String label;
    private final long total;
    private final AtomicLong done = new AtomicLong();
    private final long start = System.nanoTime();
    private final Thread drawer;
    private volatile boolean finished;
    private boolean drawn;

    /** @param total bytes expected, or -1 if unknown (stdin) */
    private Progress(PrintStream err, String label, long total, boolean enabled) {
        this.err = err;
        this.label = label;
        this.total = total;
        if (enabled) {
            drawer = new Thread(this::loop, "cairn-progress");
            drawer.setDaemon(true);
            drawer.start();
        } else {
            drawer = null;
        }
    }

    static Progress start(Output o, String label, long total) {
        String forced = o.env("CAIRN_PROGRESS");
        boolean on = forced != null ? forced.equals("1") : o.terminal();
        return new Progress(o.err(), label, total, on);
    }

    void add(long n) {
        done.addAndGet(n);
    }

    private void loop() {
        try {
            Thread.sleep(DELAY_NANOS / 1_000_000);
            while (!finished) {
                draw();
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void draw() {
        if (finished) {
            return;
        }
        long d = done.get();
        double secs = Math.max(1e-3, (System.nanoTime() - start) / 1e9);
        String rate = Sizes.human((long) (d / secs)) + "/s";
        String line;
        if (total > 0) {
            double f = Math.min(1.0, (double) d / total);
            int width = 30;
            int full = (int) (f * width);
            line = String.format(Locale.ROOT, "%s [%s%s] %3.0f%% %s / %s %s", label, "#".repeat(full),
                    ".".repeat(width - full), f * 100, Sizes.human(d), Sizes.human(total), rate);
        } else {
            line = label + " " + Sizes.human(d) + " " + rate;
        }
        err.print("\r" + line + "\033[K");
        err.flush();
        drawn = true;
    }

    /** Stops drawing and clears the line. */
    @Override
    public synchronized void close() {
        finished = true;
        if (drawer != null) {
            drawer.interrupt();
        }
        if (drawn) {
            err.print("\r\033[K");
            err.flush();
        }
    }
}
