package dev.cairn.server.net;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.CorruptChunkException;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Opcode;
import dev.cairn.protocol.wire.RawPut;
import dev.cairn.server.tenant.Tenant;
import dev.cairn.store.CheckpointWriter;
import io.netty.channel.unix.FileDescriptor;

import java.io.InputStream;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;

/**
 * The raw-stream put family and the descriptor requests of the local socket
 * (docs/PROTOCOL.md, "Raw-stream puts", "The local socket"). The bytes go into the store's
 * {@link CheckpointWriter}, whose ingest cuts, hashes, deduplicates and declares every chunk to
 * GC before looking it up: the same put path as an embedded put, no copy of its safety step here.
 *
 * <p>Session requests run through the session's queue like every other session request. A
 * failed RAW_DATA, RAW_FD or RAW_END_ENTRY ends the session: bytes already handed to the ingest
 * cannot be taken back, so nothing of such a session can be committed.
 */
final class RawPutOps {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final ServerContext ctx;
    private final Connection conn;
    private final Operations ops;

    RawPutOps(ServerContext ctx, Connection conn, Operations ops) {
        this.ctx = ctx;
        this.conn = conn;
        this.ops = ops;
    }

    static boolean handles(Message.Request req) {
        return req instanceof RawPut.Request || req instanceof RawPut.SessionRequest;
    }

    /** Starts request {@code id} (event loop); every path answers it exactly once. */
    void dispatch(int id, Message.Request req) {
        if (req instanceof RawPut.Begin b) {
            conn.execute(() -> {
                try {
                    conn.complete(id, begin(conn.tenant(), b));
                } catch (Throwable t) {
                    conn.fail(id, t, "RAW_BEGIN");
                }
            });
            return;
        }
        if (req instanceof RawPut.ReadFd r) {
            if (!conn.isLocal()) {
                conn.fail(id, Status.BAD_REQUEST, "READ_FD needs the local socket (descriptor passing); over TCP use READ");
                return;
            }
            conn.expectFd(id, fd -> runWithFd(fd, () -> readFd(id, r, fd), id));
            return;
        }
        RawPut.SessionRequest r = (RawPut.SessionRequest) req;
        ServerSession s = conn.sessions.get(r.session());
        if (s == null || s.ended()) {
            conn.fail(id, Status.NOT_FOUND, "no open put session " + Integer.toUnsignedString(r.session())
                    + " on this connection");
            return;
        }
        if (!s.isRaw()) {
            conn.fail(id, Status.BAD_REQUEST, Opcode.name(req.opcode()) + " in a session opened with BEGIN_PUT;"
                    + " raw requests need a session opened with RAW_BEGIN");
            return;
        }
        if (r instanceof RawPut.Fd) {
            if (!conn.isLocal()) {
                conn.fail(id, Status.BAD_REQUEST, "RAW_FD needs the local socket (descriptor passing); over TCP send RAW_DATA");
                return;
            }
            BooleanSupplier cancelled = () -> conn.isClosed() || s.ended();
            conn.expectFd(id, fd -> {
                try {
                    s.queue.submit(() -> {
                        try {
                            return CompletableFuture.runAsync(() -> {
                                // A long read must not look like an idle request to the client.
                                Heartbeat hb = new Heartbeat(conn, id, ctx.limits.heartbeatInterval());
                                hb.start();
                                try {
                                    ops.onTurn(id, s, r, endsOnFailure(s, () -> {
                                        try {
                                            return new RawPut.FdOk(LocalFd.readInto(fd, s.raw, cancelled));
                                        } finally {
                                            hb.stop(); // before the answer is queued
                                        }
                                    }));
                                } finally {
                                    hb.stop();
                                    LocalFd.closeQuietly(fd);
                                }
                            }, LocalFd.POOL);
                        } catch (RejectedExecutionException e) {
                            LocalFd.closeQuietly(fd);
                            ops.endSession(s, true);
                            conn.fail(id, Status.BUSY, LocalFd.BUSY);
                            return DONE;
                        }
                    });
                } catch (RuntimeException e) {
                    LocalFd.closeQuietly(fd);
                    throw e;
                }
            });
            return;
        }
        s.queue.submit(() -> {
            ops.onTurn(id, s, r, step(s, r));
            return DONE;
        });
    }

    private Message begin(Tenant t, RawPut.Begin b) throws Exception {
        int max = ctx.limits.wire().maxSessions();
        if (!t.tryOpenSession(max)) {
            throw new CairnException(Status.BUSY, "tenant " + t.name() + " has " + max
                    + " open put sessions, the limit; retry when one ends");
        }
        CheckpointWriter w = null;
        try {
            dev.cairn.s3.S3Stores.checkWritable(t.repo()); // another store writes to its prefix: no puts
            PutOptions o = new PutOptions(b.meta(), new TreeSet<>(b.tags()), b.parent(), b.autoDelta());
            w = t.repo().newCheckpoint(o);
            ServerSession s = new ServerSession(conn.newSessionId(), t, w, ctx.pool);
            ctx.metrics.openSessions.incrementAndGet();
            conn.sessions.put(s.id, s);
            if (conn.isClosed()) {
                ops.endSession(s, true);
            }
            return new RawPut.BeginOk(s.id, w.session().parent());
        } catch (Exception | Error e) {
            if (w != null) {
                w.abort();
            }
            t.sessionClosed();
            throw e;
        }
    }

    private Operations.Step step(ServerSession s, RawPut.SessionRequest r) {
        if (r instanceof RawPut.EntryStart e) {
            return () -> {
                if (e.kind() == EntryKind.DIRECTORY) {
                    s.raw.directory(e.name());
                } else {
                    s.raw.entry(e.name());
                }
                return new RawPut.EntryOk();
            };
        }
        if (r instanceof RawPut.Data d) {
            return endsOnFailure(s, () -> data(s, d));
        }
        RawPut.EndEntry e = (RawPut.EndEntry) r;
        return endsOnFailure(s, () -> {
            if (!s.raw.entryOpen()) {
                throw new CairnException(Status.BAD_REQUEST, "RAW_END_ENTRY without an open file entry");
            }
            long got = s.raw.entryBytes();
            if (e.size() != null && e.size() != got) {
                throw new CairnException(Status.BAD_REQUEST, "the entry has " + e.size() + " bytes by the client's"
                        + " count but the daemon received " + got + ": the stream was cut short or ran long;"
                        + " the session is aborted and nothing is committed");
            }
            return new RawPut.EndEntryOk(s.raw.endEntry());
        });
    }

    private Message data(ServerSession s, RawPut.Data d) throws Exception {
        if (!s.raw.entryOpen()) {
            throw new CairnException(Status.BAD_REQUEST, "RAW_DATA without an open file entry: send RAW_ENTRY first");
        }
        EncodedChunk p = d.payload();
        if (p.codec() == ChunkCodec.RAW) {
            s.raw.write(p.data(), p.offset(), p.length());
        } else {
            byte[] raw;
            try {
                raw = ChunkCodec.shared().decode(p);
            } catch (CorruptChunkException | IllegalArgumentException x) {
                throw new CairnException(Status.BAD_REQUEST, "RAW_DATA payload does not decode to " + p.rawLength()
                        + " bytes: " + x.getMessage());
            }
            s.raw.write(raw, 0, raw.length);
        }
        ctx.metrics.uploadPayloadBytes.add(p.length());
        return new RawPut.DataOk(s.raw.entryBytes());
    }

    /** A failure after bytes reached the ingest ends the session (see the class comment). */
    private Operations.Step endsOnFailure(ServerSession s, Operations.Step step) {
        return () -> {
            try {
                return step.run();
            } catch (Exception | Error e) {
                ops.endSession(s, true);
                throw e;
            }
        };
    }

    private void readFd(int id, RawPut.ReadFd r, FileDescriptor fd) {
        Heartbeat hb = new Heartbeat(conn, id, ctx.limits.heartbeatInterval());
        hb.start();
        try {
            LocalFd.checkOutput(fd);
            Tenant t = conn.tenant();
            try (InputStream in = t.repo().open(r.id(), r.entry())) {
                long n = LocalFd.writeFrom(in, fd, conn::isClosed);
                hb.stop();
                conn.complete(id, new RawPut.ReadFdOk(n));
            }
        } catch (Throwable e) {
            hb.stop();
            conn.fail(id, e, "READ_FD");
        } finally {
            hb.stop();
        }
    }

    /** Runs {@code work} on the descriptor pool; the descriptor is closed afterwards in every case. */
    private void runWithFd(FileDescriptor fd, Runnable work, int id) {
        try {
            LocalFd.POOL.execute(() -> {
                try {
                    work.run();
                } finally {
                    LocalFd.closeQuietly(fd);
                }
            });
        } catch (RejectedExecutionException e) {
            LocalFd.closeQuietly(fd);
            conn.fail(id, Status.BUSY, LocalFd.BUSY);
        }
    }
}
