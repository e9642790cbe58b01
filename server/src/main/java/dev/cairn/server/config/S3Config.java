package dev.cairn.server.config;

import dev.cairn.s3.S3Settings;
import dev.cairn.server.config.ConfigFile.S3Section;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Turns the {@code s3:} section of cairn.yaml into {@link S3Settings} (docs/S3.md,
 * "Configuration"). Unknown keys are already rejected by the strict binding; here values are
 * checked and named in errors. No credential is ever part of the configuration: only the path of
 * a credentials file, or the AWS environment variables.
 */
final class S3Config {
    private S3Config() {
    }

    static S3Settings resolve(S3Section s, Path base) {
        if (s.bucket() == null || s.bucket().isBlank()) {
            throw new ConfigException("s3.bucket: the bucket is required (it must exist)");
        }
        URI endpoint = null;
        if (s.endpoint() != null) {
            try {
                endpoint = new URI(s.endpoint().trim());
            } catch (URISyntaxException e) {
                throw new ConfigException("s3.endpoint: '" + s.endpoint() + "' is not a URL (e.g. http://127.0.0.1:9000)");
            }
            if (endpoint.getScheme() == null || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))
                    || endpoint.getHost() == null) {
                throw new ConfigException("s3.endpoint: '" + s.endpoint() + "' must be an http:// or https:// URL with a host");
            }
        }
        S3Settings d = S3Settings.of(endpoint, s.bucket().trim(), s.prefix() == null ? "" : s.prefix());
        long threshold = s.multipartThreshold() == null ? d.multipartThreshold()
                : Units.bytes("s3.multipart_threshold", s.multipartThreshold());
        if (threshold < S3Settings.MIN_PART_BYTES) {
            throw new ConfigException("s3.multipart_threshold: at least 5MiB (S3's smallest part)");
        }
        long part = Math.max(S3Settings.MIN_PART_BYTES, Math.min(threshold / 2, 64L << 20));
        Duration every = d.backupEvery();
        if (s.metadataBackup() != null && s.metadataBackup().every() != null) {
            every = Units.duration("s3.metadata_backup.every", s.metadataBackup().every());
            if (every.isZero()) {
                throw new ConfigException("s3.metadata_backup.every: must be positive");
            }
        }
        try {
            return new S3Settings(endpoint, d.bucket(), d.prefix(),
                    s.region() == null ? d.region() : s.region().trim(),
                    s.pathStyle() == null ? d.pathStyle() : s.pathStyle(),
                    s.credentialsFile() == null ? null : base.resolve(s.credentialsFile()).normalize(),
                    s.cacheDir() == null ? null : base.resolve(s.cacheDir()).normalize(),
                    s.cacheBytes() == null ? d.cacheBytes() : Units.bytes("s3.cache_bytes", s.cacheBytes()),
                    threshold, part, every,
                    s.maxAttempts() == null ? d.maxAttempts() : s.maxAttempts(),
                    s.requestTimeout() == null ? d.requestTimeout()
                            : Units.duration("s3.request_timeout", s.requestTimeout()),
                    s.lease() == null ? d.lease() : Units.duration("s3.lease", s.lease()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("s3: " + e.getMessage(), e);
        }
    }
}
