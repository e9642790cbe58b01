package dev.cairn.store;

import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a put says about the checkpoint besides its bytes.
 *
 * @param tags      initial tags (mutable labels afterwards)
 * @param parent    delta parent chosen by the writer, or null
 * @param autoDelta with no explicit parent, let the store try a delta against the newest live
 *                  checkpoint of the series
 */
public record PutOptions(CheckpointMeta meta, Set<String> tags, ManifestId parent, boolean autoDelta) {

    public PutOptions {
        tags = new TreeSet<>(tags);
        tags.forEach(CheckpointMeta::validateTag);
        tags = java.util.Collections.unmodifiableSet(tags);
    }

    public static PutOptions of(CheckpointMeta meta) {
        return new PutOptions(meta, Set.of(), null, true);
    }

    public PutOptions withTags(Collection<String> t) {
        return new PutOptions(meta, new TreeSet<>(t), parent, autoDelta);
    }

    public PutOptions withParent(ManifestId p) {
        return new PutOptions(meta, tags, p, autoDelta);
    }

    public PutOptions withAutoDelta(boolean on) {
        return new PutOptions(meta, tags, parent, on);
    }
}
