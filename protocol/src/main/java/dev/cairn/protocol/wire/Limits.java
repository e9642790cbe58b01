package dev.cairn.protocol.wire;

/**
 * What the server announces in HELLO_OK about the sizes it accepts. A client that goes past one
 * gets {@link dev.cairn.protocol.Status#LIMIT_EXCEEDED} (or, for the frame size, a closed
 * connection). Encoded as (u16 key, u64 value) pairs so a server can add limits without a new
 * protocol version; clients ignore keys they do not know (docs/PROTOCOL.md, "Limits").
 *
 * @param maxFrame             largest frame length field the server accepts
 * @param maxHaveIds           ids per HAVE
 * @param maxUploadChunks      chunks per UPLOAD
 * @param maxRefs              refs per REFS
 * @param maxSessions          open put sessions per tenant
 * @param maxInFlight          requests per connection the server works on before it stops reading
 * @param maxPatchBytes        patch bytes one delta session may hold
 * @param idleTimeoutSeconds   a connection with no traffic and no request in flight is closed after this
 * @param compression          how the store wants new chunks encoded (clients follow it; the server
 *                             accepts every codec)
 */
public record Limits(int maxFrame, int maxHaveIds, int maxUploadChunks, int maxRefs, int maxSessions,
                     int maxInFlight, long maxPatchBytes, int idleTimeoutSeconds,
                     dev.cairn.protocol.chunk.Compression compression) {

    static final int KEY_MAX_FRAME = 1;
    static final int KEY_MAX_HAVE_IDS = 2;
    static final int KEY_MAX_UPLOAD_CHUNKS = 3;
    static final int KEY_MAX_REFS = 4;
    static final int KEY_MAX_SESSIONS = 5;
    static final int KEY_MAX_IN_FLIGHT = 6;
    static final int KEY_MAX_PATCH_BYTES = 7;
    static final int KEY_IDLE_TIMEOUT_SECONDS = 8;
    static final int KEY_COMPRESSION = 9;
    static final int KEY_COUNT = 9;

    public Limits {
        java.util.Objects.requireNonNull(compression, "compression");
        if (maxFrame < Wire.MIN_MAX_FRAME) {
            throw new IllegalArgumentException("maxFrame must be at least " + Wire.MIN_MAX_FRAME + ", got " + maxFrame);
        }
        if (maxHaveIds < 1 || maxUploadChunks < 1 || maxRefs < 1 || maxSessions < 1 || maxInFlight < 1
                || maxPatchBytes < 0 || idleTimeoutSeconds < 1) {
            throw new IllegalArgumentException("limits must be positive: maxHaveIds=" + maxHaveIds + " maxUploadChunks="
                    + maxUploadChunks + " maxRefs=" + maxRefs + " maxSessions=" + maxSessions + " maxInFlight="
                    + maxInFlight + " maxPatchBytes=" + maxPatchBytes + " idleTimeoutSeconds=" + idleTimeoutSeconds);
        }
    }

    /** The daemon's defaults. */
    public static Limits defaults() {
        return new Limits(Wire.MIN_MAX_FRAME, 8192, 4096, 8192, 64, 32, 64L << 20, 300,
                dev.cairn.protocol.chunk.Compression.FAST);
    }

    public Limits withCompression(dev.cairn.protocol.chunk.Compression c) {
        return new Limits(maxFrame, maxHaveIds, maxUploadChunks, maxRefs, maxSessions, maxInFlight, maxPatchBytes,
                idleTimeoutSeconds, c);
    }
}
