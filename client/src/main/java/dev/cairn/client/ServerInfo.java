package dev.cairn.client;

import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.wire.Limits;

/**
 * What the daemon announced in its handshake.
 *
 * @param protocolVersion the protocol version both sides speak
 * @param serverVersion   e.g. "cairnd 0.1.0"
 * @param tenant          the tenant this client's token maps to
 * @param chunker         the store's chunker parameters (the client chunks with exactly these)
 */
public record ServerInfo(int protocolVersion, String serverVersion, String tenant, ChunkerParams chunker,
                         Limits limits) {
}
