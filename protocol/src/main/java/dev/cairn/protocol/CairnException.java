package dev.cairn.protocol;

import java.io.IOException;

/**
 * An error with a stable {@link Status}: raised by the store, carried over the wire, rethrown by
 * the client, mapped to CLI exit codes. The message says what went wrong and, where there is one,
 * what to do about it.
 */
public class CairnException extends IOException {
    private final Status status;

    public CairnException(Status status, String message) {
        super(message);
        this.status = status;
    }

    public CairnException(Status status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public Status status() {
        return status;
    }
}
