package dev.cairn.store.manifest;

import dev.cairn.protocol.manifest.ManifestHeader;
import dev.cairn.protocol.manifest.ManifestId;

import java.util.List;

/**
 * A manifest as the store keeps it: the canonical header (the identity) plus the storage form of
 * each entry's chunk list. Rebasing or materialising a delta replaces the storage form and keeps
 * the id. Immutable.
 *
 * @param headerBytes the canonical encoding of {@code header}; its SHA-256 is {@code id}
 * @param parent      the parent of a delta, null for a full manifest
 * @param depth       0 for a full manifest, parent's depth + 1 for a delta
 * @param storageId   16 bytes naming this storage form's segments
 * @param bodies      one per header entry, same order
 */
public record StoredManifest(ManifestId id, ManifestHeader header, byte[] headerBytes, ManifestId parent, int depth,
                             byte[] storageId, List<EntryBody> bodies) {

    public StoredManifest {
        if (bodies.size() != header.entries().size()) {
            throw new IllegalArgumentException("one body per entry: " + bodies.size() + " vs " + header.entries().size());
        }
        if ((parent == null) != (depth == 0)) {
            throw new IllegalArgumentException("a delta has a parent and depth > 0, a full has neither");
        }
        bodies = List.copyOf(bodies);
    }

    public boolean isDelta() {
        return parent != null;
    }

    /** "full" or "delta", as shown to users. */
    public String kind() {
        return isDelta() ? "delta" : "full";
    }

    /** Total delta ops over all entries (0 for a full manifest). */
    public int opCount() {
        int n = 0;
        for (EntryBody b : bodies) {
            if (b instanceof EntryBody.Delta d) {
                n += d.ops().size();
            }
        }
        return n;
    }
}
