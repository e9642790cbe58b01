package dev.cairn.store.pack;

import java.io.IOException;

/**
 * A pack's header is intact but declares a format version (or a required feature flag) this build
 * does not know: the store was written by a newer Cairn. Not corruption: upgrading fixes it.
 */
public final class UnsupportedPackVersionException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient PackId pack;
    private final int version;

    public UnsupportedPackVersionException(PackId pack, int version, int flags, String detail) {
        super("pack " + pack + " was written by a newer Cairn (" + detail + "; format version " + version
                + ", flags 0x" + Integer.toHexString(flags) + "; this build reads version "
                + PackCodec.FORMAT_VERSION + " without flags): upgrade Cairn to read this store");
        this.pack = pack;
        this.version = version;
    }

    public PackId pack() {
        return pack;
    }

    /** The format version found in the header. */
    public int version() {
        return version;
    }
}
