package dev.cairn.s3;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

import java.nio.file.Files;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * Builds the SDK client from {@link S3Settings}: the synchronous Apache HTTP client (no Netty, so
 * the daemon keeps its own Netty version), retries with exponential backoff and full jitter for
 * transient errors (5xx, 503 SlowDown and other throttling, timeouts, connection resets), a limit
 * per attempt, and integrity checksums only where the API requires them (S3-compatible services
 * differ in what else they accept; Cairn checks its own data with CRC32C and SHA-256 and sends
 * Content-MD5 on every upload).
 *
 * <p>Credentials: {@code credentialsFile} (profile {@code default}) if set, otherwise the
 * {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY} environment variables or the matching
 * Java system properties. Deliberately not the SDK's default chain: that would also query the EC2
 * instance metadata endpoint, which is not something a daemon should do unasked.
 */
public final class S3Clients {
    static final Duration BASE_DELAY = Duration.ofMillis(100);
    static final Duration MAX_DELAY = Duration.ofSeconds(20);

    private S3Clients() {
    }

    /**
     * A client for {@code s}. {@code httpWrapper} may decorate the HTTP client (tests inject faults
     * there, below the SDK's retries); {@code counter} records every attempt.
     */
    public static S3Client create(S3Settings s, UnaryOperator<SdkHttpClient> httpWrapper, RequestCounter counter) {
        return create(s, httpWrapper, counter, null);
    }

    /** As {@link #create(S3Settings, UnaryOperator, RequestCounter)}; {@code fence} (if not null) runs before every attempt. */
    static S3Client create(S3Settings s, UnaryOperator<SdkHttpClient> httpWrapper, RequestCounter counter,
                           Bucket.WriteFence fence) {
        SdkHttpClient http = Apache5HttpClient.builder()
                .maxConnections(32)
                .connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(s.requestTimeout())
                .tcpKeepAlive(true)
                .build();
        if (httpWrapper != null) {
            http = httpWrapper.apply(http);
        }
        ClientOverrideConfiguration.Builder o = ClientOverrideConfiguration.builder()
                .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(s.maxAttempts())
                        .backoffStrategy(BackoffStrategy.exponentialDelay(BASE_DELAY, MAX_DELAY))
                        .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(BASE_DELAY.multipliedBy(5), MAX_DELAY))
                        // A token bucket would stop retrying during a long outage; a checkpoint
                        // store would rather wait out the backoff than fail the commit.
                        .circuitBreakerEnabled(false)
                        .build())
                .apiCallAttemptTimeout(s.requestTimeout());
        if (fence != null) {
            o.addExecutionInterceptor(fence); // before the counter: a fenced attempt is never sent, so not counted
        }
        if (counter != null) {
            o.addExecutionInterceptor(counter);
        }
        var b = S3Client.builder()
                .httpClient(http)
                .region(Region.of(s.region()))
                .credentialsProvider(credentials(s))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(s.pathStyle()).build())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o.build());
        if (s.endpoint() != null) {
            b.endpointOverride(s.endpoint());
        }
        return b.build();
    }

    private static AwsCredentialsProvider credentials(S3Settings s) {
        if (s.credentialsFile() != null) {
            if (!Files.isReadable(s.credentialsFile())) {
                throw new IllegalArgumentException("s3.credentials_file " + s.credentialsFile() + " is not readable");
            }
            return ProfileCredentialsProvider.builder()
                    .profileFile(ProfileFile.builder().content(s.credentialsFile()).type(ProfileFile.Type.CREDENTIALS).build())
                    .profileName("default")
                    .build();
        }
        return AwsCredentialsProviderChain.of(EnvironmentVariableCredentialsProvider.create(),
                SystemPropertyCredentialsProvider.create());
    }
}
