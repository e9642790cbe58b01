package dev.cairn.protocol.wire;

import java.nio.charset.StandardCharsets;

/**
 * The protocol's fixed numbers: version, handshake magic, frame header layout and frame-size
 * bounds (docs/PROTOCOL.md, "Framing" and "Handshake").
 */
public final class Wire {
    private Wire() {
    }

    /** The protocol version this build speaks. */
    public static final int VERSION = 1;
    /** The oldest protocol version this build speaks. */
    public static final int MIN_VERSION = 1;

    /** First four payload bytes of a HELLO: ASCII "CAIR". */
    public static final byte[] MAGIC = "CAIR".getBytes(StandardCharsets.US_ASCII);

    /** Bytes of the length prefix. The length counts everything after it. */
    public static final int LENGTH_FIELD = 4;
    /** Bytes after the length prefix and before the payload: u8 opcode, u32 request id, u8 flags. */
    public static final int HEADER = 6;

    /**
     * Flag bit: this frame is the last of its message. Set on every request (requests are one
     * frame) and on the final frame of every response; clear on stream parts.
     */
    public static final int FLAG_LAST = 0x01;

    /**
     * The smallest frame limit a peer may announce: a frame's length field may be up to this on
     * both directions, so one chunk of the largest size a chunker allows (16 MiB) always fits in a
     * frame with its headers.
     */
    public static final int MIN_MAX_FRAME = (16 << 20) + (64 << 10);

    /**
     * The frame limit before the handshake completes: HELLO is small, and a peer that has not
     * authenticated must not make the server buffer megabytes.
     */
    public static final int HANDSHAKE_MAX_FRAME = 64 << 10;

    /** The request id of connection-level messages from the server (an ERROR before closing). */
    public static final int CONNECTION_ID = 0;

    /** Longest error message sent, in characters; longer ones are cut. */
    public static final int MAX_ERROR_MESSAGE = 2000;

    /**
     * Largest policy text, in UTF-8 bytes, that TRIM or POLICY_SIMULATE may carry (1 MiB); a
     * larger one gets {@code LIMIT_EXCEEDED} without being parsed. Clients check it before sending.
     */
    public static final int MAX_POLICY_BYTES = 1 << 20;
}
