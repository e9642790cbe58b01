package dev.cairn.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/**
 * cairn.yaml exactly as written: every key optional, values as text where they carry units.
 * {@link ConfigLoader} binds it strictly (an unknown key anywhere is an error naming it) and
 * turns it into a validated {@link DaemonConfig}.
 *
 * <p>Extending it: add a component here (and a record for a new section), resolve it in
 * {@link ConfigLoader#resolve}, document it in docs/PROTOCOL.md or the feature's doc.
 * {@code s3:} (pack storage) is {@link S3Section}.
 *
 * <p>{@code policies:} is kept as a tree and read by the retention engine's own parser
 * ({@code PolicyParser.parsePolicies}), so cairn.yaml and a policy file passed to trim accept
 * exactly the same format and give the same errors.
 */
public record ConfigFile(
        @JsonProperty("listen") String listen,
        @JsonProperty("data") String data,
        /* token -> tenant */
        @JsonProperty("tokens") Map<String, String> tokens,
        @JsonProperty("tls") Tls tls,
        @JsonProperty("metrics") Metrics metrics,
        @JsonProperty("limits") LimitsSection limits,
        @JsonProperty("store") StoreSection store,
        /* the retention policies, docs/GC.md "File format" */
        @JsonProperty("policies") JsonNode policies,
        @JsonProperty("gc") GcSection gc,
        @JsonProperty("s3") S3Section s3,
        /* the local Unix domain socket: a path, or off */
        @JsonProperty("socket") String socket
) {

    /** PEM files; both or neither. */
    public record Tls(@JsonProperty("cert") String cert, @JsonProperty("key") String key) {
    }

    /** The Prometheus endpoint; absent: off. */
    public record Metrics(@JsonProperty("listen") String listen) {
    }

    /** Sizes take KiB/MiB/GiB suffixes, durations s/m/h. */
    public record LimitsSection(
            @JsonProperty("max_frame_bytes") String maxFrameBytes,
            @JsonProperty("max_have_ids") Integer maxHaveIds,
            @JsonProperty("max_upload_chunks") Integer maxUploadChunks,
            @JsonProperty("max_refs") Integer maxRefs,
            @JsonProperty("max_sessions_per_tenant") Integer maxSessionsPerTenant,
            @JsonProperty("max_in_flight") Integer maxInFlight,
            @JsonProperty("max_in_flight_bytes") String maxInFlightBytes,
            @JsonProperty("max_in_flight_bytes_total") String maxInFlightBytesTotal,
            @JsonProperty("max_patch_bytes") String maxPatchBytes,
            @JsonProperty("max_connections") Integer maxConnections,
            @JsonProperty("idle_timeout") String idleTimeout,
            @JsonProperty("handshake_timeout") String handshakeTimeout,
            @JsonProperty("shutdown_grace") String shutdownGrace,
            @JsonProperty("worker_threads") Integer workerThreads,
            @JsonProperty("heartbeat_interval") String heartbeatInterval,
            @JsonProperty("max_in_flight_bytes_per_tenant") String maxInFlightBytesPerTenant,
            @JsonProperty("max_connections_per_tenant") Integer maxConnectionsPerTenant,
            @JsonProperty("max_unauthenticated_connections") Integer maxUnauthenticatedConnections) {
    }

    /** Store tunables; {@code chunker} applies to stores created by this daemon only. */
    public record StoreSection(
            @JsonProperty("chunker") Chunker chunker,
            @JsonProperty("pack_target_bytes") String packTargetBytes,
            @JsonProperty("max_chain_depth") Integer maxChainDepth,
            @JsonProperty("workers") Integer workers,
            @JsonProperty("read_ahead") Integer readAhead,
            /* "fast" (LZ4, default) or "compact" (zstd): how new chunks are encoded, announced to clients */
            @JsonProperty("compression") String compression) {
    }

    /** Garbage collection: tunables, and the schedule (absent: no scheduled runs). */
    public record GcSection(
            @JsonProperty("repack_threshold") Double repackThreshold,
            @JsonProperty("repack_group_bytes") String repackGroupBytes,
            @JsonProperty("reserve_bytes") String reserveBytes,
            @JsonProperty("schedule") Schedule schedule) {
    }

    /** Trim (optionally) and GC every tenant's store at a fixed rate. */
    public record Schedule(
            @JsonProperty("every") String every,
            @JsonProperty("initial_delay") String initialDelay,
            @JsonProperty("trim") Boolean trim) {
    }

    /**
     * Packs on S3-compatible object storage (docs/S3.md); absent: packs on the local disk. Sizes
     * take KiB/MiB/GiB suffixes, durations s/m/h.
     */
    public record S3Section(
            @JsonProperty("endpoint") String endpoint,
            @JsonProperty("bucket") String bucket,
            @JsonProperty("prefix") String prefix,
            @JsonProperty("region") String region,
            @JsonProperty("path_style") Boolean pathStyle,
            @JsonProperty("credentials_file") String credentialsFile,
            @JsonProperty("cache_dir") String cacheDir,
            @JsonProperty("cache_bytes") String cacheBytes,
            @JsonProperty("multipart_threshold") String multipartThreshold,
            @JsonProperty("max_attempts") Integer maxAttempts,
            @JsonProperty("request_timeout") String requestTimeout,
            @JsonProperty("metadata_backup") MetadataBackupSection metadataBackup,
            @JsonProperty("lease") String lease) {
    }

    /** When the metadata is backed up to the bucket (besides before GC deletes and at shutdown). */
    public record MetadataBackupSection(@JsonProperty("every") String every) {
    }

    public record Chunker(@JsonProperty("min") String min, @JsonProperty("avg") String avg,
                          @JsonProperty("max") String max) {
    }
}
