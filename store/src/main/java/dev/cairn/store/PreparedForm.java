package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.store.manifest.ManifestStore;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.MetaDb;

/**
 * A new storage form of an existing manifest (a rebase or materialisation), with its segments
 * already written but not yet referenced. Committing it replaces the old form in the caller's
 * batch, so the switch is atomic with whatever else the batch does (e.g. trashing the old parent).
 */
public final class PreparedForm {
    private final StoredManifest form;
    private final FormBuilder builder;

    PreparedForm(StoredManifest form, FormBuilder builder) {
        this.form = form;
        this.builder = builder;
    }

    /** The new form (same id and header as the old one). */
    public StoredManifest form() {
        return form;
    }

    /**
     * Adds "replace {@code old} by this form" to {@code b}, and the deletion of unused segments.
     * Call {@link #release()} after the batch is written.
     */
    public void commitInto(MetaDb.Batch b, ManifestStore manifests, StoredManifest old) throws CairnException {
        manifests.replaceStorage(b, old, form);
        builder.dropUnused(b, form);
    }

    /** Adds the deletion of everything this preparation wrote to {@code b}; then {@link #release()}. */
    public void discardInto(MetaDb.Batch b) throws CairnException {
        builder.dropAll(b);
    }

    /** Ends GC's protection of this preparation's segments (after the commit or discard batch). */
    public void release() {
        builder.release();
    }
}
