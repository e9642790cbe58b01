package dev.cairn.server;

import dev.cairn.s3.S3Settings;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.DaemonConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code s3:} section of cairn.yaml: every key, defaults, strictness, errors naming the key. */
class S3ConfigTest {
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
    void everyKey() throws Exception {
        DaemonConfig c = load("""
                s3:
                  endpoint: http://127.0.0.1:9000
                  bucket: checkpoints
                  prefix: /team-a/cairn/
                  region: eu-central-1
                  path_style: false
                  credentials_file: creds/aws
                  cache_dir: cache
                  cache_bytes: 2GiB
                  multipart_threshold: 32MiB
                  max_attempts: 5
                  request_timeout: 45s
                  metadata_backup: {every: 5m}
                  lease: 45s
                """);
        S3Settings s = c.s3();
        assertThat(s.endpoint()).isEqualTo(URI.create("http://127.0.0.1:9000"));
        assertThat(s.bucket()).isEqualTo("checkpoints");
        assertThat(s.prefix()).isEqualTo("team-a/cairn");
        assertThat(s.region()).isEqualTo("eu-central-1");
        assertThat(s.pathStyle()).isFalse();
        assertThat(s.credentialsFile()).isEqualTo(dir.resolve("creds/aws"));
        assertThat(s.cacheDir()).isEqualTo(dir.resolve("cache"));
        assertThat(s.cacheBytes()).isEqualTo(2L << 30);
        assertThat(s.multipartThreshold()).isEqualTo(32L << 20);
        assertThat(s.partBytes()).isEqualTo(16L << 20);
        assertThat(s.maxAttempts()).isEqualTo(5);
        assertThat(s.requestTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(s.backupEvery()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.lease()).isEqualTo(Duration.ofSeconds(45));
        assertThat(s.toString()).doesNotContain("creds");
        // tenants get their own prefix and cache directory
        S3Settings t = s.forTenant("training", false);
        assertThat(t.prefix()).isEqualTo("team-a/cairn/tenants/training");
        assertThat(t.cacheDir()).isEqualTo(dir.resolve("cache/tenants/training"));
        assertThat(s.forTenant("default", true)).isEqualTo(s);
    }

    @Test
    void defaultsAndAbsence() throws Exception {
        assertThat(load("listen: 127.0.0.1:1\n").s3()).as("no s3: packs stay local").isNull();
        S3Settings s = load("s3: {bucket: b}\n").s3();
        assertThat(s.endpoint()).isNull();
        assertThat(s.prefix()).isEmpty();
        assertThat(s.region()).isEqualTo("us-east-1");
        assertThat(s.pathStyle()).isTrue();
        assertThat(s.cacheBytes()).isEqualTo(4L << 30);
        assertThat(s.multipartThreshold()).isEqualTo(16L << 20);
        assertThat(s.backupEvery()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.lease()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void strictKeysAndBadValues() {
        fails("s3: {bucket: b, cache_byte: 1}\n", "unknown key 's3.cache_byte'", "cache_bytes");
        fails("s3: {bucket: b, metadata_backup: {evry: 1m}}\n", "unknown key 's3.metadata_backup.evry'", "every");
        fails("s3: {endpoint: http://x}\n", "s3.bucket");
        fails("s3: {bucket: b, endpoint: 'ftp://x'}\n", "s3.endpoint");
        fails("s3: {bucket: b, cache_bytes: lots}\n", "s3.cache_bytes", "not a size");
        fails("s3: {bucket: b, multipart_threshold: 1MiB}\n", "s3.multipart_threshold", "5MiB");
        fails("s3: {bucket: b, metadata_backup: {every: 0s}}\n", "s3.metadata_backup.every");
        fails("s3: {bucket: b, max_attempts: 0}\n", "s3:", "max_attempts");
        fails("s3: {bucket: b, path_style: maybe}\n", "s3.path_style");
    }
}
