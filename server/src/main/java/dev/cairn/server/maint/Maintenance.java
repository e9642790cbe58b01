package dev.cairn.server.maint;

import dev.cairn.gc.AuditLog;
import dev.cairn.gc.GarbageCollector;
import dev.cairn.gc.GcCancel;
import dev.cairn.gc.GcOptions;
import dev.cairn.gc.GcReport;
import dev.cairn.gc.Labeler;
import dev.cairn.gc.TrimReport;
import dev.cairn.gc.TrimRequest;
import dev.cairn.gc.Trimmer;
import dev.cairn.gc.policy.PolicyException;
import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.gc.policy.PolicySet;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.server.metrics.MaintenanceMetrics;
import dev.cairn.server.tenant.Tenant;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;

/**
 * Runs the engines of the gc module on one tenant's store: the same clock, policies and GC options
 * for every caller, metrics recorded once, and the tenant named in the engines' own log lines
 * (one INFO line per applied trim and per GC, written by the engines). Thread-safe: the engines
 * serialise what must be serialised (the manifest mutex, one GC per store).
 */
public final class Maintenance {
    /** Recorded as the source of the daemon's own policies. */
    public static final String CONFIG_SOURCE = "cairn.yaml";
    /** Recorded as the source of a policy a client sent without naming it. */
    public static final String CLIENT_SOURCE = "client";

    private final Clock clock;
    private final DaemonConfig.Policies policies;
    private final GcOptions gcOptions;
    private final MaintenanceMetrics metrics;

    /**
     * The policies a trim or simulation uses.
     *
     * @param source as recorded in the audit log
     * @param text   the document, for the audit log
     */
    public record Policies(PolicySet set, String source, String text) {
    }

    public Maintenance(Clock clock, DaemonConfig.Policies policies, GcOptions gcOptions, MaintenanceMetrics metrics) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.policies = policies;
        this.gcOptions = Objects.requireNonNull(gcOptions, "gcOptions");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /**
     * The policies to apply: {@code text} parsed if given, else the daemon's own.
     *
     * @throws CairnException {@link Status#LIMIT_EXCEEDED} for a text over
     *                        {@link PolicyParser#MAX_POLICY_BYTES} or with an over-long line (refused
     *                        before parsing), {@link Status#INVALID_POLICY} with the parser's message
     *                        (every problem, with line and column), or when there is no policy at all
     */
    public Policies resolve(String text, String source) throws CairnException {
        if (text != null) {
            try {
                // parse checks the size and line limits first, so an oversized text is never parsed.
                return new Policies(PolicyParser.parse(text), source == null ? CLIENT_SOURCE : source, text);
            } catch (PolicyException e) {
                throw new CairnException(e.limitExceeded() ? Status.LIMIT_EXCEEDED : Status.INVALID_POLICY,
                        e.getMessage(), e);
            }
        }
        if (policies == null) {
            throw new CairnException(Status.INVALID_POLICY, "no retention policy: the request carries none and"
                    + " cairn.yaml has no 'policies:' section; pass a policy file (cairn trim --policy FILE) or"
                    + " configure 'policies:' in the daemon's cairn.yaml");
        }
        return new Policies(policies.set(), CONFIG_SOURCE, policies.yaml());
    }

    /** Trims (or dry-runs) the tenant's store. */
    public TrimReport trim(Tenant t, TrimRequest req) throws CairnException {
        TrimReport r = new Trimmer(t.repo(), clock, logContext(t)).trim(req);
        if (r.applied()) {
            metrics.trimApplied(t.name(), r);
        }
        return r;
    }

    /**
     * Collects garbage in the tenant's store.
     *
     * @throws CairnException {@link Status#CONFLICT} if a GC of this store is already running,
     *                        {@link Status#CANCELLED} if {@code cancel} stopped it
     */
    public GcReport gc(Tenant t, boolean dryRun, GcCancel cancel) throws IOException {
        return gc(t, dryRun, false, cancel);
    }

    /**
     * Collects garbage in the tenant's store; with {@code force} also what nothing accounts for
     * (docs/GC.md, "What GC may free").
     */
    public GcReport gc(Tenant t, boolean dryRun, boolean force, GcCancel cancel) throws IOException {
        GcReport r;
        try {
            r = new GarbageCollector(t.repo(), clock, gcOptions, logContext(t)).run(dryRun, force, cancel);
        } catch (CairnException e) {
            if (e.status() != Status.CONFLICT && !dryRun) {
                metrics.gcEnded(t.name(), e.status() == Status.CANCELLED ? MaintenanceMetrics.Outcome.CANCELLED
                        : MaintenanceMetrics.Outcome.FAILED);
            }
            throw e;
        } catch (IOException | RuntimeException e) {
            if (!dryRun) {
                metrics.gcEnded(t.name(), MaintenanceMetrics.Outcome.FAILED);
            }
            throw e;
        }
        metrics.gcCompleted(t.name(), r, clock.millis());
        return r;
    }

    /** Holds, tags and the trash of the tenant's store, with the daemon's clock. */
    public Labeler labeler(Tenant t) {
        return new Labeler(t.repo(), clock);
    }

    /** Audit records of the tenant's applied trims, newest first. */
    public List<AuditLog.Entry> trimLog(Tenant t, int limit) throws CairnException {
        return new Trimmer(t.repo(), clock).log(limit);
    }

    private static String logContext(Tenant t) {
        return "tenant " + t.name();
    }
}
