package dev.cairn.s3;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how a store keeps its packs on S3-compatible object storage ({@code s3:} in
 * cairn.yaml, docs/S3.md). Credentials are not part of it: they come from the standard AWS
 * environment variables or from {@code credentialsFile}, and are never logged.
 *
 * @param endpoint           the service's URL, e.g. {@code http://127.0.0.1:9000}; null: AWS's
 *                           endpoint for {@code region}
 * @param bucket             the bucket; it must exist
 * @param prefix             key prefix of this store ("" or e.g. {@code team-a/cairn}, without
 *                           leading or trailing slash), so that several daemons share a bucket
 * @param region             signing region ({@code us-east-1} for most S3-compatible services)
 * @param pathStyle          {@code http://host/bucket/key} rather than {@code http://bucket.host/key}
 *                           (MinIO, Ceph and S3Proxy usually need it)
 * @param credentialsFile    an AWS shared-credentials file (profile {@code default}); null: the
 *                           environment ({@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY})
 * @param cacheDir           the local cache and staging directory; null: {@code <store>/s3-cache}
 * @param cacheBytes         bound of the local cache (LRU by bytes); packs being written or
 *                           uploaded are not counted until their upload completed
 * @param multipartThreshold packs at least this large are uploaded in parts of {@code partBytes}
 * @param partBytes          multipart part size (at least 5 MiB, S3's minimum)
 * @param backupEvery        how often the metadata backup checks for changes and uploads them
 * @param maxAttempts        attempts per request (first try included) for transient errors
 * @param requestTimeout     limit of one attempt of a request (a part upload included)
 * @param lease              how long the daemon's lease on its prefix lasts after each renewal
 *                           (renewed every third of it; docs/S3.md "Leases")
 */
public record S3Settings(URI endpoint, String bucket, String prefix, String region, boolean pathStyle,
                         Path credentialsFile, Path cacheDir, long cacheBytes, long multipartThreshold,
                         long partBytes, Duration backupEvery, int maxAttempts, Duration requestTimeout,
                         Duration lease) {

    public static final long MIN_PART_BYTES = 5L << 20;

    public S3Settings {
        Objects.requireNonNull(bucket, "bucket");
        if (bucket.isBlank()) {
            throw new IllegalArgumentException("bucket must not be empty");
        }
        prefix = normalizePrefix(prefix == null ? "" : prefix);
        region = region == null || region.isBlank() ? "us-east-1" : region;
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("cache_bytes must not be negative");
        }
        if (partBytes < MIN_PART_BYTES) {
            throw new IllegalArgumentException("the multipart part size must be at least 5MiB (S3's minimum)");
        }
        if (multipartThreshold < partBytes) {
            throw new IllegalArgumentException("multipart_threshold must be at least the part size (" + partBytes + ")");
        }
        Objects.requireNonNull(backupEvery, "backupEvery");
        if (backupEvery.isNegative() || backupEvery.isZero()) {
            throw new IllegalArgumentException("metadata_backup.every must be positive");
        }
        if (maxAttempts < 1 || maxAttempts > 100) {
            throw new IllegalArgumentException("max_attempts must be within 1..100");
        }
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        lease = lease == null ? DEFAULT_LEASE : lease;
        if (lease.toMillis() <= 0 || lease.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("lease must be within 1ms..1h");
        }
    }

    /** The default lease: renewed every 10 s; a taker waits 30 s after the holder's last renewal. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

    /** As the canonical constructor with the default lease (callers written before leases). */
    public S3Settings(URI endpoint, String bucket, String prefix, String region, boolean pathStyle,
                      Path credentialsFile, Path cacheDir, long cacheBytes, long multipartThreshold,
                      long partBytes, Duration backupEvery, int maxAttempts, Duration requestTimeout) {
        this(endpoint, bucket, prefix, region, pathStyle, credentialsFile, cacheDir, cacheBytes, multipartThreshold,
                partBytes, backupEvery, maxAttempts, requestTimeout, DEFAULT_LEASE);
    }

    public S3Settings withLease(Duration d) {
        return new S3Settings(endpoint, bucket, prefix, region, pathStyle, credentialsFile, cacheDir, cacheBytes,
                multipartThreshold, partBytes, backupEvery, maxAttempts, requestTimeout, d);
    }

    /** Defaults for everything but where the bucket is. */
    public static S3Settings of(URI endpoint, String bucket, String prefix) {
        return new S3Settings(endpoint, bucket, prefix, "us-east-1", true, null, null, 4L << 30, 16L << 20, 8L << 20,
                Duration.ofSeconds(60), 8, Duration.ofSeconds(120));
    }

    /**
     * The settings of a tenant's store: its own prefix below this one ({@code <prefix>/tenants/<name>})
     * and, if a cache directory is configured, its own directory below it. The default tenant
     * keeps the settings as they are (its store is the data directory itself).
     */
    public S3Settings forTenant(String tenant, boolean isDefault) {
        if (isDefault) {
            return this;
        }
        S3Settings t = withPrefix(join(prefix, "tenants/" + tenant));
        return cacheDir == null ? t : t.withCacheDir(cacheDir.resolve("tenants").resolve(tenant));
    }

    public S3Settings withPrefix(String p) {
        return new S3Settings(endpoint, bucket, p, region, pathStyle, credentialsFile, cacheDir, cacheBytes,
                multipartThreshold, partBytes, backupEvery, maxAttempts, requestTimeout, lease);
    }

    public S3Settings withCacheDir(Path d) {
        return new S3Settings(endpoint, bucket, prefix, region, pathStyle, credentialsFile, d, cacheBytes,
                multipartThreshold, partBytes, backupEvery, maxAttempts, requestTimeout, lease);
    }

    public S3Settings withCacheBytes(long n) {
        return new S3Settings(endpoint, bucket, prefix, region, pathStyle, credentialsFile, cacheDir, n,
                multipartThreshold, partBytes, backupEvery, maxAttempts, requestTimeout, lease);
    }

    public S3Settings withMultipart(long threshold, long part) {
        return new S3Settings(endpoint, bucket, prefix, region, pathStyle, credentialsFile, cacheDir, cacheBytes,
                threshold, part, backupEvery, maxAttempts, requestTimeout, lease);
    }

    public S3Settings withBackupEvery(Duration d) {
        return new S3Settings(endpoint, bucket, prefix, region, pathStyle, credentialsFile, cacheDir, cacheBytes,
                multipartThreshold, partBytes, d, maxAttempts, requestTimeout, lease);
    }

    public S3Settings withRetries(int attempts, Duration timeout) {
        return new S3Settings(endpoint, bucket, prefix, region, pathStyle, credentialsFile, cacheDir, cacheBytes,
                multipartThreshold, partBytes, backupEvery, attempts, timeout, lease);
    }

    public S3Settings withCredentialsFile(Path f) {
        return new S3Settings(endpoint, bucket, prefix, region, pathStyle, f, cacheDir, cacheBytes,
                multipartThreshold, partBytes, backupEvery, maxAttempts, requestTimeout, lease);
    }

    public S3Settings withRegion(String r, boolean path) {
        return new S3Settings(endpoint, bucket, prefix, r, path, credentialsFile, cacheDir, cacheBytes,
                multipartThreshold, partBytes, backupEvery, maxAttempts, requestTimeout, lease);
    }

    /** The cache directory of a store in {@code storeDir}. */
    public Path cacheDirFor(Path storeDir) {
        return cacheDir != null ? cacheDir : storeDir.resolve("s3-cache");
    }

    static String normalizePrefix(String p) {
        String s = p.trim();
        while (s.startsWith("/")) {
            s = s.substring(1);
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.contains("//")) {
            throw new IllegalArgumentException("prefix '" + p + "' contains an empty path segment");
        }
        return s;
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : a + "/" + b;
    }

    @Override
    public String toString() {
        // No credentials here by construction; say where the data goes.
        return "s3://" + bucket + "/" + prefix + (endpoint == null ? "" : " at " + endpoint);
    }
}
