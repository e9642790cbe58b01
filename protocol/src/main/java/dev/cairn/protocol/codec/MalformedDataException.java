package dev.cairn.protocol.codec;

/** Bytes that do not decode: truncated, out of range, or of an unknown kind. */
public class MalformedDataException extends RuntimeException {
    public MalformedDataException(String message) {
        super(message);
    }

    public MalformedDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
