package dev.cairn.server;

import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.DaemonConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private DaemonConfig load(String yaml) throws Exception {
        Path f = dir.resolve("cairn.yaml");
        Files.writeString(f, yaml);
        return ConfigLoader.load(f);
    }

    private void fails(String yaml, String... parts) {
        var a = assertThatThrownBy(() -> load(yaml)).isInstanceOf(ConfigException.class);
        for (String p : parts) {
            a.hasMessageContaining(p);
        }
    }

    @Test
    void emptyFileMeansDefaults() throws Exception {
        DaemonConfig c = load("");
        assertThat(c.listen().toString()).isEqualTo("127.0.0.1:7433");
        assertThat(c.data()).isEqualTo(Path.of("./cairn-data"));
        assertThat(c.tokens()).isEmpty();
        assertThat(c.metrics()).isNull();
        assertThat(c.tls()).isNull();
        assertThat(c).isEqualTo(load("# nothing but a comment\n"));
    }

    @Test
    void inFlightDefaultsFollowTheJvmsMemoryAndStayConsistentWhenOneIsGiven() throws Exception {
        long total = DaemonConfig.ServerLimits.defaultInFlightBytesTotal();
        long mem = Math.min(Runtime.getRuntime().maxMemory(), io.netty.util.internal.PlatformDependent.maxDirectMemory());
        assertThat(total).isBetween(16L << 20, 512L << 20).isLessThanOrEqualTo(Math.max(16L << 20, mem / 2));
        var d = load("").limits();
        assertThat(d.maxInFlightBytesTotal()).isEqualTo(total);
        assertThat(d.maxInFlightBytes()).isEqualTo(Math.min(64L << 20, total));
        var small = load("limits: {max_in_flight_bytes_total: 8MiB}").limits();
        assertThat(small.maxInFlightBytes()).as("the per-connection default follows a smaller total").isEqualTo(8L << 20);
        var big = load("limits: {max_in_flight_bytes: 1GiB}").limits();
        assertThat(big.maxInFlightBytesTotal()).as("the total's default follows a larger per-connection bound")
                .isEqualTo(1L << 30);
    }

    @Test
    void perTenantLimitsDefaultToSharesOfTheDaemonsAndAreChecked() throws Exception {
        var l = load("limits: {max_connections: 100, max_in_flight_bytes_total: 1GiB}").limits();
        assertThat(l.connectionsPerTenant(1)).as("one tenant: every slot").isEqualTo(100);
        assertThat(l.connectionsPerTenant(3)).isEqualTo(25);
        assertThat(l.inFlightBytesPerTenant(1)).isEqualTo(1L << 30);
        assertThat(l.inFlightBytesPerTenant(3)).isEqualTo(512L << 20);
        assertThat(l.maxUnauthenticatedConnections()).isEqualTo(1024);
        fails("limits: {max_in_flight_bytes_per_tenant: 1MiB}", "max_in_flight_bytes_per_tenant");
        fails("limits: {max_in_flight_bytes_per_tenant: 2GiB}", "max_in_flight_bytes_per_tenant");
        fails("limits: {max_unauthenticated_connections: 0}", "max_unauthenticated_connections");
    }

    @Test
    void everySection() throws Exception {
        DaemonConfig c = load("""
                listen: 0.0.0.0:7500
                data: store
                tokens:
                  "0123456789abcdef0123": team-a
                  "fedcba9876543210fedc": team-b
                tls: {cert: certs/server.pem, key: certs/server-key.pem}
                metrics: {listen: 127.0.0.1:9433}
                limits:
                  max_frame_bytes: 32MiB
                  max_have_ids: 100
                  max_upload_chunks: 10
                  max_refs: 200
                  max_sessions_per_tenant: 3
                  max_in_flight: 8
                  max_in_flight_bytes: 16MiB
                  max_in_flight_bytes_total: 1GiB
                  max_patch_bytes: 1MiB
                  max_connections: 50
                  idle_timeout: 2m
                  handshake_timeout: 3s
                  shutdown_grace: 1m
                  worker_threads: 5
                  max_in_flight_bytes_per_tenant: 256MiB
                  max_connections_per_tenant: 7
                  max_unauthenticated_connections: 9
                store:
                  chunker: {min: 2KiB, avg: 8KiB, max: 32KiB}
                  pack_target_bytes: 8MiB
                  max_chain_depth: 4
                  workers: 3
                  read_ahead: 7
                """);
        assertThat(c.listen().toString()).isEqualTo("0.0.0.0:7500");
        assertThat(c.data()).isEqualTo(dir.resolve("store"));
        assertThat(c.tokens()).isEqualTo(Map.of("0123456789abcdef0123", "team-a", "fedcba9876543210fedc", "team-b"));
        assertThat(c.tls().cert()).isEqualTo(dir.resolve("certs/server.pem"));
        assertThat(c.metrics().port()).isEqualTo(9433);
        var l = c.limits();
        assertThat(l.wire().maxFrame()).isEqualTo(32 << 20);
        assertThat(l.wire().maxHaveIds()).isEqualTo(100);
        assertThat(l.wire().maxUploadChunks()).isEqualTo(10);
        assertThat(l.wire().maxRefs()).isEqualTo(200);
        assertThat(l.wire().maxSessions()).isEqualTo(3);
        assertThat(l.wire().maxInFlight()).isEqualTo(8);
        assertThat(l.wire().maxPatchBytes()).isEqualTo(1 << 20);
        assertThat(l.wire().idleTimeoutSeconds()).isEqualTo(120);
        assertThat(l.maxInFlightBytes()).isEqualTo(16 << 20);
        assertThat(l.maxInFlightBytesTotal()).isEqualTo(1L << 30);
        assertThat(l.maxConnections()).isEqualTo(50);
        assertThat(l.handshakeTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(l.shutdownGrace()).isEqualTo(Duration.ofMinutes(1));
        assertThat(l.workerThreads()).isEqualTo(5);
        assertThat(l.inFlightBytesPerTenant(2)).isEqualTo(256L << 20);
        assertThat(l.connectionsPerTenant(2)).isEqualTo(7);
        assertThat(l.maxUnauthenticatedConnections()).isEqualTo(9);
        assertThat(c.store().chunker()).isEqualTo(new ChunkerParams(2048, 8192, 32768));
        assertThat(c.store().packTargetBytes()).isEqualTo(8 << 20);
        assertThat(c.store().maxChainDepth()).isEqualTo(4);
        assertThat(c.store().workers()).isEqualTo(3);
        assertThat(c.store().readAhead()).isEqualTo(7);
    }

    @Test
    void unknownKeysAreErrorsNamingTheKey() {
        fails("listn: 1.2.3.4:5\n", "unknown key 'listn'", "listen");
        fails("limits:\n  max_fram_bytes: 1\n", "unknown key 'limits.max_fram_bytes'", "max_frame_bytes");
        fails("store:\n  chunker: {min: 1, avg: 2, max: 3, typo: 4}\n", "store.chunker.typo");
        fails("s3: {bucket: x, buckt: y}\n", "unknown key 's3.buckt'", "bucket");
    }

    @Test
    void badValuesAreErrorsNamingTheKey() {
        fails("listen: nowhere\n", "listen", "HOST:PORT");
        fails("listen: 1.2.3.4:99999\n", "listen", "99999");
        fails("limits:\n  max_patch_bytes: lots\n", "limits.max_patch_bytes", "not a size");
        fails("limits:\n  idle_timeout: soon\n", "limits.idle_timeout", "not a duration");
        fails("limits:\n  max_refs: many\n", "limits.max_refs");
        fails("limits:\n  max_frame_bytes: 1MiB\n", "limits:", "maxFrame");
        fails("store:\n  chunker: {min: 1KiB, avg: 3KiB, max: 8KiB}\n", "store:", "power of two");
        fails("store:\n  chunker: {min: 1KiB}\n", "store.chunker");
        fails("tls: {cert: a.pem}\n", "tls", "key");
        fails("metrics: {}\n", "metrics", "listen");
        fails("listen: a:1\nlisten: b:2\n", "listen");
        fails("- just\n- a list\n", "cairn.yaml");
    }

    @Test
    void policiesAndGcSections() throws Exception {
        DaemonConfig c = load("""
                policies:
                  - series: "resnet50/*"
                    last: 3
                    daily: 7
                  - series: "bert/**"
                    within: 2d
                gc:
                  repack_threshold: 0.4
                  repack_group_bytes: 64MiB
                  reserve_bytes: 8MiB
                  schedule: {every: 6h, initial_delay: 10m, trim: true}
                limits:
                  heartbeat_interval: 2s
                """);
        assertThat(c.policies().set().policies()).hasSize(2);
        assertThat(c.policies().set().policyFor("resnet50/run-1")).isPresent();
        assertThat(c.policies().set().policyFor("gpt/run-1")).isEmpty();
        assertThat(c.policies().yaml()).startsWith("policies:").contains("resnet50/*").contains("within");
        assertThat(c.gc().options().repackThreshold()).isEqualTo(0.4);
        assertThat(c.gc().options().repackGroupBytes()).isEqualTo(64L << 20);
        assertThat(c.gc().options().reserveBytes()).isEqualTo(8L << 20);
        assertThat(c.gc().schedule()).isEqualTo(new DaemonConfig.Schedule(Duration.ofHours(6), Duration.ofMinutes(10),
                true));
        assertThat(c.limits().heartbeatInterval()).isEqualTo(Duration.ofSeconds(2));

        // Defaults: no policies, GC with the engine's defaults, no schedule; the first run one interval in.
        DaemonConfig none = load("");
        assertThat(none.policies()).isNull();
        assertThat(none.gc()).isEqualTo(DaemonConfig.GcSettings.defaults());
        assertThat(none.gc().schedule()).isNull();
        assertThat(none.gc().options().reserveBytes()).isEqualTo(dev.cairn.store.Reserve.AUTO);
        assertThat(load("gc: {reserve_bytes: 0}\n").gc().options().reserveBytes()).isZero();
        assertThat(load("gc: {reserve_bytes: auto}\n").gc().options().reserveBytes()).isEqualTo(dev.cairn.store.Reserve.AUTO);
        assertThat(none.limits().heartbeatInterval()).isEqualTo(Duration.ofSeconds(5));
        DaemonConfig plain = load("gc: {schedule: {every: 90m}}\n");
        assertThat(plain.gc().schedule()).isEqualTo(new DaemonConfig.Schedule(Duration.ofMinutes(90),
                Duration.ofMinutes(90), false));
    }

    @Test
    void badPoliciesAndGcKeysAreErrorsNamingThem() {
        // policies: the retention parser's messages, with the path in cairn.yaml.
        fails("policies:\n  - series: '*'\n    lsat: 3\n", "policies[0]", "lsat", "last");
        fails("policies:\n  - series: '*'\n    daily: -1\n", "policies[0].daily");
        fails("policies:\n  - series: '*'\n    within: 1y\n", "policies[0].within", "year");
        fails("policies:\n  - series: 'a/*'\n    last: 1\n  - series: '*/b'\n    last: 1\n", "overlap", "a/b");
        fails("policies:\n  - last: 1\n", "series");
        fails("policies: {series: a}\n", "list");
        // gc: strict keys and values.
        fails("gc: {repack_treshold: 0.3}\n", "unknown key 'gc.repack_treshold'", "repack_threshold");
        fails("gc: {schedule: {every: 1h, evry: 2h}}\n", "unknown key 'gc.schedule.evry'", "initial_delay");
        fails("gc: {repack_threshold: 2}\n", "gc:", "repack_threshold");
        fails("gc: {repack_threshold: lots}\n", "gc.repack_threshold");
        fails("gc: {repack_group_bytes: 1KiB}\n", "gc:", "repackGroupBytes");
        fails("gc: {schedule: {initial_delay: 1m}}\n", "gc.schedule.every", "required");
        fails("gc: {schedule: {every: soon}}\n", "gc.schedule.every", "not a duration");
        fails("gc: {schedule: {every: 0s}}\n", "gc.schedule.every", "positive");
        fails("gc: {schedule: {every: 1h, trim: maybe}}\n", "gc.schedule.trim");
        fails("gc: {schedule: {every: 1h, trim: true}}\n", "gc.schedule.trim", "policies:");
        fails("limits: {heartbeat_interval: 0s}\n", "limits.heartbeat_interval");
    }

    @Test
    void tokensMustBeLongAndTenantsDirectorySafe() {
        fails("tokens:\n  short: team\n", "shorter than 16", "team");
        fails("tokens:\n  \"0123456789abcdef0123\": ../etc\n", "tenant name '../etc'");
        fails("tokens:\n  \"0123456789abcdef0123\": Team\n", "tenant name 'Team'");
        // The token itself never appears in an error.
        assertThatThrownBy(() -> load("tokens:\n  secret-short: t\n")).hasMessageNotContaining("secret-short");
    }

    @Test
    void commandLineOverridesTheFile() throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "listen: 127.0.0.1:1111\ndata: from-file\n");
        DaemonCommand cmd = new DaemonCommand();
        new picocli.CommandLine(cmd).parseArgs("--config", f.toString(), "--listen", "127.0.0.1:2222");
        DaemonConfig c = cmd.resolveConfig();
        assertThat(c.listen().port()).isEqualTo(2222);
        assertThat(c.data()).isEqualTo(dir.resolve("from-file"));
        new picocli.CommandLine(cmd = new DaemonCommand()).parseArgs();
        assertThat(cmd.resolveConfig()).isEqualTo(DaemonConfig.defaults());
    }

    @Test
    void theReadmeExampleLoadsAndShowsTheDefaults() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int from = readme.indexOf("```yaml\nlisten:");
        assertThat(from).isPositive();
        String yaml = readme.substring(from + 8, readme.indexOf("```", from + 8));
        DaemonConfig c = load(yaml);
        DaemonConfig.ServerLimits def = DaemonConfig.ServerLimits.defaults();
        assertThat(c.limits().wire()).isEqualTo(def.wire());
        // The in-flight defaults follow the JVM's memory; the example shows their upper bounds.
        assertThat(c.limits().maxInFlightBytes()).isEqualTo(64L << 20).isGreaterThanOrEqualTo(def.maxInFlightBytes());
        assertThat(c.limits().maxInFlightBytesTotal()).isEqualTo(512L << 20)
                .isGreaterThanOrEqualTo(def.maxInFlightBytesTotal());
        assertThat(c.limits().maxConnections()).isEqualTo(def.maxConnections());
        assertThat(c.limits().handshakeTimeout()).isEqualTo(def.handshakeTimeout());
        assertThat(c.limits().shutdownGrace()).isEqualTo(def.shutdownGrace());
        assertThat(c.store().chunker()).isEqualTo(ChunkerParams.DEFAULT);
        assertThat(c.tokens()).containsValues("training", "default");
        assertThat(c.policies().set().policies()).isNotEmpty();
        assertThat(c.gc().options()).isEqualTo(DaemonConfig.GcSettings.defaults().options());
        assertThat(c.gc().schedule()).isNotNull();
        assertThat(c.limits().heartbeatInterval()).isEqualTo(def.heartbeatInterval());
    }

    @Test
    void socketDefaultsToTheDataDirectoryAndCanBeMovedOrTurnedOff() throws Exception {
        DaemonConfig d = load("data: store\n");
        assertThat(d.socketPath()).isEqualTo(d.data().resolve("cairnd.sock"));
        DaemonConfig moved = load("socket: run/c.sock\n");
        assertThat(moved.socketPath()).isEqualTo(dir.resolve("run/c.sock").normalize());
        for (String off : new String[] {"off", "\"off\"", "false", "none"}) {
            assertThat(load("socket: " + off + "\n").socketPath()).as(off).isNull();
        }
        // --data after the file moves the default socket with it.
        assertThat(DaemonConfig.defaults().withData(dir.resolve("x")).socketPath())
                .isEqualTo(dir.resolve("x").resolve("cairnd.sock"));
    }
}
