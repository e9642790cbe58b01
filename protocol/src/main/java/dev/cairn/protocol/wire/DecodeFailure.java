package dev.cairn.protocol.wire;

import dev.cairn.protocol.Status;

/**
 * What the inbound stages emit instead of a message when bytes do not decode, so the handler can
 * answer with an ERROR rather than an exception escaping into the pipeline.
 *
 * @param requestId the frame's request id, or {@link Wire#CONNECTION_ID} when it is not known
 * @param opcode    the frame's opcode, or -1 when it is not known
 * @param fatal     true when the byte stream can no longer be trusted (bad length, frame too
 *                  large): the connection must be closed after the error is sent
 */
public record DecodeFailure(int requestId, int opcode, Status status, String message, boolean fatal) {
}
