package dev.cairn.server.config;

/** cairn.yaml (or a command-line setting) is invalid; the message names the key and the fix. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
