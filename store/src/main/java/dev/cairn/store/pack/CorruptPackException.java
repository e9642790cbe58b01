package dev.cairn.store.pack;

import java.io.IOException;

/**
 * Bytes of a pack file do not match what Cairn wrote: a checksum, magic, length or id check failed,
 * or the file ends inside a structure. The message names the pack, the byte offset of the damaged
 * structure, and what was expected versus what was found.
 */
public class CorruptPackException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient PackId pack;
    private final long offset;

    public CorruptPackException(PackId pack, long offset, String detail) {
        this(pack, offset, detail, null);
    }

    public CorruptPackException(PackId pack, long offset, String detail, Throwable cause) {
        super("pack " + pack + ", offset " + offset + ": " + detail, cause);
        this.pack = pack;
        this.offset = offset;
    }

    /** A field that differs from its expected value: "{what}: expected {expected}, actual {actual}". */
    public static CorruptPackException mismatch(PackId pack, long offset, String what, Object expected, Object actual) {
        return new CorruptPackException(pack, offset, what + ": expected " + expected + ", actual " + actual);
    }

    /** The damaged pack. */
    public PackId pack() {
        return pack;
    }

    /** Offset in the pack file of the structure that failed its check. */
    public long offset() {
        return offset;
    }
}
