package dev.cairn.client;

import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.wire.Limits;
import dev.cairn.protocol.wire.Message;

import java.util.concurrent.CompletableFuture;

/**
 * One connection as the put pipeline sees it: requests in, final responses out. A seam so the
 * pipeline's ordering and retry logic can be tested against a scripted fake.
 *
 * <p>Ordering contract: frames are written in the order of {@link #call} invocations that are
 * ordered by happens-before, so a session request issued after another reaches the daemon after
 * it (the daemon applies a session's requests in arrival order).
 */
interface Exchange {
    /**
     * Sends {@code req} and returns its final response. An ERROR completes the future
     * exceptionally with a {@link CairnClientException}; so do timeouts and a lost connection.
     * May block while the connection's send buffer is full (never on an event loop).
     */
    CompletableFuture<Message.Response> call(Message.Request req);

    /** The store's chunker parameters from HELLO_OK. */
    ChunkerParams chunker();

    /** The daemon's limits from HELLO_OK. */
    Limits limits();

    /** Where this exchange goes, for messages. */
    String describe();
}
