package dev.cairn.gc;

import dev.cairn.gc.policy.CheckpointFacts;
import dev.cairn.gc.policy.Hold;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.Repository;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.StoredManifest;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the facts the pure retention engine decides on from the store: metadata from the
 * manifest, delta parent from its storage form, tags, holds, damage and put size from its labels.
 */
public final class FactsReader {
    private FactsReader() {
    }

    /** Facts of every live checkpoint of every series. */
    public static List<CheckpointFacts> live(Repository repo) throws CairnException {
        List<CheckpointFacts> out = new ArrayList<>();
        for (String s : repo.manifests().seriesNames()) {
            for (ManifestId id : repo.manifests().list(s)) {
                out.add(facts(repo, id));
            }
        }
        return out;
    }

    /** Facts of every checkpoint of one series still in the store, live or in the trash, oldest first. */
    public static List<CheckpointFacts> history(Repository repo, String series) throws CairnException {
        List<CheckpointFacts> out = new ArrayList<>();
        for (ManifestId id : repo.manifests().allIds()) {
            StoredManifest m = repo.manifests().find(id);
            if (m != null && m.header().meta().series().equals(series)) {
                out.add(facts(m, repo.labels(id)));
            }
        }
        out.sort(java.util.Comparator.comparing(CheckpointFacts::createdAt).thenComparing(CheckpointFacts::id));
        return out;
    }

    public static CheckpointFacts facts(Repository repo, ManifestId id) throws CairnException {
        return facts(repo.manifests().get(id), repo.labels(id));
    }

    static CheckpointFacts facts(StoredManifest m, Labels labels) {
        CheckpointMeta meta = m.header().meta();
        List<Hold> holds = new ArrayList<>();
        for (Labels.Hold h : labels.holds()) {
            holds.add(new Hold(h.owner(), h.reason(), h.expiresAt()));
        }
        return new CheckpointFacts(m.id(), meta.series(), meta.createdAt(), meta.step(), meta.metrics(), labels.tags(),
                holds, m.parent(), meta.derivedFrom().orElse(null), meta.computeSeconds(), labels.restorable(),
                labels.newBytes());
    }
}
