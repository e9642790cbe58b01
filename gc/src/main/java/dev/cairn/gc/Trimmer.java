package dev.cairn.gc;

import dev.cairn.gc.policy.CheckpointFacts;
import dev.cairn.gc.policy.Rebase;
import dev.cairn.gc.policy.RetentionEngine;
import dev.cairn.gc.policy.RetentionPlan;
import dev.cairn.gc.policy.SeriesGlob;
import dev.cairn.gc.policy.SeriesPlan;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.PreparedForm;
import dev.cairn.store.Repository;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.MetaDb;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Applies retention: reads the facts, lets the pure {@link RetentionEngine} decide, computes what
 * each removal frees, and applies the plan — removed checkpoints to the trash, surviving deltas of
 * removed parents rebased — in atomic batches of bounded size, each group holding a set of
 * removals together with the rebases of their children, so the store is consistent after every
 * batch. The first batch also writes the audit record.
 *
 * <p>Concurrency: the plan is computed without locks and applied under the repository's manifest
 * mutex only if no manifest or label changed meanwhile ({@link Repository#metadataGeneration()});
 * otherwise it is recomputed. After {@link #OPTIMISTIC_ATTEMPTS} misses the plan is computed under
 * the mutex. Concurrent trims therefore serialise, and a trim never acts on a stale view.
 */
public final class Trimmer {
    private static final Logger log = LoggerFactory.getLogger(Trimmer.class);
    static final int OPTIMISTIC_ATTEMPTS = 3;
    /** Removals per atomic batch. */
    static final int GROUP = 1000;

    private final Repository repo;
    private final Clock clock;
    private final String logPrefix;

    public Trimmer(Repository repo, Clock clock) {
        this(repo, clock, "");
    }

    /**
     * @param logContext names the store in the log line of each applied trim (e.g. "tenant team-a"),
     *                   for a process that holds several stores; "" for none
     */
    public Trimmer(Repository repo, Clock clock, String logContext) {
        this.repo = repo;
        this.clock = clock;
        this.logPrefix = logContext.isEmpty() ? "" : logContext + ": ";
    }

    public TrimReport trim(TrimRequest req) throws CairnException {
        Predicate<String> filter = req.series() == null ? s -> true : SeriesGlob.compile(req.series())::matches;
        for (int attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
            long gen = repo.metadataGeneration();
            Computed c = compute(req, filter);
            if (req.dryRun() || c.plan.removals().isEmpty() && c.plan.rebases().isEmpty()) {
                return c.report(null, false);
            }
            synchronized (repo.manifestMutex()) {
                if (repo.metadataGeneration() == gen) {
                    return apply(req, c);
                }
            }
            log.debug("trim: the store changed while planning (attempt {}); planning again", attempt);
        }
        synchronized (repo.manifestMutex()) {
            return apply(req, compute(req, filter));
        }
    }

    private record Computed(RetentionPlan plan, Map<ManifestId, Long> freed, Map<ManifestId, CheckpointFacts> facts,
                            String requestedBy, boolean dryRun) {

        TrimReport report(String auditId, boolean applied) {
            List<TrimReport.SeriesReport> series = new ArrayList<>();
            long total = 0;
            for (SeriesPlan sp : plan.series()) {
                List<TrimReport.Removed> removed = new ArrayList<>();
                for (ManifestId id : sp.removed()) {
                    long f = freed.getOrDefault(id, 0L);
                    total += f;
                    removed.add(new TrimReport.Removed(id.toHex(), facts.get(id).createdAt(), f));
                }
                series.add(new TrimReport.SeriesReport(sp.series(), sp.policy().series().text(), sp.kept(), removed,
                        sp.blocked().orElse(null), plan.now().plus(sp.policy().grace().toDuration())));
            }
            return TrimReport.of(plan, auditId, dryRun, applied, requestedBy, series, total);
        }
    }

    private Computed compute(TrimRequest req, Predicate<String> filter) throws CairnException {
        List<CheckpointFacts> facts = FactsReader.live(repo);
        Instant now = clock.instant();
        RetentionPlan plan = RetentionEngine.plan(facts, req.policies(), filter, now, req.force());
        Map<ManifestId, CheckpointFacts> byId = new HashMap<>();
        List<ManifestId> live = new ArrayList<>();
        for (CheckpointFacts f : facts) {
            byId.put(f.id(), f);
            live.add(f.id());
        }
        Map<ManifestId, Long> freed = FreedBytes.compute(repo, live, plan.removals());
        return new Computed(plan, freed, byId, req.requestedBy(), req.dryRun());
    }

    private TrimReport apply(TrimRequest req, Computed c) throws CairnException {
        RetentionPlan plan = c.plan;
        Instant now = plan.now();
        // A trim writes a little metadata (catalog, RocksDB log) before the GC after it frees
        // anything: on a full disk it gets the reserve's room, as GC does; the next GC re-creates
        // the reserve (docs/GC.md, "A full disk").
        repo.reserve().releaseIfLow();
        // Prepare every rebase first, while the chains they read are intact.
        Map<ManifestId, List<Rebase>> rebasesByOldParent = new HashMap<>();
        Map<ManifestId, PreparedForm> prepared = new LinkedHashMap<>();
        try {
            for (Rebase r : plan.rebases()) {
                StoredManifest m = repo.manifests().get(r.id());
                StoredManifest target = r.materialise() ? null : repo.manifests().get(r.newParent());
                prepared.put(r.id(), repo.prepareRebase(m, target));
                rebasesByOldParent.computeIfAbsent(r.oldParent(), k -> new ArrayList<>()).add(r);
            }
        } catch (CairnException e) {
            discard(prepared.values());
            throw e;
        }
        byte[] auditKey = AuditLog.newKey(now);
        String auditId = AuditLog.idOf(auditKey);
        TrimReport report = c.report(auditId, true);
        List<ManifestId> removals = new ArrayList<>();
        Map<ManifestId, Instant> expiry = new HashMap<>();
        for (SeriesPlan sp : plan.series()) {
            for (ManifestId id : sp.removed()) {
                removals.add(id);
                expiry.put(id, now.plus(sp.policy().grace().toDuration()));
            }
        }
        int done = 0;
        boolean first = true;
        while (first || done < removals.size()) {
            List<ManifestId> group = removals.subList(done, Math.min(removals.size(), done + GROUP));
            List<PreparedForm> committed = new ArrayList<>();
            try (MetaDb.Batch b = repo.db().batch()) {
                if (first) {
                    AuditLog.put(b, auditKey, new AuditLog.Entry(auditId, now, req.requestedBy(), req.policySource(),
                            req.policyText(), report));
                }
                for (ManifestId id : group) {
                    for (Rebase r : rebasesByOldParent.getOrDefault(id, List.of())) {
                        PreparedForm f = prepared.remove(r.id());
                        f.commitInto(b, repo.manifests(), repo.manifests().get(r.id()));
                        committed.add(f);
                    }
                    StoredManifest m = repo.manifests().get(id);
                    repo.manifests().trash(b, m, repo.labels(id), new Labels.Trash(now, expiry.get(id), auditId));
                }
                repo.db().write(b, true);
            } finally {
                committed.forEach(PreparedForm::release);
            }
            repo.bumpMetadataGeneration();
            done += group.size();
            first = false;
        }
        // Rebases whose old parent is not removed (keep_base never produces them; none expected).
        if (!prepared.isEmpty()) {
            try (MetaDb.Batch b = repo.db().batch()) {
                for (Map.Entry<ManifestId, PreparedForm> e : prepared.entrySet()) {
                    e.getValue().commitInto(b, repo.manifests(), repo.manifests().get(e.getKey()));
                }
                repo.db().write(b, true);
            } finally {
                prepared.values().forEach(PreparedForm::release);
            }
            repo.bumpMetadataGeneration();
        }
        log.info("{}trim {} by {}: removed {} checkpoints ({} bytes freed after the grace period), {} rebased{}",
                logPrefix, auditId, req.requestedBy(), removals.size(), report.freedBytes(), plan.rebases().size(),
                report.anyBlocked() ? ", max_remove brake held in some series" : "");
        return report;
    }

    private void discard(Iterable<PreparedForm> forms) {
        try (MetaDb.Batch b = repo.db().batch()) {
            for (PreparedForm f : forms) {
                f.discardInto(b);
            }
            repo.db().write(b, false);
        } catch (CairnException e) {
            log.warn("could not delete the segments of abandoned rebases (GC will): {}", e.getMessage());
        } finally {
            forms.forEach(PreparedForm::release);
        }
    }

    /** Audit records, newest first. */
    public List<AuditLog.Entry> log(int limit) throws CairnException {
        return AuditLog.list(repo.db(), limit);
    }

}
