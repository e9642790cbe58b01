package dev.cairn.store;

import dev.cairn.protocol.manifest.ManifestId;

/**
 * The outcome of a committed put.
 *
 * @param kind         "full" or "delta"
 * @param logicalBytes size of the checkpoint's data
 * @param newBytes     raw bytes of the chunks this put added to the store
 * @param storedBytes  bytes those chunks take in packs (after compression)
 * @param chunks       chunks referenced
 * @param newChunks    chunks this put added
 * @param parent       the delta parent, or null
 * @param existed      true if an identical checkpoint was already stored (nothing new committed)
 */
public record PutResult(ManifestId id, String kind, long logicalBytes, long newBytes, long storedBytes, long chunks,
                        long newChunks, ManifestId parent, boolean existed) {
}
