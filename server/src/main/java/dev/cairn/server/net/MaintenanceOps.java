package dev.cairn.server.net;

import dev.cairn.gc.AuditLog;
import dev.cairn.gc.FactsReader;
import dev.cairn.gc.GcCancel;
import dev.cairn.gc.GcReport;
import dev.cairn.gc.TrashEntry;
import dev.cairn.gc.TrimReport;
import dev.cairn.gc.TrimRequest;
import dev.cairn.gc.policy.CheckpointFacts;
import dev.cairn.gc.policy.KeepReason;
import dev.cairn.gc.policy.KeptCheckpoint;
import dev.cairn.gc.policy.PolicySimulator;
import dev.cairn.gc.policy.Rebase;
import dev.cairn.gc.policy.RetentionPolicy;
import dev.cairn.gc.policy.SimulationResult;
import dev.cairn.gc.policy.SimulationSvg;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.AgeBandInfo;
import dev.cairn.protocol.wire.Message.Gc;
import dev.cairn.protocol.wire.Message.GcOk;
import dev.cairn.protocol.wire.Message.HoldAdd;
import dev.cairn.protocol.wire.Message.HoldAddOk;
import dev.cairn.protocol.wire.Message.HoldInfo;
import dev.cairn.protocol.wire.Message.HoldRemove;
import dev.cairn.protocol.wire.Message.HoldRemoveOk;
import dev.cairn.protocol.wire.Message.KeptInfo;
import dev.cairn.protocol.wire.Message.PhaseMillis;
import dev.cairn.protocol.wire.Message.PolicySimulate;
import dev.cairn.protocol.wire.Message.PolicySimulateOk;
import dev.cairn.protocol.wire.Message.Reason;
import dev.cairn.protocol.wire.Message.RebaseInfo;
import dev.cairn.protocol.wire.Message.RemovedInfo;
import dev.cairn.protocol.wire.Message.SimulationTimeline;
import dev.cairn.protocol.wire.Message.Tag;
import dev.cairn.protocol.wire.Message.TagOk;
import dev.cairn.protocol.wire.Message.TextPart;
import dev.cairn.protocol.wire.Message.TimelineEntry;
import dev.cairn.protocol.wire.Message.TrashEntryInfo;
import dev.cairn.protocol.wire.Message.TrashList;
import dev.cairn.protocol.wire.Message.TrashListOk;
import dev.cairn.protocol.wire.Message.TrashPage;
import dev.cairn.protocol.wire.Message.TrashRestore;
import dev.cairn.protocol.wire.Message.TrashRestoreOk;
import dev.cairn.protocol.wire.Message.Trim;
import dev.cairn.protocol.wire.Message.TrimLog;
import dev.cairn.protocol.wire.Message.TrimLogEntry;
import dev.cairn.protocol.wire.Message.TrimLogOk;
import dev.cairn.protocol.wire.Message.TrimOk;
import dev.cairn.protocol.wire.Message.TrimRebases;
import dev.cairn.protocol.wire.Message.TrimSeries;
import dev.cairn.protocol.wire.MessageCodec;
import dev.cairn.server.maint.Maintenance;
import dev.cairn.server.tenant.Tenant;
import dev.cairn.store.manifest.Labels;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.stream.IntStream;

/**
 * The maintenance requests — trim, trash, holds, tags, GC, policy simulation, trim log — against
 * the connection's tenant only. Thin: each parses nothing beyond the codec, calls the engine through
 * {@link Maintenance} on the worker pool, and maps the result to wire records. Reports go out as
 * parts of about {@link Streams#PART_BYTES}, produced only while the connection is writable; long
 * work sends heartbeats meanwhile.
 */
final class MaintenanceOps {
    /** Longest hold a client may ask for: beyond it, "until released" says what is meant. */
    static final long MAX_TTL_SECONDS = 100L * 366 * 86_400;
    /** Texts in report strings are u16-length on the wire; 16 000 characters always fit. */
    private static final int MAX_TEXT = 16_000;

    private MaintenanceOps() {
    }

    /** The stream answering {@code req}, or null if it is not a streamed maintenance request. */
    static ResponseStream stream(ServerContext ctx, Connection conn, int id, Message.Request req) {
        Duration hb = ctx.limits.heartbeatInterval();
        if (req instanceof Trim t) {
            return new TrimStream(ctx, conn, id, t, hb);
        }
        if (req instanceof Gc g) {
            return new GcStream(ctx, conn, id, g, hb);
        }
        if (req instanceof PolicySimulate p) {
            return new SimulateStream(ctx, conn, id, p, hb);
        }
        if (req instanceof TrashList) {
            return new ReportStream<List<TrashEntry>>(conn, id, null) {
                @Override
                protected List<TrashEntry> compute() throws CairnException {
                    return ctx.maint.labeler(conn.tenant()).trash();
                }

                @Override
                protected Iterator<Message> parts(List<TrashEntry> r) {
                    return pages(r.size(), i -> trashEntry(r.get(i)), MessageCodec::sizeOf, 0, TrashPage::new);
                }

                @Override
                protected Message finish(List<TrashEntry> r) {
                    return new TrashListOk(r.size());
                }
            };
        }
        if (req instanceof TrimLog l) {
            return new TrimLogStream(ctx, conn, id, l);
        }
        return null;
    }

    /** Answers the one-frame maintenance requests; null if {@code req} is none of them. */
    static Message simple(ServerContext ctx, Tenant t, Message.Request req) throws Exception {
        if (req instanceof TrashRestore r) {
            ctx.maint.labeler(t).restore(r.id());
            return new TrashRestoreOk(Streams.summary(t.repo().show(r.id())));
        }
        if (req instanceof HoldAdd h) {
            Duration ttl = null;
            if (h.ttlSeconds() != null) {
                if (h.ttlSeconds() < 1 || h.ttlSeconds() > MAX_TTL_SECONDS) {
                    throw new CairnException(Status.BAD_REQUEST, "a hold's ttl must be 1.." + MAX_TTL_SECONDS
                            + " seconds; leave it out to hold until released");
                }
                ttl = Duration.ofSeconds(h.ttlSeconds());
            }
            Labels.Hold hold = ctx.maint.labeler(t).addHold(h.id(), h.owner(), h.reason(), ttl);
            return new HoldAddOk(new HoldInfo(hold.owner(), hold.reason(), hold.createdAt(), hold.expiresAt()));
        }
        if (req instanceof HoldRemove h) {
            ctx.maint.labeler(t).removeHold(h.id(), h.owner());
            return new HoldRemoveOk();
        }
        if (req instanceof Tag tag) {
            Labels l = ctx.maint.labeler(t).retag(tag.id(), tag.add(), tag.remove());
            return new TagOk(new ArrayList<>(l.tags()));
        }
        return null;
    }

    // ================================================================ streams

    /**
     * A response computed in one piece on the pool (with heartbeats meanwhile, if asked), then sent
     * as parts and a final message.
     */
    abstract static class ReportStream<R> extends ResponseStream {
        private final Heartbeat heartbeat;
        private R result;
        private Iterator<Message> parts;

        ReportStream(Connection conn, int id, Duration heartbeatInterval) {
            super(conn, id);
            this.heartbeat = heartbeatInterval == null ? null : new Heartbeat(conn, id, heartbeatInterval);
        }

        /** The work; runs once, on the pool. */
        protected abstract R compute() throws Exception;

        protected abstract Iterator<Message> parts(R r);

        protected abstract Message finish(R r);

        @Override
        protected final Message nextPart() throws Exception {
            if (parts == null) {
                if (heartbeat != null) {
                    heartbeat.start();
                }
                try {
                    result = compute();
                } finally {
                    if (heartbeat != null) {
                        heartbeat.stop();
                    }
                }
                parts = parts(result);
            }
            return parts.hasNext() ? parts.next() : null;
        }

        @Override
        protected final Message finalMessage() {
            return finish(result);
        }

        @Override
        protected void onEnd() {
            if (heartbeat != null) {
                heartbeat.stop();
            }
        }
    }

    /** TRIM: the report as TRIM_SERIES and TRIM_REBASES parts, then TRIM_OK. */
    static final class TrimStream extends ReportStream<TrimReport> {
        private final ServerContext ctx;
        private final Trim req;
        private Maintenance.Policies policies;

        TrimStream(ServerContext ctx, Connection conn, int id, Trim req, Duration heartbeat) {
            super(conn, id, heartbeat);
            this.ctx = ctx;
            this.req = req;
        }

        /**
         * Once planned, a trim is applied to the end (in atomic batches); a CANCEL could only cut
         * its report and leave the client not knowing what was done, so it is ignored. Closing the
         * connection or a shutdown still stops the report (not the trim).
         */
        @Override
        void cancelByClient() {
        }

        @Override
        protected TrimReport compute() throws CairnException {
            policies = ctx.maint.resolve(req.policy(), req.policySource());
            return ctx.maint.trim(conn.tenant(), new TrimRequest(policies.set(), policies.source(), policies.text(),
                    req.series(), req.dryRun(), req.force(), conn.requestedBy()));
        }

        @Override
        protected Iterator<Message> parts(TrimReport r) {
            return concat(List.of(() -> new TrimSeriesParts(r.series()),
                    () -> pages(r.rebases().size(), i -> rebase(r.rebases().get(i)), MessageCodec::sizeOf, 0,
                            TrimRebases::new)));
        }

        @Override
        protected Message finish(TrimReport r) {
            long kept = 0;
            int blocked = 0;
            for (TrimReport.SeriesReport s : r.series()) {
                kept += s.keep().size();
                if (s.blocked() != null) {
                    blocked++;
                }
            }
            return new TrimOk(r.auditId(), r.at(), r.dryRun(), r.applied(), r.force(), r.requestedBy(),
                    policies.source(), r.series().size(), blocked, kept, r.removedCount(), r.rebases().size(),
                    r.freedBytes());
        }
    }

    /** GC: heartbeats, then GC_OK. Stopping the stream (CANCEL, close, shutdown) cancels the GC. */
    static final class GcStream extends ReportStream<GcReport> {
        private final ServerContext ctx;
        private final Gc req;
        private final GcCancel cancel = new GcCancel();

        GcStream(ServerContext ctx, Connection conn, int id, Gc req, Duration heartbeat) {
            super(conn, id, heartbeat);
            this.ctx = ctx;
            this.req = req;
        }

        @Override
        protected void onStopRequested(Status status) {
            cancel.cancel();
        }

        @Override
        protected GcReport compute() throws IOException {
            try {
                return ctx.maint.gc(conn.tenant(), req.dryRun(), req.force(), cancel);
            } catch (CairnException e) {
                Status why = stopStatus();
                if (e.status() == Status.CANCELLED && why != null && why != Status.CANCELLED) {
                    throw new CairnException(why, "GC stopped: the daemon is shutting down", e);
                }
                throw e;
            }
        }

        @Override
        protected Iterator<Message> parts(GcReport r) {
            return Collections.emptyIterator();
        }

        @Override
        protected Message finish(GcReport r) {
            List<PhaseMillis> phases = new ArrayList<>();
            r.phaseMillis().forEach((k, v) -> phases.add(new PhaseMillis(k, v)));
            return new GcOk(r.gcId(), r.dryRun(), r.epoch(), r.manifestsDeleted(), r.rebased(), r.chunksLive(),
                    r.chunksFreed(), r.bytesReclaimed(), r.packsDeleted(), r.packsRewritten(), r.bytesCopied(),
                    r.orphanSegments(), phases, r.totalMillis(), r.markSetBytes(), !req.withFlags() ? null
                    // A client that sent flags decodes the trailing fields; an older one does not.
                    : new Message.GcUnexplained(r.unexplainedChunks(), r.unexplainedBytes(), r.packsKept(), r.forced()));
        }
    }

    /** POLICY_SIMULATE: timeline pages, the SVG in text parts, then the summary. */
    static final class SimulateStream extends ReportStream<SimulationResult> {
        private final ServerContext ctx;
        private final PolicySimulate req;
        private byte[] svg;

        SimulateStream(ServerContext ctx, Connection conn, int id, PolicySimulate req, Duration heartbeat) {
            super(conn, id, heartbeat);
            this.ctx = ctx;
            this.req = req;
        }

        @Override
        protected SimulationResult compute() throws CairnException {
            Maintenance.Policies p = ctx.maint.resolve(req.policy(), null);
            RetentionPolicy policy = p.set().policyFor(req.series()).orElseThrow(() -> new CairnException(
                    Status.INVALID_POLICY, "no policy in " + p.source() + " governs the series '" + req.series()
                    + "'"));
            List<CheckpointFacts> history = FactsReader.history(conn.tenant().repo(), req.series());
            if (history.isEmpty()) {
                throw new CairnException(Status.NOT_FOUND, "series '" + req.series()
                        + "' has no checkpoints (live or in the trash)");
            }
            SimulationResult r = PolicySimulator.simulate(history, policy);
            if (req.svg()) {
                svg = SimulationSvg.render(r).getBytes(StandardCharsets.UTF_8);
            }
            return r;
        }

        @Override
        protected Iterator<Message> parts(SimulationResult r) {
            List<SimulationResult.Entry> t = r.timeline();
            return concat(List.of(
                    () -> pages(t.size(), i -> timelineEntry(t.get(i), r.storedBytes().get(i).bytes()),
                            MessageCodec::sizeOf, 0, SimulationTimeline::new),
                    () -> textParts(svg == null ? new byte[0] : svg)));
        }

        @Override
        protected Message finish(SimulationResult r) {
            List<AgeBandInfo> bands = new ArrayList<>();
            for (SimulationResult.AgeBand b : r.ageBands()) {
                bands.add(new AgeBandInfo(b.label(), b.from().toMillis(), b.to() == null ? null : b.to().toMillis(),
                        b.survivors(), b.largestGap().map(Duration::toMillis).orElse(null)));
            }
            List<SimulationResult.BytesPoint> bytes = r.storedBytes();
            return new PolicySimulateOk(r.series(), r.policy().series().text(), r.timeline().size(),
                    r.survivors().size(), r.stepsOverMaxRemove(), bands,
                    bytes.isEmpty() ? 0 : Math.max(0, bytes.get(bytes.size() - 1).bytes()),
                    svg == null ? 0 : svg.length);
        }
    }

    /** TRIM_LOG: per record an entry part and (if asked) its JSON in text parts. */
    static final class TrimLogStream extends ReportStream<List<AuditLog.Entry>> {
        private final ServerContext ctx;
        private final TrimLog req;

        TrimLogStream(ServerContext ctx, Connection conn, int id, TrimLog req) {
            super(conn, id, null);
            this.ctx = ctx;
            this.req = req;
        }

        @Override
        protected List<AuditLog.Entry> compute() throws CairnException {
            long limit = Integer.toUnsignedLong(req.limit());
            return ctx.maint.trimLog(conn.tenant(), limit == 0 ? Integer.MAX_VALUE : (int) Math.min(limit,
                    Integer.MAX_VALUE));
        }

        @Override
        protected Iterator<Message> parts(List<AuditLog.Entry> entries) {
            List<Supplier<Iterator<Message>>> all = new ArrayList<>();
            for (AuditLog.Entry e : entries) {
                all.add(() -> entryParts(e));
            }
            return concat(all);
        }

        private Iterator<Message> entryParts(AuditLog.Entry e) {
            byte[] json = new byte[0];
            if (req.reports()) {
                try {
                    json = AuditLog.json().writeValueAsBytes(e);
                } catch (IOException x) {
                    throw new IllegalStateException("cannot encode audit record " + e.id() + ": " + x.getMessage(), x);
                }
            }
            TrimReport r = e.report();
            long kept = r.series().stream().mapToLong(s -> s.keep().size()).sum();
            Message head = new TrimLogEntry(e.id(), e.at(), fit(e.requestedBy()), fit(e.policySource()),
                    r.series().size(), kept, r.removedCount(), r.rebases().size(), r.freedBytes(), json.length);
            byte[] text = json;
            return concat(List.of(() -> List.of(head).iterator(), () -> textParts(text)));
        }

        @Override
        protected Message finish(List<AuditLog.Entry> entries) {
            return new TrimLogOk(entries.size());
        }
    }

    // ================================================================ parts

    /** TRIM_SERIES parts: each series at least once, split where its lists exceed a part. */
    static final class TrimSeriesParts implements Iterator<Message> {
        private final List<TrimReport.SeriesReport> series;
        private int s;
        private int k;
        private int r;

        TrimSeriesParts(List<TrimReport.SeriesReport> series) {
            this.series = series;
        }

        @Override
        public boolean hasNext() {
            return s < series.size();
        }

        @Override
        public Message next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            TrimReport.SeriesReport sr = series.get(s);
            String blocked = sr.blocked() == null ? null : fit(sr.blocked());
            long bytes = MessageCodec.sizeOfTrimSeriesHeader(sr.series(), sr.policy(), blocked);
            List<KeptInfo> kept = new ArrayList<>();
            List<RemovedInfo> removed = new ArrayList<>();
            while (k < sr.keep().size()) {
                KeptInfo ki = kept(sr.keep().get(k));
                int size = MessageCodec.sizeOf(ki);
                if (!kept.isEmpty() && bytes + size > Streams.PART_BYTES) {
                    break;
                }
                kept.add(ki);
                bytes += size;
                k++;
            }
            if (k == sr.keep().size()) {
                while (r < sr.remove().size()) {
                    if (!(kept.isEmpty() && removed.isEmpty())
                            && bytes + MessageCodec.REMOVED_INFO_SIZE > Streams.PART_BYTES) {
                        break;
                    }
                    TrimReport.Removed x = sr.remove().get(r);
                    removed.add(new RemovedInfo(ManifestId.parse(x.id()), x.createdAt(), x.freedBytes()));
                    bytes += MessageCodec.REMOVED_INFO_SIZE;
                    r++;
                }
            }
            if (k == sr.keep().size() && r == sr.remove().size()) {
                s++;
                k = 0;
                r = 0;
            }
            return new TrimSeries(sr.series(), sr.policy(), blocked, sr.trashExpiresAt(), kept, removed);
        }
    }

    /**
     * Pages of items {@code 0..n-1}: each page as many items as fit {@link Streams#PART_BYTES}
     * (at least one), or one empty page if {@code n == 0} and {@code emptyPages > 0}.
     */
    static <T> Iterator<Message> pages(int n, IntFunction<T> item, ToIntFunction<T> size, int emptyPages,
                                       Function<List<T>, Message> page) {
        Pager<T> pager = new Pager<>(IntStream.range(0, n).mapToObj(item).iterator(), size);
        return new Iterator<>() {
            private int emitted;

            @Override
            public boolean hasNext() {
                return pager.hasMore() || (n == 0 && emitted < emptyPages);
            }

            @Override
            public Message next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                emitted++;
                return page.apply(pager.nextPage());
            }
        };
    }

    /** A long text as TEXT_PART frames of at most {@link Streams#PART_BYTES} bytes (none for an empty text). */
    static Iterator<Message> textParts(byte[] text) {
        int parts = (text.length + Streams.PART_BYTES - 1) / Streams.PART_BYTES;
        return pages(parts, i -> new TextPart(Arrays.copyOfRange(text, i * Streams.PART_BYTES,
                Math.min(text.length, (i + 1) * Streams.PART_BYTES))), t -> Streams.PART_BYTES, 0, l -> l.get(0));
    }

    /** The parts of several sources, one after the other; each source is opened when reached. */
    static Iterator<Message> concat(List<Supplier<Iterator<Message>>> sources) {
        return new Iterator<>() {
            private int i;
            private Iterator<Message> current = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext()) {
                    if (i == sources.size()) {
                        return false;
                    }
                    current = sources.get(i++).get();
                }
                return true;
            }

            @Override
            public Message next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
    }

    // ================================================================ mapping

    static List<Reason> reasons(List<KeepReason> rs) {
        List<Reason> out = new ArrayList<>(rs.size());
        for (KeepReason r : rs) {
            out.add(new Reason(r.kind().name().toLowerCase(Locale.ROOT), fit(r.text())));
        }
        return out;
    }

    static KeptInfo kept(KeptCheckpoint k) {
        return new KeptInfo(k.id(), reasons(k.reasons()));
    }

    static RebaseInfo rebase(Rebase r) {
        return new RebaseInfo(r.id(), r.series(), r.oldParent(), r.newParent());
    }

    static TrashEntryInfo trashEntry(TrashEntry e) {
        return new TrashEntryInfo(ManifestId.parse(e.id()), e.series(), e.createdAt(), e.logicalBytes(), e.trashedAt(),
                e.expiresAt(), fit(e.reason()));
    }

    static TimelineEntry timelineEntry(SimulationResult.Entry e, long storedBytes) {
        return new TimelineEntry(e.id(), e.createdAt(), e.removedAt(), reasons(e.reasons()), Math.max(0, storedBytes));
    }

    /** Report strings are u16-length on the wire: never more than {@link #MAX_TEXT} characters. */
    static String fit(String s) {
        return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT - 3) + "...";
    }
}
