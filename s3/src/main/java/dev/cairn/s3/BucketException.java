package dev.cairn.s3;

import java.io.IOException;

/**
 * An object-store request failed after the SDK's retries (or could not be retried). Names the
 * operation, the key and the HTTP status if there was one; never credentials.
 */
public class BucketException extends IOException {
    private final int status;

    public BucketException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status of the last attempt, or 0 if no response arrived (timeout, reset). */
    public int status() {
        return status;
    }
}
