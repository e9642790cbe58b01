package dev.cairn.protocol.manifest;

import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a put says about the checkpoint besides its bytes; the same options for the embedded store
 * and the client.
 *
 * @param meta      the immutable metadata (series, createdAt, step, metrics, computeSeconds,
 *                  derivedFrom): part of the checkpoint's identity
 * @param tags      initial tags (mutable labels afterwards)
 * @param parent    delta parent chosen by the writer, or null
 * @param autoDelta with no explicit parent, let the store try a delta against the newest live
 *                  checkpoint of the series
 */
public record PutOptions(CheckpointMeta meta, Set<String> tags, ManifestId parent, boolean autoDelta) {

    public PutOptions {
        Objects.requireNonNull(meta, "meta");
        TreeSet<String> t = new TreeSet<>(tags);
        t.forEach(CheckpointMeta::validateTag);
        tags = Collections.unmodifiableSet(t);
    }

    /** No tags, no explicit parent, automatic delta on (the store's default). */
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
