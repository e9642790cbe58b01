package dev.cairn.server.net;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.chunk.CorruptChunkException;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestHeader;
import dev.cairn.protocol.wire.Limits;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.Abort;
import dev.cairn.protocol.wire.Message.BeginPut;
import dev.cairn.protocol.wire.Message.Commit;
import dev.cairn.protocol.wire.Message.EndEntry;
import dev.cairn.protocol.wire.Message.Entry;
import dev.cairn.protocol.wire.Message.ErrorReply;
import dev.cairn.protocol.wire.Message.Have;
import dev.cairn.protocol.wire.Message.ListCheckpoints;
import dev.cairn.protocol.wire.Message.PatchData;
import dev.cairn.protocol.wire.Message.Read;
import dev.cairn.protocol.wire.Message.Refs;
import dev.cairn.protocol.wire.Message.Resolve;
import dev.cairn.protocol.wire.Message.SessionRequest;
import dev.cairn.protocol.wire.Message.Show;
import dev.cairn.protocol.wire.Message.Stats;
import dev.cairn.protocol.wire.Message.Upload;
import dev.cairn.protocol.wire.Message.Verify;
import dev.cairn.protocol.wire.Message.WireChunk;
import dev.cairn.protocol.wire.MessageCodec;
import dev.cairn.s3.S3Stores;
import dev.cairn.server.tenant.Tenant;
import dev.cairn.protocol.manifest.Patch;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.store.PutResult;
import dev.cairn.store.PutSession;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreStats;
import dev.cairn.store.VerifyReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * What each request does to the tenant's store. Plain code run on the worker pool; it answers
 * through the {@link Connection}. Session requests run through their session's
 * {@link SerialQueue}; an UPLOAD's decode-and-hash check runs before its turn, in parallel with
 * other work, and only the append waits for the session's order.
 */
final class Operations {
    private static final Logger log = LoggerFactory.getLogger(Operations.class);
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    /** VERIFY_OK lists findings up to this many encoded bytes (the count says how many there were). */
    private static final int MAX_REPORT_BYTES = 8 << 20;

    private final ServerContext ctx;
    private final Connection conn;
    private final RawPutOps raw;

    Operations(ServerContext ctx, Connection conn) {
        this.ctx = ctx;
        this.conn = conn;
        this.raw = new RawPutOps(ctx, conn, this);
    }

    /**
     * Starts request {@code id} (event loop). Returns a stream for the caller to register and
     * start, or null when the request was handed off or answered.
     */
    ResponseStream dispatch(int id, Message.Request req) {
        if (RawPutOps.handles(req)) {
            raw.dispatch(id, req);
            return null;
        }
        if (req instanceof SessionRequest r) {
            session(id, r);
            return null;
        }
        if (req instanceof Read r) {
            return new Streams.ReadStream(conn, id, r, ctx.metrics);
        }
        if (req instanceof Show s) {
            return Streams.show(conn, id, s);
        }
        if (req instanceof ListCheckpoints l) {
            return Streams.list(conn, id, l);
        }
        ResponseStream maintenance = MaintenanceOps.stream(ctx, conn, id, req);
        if (maintenance != null) {
            return maintenance;
        }
        conn.execute(() -> {
            try {
                Message result = simple(id, req);
                if (result != null) {
                    conn.complete(id, result);
                }
            } catch (Throwable t) {
                conn.fail(id, t, name(req));
            }
        });
        return null;
    }

    private static String name(Message m) {
        return dev.cairn.protocol.wire.Opcode.name(m.opcode());
    }

    private Message simple(int id, Message.Request req) throws Exception {
        Tenant t = conn.tenant();
        Repository repo = t.repo();
        if (req instanceof Have h) {
            return have(repo, h);
        }
        if (req instanceof BeginPut b) {
            return beginPut(t, b);
        }
        if (req instanceof Stats) {
            StoreStats s = repo.stats();
            return new Message.StatsOk(s.checkpoints(), s.trashed(), s.series(), s.logicalBytes(), s.chunks(),
                    s.chunkBytes(), s.storedBytes(), s.packs(), Math.max(0, s.metadataBytes()));
        }
        if (req instanceof Resolve r) {
            return new Message.ResolveOk(repo.resolve(r.text()));
        }
        if (req instanceof Verify v) {
            verify(id, t, v);
            return null;
        }
        Message m = MaintenanceOps.simple(ctx, t, req);
        if (m != null) {
            return m;
        }
        throw new CairnException(Status.UNKNOWN_OPCODE, name(req) + " is not handled by this daemon");
    }

    // ================================================================ queries

    private Message have(Repository repo, Have h) throws CairnException {
        int max = ctx.limits.wire().maxHaveIds();
        if (h.ids().size() > max) {
            throw new CairnException(Status.LIMIT_EXCEEDED, "HAVE asks about " + h.ids().size() + " ids; the limit is "
                    + max + " per request");
        }
        boolean[] have = repo.chunks().contains(h.ids());
        BitSet missing = new BitSet(have.length);
        int present = 0;
        for (int i = 0; i < have.length; i++) {
            if (have[i]) {
                present++;
            } else {
                missing.set(i);
            }
        }
        ctx.metrics.haveIds.add(have.length);
        ctx.metrics.dedupHits.add(present);
        return new Message.HaveOk(have.length, missing);
    }

    private void verify(int id, Tenant t, Verify v) throws Exception {
        if (!t.tryStartVerify()) {
            throw new CairnException(Status.BUSY, "a verify of this store is already running; wait for it");
        }
        // Heartbeats from the event loop, so a long verify does not look like an idle connection.
        Heartbeat heartbeat = new Heartbeat(conn, id, ctx.limits.heartbeatInterval());
        heartbeat.start();
        try {
            VerifyReport r = t.repo().verify(v.readData());
            heartbeat.stop();
            conn.complete(id, verifyOk(r));
        } finally {
            heartbeat.stop();
            t.verifyDone();
        }
    }

    private static Message.VerifyOk verifyOk(VerifyReport r) {
        List<Message.Problem> problems = new ArrayList<>();
        int bytes = 0;
        for (VerifyReport.Problem p : r.problems()) {
            Message.Problem w = new Message.Problem(cut(p.kind()), cut(p.subject()), cut(p.message()));
            bytes += MessageCodec.sizeOf(w);
            if (bytes > MAX_REPORT_BYTES) {
                break;
            }
            problems.add(w);
        }
        List<Message.Damaged> damaged = new ArrayList<>();
        int dbytes = 0;
        for (Map.Entry<dev.cairn.protocol.manifest.ManifestId, List<String>> e : r.damaged().entrySet()) {
            for (String s : e.getValue()) {
                dbytes += 2 + s.length() * 3;
            }
            dbytes += 36;
            if (dbytes > MAX_REPORT_BYTES / 2) {
                break;
            }
            damaged.add(new Message.Damaged(e.getKey(), e.getValue().stream().map(Operations::cut).toList()));
        }
        return new Message.VerifyOk(r.manifests(), r.chunks(), r.bytesRead(), r.packs(), r.readData(),
                r.problems().size(), problems, damaged);
    }

    /** Report strings are u16-length on the wire; findings are short, but never trust that. */
    private static String cut(String s) {
        return s.length() <= 1000 ? s : s.substring(0, 997) + "...";
    }

    // ================================================================ put path

    private Message beginPut(Tenant t, BeginPut b) throws Exception {
        int max = ctx.limits.wire().maxSessions();
        if (!t.tryOpenSession(max)) {
            throw new CairnException(Status.BUSY, "tenant " + t.name() + " has " + max
                    + " open put sessions, the limit; retry when one ends");
        }
        PutSession ps = null;
        try {
            S3Stores.checkWritable(t.repo()); // another store writes to its prefix: no puts
            PutOptions o = new PutOptions(b.meta(), new TreeSet<>(b.tags()), b.parent(), b.autoDelta());
            ps = t.repo().begin(o);
            ManifestHeader parentHeader = b.mode() == BeginPut.MODE_PATCHES
                    ? t.repo().manifests().get(ps.parent()).header() : null;
            ServerSession s = new ServerSession(conn.newSessionId(), b.mode(), t, ps, parentHeader, ctx.pool);
            ctx.metrics.openSessions.incrementAndGet();
            conn.sessions.put(s.id, s);
            if (conn.isClosed()) {
                // The connection went away meanwhile; its close handler may have missed this session.
                endSession(s, true);
            }
            return new Message.BeginPutOk(s.id, ps.parent());
        } catch (Exception | Error e) {
            if (ps != null) {
                ps.abort();
            }
            t.sessionClosed();
            throw e;
        }
    }

    private void session(int id, SessionRequest r) {
        ServerSession s = conn.sessions.get(r.session());
        if (s == null || s.ended()) {
            conn.fail(id, Status.NOT_FOUND, "no open put session " + Integer.toUnsignedString(r.session())
                    + " on this connection");
            return;
        }
        if (r instanceof Upload u) {
            CompletableFuture<EncodedChunk[]> verified;
            try {
                verified = CompletableFuture.supplyAsync(() -> {
                    try {
                        return verifyUpload(s, u);
                    } catch (CairnException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }, ctx.pool);
            } catch (RejectedExecutionException e) {
                conn.fail(id, Status.SHUTTING_DOWN, "the daemon is shutting down");
                return;
            }
            s.queue.submit(() -> verified.handle((stored, err) -> {
                if (err != null) {
                    sessionFailed(id, s, r, err);
                } else {
                    onTurn(id, s, r, () -> applyUpload(s, u, stored));
                }
                return null;
            }));
            return;
        }
        s.queue.submit(() -> {
            onTurn(id, s, r, () -> sessionRequest(s, r));
            return DONE;
        });
    }

    interface Step {
        Message run() throws Exception;
    }

    /** Runs a session request on its turn and answers it. */
    void onTurn(int id, ServerSession s, SessionRequest r, Step step) {
        if (conn.isClosed()) {
            conn.fail(id, Status.CANCELLED, "connection closed"); // nobody reads it; frees the slot
            return;
        }
        if (s.ended()) {
            conn.fail(id, Status.NOT_FOUND, "put session " + Integer.toUnsignedString(s.id) + " has ended");
            return;
        }
        try {
            conn.complete(id, step.run());
        } catch (Throwable t) {
            sessionFailed(id, s, r, t);
        }
    }

    void sessionFailed(int id, ServerSession s, SessionRequest r, Throwable t) {
        ErrorReply e = Errors.toReply(t, name(r) + " in session " + Integer.toUnsignedString(s.id));
        if (Errors.endsSession(e.status()) || (s.isDelta() && r instanceof Commit)) {
            endSession(s, true);
        }
        ctx.metrics.error(e.status());
        conn.complete(id, e);
    }

    private Message sessionRequest(ServerSession s, SessionRequest r) throws Exception {
        if (r instanceof Entry e) {
            return entry(s, e);
        }
        if (r instanceof Refs refs) {
            return refs(s, refs);
        }
        if (r instanceof EndEntry) {
            if (s.entry == null) {
                throw new CairnException(Status.BAD_REQUEST, "END_ENTRY without an open file entry");
            }
            EntryHeader h = s.entry.finish();
            s.entry = null;
            return new Message.EndEntryOk(h);
        }
        if (r instanceof PatchData p) {
            return patch(s, p);
        }
        if (r instanceof Commit) {
            return commit(s);
        }
        if (r instanceof Abort) {
            endSession(s, true);
            return new Message.AbortOk();
        }
        throw new CairnException(Status.UNKNOWN_OPCODE, name(r) + " is not a session request this daemon handles");
    }

    /** Decodes and re-hashes every chunk of an UPLOAD; returns what to store for each. Any thread. */
    private EncodedChunk[] verifyUpload(ServerSession s, Upload u) throws CairnException {
        if (s.isDelta()) {
            throw new CairnException(Status.BAD_REQUEST, "UPLOAD in a delta (mode 1) session: send PATCHes");
        }
        if (s.isRaw()) {
            throw new CairnException(Status.BAD_REQUEST, "UPLOAD in a raw session: send RAW_DATA");
        }
        int max = ctx.limits.wire().maxUploadChunks();
        if (u.chunks().size() > max) {
            throw new CairnException(Status.LIMIT_EXCEEDED, "UPLOAD carries " + u.chunks().size()
                    + " chunks; the limit is " + max);
        }
        ChunkerParams params = s.tenant.repo().config().chunker();
        List<ChunkId> bad = new ArrayList<>();
        String firstProblem = null;
        EncodedChunk[] out = new EncodedChunk[u.chunks().size()];
        for (int i = 0; i < out.length; i++) {
            WireChunk c = u.chunks().get(i);
            EncodedChunk e = c.payload();
            if (e.rawLength() > params.maxSize()) {
                throw new CairnException(Status.BAD_REQUEST, "chunk " + c.id().shortHex() + " has " + e.rawLength()
                        + " bytes, more than the store's maximum chunk size " + params.maxSize());
            }
            String problem = null;
            if (e.codec() == ChunkCodec.RAW) {
                if (e.length() != e.rawLength()) {
                    problem = "raw payload of " + e.length() + " bytes, rawLength " + e.rawLength();
                } else if (!ChunkId.of(e.data(), e.offset(), e.length()).equals(c.id())) {
                    problem = "bytes hash to a different id";
                } else {
                    out[i] = e;
                }
            } else {
                try {
                    byte[] raw = ChunkCodec.shared().decode(e);
                    if (!ChunkId.of(raw, 0, raw.length).equals(c.id())) {
                        problem = "bytes hash to a different id";
                    } else if (e.length() >= raw.length) {
                        // Compression that does not pay is stored raw: reads then skip the decode.
                        out[i] = new EncodedChunk(ChunkCodec.RAW, raw.length, raw, 0, raw.length);
                    } else {
                        out[i] = e;
                    }
                } catch (CorruptChunkException | IllegalArgumentException x) {
                    problem = "payload does not decode: " + x.getMessage();
                }
            }
            if (problem != null) {
                bad.add(c.id());
                if (firstProblem == null) {
                    firstProblem = problem;
                }
            }
        }
        if (!bad.isEmpty()) {
            throw new ChunkMismatchException(bad, firstProblem);
        }
        return out;
    }

    private Message applyUpload(ServerSession s, Upload u, EncodedChunk[] payloads) throws Exception {
        List<ChunkId> ids = new ArrayList<>(payloads.length);
        for (WireChunk c : u.chunks()) {
            ids.add(c.id());
        }
        // The store's admission declares the ids to GC before it looks them up: until the REFS
        // that use them arrive, GC treats uploaded chunks as live.
        int stored = s.put.admit(ids).storeMissing(i -> payloads[i]);
        int present = payloads.length - stored;
        ctx.metrics.chunksStored.add(stored);
        ctx.metrics.chunksAlreadyPresent.add(present);
        ctx.metrics.uploadPayloadBytes.add(u.payloadBytes());
        return new Message.UploadOk(stored, present);
    }

    private Message entry(ServerSession s, Entry e) throws Exception {
        if (s.isDelta()) {
            throw new CairnException(Status.BAD_REQUEST, "ENTRY in a delta (mode 1) session: send PATCHes");
        }
        if (s.isRaw()) {
            throw new CairnException(Status.BAD_REQUEST, "ENTRY in a raw session: send RAW_ENTRY");
        }
        if (s.entry != null) {
            throw new CairnException(Status.BAD_REQUEST, "ENTRY '" + e.name() + "' while entry '" + s.entryName
                    + "' is open: send END_ENTRY first");
        }
        try {
            if (e.kind() == EntryKind.DIRECTORY) {
                s.put.directory(e.name());
            } else {
                s.entry = s.put.entry(e.name());
                s.entryName = e.name();
                s.entryChunks = 0;
                s.entryBytes = 0;
            }
        } catch (IllegalArgumentException | IllegalStateException x) {
            throw new CairnException(Status.BAD_REQUEST, x.getMessage());
        }
        return new Message.EntryOk();
    }

    private Message refs(ServerSession s, Refs r) throws Exception {
        if (s.entry == null) {
            throw new CairnException(Status.BAD_REQUEST, "REFS without an open file entry: send ENTRY first");
        }
        int max = ctx.limits.wire().maxRefs();
        if (r.refs().size() > max) {
            throw new CairnException(Status.LIMIT_EXCEEDED, "REFS carries " + r.refs().size()
                    + " refs; the limit is " + max);
        }
        s.entry.addChecked(r.refs());
        s.entryChunks += r.refs().size();
        for (var ref : r.refs()) {
            s.entryBytes += ref.length();
        }
        return new Message.RefsOk(s.entryChunks, s.entryBytes);
    }

    private Message patch(ServerSession s, PatchData p) throws CairnException {
        if (!s.isDelta()) {
            throw new CairnException(Status.BAD_REQUEST, "PATCH in a mode-0 session; open it with BEGIN_PUT mode 1");
        }
        int i = s.parentHeader.indexOf(p.entry());
        if (i < 0 || s.parentHeader.entries().get(i).kind() != EntryKind.FILE) {
            throw new CairnException(Status.BAD_REQUEST, "PATCH names entry '" + p.entry()
                    + "', which is not a file of the parent");
        }
        long size = s.parentHeader.entries().get(i).size();
        if (p.offset() > size) {
            throw new CairnException(Status.BAD_REQUEST, "PATCH at offset " + p.offset() + " is past the end ("
                    + size + ") of entry '" + p.entry() + "'");
        }
        Limits l = ctx.limits.wire();
        if (s.patchBytes + p.data().length > l.maxPatchBytes()) {
            throw new CairnException(Status.LIMIT_EXCEEDED, "patches would exceed " + l.maxPatchBytes()
                    + " bytes in this session; put the whole checkpoint instead");
        }
        s.patches.add(new Patch(p.entry(), p.offset(), p.data()));
        s.patchBytes += p.data().length;
        return new Message.PatchOk(s.patchBytes);
    }

    private Message commit(ServerSession s) throws Exception {
        if (s.isDelta()) {
            s.put.applyPatches(s.patches);
            s.patches.clear();
        } else if (s.entry != null || (s.isRaw() && s.raw.entryOpen())) {
            throw new CairnException(Status.BAD_REQUEST, "COMMIT while an entry is open: send "
                    + (s.isRaw() ? "RAW_END_ENTRY" : "END_ENTRY") + " first");
        }
        S3Stores.checkWritable(s.tenant.repo()); // a commit without new data touches no pack
        PutResult r = s.isRaw() ? s.raw.commit() : s.put.commit();
        endSession(s, false);
        long nanos = System.nanoTime() - s.startNanos;
        ctx.metrics.putLatency.record(nanos);
        ctx.metrics.commits.increment();
        log.info("commit {} tenant={} series={} kind={} logical={} new={} stored={} chunks={}{} in {} ms",
                r.id().shortHex(), s.tenant.name(), s.put.options().meta().series(), r.kind(), r.logicalBytes(),
                r.newBytes(), r.storedBytes(), r.chunks(), r.existed() ? " (existed)" : "",
                TimeUnit.NANOSECONDS.toMillis(nanos));
        return new Message.CommitOk(r.id(), r.kind(), r.logicalBytes(), r.newBytes(), r.storedBytes(), r.chunks(),
                r.newChunks(), r.parent(), r.existed());
    }

    /** Queues the abort of a session whose connection closed (behind its running request). */
    void abortOnClose(ServerSession s) {
        s.queue.submit(() -> {
            endSession(s, true);
            return DONE;
        });
    }

    /** Ends a session once: aborts it in the store if asked, frees its slot. */
    void endSession(ServerSession s, boolean abort) {
        if (!s.end()) {
            return;
        }
        try {
            if (abort && s.isRaw()) {
                s.raw.abort();
            } else if (abort) {
                s.put.abort();
            }
        } catch (RuntimeException e) {
            log.warn("aborting put session {} failed", s.id, e);
        } finally {
            conn.sessions.remove(s.id, s);
            s.tenant.sessionClosed();
            ctx.metrics.openSessions.decrementAndGet();
        }
    }
}
