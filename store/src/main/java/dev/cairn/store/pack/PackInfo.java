package dev.cairn.store.pack;

/** A pack as the backend sees it: id, size in bytes, and whether its footer is present. */
public record PackInfo(PackId id, long size, boolean sealed) {
}
