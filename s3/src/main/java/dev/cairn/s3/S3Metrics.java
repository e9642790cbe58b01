package dev.cairn.s3;

import java.util.Map;

/**
 * The S3 part of the daemon's {@code /metrics} (Prometheus text format 0.0.4), per tenant whose
 * packs are on S3: requests, error answers, failed calls and call durations per API operation
 * ({@link RequestCounter}), and the lease on the prefix (owner store, epoch, age, validity,
 * whether writes stopped). Listed in docs/S3.md, "Metrics". Each family is written once with the
 * samples of every tenant, as the format requires.
 *
 * <p>Stateless; reading the counters is thread-safe.
 */
public final class S3Metrics {
    private S3Metrics() {
    }

    /** Appends the S3 metric families for {@code stores} (tenant name to its pack store); nothing if empty. */
    public static void render(StringBuilder b, Map<String, S3PackStore> stores) {
        if (stores.isEmpty()) {
            return;
        }
        StringBuilder requests = new StringBuilder();
        StringBuilder errors = new StringBuilder();
        StringBuilder failed = new StringBuilder();
        StringBuilder seconds = new StringBuilder();
        StringBuilder owner = new StringBuilder();
        StringBuilder epoch = new StringBuilder();
        StringBuilder age = new StringBuilder();
        StringBuilder lease = new StringBuilder();
        StringBuilder valid = new StringBuilder();
        StringBuilder fenced = new StringBuilder();
        StringBuilder stopped = new StringBuilder();
        for (Map.Entry<String, S3PackStore> e : stores.entrySet()) {
            String tenant = escape(e.getKey());
            S3PackStore p = e.getValue();
            for (Map.Entry<String, RequestCounter.Operation> o : p.bucket().requests().operations().entrySet()) {
                String l = "tenant=\"" + tenant + "\",operation=\"" + escape(o.getKey()) + "\"";
                RequestCounter.Operation op = o.getValue();
                requests.append("cairn_s3_requests_total{").append(l).append("} ").append(op.requests()).append('\n');
                op.errors().forEach((status, n) -> errors.append("cairn_s3_request_errors_total{").append(l)
                        .append(",status=\"").append(status).append("\"} ").append(n).append('\n'));
                failed.append("cairn_s3_calls_failed_total{").append(l).append("} ").append(op.failedCalls())
                        .append('\n');
                for (int i = 0; i < RequestCounter.BUCKETS.length; i++) {
                    seconds.append("cairn_s3_call_seconds_bucket{").append(l).append(",le=\"")
                            .append(RequestCounter.BUCKETS[i]).append("\"} ").append(op.atMost(i)).append('\n');
                }
                seconds.append("cairn_s3_call_seconds_bucket{").append(l).append(",le=\"+Inf\"} ").append(op.calls())
                        .append('\n');
                seconds.append("cairn_s3_call_seconds_sum{").append(l).append("} ").append(op.nanos() / 1e9).append('\n');
                seconds.append("cairn_s3_call_seconds_count{").append(l).append("} ").append(op.calls()).append('\n');
            }
            PrefixOwner w = p.owner();
            String t = "{tenant=\"" + tenant + "\"} ";
            owner.append("cairn_s3_owner{tenant=\"").append(tenant).append("\",store=\"").append(w.storeId())
                    .append("\",holder=\"").append(w.holder()).append("\"} 1\n");
            epoch.append("cairn_s3_lease_epoch").append(t).append(w.epoch()).append('\n');
            age.append("cairn_s3_lease_age_seconds").append(t).append(w.leaseAgeMillis() / 1e3).append('\n');
            lease.append("cairn_s3_lease_seconds").append(t).append(w.leaseMillis() / 1e3).append('\n');
            valid.append("cairn_s3_lease_valid").append(t).append(w.leaseValid() ? 1 : 0).append('\n');
            fenced.append("cairn_s3_writes_fenced_total").append(t).append(p.bucket().fence().refused()).append('\n');
            stopped.append("cairn_s3_writes_stopped").append(t).append(w.stoppedReason() == null ? 0 : 1).append('\n');
        }
        family(b, "cairn_s3_requests_total", "counter", "HTTP requests sent to the object store, retries included",
                requests);
        family(b, "cairn_s3_request_errors_total", "counter", "Requests answered with an HTTP status of 300 or more"
                + " (404 of a missing object and 412 of a conditional write included), by status; status=\"none\":"
                + " no answer (connection reset, attempt timeout)", errors);
        family(b, "cairn_s3_calls_failed_total", "counter", "Calls that ended with an error after their retries"
                + " (404 of a missing object included)", failed);
        family(b, "cairn_s3_call_seconds", "histogram", "Duration of calls to the object store, from the first request"
                + " to the answer used (retries and backoff included)", seconds);
        family(b, "cairn_s3_owner", "gauge", "The store (and holder: the data directory) that holds the lease on the"
                + " tenant's prefix", owner);
        family(b, "cairn_s3_lease_epoch", "gauge", "Fencing epoch of the lease this daemon holds", epoch);
        family(b, "cairn_s3_lease_age_seconds", "gauge", "Time since the last successful renewal of the lease was sent"
                + " (by this daemon's monotonic clock); writes are suspended at 2/3 of cairn_s3_lease_seconds", age);
        family(b, "cairn_s3_lease_seconds", "gauge", "Lease duration (s3.lease)", lease);
        family(b, "cairn_s3_lease_valid", "gauge", "1 while the lease allows writes, 0 when it lapsed or was lost", valid);
        family(b, "cairn_s3_writes_fenced_total", "counter", "Write requests not sent because the lease had lapsed or"
                + " was lost", fenced);
        family(b, "cairn_s3_writes_stopped", "gauge", "1 once the store stopped writing to its S3 prefix because"
                + " another store or lease holder writes there (puts fail with STORE_LOCKED until a restart; see the"
                + " log)", stopped);
    }

    private static void family(StringBuilder b, String name, String type, String help, StringBuilder samples) {
        if (samples.isEmpty()) {
            return;
        }
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        b.append(samples);
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
