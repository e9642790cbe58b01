package dev.cairn.cli;

import dev.cairn.client.CairnClientException;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;

import java.io.IOException;

/**
 * The exit codes of {@code bin/cairn}: one per family of {@link Status}, so scripts can tell
 * "not there" from "try again later" from "data is damaged". The table in README.md ("CLI") is
 * the contract; never renumber a code.
 */
public final class ExitCodes {
    private ExitCodes() {
    }

    public static final int OK = 0;
    /** A bug or an unexpected failure (INTERNAL, an unknown status). */
    public static final int INTERNAL = 1;
    /** Bad command line or invalid argument (BAD_REQUEST, LIMIT_EXCEEDED, INVALID_POLICY). */
    public static final int USAGE = 2;
    /** No such checkpoint, entry, parent, hold (NOT_FOUND). */
    public static final int NOT_FOUND = 3;
    /** Wrong or missing token, or not allowed (UNAUTHENTICATED, FORBIDDEN). */
    public static final int ACCESS = 4;
    /** Conflicts with the current state (CONFLICT, POLICY_BLOCKED). */
    public static final int CONFLICT = 5;
    /** Data is damaged or incomplete (CORRUPT, CHUNK_MISMATCH, MISSING_CHUNKS; verify found damage). */
    public static final int DAMAGED = 6;
    /**
     * The daemon is unreachable or busy; retrying later may work (cannot connect, connection lost,
     * TIMEOUT, BUSY, SHUTTING_DOWN, CANCELLED, STORE_LOCKED).
     */
    public static final int UNAVAILABLE = 7;
    /** The daemon's storage failed (IO_ERROR from the daemon, NO_SPACE). */
    public static final int SERVER_STORAGE = 8;
    /** Client and daemon do not fit (UNSUPPORTED_VERSION, UNKNOWN_OPCODE, FRAME_TOO_LARGE, PARAMS_MISMATCH). */
    public static final int INCOMPATIBLE = 9;
    /** A local file could not be read or written (input missing, target exists, permission denied). */
    public static final int LOCAL_IO = 10;

    /** The exit code for {@code status}. */
    public static int of(Status status) {
        return switch (status) {
            case OK -> OK;
            case BAD_REQUEST, LIMIT_EXCEEDED, INVALID_POLICY -> USAGE;
            case NOT_FOUND -> NOT_FOUND;
            case UNAUTHENTICATED, FORBIDDEN -> ACCESS;
            case CONFLICT, POLICY_BLOCKED -> CONFLICT;
            case CORRUPT, CHUNK_MISMATCH, MISSING_CHUNKS -> DAMAGED;
            case TIMEOUT, BUSY, SHUTTING_DOWN, CANCELLED, STORE_LOCKED -> UNAVAILABLE;
            case IO_ERROR, NO_SPACE -> SERVER_STORAGE;
            case UNSUPPORTED_VERSION, UNKNOWN_OPCODE, FRAME_TOO_LARGE, PARAMS_MISMATCH -> INCOMPATIBLE;
            case INTERNAL -> INTERNAL;
        };
    }

    /** The exit code for a failure of a command. */
    public static int of(Throwable t) {
        if (t instanceof CairnClientException c) {
            // IO_ERROR without a daemon message is the network, not the daemon's disk.
            if (c.connectionLost() || (c.status() == Status.IO_ERROR && !c.remote())) {
                return UNAVAILABLE;
            }
            return of(c.status());
        }
        if (t instanceof CairnException c) {
            return of(c.status());
        }
        if (t instanceof IllegalArgumentException) {
            return USAGE;
        }
        if (t instanceof IOException) {
            return LOCAL_IO;
        }
        return INTERNAL;
    }
}
