package dev.cairn.server;

import dev.cairn.protocol.HostPort;
import dev.cairn.protocol.wire.Message.CommitOk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The Prometheus endpoint: off by default, well-formed, and counting what happened. */
class MetricsTest {
    private static final Pattern SAMPLE = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*})? "
            + "(-?[0-9.]+(E-?[0-9]+)?|NaN|\\+Inf)");

    @TempDir
    Path dir;

    @Test
    void offByDefault() throws Exception {
        CairnDaemon d = DaemonFixture.start(dir.resolve("a"));
        assertThat(d.metricsAddress()).isNull();
        assertThat(d.stop()).isTrue();
    }

    @Test
    void countsPutsGetsDedupAndStoreSize() throws Exception {
        CairnDaemon d = CairnDaemon.start(DaemonFixture.config(dir.resolve("b"))
                .withMetrics(HostPort.parse("127.0.0.1:0")));
        try {
            byte[] data = DaemonFixture.data(800, 200_000);
            try (WireDriver w = WireDriver.open(d.address(), "")) {
                CommitOk ok = w.put("m/a", Instant.parse("2026-11-01T00:00:00Z"), data);
                w.put("m/a", Instant.parse("2026-11-01T00:01:00Z"), data); // all dedup hits
                w.read(ok.id(), "");
                w.read(ok.id(), "");
                w.call(new dev.cairn.protocol.wire.Message.Resolve("zz")); // an error

                Map<String, Double> m = scrape(d.metricsAddress());
                assertThat(m.get("cairn_commits_total")).isEqualTo(2);
                assertThat(m.get("cairn_put_seconds_count")).isEqualTo(2);
                assertThat(m.get("cairn_get_seconds_count")).isEqualTo(2);
                assertThat(m.get("cairn_get_seconds_bucket{le=\"+Inf\"}")).isEqualTo(2);
                assertThat(m.get("cairn_put_seconds_sum")).isPositive();
                assertThat(m.get("cairn_dedup_hits_total")).isEqualTo(ok.chunks());
                assertThat(m.get("cairn_have_ids_total")).isEqualTo(2.0 * ok.chunks());
                assertThat(m.get("cairn_chunks_uploaded_total{result=\"stored\"}")).isEqualTo(ok.newChunks());
                assertThat(m.get("cairn_bytes_received_total")).isGreaterThan(100_000);
                assertThat(m.get("cairn_bytes_sent_total")).isGreaterThan(200_000);
                assertThat(m.get("cairn_read_chunks_total")).isEqualTo(2.0 * ok.chunks());
                assertThat(m.get("cairn_connections")).isEqualTo(1);
                assertThat(m.get("cairn_open_sessions")).isZero();
                assertThat(m.get("cairn_errors_total{status=\"BAD_REQUEST\"}")).isEqualTo(1);
                assertThat(m.get("cairn_store_pack_bytes{tenant=\"default\"}")).isPositive();
                assertThat(m.get("cairn_store_checkpoints{tenant=\"default\"}")).isEqualTo(2);
            }
            HttpURLConnection c = (HttpURLConnection) new URL("http://" + hostPort(d.metricsAddress()) + "/").openConnection();
            assertThat(c.getResponseCode()).isEqualTo(404);
        } finally {
            assertThat(d.stop()).isTrue();
        }
    }

    private static String hostPort(InetSocketAddress a) {
        return "127.0.0.1:" + a.getPort();
    }

    static Map<String, Double> scrape(InetSocketAddress a) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://" + hostPort(a) + "/metrics").openConnection();
        assertThat(c.getResponseCode()).isEqualTo(200);
        assertThat(c.getContentType()).startsWith("text/plain; version=0.0.4");
        String body;
        try (InputStream in = c.getInputStream()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, Double> out = new HashMap<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("#") || line.isEmpty()) {
                assertThat(line).matches("(# (HELP|TYPE) [a-z_]+ .*)?");
                continue;
            }
            assertThat(line).matches(SAMPLE);
            int sp = line.lastIndexOf(' ');
            out.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
        }
        return out;
    }
}
