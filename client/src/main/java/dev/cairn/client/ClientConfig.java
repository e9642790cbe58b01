package dev.cairn.client;

import dev.cairn.protocol.HostPort;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The client's settings, fixed when it is built ({@link CairnClient.Builder} has the defaults and
 * the meaning of each).
 */
record ClientConfig(String host, int port, String token, boolean tls, Path tlsTrust, Duration connectTimeout,
                    Duration requestTimeout, int poolSize, int workerThreads, int pipelineDepth, int batchBytes,
                    int readAheadBytes, String clientName) {

    String address() {
        return new HostPort(host, port).toString();
    }
}
