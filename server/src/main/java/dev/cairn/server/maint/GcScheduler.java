package dev.cairn.server.maint;

import dev.cairn.gc.GcCancel;
import dev.cairn.gc.TrimReport;
import dev.cairn.gc.TrimRequest;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.server.tenant.Tenant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs {@code gc.schedule}: every {@code every}, for each tenant in turn, a trim with the daemon's
 * policies (if {@code trim: true}; requested by "scheduler", never forced: the max_remove brake
 * holds and is logged) and then a GC. One thread, so rounds never overlap; a round that overruns
 * delays the next. A tenant whose store is already being collected (a client's GC) is skipped for
 * the round. The schedule only says when: GC safety never depends on it (docs/GC.md).
 *
 * <p>{@link #stop} cancels a running GC through its {@link GcCancel} (it stops at its next batch,
 * leaving a consistent store) and waits for the round to end.
 */
public final class GcScheduler {
    private static final Logger log = LoggerFactory.getLogger(GcScheduler.class);
    /** The audit log's "requested by" of scheduled trims. */
    public static final String REQUESTED_BY = "scheduler";

    private final DaemonConfig.Schedule schedule;
    private final Maintenance maint;
    private final List<Tenant> tenants;
    private final ScheduledExecutorService exec;
    private final AtomicLong rounds = new AtomicLong();
    private volatile boolean stopping;
    private volatile GcCancel running;

    private GcScheduler(DaemonConfig.Schedule schedule, Maintenance maint, List<Tenant> tenants) {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.maint = maint;
        this.tenants = List.copyOf(tenants);
        this.exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairnd-gc-scheduler");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the schedule. */
    public static GcScheduler start(DaemonConfig.Schedule schedule, Maintenance maint, List<Tenant> tenants) {
        GcScheduler s = new GcScheduler(schedule, maint, tenants);
        s.exec.scheduleAtFixedRate(s::round, schedule.initialDelay().toMillis(), schedule.every().toMillis(),
                TimeUnit.MILLISECONDS);
        log.info("scheduled maintenance every {} (first in {}): {}GC of {} tenant(s)", schedule.every(),
                schedule.initialDelay(), schedule.trim() ? "trim, then " : "", s.tenants.size());
        return s;
    }

    /** True once {@link #stop} was called. */
    public boolean stopping() {
        return stopping;
    }

    /** Rounds completed so far. */
    public long rounds() {
        return rounds.get();
    }

    /** One round over every tenant. Never throws: an exception would end the schedule. */
    private void round() {
        for (Tenant t : tenants) {
            if (stopping) {
                return;
            }
            try {
                tenant(t);
            } catch (Throwable e) {
                log.error("scheduled maintenance of tenant {} failed", t.name(), e);
            }
        }
        rounds.incrementAndGet();
    }

    private void tenant(Tenant t) throws Exception {
        if (t.repo().maintenanceLock().isLocked()) {
            log.info("scheduled maintenance of tenant {} skipped: a GC of its store is already running", t.name());
            return;
        }
        if (schedule.trim()) {
            Maintenance.Policies p = maint.resolve(null, null);
            TrimReport r = maint.trim(t, new TrimRequest(p.set(), p.source(), p.text(), null, false, false,
                    REQUESTED_BY));
            for (TrimReport.SeriesReport s : r.series()) {
                if (s.blocked() != null) {
                    log.warn("tenant {}: scheduled trim of series '{}' blocked: {}", t.name(), s.series(), s.blocked());
                }
            }
        }
        GcCancel cancel = new GcCancel();
        running = cancel;
        try {
            if (stopping) {
                return;
            }
            maint.gc(t, false, cancel);
        } catch (CairnException e) {
            if (e.status() == Status.CONFLICT) {
                log.info("scheduled GC of tenant {} skipped: {}", t.name(), e.getMessage());
            } else if (e.status() == Status.CANCELLED) {
                log.info("scheduled GC of tenant {} cancelled (shutting down)", t.name());
            } else {
                throw e;
            }
        } finally {
            running = null;
        }
    }

    /**
     * Stops the schedule: no new rounds, a running GC cancelled, the running round awaited.
     *
     * @return true if the round ended within {@code grace} (the stores may be closed)
     */
    public boolean stop(Duration grace) {
        stopping = true;
        GcCancel c = running;
        if (c != null) {
            c.cancel();
        }
        exec.shutdown();
        try {
            // A GC that started between the read above and the flag is cancelled here.
            long deadline = System.nanoTime() + grace.toNanos();
            while (!exec.awaitTermination(50, TimeUnit.MILLISECONDS)) {
                c = running;
                if (c != null) {
                    c.cancel();
                }
                if (System.nanoTime() > deadline) {
                    log.warn("scheduled maintenance still running after {}", grace);
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
