package dev.cairn.store.pack;

/**
 * A file in the pack directory does not start with the pack magic: it is not a Cairn pack (or its
 * first bytes were destroyed). A {@link CorruptPackException} so that callers treating "unreadable
 * pack" uniformly need one catch.
 */
public final class NotAPackException extends CorruptPackException {
    private static final long serialVersionUID = 1L;

    public NotAPackException(PackId pack, String expectedMagic, String actualMagic) {
        super(pack, 0, "not a Cairn pack: magic expected " + expectedMagic + ", actual " + actualMagic);
    }
}
