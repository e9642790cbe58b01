package dev.cairn.protocol;

/**
 * Stable numeric status codes, shared by the store's exceptions, the wire protocol and the CLI's
 * exit codes. Codes are never reused or renumbered (docs/PROTOCOL.md, "Status codes").
 */
public enum Status {
    OK(0, "ok"),
    BAD_REQUEST(1, "the request is malformed or has an invalid argument"),
    UNAUTHENTICATED(2, "missing or wrong token"),
    FORBIDDEN(3, "the tenant may not touch this"),
    NOT_FOUND(4, "no such checkpoint, hold or trash entry"),
    CONFLICT(5, "the operation conflicts with the current state"),
    MISSING_CHUNKS(6, "the manifest references chunks the store does not have; upload them and retry"),
    CHUNK_MISMATCH(7, "uploaded bytes do not hash to the claimed chunk id"),
    CORRUPT(8, "stored data is damaged"),
    UNSUPPORTED_VERSION(9, "format or protocol version not supported"),
    STORE_LOCKED(10, "the store is in use by another process"),
    PARAMS_MISMATCH(11, "chunker parameters differ from the store's"),
    NO_SPACE(12, "the disk is full"),
    BUSY(13, "too many concurrent requests or sessions; retry later"),
    FRAME_TOO_LARGE(14, "frame exceeds the maximum size"),
    UNKNOWN_OPCODE(15, "unknown message type"),
    SHUTTING_DOWN(16, "the daemon is shutting down"),
    POLICY_BLOCKED(17, "the plan would remove more than max_remove; use --force to override"),
    INVALID_POLICY(18, "the retention policy is invalid"),
    CANCELLED(19, "the operation was cancelled"),
    TIMEOUT(20, "the operation timed out"),
    IO_ERROR(21, "an I/O error occurred on the daemon"),
    LIMIT_EXCEEDED(22, "the request exceeds a limit the daemon announced (batch size, patch bytes)"),
    INTERNAL(99, "internal error");

    private final int code;
    private final String description;

    Status(int code, String description) {
        this.code = code;
        this.description = description;
    }

    public int code() {
        return code;
    }

    public String description() {
        return description;
    }

    /** The status with numeric {@code code}, or {@link #INTERNAL} for a code this version does not know. */
    public static Status ofCode(int code) {
        for (Status s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return INTERNAL;
    }
}
