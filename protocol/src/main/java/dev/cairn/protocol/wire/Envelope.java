package dev.cairn.protocol.wire;

import java.util.Objects;

/**
 * A decoded message with the request id it belongs to and whether it ends its response.
 *
 * @param requestId the client-chosen id of the request (u32 as a Java int)
 * @param last      false only for the parts of a streamed response
 */
public record Envelope(int requestId, boolean last, Message message) {

    public Envelope {
        Objects.requireNonNull(message, "message");
    }

    /** A request, or the final frame of a response. */
    public static Envelope of(int requestId, Message message) {
        return new Envelope(requestId, true, message);
    }

    /** An intermediate frame of a streamed response. */
    public static Envelope part(int requestId, Message message) {
        return new Envelope(requestId, false, message);
    }

    public int opcode() {
        return message.opcode();
    }

    @Override
    public String toString() {
        return "#" + Integer.toUnsignedString(requestId) + (last ? " " : " (part) ") + message;
    }
}
