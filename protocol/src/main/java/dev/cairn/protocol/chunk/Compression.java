package dev.cairn.protocol.chunk;

import java.util.Locale;

/**
 * How a writer encodes new chunks. A store announces its choice to clients (HELLO_OK); every
 * reader decodes every codec, so the setting can change at any time without rewriting anything.
 */
public enum Compression {
    /**
     * LZ4 where it saves at least 1/32 of the bytes, else raw. LZ4 fails fast on incompressible
     * data (weights) and decodes at memory speed: the default.
     */
    FAST,
    /**
     * zstd (level 1) where it saves at least 1/32, else raw. zstd's entropy coder also shrinks
     * float weights (~7%) and text ~10% more than LZ4, at roughly a third of LZ4's encode speed.
     */
    COMPACT;

    /** Parses "fast" or "compact" (case-insensitive). */
    public static Compression parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("compression must be 'fast' (LZ4) or 'compact' (zstd), got '" + s + "'");
        }
    }

    /** The wire value (HELLO_OK limit key {@code compression}). */
    public int code() {
        return ordinal();
    }

    /** The mode for a wire value; unknown values read as {@link #FAST}. */
    public static Compression ofCode(long code) {
        return code == 1 ? COMPACT : FAST;
    }
}
