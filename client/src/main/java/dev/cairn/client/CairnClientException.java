package dev.cairn.client;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;

import java.util.List;

/**
 * Every failure of a {@link CairnClient} call: the stable {@link Status} (what scripts and the
 * CLI's exit codes key on) and a message that says what went wrong and, where possible, what to
 * do. When the daemon refused the request, {@link #serverMessage()} is its message verbatim;
 * failures on the client's side of the wire (cannot connect, connection lost, timeout) have no
 * server message and report {@link Status#IO_ERROR} or {@link Status#TIMEOUT}.
 */
public final class CairnClientException extends CairnException {
    private static final long serialVersionUID = 1L;

    private final String serverMessage;
    private final transient List<ChunkId> chunks;
    private final boolean connectionLost;

    CairnClientException(Status status, String message, String serverMessage, List<ChunkId> chunks,
                         boolean connectionLost, Throwable cause) {
        super(status, message, cause);
        this.serverMessage = serverMessage;
        this.chunks = List.copyOf(chunks);
        this.connectionLost = connectionLost;
    }

    /** The daemon answered {@code status} with {@code message} to a request named {@code what}. */
    static CairnClientException remote(String what, Status status, int code, String message, List<ChunkId> chunks) {
        String codeText = status == Status.INTERNAL && code != Status.INTERNAL.code() ? " (status code " + code + ")" : "";
        return new CairnClientException(status, what + ": " + status + codeText + ": " + message, message, chunks,
                false, null);
    }

    /** A failure on the client side of the wire (no server message). */
    static CairnClientException local(Status status, String message, Throwable cause) {
        return new CairnClientException(status, message, null, List.of(), false, cause);
    }

    /** The connection broke before the answer arrived; the request may or may not have run. */
    static CairnClientException connectionLost(String message, Throwable cause) {
        return new CairnClientException(Status.IO_ERROR, message, null, List.of(), true, cause);
    }

    /** The daemon's message, or null if the failure happened on the client's side. */
    public String serverMessage() {
        return serverMessage;
    }

    /** True if the daemon answered with an ERROR (as opposed to a local or network failure). */
    public boolean remote() {
        return serverMessage != null;
    }

    /** For {@link Status#MISSING_CHUNKS} and {@link Status#CHUNK_MISMATCH}: the chunk ids concerned. */
    public List<ChunkId> chunks() {
        return chunks;
    }

    /** True if the connection broke (or could not be made): retrying on a new connection may help. */
    public boolean connectionLost() {
        return connectionLost;
    }
}
