package dev.cairn.store.pack;

import java.io.IOException;
import java.nio.file.Path;

/** The pack does not exist (never created, or deleted by the sweeper). */
public final class PackNotFoundException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient PackId pack;

    public PackNotFoundException(PackId pack, Path path, Throwable cause) {
        this(pack, String.valueOf(path), cause);
    }

    /** {@code where}: where the pack was looked for, e.g. an object-store URL. */
    public PackNotFoundException(PackId pack, String where, Throwable cause) {
        super("pack " + pack + " not found at " + where, cause);
        this.pack = pack;
    }

    public PackId pack() {
        return pack;
    }
}
