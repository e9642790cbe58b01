package dev.cairn.gc.policy;

import dev.cairn.protocol.manifest.ManifestId;

import java.util.Objects;

/**
 * A surviving delta manifest whose parent the plan removes: it must be rewritten, in the same atomic
 * step as the removal, to depend on {@code newParent} (its nearest surviving ancestor along the
 * parent chain), or be materialised as a full manifest when {@code newParent} is {@code null}.
 * Its manifest id does not change (ids cover the resolved chunk lists, not the encoding).
 */
public record Rebase(ManifestId id, String series, ManifestId oldParent, ManifestId newParent) {

    public Rebase {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(series, "series");
        Objects.requireNonNull(oldParent, "oldParent");
    }

    public boolean materialise() {
        return newParent == null;
    }
}
