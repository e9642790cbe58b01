package dev.cairn.server.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.gc.GcOptions;
import dev.cairn.gc.policy.PolicyException;
import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.gc.policy.PolicySet;
import dev.cairn.gc.policy.YamlLimits;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.wire.Limits;
import dev.cairn.server.config.ConfigFile.GcSection;
import dev.cairn.server.config.ConfigFile.LimitsSection;
import dev.cairn.server.config.ConfigFile.StoreSection;
import dev.cairn.server.config.DaemonConfig.ServerLimits;
import dev.cairn.server.config.DaemonConfig.TlsFiles;
import dev.cairn.store.RepositoryOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads cairn.yaml strictly: unknown keys, duplicate keys, wrong types and out-of-range values are
 * errors that name the key. Relative paths in the file are relative to the file's directory.
 */
public final class ConfigLoader {
    /** Tenant names become directory names under {@code <data>/tenants/}. */
    private static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    /** Shorter tokens are too easy to guess; the daemon refuses them. */
    public static final int MIN_TOKEN_LENGTH = 16;

    private ConfigLoader() {
    }

    /**
     * Largest cairn.yaml, in bytes (4 MiB: a config with many tokens and policies is tens of KiB;
     * the limit keeps a wrong file, say a log, from costing minutes to parse at start).
     */
    public static final int MAX_CONFIG_BYTES = 4 << 20;

    private static final YAMLFactory YAML = YamlLimits.factory(MAX_CONFIG_BYTES);

    private static ObjectMapper mapper() {
        ObjectMapper m = new ObjectMapper(YAML);
        m.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        m.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        m.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        m.enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
        m.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        return m;
    }

    /** Loads and validates {@code file}. */
    public static DaemonConfig load(Path file) {
        String text;
        try {
            long size = Files.size(file);
            if (size > MAX_CONFIG_BYTES) { // before reading: a 100 MB file is never loaded
                throw new ConfigException("config file " + file + " is " + size + " bytes; the limit is "
                        + MAX_CONFIG_BYTES + " bytes (4 MiB): is it the right file?");
            }
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        Path base = file.toAbsolutePath().getParent();
        return resolve(parse(file.toString(), text), base);
    }

    /**
     * Parses YAML text into the raw file model.
     *
     * @throws ConfigException naming {@code name} for bad content, a text over
     *                         {@link #MAX_CONFIG_BYTES} or a line over {@link YamlLimits#MAX_LINE_CHARS}
     *                         (both checked before parsing: see {@link YamlLimits} for why lines)
     */
    public static ConfigFile parse(String name, String text) {
        ConfigFile empty = new ConfigFile(null, null, null, null, null, null, null, null, null, null, null);
        long bytes = text.length() > MAX_CONFIG_BYTES ? text.length() : YamlLimits.utf8Length(text);
        if (bytes > MAX_CONFIG_BYTES) {
            throw new ConfigException(name + ": " + bytes + " bytes; the limit for a config file is "
                    + MAX_CONFIG_BYTES + " bytes (4 MiB)");
        }
        int line = YamlLimits.firstLongLine(text);
        if (line > 0) {
            throw new ConfigException(name + ": line " + line + " is longer than " + YamlLimits.MAX_LINE_CHARS
                    + " characters, the limit for a line of a config file");
        }
        try {
            ObjectMapper m = mapper();
            JsonNode tree = m.readTree(text);
            if (tree == null || tree.isMissingNode() || tree.isNull()) {
                return empty; // no content, or only comments
            }
            if (!tree.isObject()) {
                throw new ConfigException(name + ": the top level must be a mapping of keys (listen:, data:, ...)");
            }
            return m.treeToValue(tree, ConfigFile.class);
        } catch (UnrecognizedPropertyException e) {
            String path = path(e);
            Set<String> known = new TreeSet<>();
            if (e.getKnownPropertyIds() != null) {
                e.getKnownPropertyIds().forEach(k -> known.add(String.valueOf(k)));
            }
            throw new ConfigException(name + ": unknown key '" + path + "'" + (known.isEmpty() ? ""
                    : "; allowed there: " + String.join(", ", known)));
        } catch (JsonMappingException e) {
            throw new ConfigException(name + ": bad value at '" + path(e) + "': " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new ConfigException(name + ": not valid YAML: " + e.getOriginalMessage());
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    /**
     * A {@code socket:} value: "off" (YAML may hand it over as "false") or "" turn the local
     * socket off; anything else is a path, relative to {@code base}.
     */
    public static String socket(String v, Path base) {
        String t = v.strip();
        if (t.isEmpty() || t.equalsIgnoreCase("off") || t.equalsIgnoreCase("false") || t.equalsIgnoreCase("none")) {
            return DaemonConfig.SOCKET_OFF;
        }
        return base.resolve(t).normalize().toString();
    }

    /** Applies defaults and validates; relative paths resolve against {@code base}. */
    public static DaemonConfig resolve(ConfigFile f, Path base) {
        DaemonConfig d = DaemonConfig.defaults();
        if (f.listen() != null) {
            d = d.withListen(DaemonConfig.hostPort("listen", f.listen()));
        }
        if (f.data() != null) {
            d = d.withData(base.resolve(f.data()).normalize());
        }
        if (f.socket() != null) {
            d = d.withSocket(socket(f.socket(), base));
        }
        if (f.tokens() != null) {
            d = d.withTokens(tokens(f.tokens()));
        }
        if (f.tls() != null) {
            if (f.tls().cert() == null || f.tls().key() == null) {
                throw new ConfigException("tls: both 'cert' and 'key' are needed (PEM files)");
            }
            d = d.withTls(new TlsFiles(base.resolve(f.tls().cert()).normalize(), base.resolve(f.tls().key()).normalize()));
        }
        if (f.metrics() != null) {
            if (f.metrics().listen() == null) {
                throw new ConfigException("metrics: 'listen' is needed (e.g. 127.0.0.1:9433)");
            }
            d = d.withMetrics(DaemonConfig.hostPort("metrics.listen", f.metrics().listen()));
        }
        if (f.limits() != null) {
            d = d.withLimits(limits(f.limits()));
        }
        if (f.store() != null) {
            d = d.withStore(store(f.store()));
        }
        if (f.policies() != null) {
            d = d.withPolicies(policies(f.policies()));
        }
        if (f.gc() != null) {
            d = d.withGc(gc(f.gc()));
        }
        if (f.s3() != null) {
            d = d.withS3(S3Config.resolve(f.s3(), base));
        }
        return d;
    }

    /** {@code policies:} through the retention engine's own parser: the same format and errors as a policy file. */
    private static DaemonConfig.Policies policies(JsonNode node) {
        PolicySet set;
        try {
            set = PolicyParser.parsePolicies(node);
        } catch (PolicyException e) {
            throw new ConfigException(e.getMessage(), e);
        }
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.set("policies", node);
        try {
            String yaml = new ObjectMapper(new YAMLFactory()).writeValueAsString(doc);
            return new DaemonConfig.Policies(set, yaml.startsWith("---\n") ? yaml.substring(4) : yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException("policies: cannot re-encode for the audit log: " + e.getOriginalMessage(), e);
        }
    }

    private static DaemonConfig.GcSettings gc(GcSection g) {
        GcOptions def = DaemonConfig.GcSettings.defaults().options();
        GcOptions options;
        try {
            long reserve = def.reserveBytes();
            if (g.reserveBytes() != null) {
                reserve = g.reserveBytes().trim().equals("auto") ? dev.cairn.store.Reserve.AUTO
                        : Units.bytes("gc.reserve_bytes", g.reserveBytes());
            }
            options = new GcOptions(g.repackThreshold() == null ? def.repackThreshold() : g.repackThreshold(),
                    g.repackGroupBytes() == null ? def.repackGroupBytes()
                            : Units.bytes("gc.repack_group_bytes", g.repackGroupBytes()), reserve);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("gc: " + e.getMessage(), e);
        }
        DaemonConfig.Schedule schedule = null;
        if (g.schedule() != null) {
            ConfigFile.Schedule s = g.schedule();
            if (s.every() == null) {
                throw new ConfigException("gc.schedule.every: required (e.g. every: 6h); leave out 'schedule' for no"
                        + " scheduled runs");
            }
            Duration every = Units.duration("gc.schedule.every", s.every());
            Duration initial = s.initialDelay() == null ? every
                    : Units.duration("gc.schedule.initial_delay", s.initialDelay());
            schedule = new DaemonConfig.Schedule(every, initial, s.trim() != null && s.trim());
        }
        return new DaemonConfig.GcSettings(options, schedule);
    }

    private static Map<String, String> tokens(Map<String, String> raw) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, String> e : raw.entrySet()) {
            i++;
            String token = e.getKey();
            String tenant = e.getValue();
            // Never echo a token in an error: the message may end up in a log.
            if (token == null || token.length() < MIN_TOKEN_LENGTH) {
                throw new ConfigException("tokens: token #" + i + " (tenant '" + tenant + "') is shorter than "
                        + MIN_TOKEN_LENGTH + " characters; use a long random string (e.g. `openssl rand -hex 24`)");
            }
            if (tenant == null || !TENANT.matcher(tenant).matches()) {
                throw new ConfigException("tokens: tenant name '" + tenant + "' of token #" + i + " must match "
                        + TENANT.pattern() + " (it names a directory)");
            }
            out.put(token, tenant);
        }
        return out;
    }

    private static ServerLimits limits(LimitsSection l) {
        ServerLimits def = ServerLimits.defaults();
        Limits w = def.wire();
        Limits wire;
        try {
            wire = new Limits(
                    l.maxFrameBytes() == null ? w.maxFrame() : Units.intBytes("limits.max_frame_bytes", l.maxFrameBytes()),
                    or(l.maxHaveIds(), w.maxHaveIds()),
                    or(l.maxUploadChunks(), w.maxUploadChunks()),
                    or(l.maxRefs(), w.maxRefs()),
                    or(l.maxSessionsPerTenant(), w.maxSessions()),
                    or(l.maxInFlight(), w.maxInFlight()),
                    l.maxPatchBytes() == null ? w.maxPatchBytes() : Units.bytes("limits.max_patch_bytes", l.maxPatchBytes()),
                    l.idleTimeout() == null ? w.idleTimeoutSeconds()
                            : seconds("limits.idle_timeout", Units.duration("limits.idle_timeout", l.idleTimeout())),
                    w.compression());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("limits: " + e.getMessage(), e);
        }
        // The defaults follow the JVM's memory (ServerLimits.defaultInFlightBytesTotal); one limit
        // given alone moves the other's default so that the pair stays consistent.
        Long perConn = l.maxInFlightBytes() == null ? null : Units.bytes("limits.max_in_flight_bytes", l.maxInFlightBytes());
        Long total = l.maxInFlightBytesTotal() == null ? null
                : Units.bytes("limits.max_in_flight_bytes_total", l.maxInFlightBytesTotal());
        ServerLimits base = new ServerLimits(wire,
                perConn != null ? perConn : Math.min(def.maxInFlightBytes(), total != null ? total : def.maxInFlightBytesTotal()),
                total != null ? total : Math.max(def.maxInFlightBytesTotal(), perConn != null ? perConn : 0),
                or(l.maxConnections(), def.maxConnections()),
                l.handshakeTimeout() == null ? def.handshakeTimeout()
                        : positive("limits.handshake_timeout", Units.duration("limits.handshake_timeout", l.handshakeTimeout())),
                l.shutdownGrace() == null ? def.shutdownGrace()
                        : Units.duration("limits.shutdown_grace", l.shutdownGrace()),
                or(l.workerThreads(), def.workerThreads()),
                l.heartbeatInterval() == null ? def.heartbeatInterval()
                        : positive("limits.heartbeat_interval",
                        Units.duration("limits.heartbeat_interval", l.heartbeatInterval())));
        return base.withTenantLimits(
                l.maxInFlightBytesPerTenant() == null ? base.maxInFlightBytesPerTenant()
                        : Units.bytes("limits.max_in_flight_bytes_per_tenant", l.maxInFlightBytesPerTenant()),
                or(l.maxConnectionsPerTenant(), base.maxConnectionsPerTenant()),
                or(l.maxUnauthenticatedConnections(), base.maxUnauthenticatedConnections()));
    }

    private static RepositoryOptions store(StoreSection s) {
        RepositoryOptions o = RepositoryOptions.defaults();
        try {
            if (s.chunker() != null) {
                ConfigFile.Chunker c = s.chunker();
                if (c.min() == null || c.avg() == null || c.max() == null) {
                    throw new ConfigException("store.chunker: give all of min, avg and max");
                }
                o = o.withChunker(new ChunkerParams(Units.intBytes("store.chunker.min", c.min()),
                        Units.intBytes("store.chunker.avg", c.avg()), Units.intBytes("store.chunker.max", c.max())));
            }
            if (s.packTargetBytes() != null) {
                o = o.withPackTargetBytes(Units.bytes("store.pack_target_bytes", s.packTargetBytes()));
            }
            if (s.maxChainDepth() != null) {
                o = o.withMaxChainDepth(s.maxChainDepth());
            }
            if (s.workers() != null) {
                o = o.withWorkers(s.workers());
            }
            if (s.readAhead() != null) {
                o = new RepositoryOptions(o.chunker(), o.packTargetBytes(), o.maxChainDepth(), o.deltaMaxRatio(),
                        o.deltaWindow(), o.workers(), s.readAhead(), o.compression());
            }
            if (s.compression() != null) {
                o = o.withCompression(dev.cairn.protocol.chunk.Compression.parse(s.compression()));
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException("store: " + e.getMessage(), e);
        }
        return o;
    }

    private static int or(Integer v, int def) {
        return v == null ? def : v;
    }

    private static int seconds(String key, Duration d) {
        long s = d.toSeconds();
        if (s < 1 || s > Integer.MAX_VALUE) {
            throw new ConfigException(key + ": must be at least 1s");
        }
        return (int) s;
    }

    private static Duration positive(String key, Duration d) {
        if (d.isZero() || d.isNegative()) {
            throw new ConfigException(key + ": must be positive");
        }
        return d;
    }
}
