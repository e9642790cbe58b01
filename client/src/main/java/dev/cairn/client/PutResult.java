package dev.cairn.client;

import dev.cairn.protocol.manifest.ManifestId;

/**
 * The outcome of a committed put: what the daemon reported, plus what this client sent.
 *
 * @param kind           "full" or "delta" (the store's choice)
 * @param logicalBytes   size of the checkpoint's data
 * @param newBytes       raw bytes of the chunks this put added to the store
 * @param storedBytes    bytes those chunks take in packs (after compression)
 * @param chunks         chunks referenced
 * @param newChunks      chunks this put added
 * @param parent         the delta parent, or null
 * @param existed        true if an identical checkpoint was already stored
 * @param uploadedChunks chunks this client sent in UPLOAD (0 when the store had everything)
 * @param uploadedBytes  chunk payload bytes this client sent (compressed where LZ4 paid)
 */
public record PutResult(ManifestId id, String kind, long logicalBytes, long newBytes, long storedBytes, long chunks,
                        long newChunks, ManifestId parent, boolean existed, long uploadedChunks, long uploadedBytes) {
}
