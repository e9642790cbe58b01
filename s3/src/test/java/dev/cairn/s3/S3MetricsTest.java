package dev.cairn.s3;

import dev.cairn.protocol.chunk.TestData;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static dev.cairn.s3.FaultyHttpClient.Fault.RESET;
import static dev.cairn.s3.FaultyHttpClient.Fault.SLOW_DOWN_503;
import static dev.cairn.s3.FaultyHttpClient.Op.PUT;
import static dev.cairn.s3.FaultyHttpClient.op;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The S3 part of {@code /metrics} ({@link S3Metrics}) against S3Proxy: requests, error answers
 * (injected 503s and connection resets below the SDK's retries), failed calls and durations per
 * operation, and the lease: owner, epoch, age, validity, fenced writes.
 */
class S3MetricsTest {
    @TempDir
    Path dir;
    final S3Settings settings = S3ProxyServer.shared().settings(null).withBackupEvery(Duration.ofHours(1))
            .withRetries(4, Duration.ofSeconds(5));

    /** Samples by name and labels, as the exposition writes them. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> out = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int sp = line.lastIndexOf(' ');
            out.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
        }
        return out;
    }

    @Test
    void requestsErrorsLatenciesAndTheLeaseAppearAndCount() throws Exception {
        FaultyHttpClient[] faults = new FaultyHttpClient[1];
        AtomicLong clock = new AtomicLong();
        try (Repository repo = S3Stores.open(dir, StoreFixture.smallOptions(), settings,
                http -> faults[0] = new FaultyHttpClient(http, 7), clock::get)) {
            S3PackStore packs = S3Stores.packsOf(repo);
            faults[0].next(op(PUT), SLOW_DOWN_503, 2);
            faults[0].next(op(PUT), RESET, 1);
            StoreFixture.put(repo, StoreFixture.opts("m", 1), TestData.random(1, 300_000));
            assertThat(faults[0].injected.get()).isEqualTo(3);
            assertThat(packs.bucket().head(settings.prefix() + "/missing")).isNull();

            String t = "tenant=\"default\",operation=";
            Map<String, Double> m = parse(render(packs));
            RequestCounter.Operation put = packs.bucket().requests().operations().get("PutObject");
            assertThat(m.get("cairn_s3_requests_total{" + t + "\"PutObject\"}")).isEqualTo(put.requests())
                    .isGreaterThanOrEqualTo(4); // the owner object, a pack, and the three retried attempts
            assertThat(m.get("cairn_s3_request_errors_total{" + t + "\"PutObject\",status=\"503\"}")).isEqualTo(2);
            assertThat(m.get("cairn_s3_request_errors_total{" + t + "\"PutObject\",status=\"none\"}")).isEqualTo(1);
            assertThat(m.get("cairn_s3_calls_failed_total{" + t + "\"PutObject\"}")).isZero();
            assertThat(m.get("cairn_s3_request_errors_total{" + t + "\"HeadObject\",status=\"404\"}")).isEqualTo(1);
            assertThat(m.get("cairn_s3_calls_failed_total{" + t + "\"HeadObject\"}")).isGreaterThanOrEqualTo(1);
            double calls = m.get("cairn_s3_call_seconds_count{" + t + "\"PutObject\"}");
            assertThat(calls).isEqualTo(put.calls()).isLessThan(put.requests());
            assertThat(m.get("cairn_s3_call_seconds_bucket{" + t + "\"PutObject\",le=\"+Inf\"}")).isEqualTo(calls);
            assertThat(m.get("cairn_s3_call_seconds_sum{" + t + "\"PutObject\"}")).isPositive();
            assertThat(m.get("cairn_s3_call_seconds_bucket{" + t + "\"PutObject\",le=\"300.0\"}")).isEqualTo(calls);

            PrefixOwner owner = packs.owner();
            assertThat(m.get("cairn_s3_owner{tenant=\"default\",store=\"" + repo.config().storeIdHex() + "\",holder=\""
                    + owner.holder() + "\"}")).isEqualTo(1);
            assertThat(m.get("cairn_s3_lease_epoch{tenant=\"default\"}")).isEqualTo(owner.epoch()).isPositive();
            assertThat(m.get("cairn_s3_lease_valid{tenant=\"default\"}")).isEqualTo(1);
            assertThat(m.get("cairn_s3_lease_seconds{tenant=\"default\"}")).isEqualTo(30);
            assertThat(m.get("cairn_s3_writes_stopped{tenant=\"default\"}")).isZero();

            // The lease runs out by the store's clock: age shows it, writes are fenced and counted.
            clock.addAndGet(Duration.ofSeconds(31).toNanos());
            assertThatThrownBy(() -> packs.bucket().put(settings.prefix() + "/probe", new byte[1], false))
                    .hasMessageContaining("fenced");
            m = parse(render(packs));
            assertThat(m.get("cairn_s3_lease_age_seconds{tenant=\"default\"}")).isGreaterThanOrEqualTo(31);
            assertThat(m.get("cairn_s3_lease_valid{tenant=\"default\"}")).isZero();
            assertThat(m.get("cairn_s3_writes_fenced_total{tenant=\"default\"}")).isEqualTo(1);
            owner.renew();
            assertThat(parse(render(packs)).get("cairn_s3_lease_valid{tenant=\"default\"}")).isEqualTo(1);
        }
    }

    private static String render(S3PackStore p) {
        StringBuilder b = new StringBuilder();
        S3Metrics.render(b, Map.of("default", p));
        String text = b.toString();
        // every sample belongs to a family announced by # TYPE
        for (String line : text.split("\n")) {
            if (!line.startsWith("#")) {
                String name = line.substring(0, line.indexOf('{'));
                String family = name.replaceAll("_(bucket|sum|count)$", "");
                assertThat(text).contains("# TYPE " + family + " ").as(line);
            }
        }
        return text;
    }
}
