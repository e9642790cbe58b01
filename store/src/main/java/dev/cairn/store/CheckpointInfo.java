package dev.cairn.store;

import dev.cairn.protocol.manifest.ManifestHeader;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.StoredManifest;

/**
 * What {@code ls} and {@code show} report about one checkpoint: identity and metadata, storage
 * form, and labels.
 *
 * @param kind   "full" or "delta"
 * @param parent delta parent, or null
 * @param depth  delta chain depth (0 for full)
 */
public record CheckpointInfo(ManifestId id, ManifestHeader header, String kind, ManifestId parent, int depth,
                             Labels labels) {

    static CheckpointInfo of(StoredManifest m, Labels labels) {
        return new CheckpointInfo(m.id(), m.header(), m.kind(), m.parent(), m.depth(), labels);
    }

    public String series() {
        return header.meta().series();
    }

    public long logicalBytes() {
        return header.logicalBytes();
    }
}
