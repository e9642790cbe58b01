package dev.cairn.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A real S3 server for tests: S3Proxy (org.gaul:s3proxy, jar-with-dependencies, copied to
 * {@code target/s3proxy} by the build) as a child JVM on a free loopback port, backed by a
 * directory (jclouds' filesystem provider), with a fixed test credential. One shared instance per
 * test JVM ({@link #shared()}); tests keep apart by prefix. Needs nothing but the JDK and Maven.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String BUCKET = "cairn-test";
    public static final String ACCESS_KEY = "cairn-test-access";
    public static final String SECRET_KEY = "cairn-test-secret-0123456789";

    private static S3ProxyServer shared;

    private final Process process;
    private final URI endpoint;
    private final Path dir;
    private final Path credentials;

    private S3ProxyServer(Process process, URI endpoint, Path dir, Path credentials) {
        this.process = process;
        this.endpoint = endpoint;
        this.dir = dir;
        this.credentials = credentials;
    }

    /** The JVM-wide server, started on first use and stopped when the JVM exits. */
    public static synchronized S3ProxyServer shared() {
        if (shared == null) {
            try {
                Path dir = Files.createTempDirectory("s3proxy-");
                shared = start(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            S3ProxyServer s = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(s::close, "s3proxy-stop"));
        }
        return shared;
    }

    /** Starts a server storing its objects under {@code dir}, with bucket {@value #BUCKET}. */
    public static S3ProxyServer start(Path dir) throws IOException {
        Path jar = jar();
        Path data = dir.resolve("data");
        Files.createDirectories(data.resolve(BUCKET)); // a directory under basedir is a bucket
        Path credentials = dir.resolve("credentials");
        Files.writeString(credentials, "[default]\naws_access_key_id = " + ACCESS_KEY
                + "\naws_secret_access_key = " + SECRET_KEY + "\n");
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            URI endpoint = URI.create("http://127.0.0.1:" + port);
            Path props = dir.resolve("s3proxy-" + port + ".properties");
            Files.writeString(props, String.join("\n",
                    "s3proxy.endpoint=" + endpoint,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + ACCESS_KEY,
                    "s3proxy.credential=" + SECRET_KEY,
                    "jclouds.provider=filesystem",
                    "jclouds.filesystem.basedir=" + data.toAbsolutePath(),
                    ""));
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-DLOG_LEVEL=warn",
                    "-jar", jar.toString(), "--properties", props.toString()));
            Path log = dir.resolve("s3proxy-" + port + ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                awaitReady(p, endpoint, Duration.ofSeconds(60));
                return new S3ProxyServer(p, endpoint, dir, credentials);
            } catch (IOException e) {
                p.destroyForcibly();
                last = new IOException(e.getMessage() + "; log: " + tail(log), e);
            }
        }
        throw last;
    }

    private static Path jar() {
        String prop = System.getProperty("s3proxy.jar");
        Path jar = prop != null ? Path.of(prop) : Path.of("target", "s3proxy", "s3proxy.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("S3Proxy jar not found at " + jar.toAbsolutePath() + "; the build copies it"
                    + " there (maven-dependency-plugin, execution copy-s3proxy): run the tests through Maven");
        }
        return jar;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitReady(Process p, URI endpoint, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("S3Proxy exited with status " + p.exitValue());
            }
            try {
                HttpURLConnection c = (HttpURLConnection) endpoint.toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                int status = c.getResponseCode(); // 403 without a signature: it answers
                c.disconnect();
                if (status > 0) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for S3Proxy");
            }
        }
        throw new IOException("S3Proxy did not answer on " + endpoint + " within " + timeout);
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Directory holding the objects (bucket {@value #BUCKET} is the subdirectory of that name). */
    public Path dataDir() {
        return dir.resolve("data");
    }

    public Path credentialsFile() {
        return credentials;
    }

    /** Settings for a store under {@code prefix} (a fresh random one if null), small parts and a small cache. */
    public S3Settings settings(String prefix) {
        String p = prefix != null ? prefix : "t-" + UUID.randomUUID().toString().substring(0, 8);
        return S3Settings.of(endpoint, BUCKET, p)
                .withCredentialsFile(credentials)
                .withMultipart(S3Settings.MIN_PART_BYTES, S3Settings.MIN_PART_BYTES)
                .withRetries(6, Duration.ofSeconds(30));
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(java.util.concurrent.TimeUnit.SECONDS.toMillis(10), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return "S3Proxy at " + endpoint;
    }

}
