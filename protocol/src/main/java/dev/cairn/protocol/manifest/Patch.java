package dev.cairn.protocol.manifest;

import java.util.Objects;

/**
 * A byte-range edit of one file entry of a parent checkpoint, for a delta put through the store
 * or the client: the bytes at {@code [offset, offset + data.length)} become {@code data}.
 * {@code offset} may be at most the entry's current size, so a patch can also extend an entry at
 * its end. Patches of one entry must not overlap.
 *
 * @param entry the entry's name ({@code ""} for a single-stream checkpoint)
 */
public record Patch(String entry, long offset, byte[] data) {
    public Patch {
        Objects.requireNonNull(entry, "entry");
        Objects.requireNonNull(data, "data");
        if (offset < 0) {
            throw new IllegalArgumentException("negative patch offset " + offset);
        }
    }

    public long end() {
        return offset + data.length;
    }
}
