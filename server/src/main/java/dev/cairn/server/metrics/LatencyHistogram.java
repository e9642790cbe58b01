package dev.cairn.server.metrics;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.concurrent.TimeUnit;

/**
 * A latency distribution rendered as a Prometheus histogram. Recording is wait-free (HdrHistogram
 * {@link Recorder}); a scrape folds the interval since the last scrape into a cumulative
 * histogram, because Prometheus buckets count from the process start.
 */
public final class LatencyHistogram {
    /** Bucket upper bounds in seconds. */
    static final double[] BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
            300};

    private final Recorder recorder = new Recorder(TimeUnit.HOURS.toMicros(1), 2);
    private final Histogram cumulative = new Histogram(TimeUnit.HOURS.toMicros(1), 2);
    private final java.util.concurrent.atomic.LongAdder sumNanos = new java.util.concurrent.atomic.LongAdder();
    private Histogram interval;

    /** Records one operation that took {@code nanos}. */
    public void record(long nanos) {
        long micros = Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMicros(nanos), TimeUnit.HOURS.toMicros(1)));
        recorder.recordValue(micros);
        sumNanos.add(nanos);
    }

    /** Appends the histogram's lines for metric {@code name}. */
    synchronized void render(StringBuilder out, String name, String help) {
        fold();
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" histogram\n");
        for (double le : BUCKETS) {
            long micros = (long) (le * 1e6);
            long n = cumulative.getTotalCount() == 0 ? 0 : cumulative.getCountBetweenValues(0, micros);
            out.append(name).append("_bucket{le=\"").append(le).append("\"} ").append(n).append('\n');
        }
        out.append(name).append("_bucket{le=\"+Inf\"} ").append(cumulative.getTotalCount()).append('\n');
        out.append(name).append("_sum ").append(sumNanos.sum() / 1e9).append('\n');
        out.append(name).append("_count ").append(cumulative.getTotalCount()).append('\n');
    }

    /** Operations recorded so far (including those not yet folded in by a scrape). */
    public synchronized long count() {
        fold();
        return cumulative.getTotalCount();
    }

    private void fold() {
        interval = recorder.getIntervalHistogram(interval);
        cumulative.add(interval);
    }
}
