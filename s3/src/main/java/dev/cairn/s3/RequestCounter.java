package dev.cairn.s3;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what the SDK sends to the object store, per API operation (PutObject, GetObject,
 * DeleteObjects, ...): HTTP requests (retries included), requests that got an error answer or no
 * answer at all, calls that failed after their retries, and how long calls took (first request to
 * the answer used, backoff included). These are the numbers benchmarks and docs/S3.md quote and
 * {@code /metrics} shows ({@link S3Metrics}). Registered as an interceptor of the SDK client by
 * {@link S3Clients}; the SDK calls {@link #beforeTransmission} once per attempt.
 *
 * <p>Thread-safe: counters are {@link LongAdder}s; the per-call state lives in the call's
 * execution attributes, which one call's attempts use one after another.
 */
public final class RequestCounter implements ExecutionInterceptor {
    /** Upper bounds of the call-duration histogram, in seconds (as the daemon's other histograms). */
    public static final double[] BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
            30, 60, 300};
    /** The status label of a request that got no HTTP answer (connection reset, attempt timeout). */
    public static final String NO_ANSWER = "none";

    private static final ExecutionAttribute<Long> START = new ExecutionAttribute<>("cairn.s3.call-start");
    /** Set while an attempt was sent and no answer arrived yet. */
    private static final ExecutionAttribute<Boolean> OPEN = new ExecutionAttribute<>("cairn.s3.attempt-open");

    /** The counters of one operation. */
    public static final class Operation {
        private final LongAdder requests = new LongAdder();
        private final LongAdder failedCalls = new LongAdder();
        private final ConcurrentHashMap<String, LongAdder> errors = new ConcurrentHashMap<>();
        private final LongAdder[] buckets = new LongAdder[BUCKETS.length];
        private final LongAdder calls = new LongAdder();
        private final LongAdder nanos = new LongAdder();

        Operation() {
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }

        /** HTTP requests sent, retries included. */
        public long requests() {
            return requests.sum();
        }

        /** Requests answered with an HTTP status of 300 or more, by status; {@value #NO_ANSWER}: no answer. */
        public Map<String, Long> errors() {
            Map<String, Long> out = new TreeMap<>();
            errors.forEach((k, v) -> out.put(k, v.sum()));
            return out;
        }

        /** Calls that ended with an error after their retries (a 404 of a missing object included). */
        public long failedCalls() {
            return failedCalls.sum();
        }

        /** Calls completed (successfully or not). */
        public long calls() {
            return calls.sum();
        }

        /** Total duration of the completed calls, in nanoseconds. */
        public long nanos() {
            return nanos.sum();
        }

        /** Completed calls that took at most {@code BUCKETS[i]} seconds (cumulative, as Prometheus counts). */
        public long atMost(int i) {
            return buckets[i].sum();
        }

        void error(String status) {
            errors.computeIfAbsent(status, k -> new LongAdder()).increment();
        }

        void call(long tookNanos) {
            calls.increment();
            nanos.add(tookNanos);
            double s = tookNanos / 1e9;
            for (int i = 0; i < BUCKETS.length; i++) {
                if (s <= BUCKETS[i]) {
                    buckets[i].increment();
                }
            }
        }
    }

    private final ConcurrentHashMap<String, Operation> ops = new ConcurrentHashMap<>();

    private Operation of(ExecutionAttributes attributes) {
        String op = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        return ops.computeIfAbsent(op == null ? "?" : op, k -> new Operation());
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        attributes.putAttribute(START, System.nanoTime());
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        Operation o = of(attributes);
        if (Boolean.TRUE.equals(attributes.getAttribute(OPEN))) {
            o.error(NO_ANSWER); // the previous attempt never got an answer: this is its retry
        }
        attributes.putAttribute(OPEN, Boolean.TRUE);
        o.requests.increment();
    }

    @Override
    public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
        attributes.putAttribute(OPEN, Boolean.FALSE);
        int status = context.httpResponse().statusCode();
        if (status >= 300) {
            of(attributes).error(Integer.toString(status));
        }
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        ended(attributes, false);
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        ended(attributes, true);
    }

    private void ended(ExecutionAttributes attributes, boolean failed) {
        Operation o = of(attributes);
        if (Boolean.TRUE.equals(attributes.getAttribute(OPEN))) {
            o.error(NO_ANSWER);
            attributes.putAttribute(OPEN, Boolean.FALSE);
        }
        if (failed) {
            o.failedCalls.increment();
        }
        Long start = attributes.getAttribute(START);
        if (start != null) {
            o.call(System.nanoTime() - start);
        }
    }

    /** The counters of every operation used so far, by name. */
    public Map<String, Operation> operations() {
        return new TreeMap<>(ops);
    }

    /** Requests per operation so far, sorted by name. */
    public Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        ops.forEach((k, v) -> out.put(k, v.requests()));
        return out;
    }

    /** All requests so far. */
    public long total() {
        return ops.values().stream().mapToLong(Operation::requests).sum();
    }

    /** Differences per operation between {@code after} and {@code before} (both from {@link #snapshot}). */
    public static Map<String, Long> diff(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> out = new TreeMap<>();
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d != 0) {
                out.put(k, d);
            }
        });
        return out;
    }
}
