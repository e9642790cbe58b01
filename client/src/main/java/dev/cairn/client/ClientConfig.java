package dev.cairn.client;

import dev.cairn.protocol.HostPort;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The client's settings, fixed when it is built ({@link CairnClient.Builder} has the defaults and
 * the meaning of each). {@code socket}: the daemon's Unix domain socket, or null for TCP.
 */
record ClientConfig(String host, int port, String token, boolean tls, Path tlsTrust, Duration connectTimeout,
                    Duration requestTimeout, int poolSize, int workerThreads, int pipelineDepth, int batchBytes,
                    int readAheadBytes, String clientName, Path socket) {

    /** "127.0.0.1:7433", or "unix:/path/cairnd.sock" over the local socket. */
    String address() {
        return socket != null ? "unix:" + socket : new HostPort(host, port).toString();
    }
}
