package dev.cairn.server.net;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.wire.DecodeFailure;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.FrameBudget;
import dev.cairn.protocol.wire.FrameDecoder;
import dev.cairn.protocol.wire.Limits;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.ErrorReply;
import dev.cairn.protocol.wire.MessageCodec;
import dev.cairn.protocol.wire.Opcode;
import dev.cairn.protocol.wire.Wire;
import dev.cairn.server.tenant.Tenant;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The state of one client connection: its tenant after the handshake, its requests in flight,
 * its put sessions, and the flow control that stops reading from the socket when too much work
 * is queued. Network events arrive on the channel's event loop (through {@link RequestHandler});
 * store work runs on the worker pool and answers through {@link #complete}, {@link #fail} and
 * {@link #writePart}, which are safe from any thread.
 *
 * <p>It is also the {@link FrameBudget} of its frame decoder: a frame being received is reserved
 * in the tenant's and the global budget (before HELLO: in the handshake budget) from its length
 * field on, and a frame that does not fit stops the reading until a release makes room.
 *
 * <p>Connection slots: at most {@code max_unauthenticated_connections} connections before HELLO,
 * {@code max_connections_per_tenant} per tenant after, {@code max_connections} in all.
 *
 * <p>Fields marked "event loop" are touched only on the channel's event loop.
 */
final class Connection implements FrameBudget {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    private final ServerContext ctx;
    private final Channel ch;
    private final FrameDecoder frames;
    private final Operations ops;
    /** Over the Unix domain socket: descriptor passing allowed. */
    private final boolean local;
    /** "pid 123 uid 1000 gid 1000" of a local peer (SO_PEERCRED), for logs; "" over TCP. */
    private volatile String peer = "";
    /** Set once by the handshake (event loop), read by workers. */
    private volatile Tenant tenant;
    /** HELLO's client name, for the audit log of trims. */
    private volatile String clientName = "";
    private volatile int clientMaxFrame = Wire.MIN_MAX_FRAME;
    private volatile boolean closed;

    final Map<Integer, ServerSession> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger nextSessionId = new AtomicInteger();

    // event loop
    private final Map<Integer, InFlight> inFlight = new HashMap<>();
    private long inFlightBytes;
    private boolean readPaused;
    /** The frame decoder waits for budget room. */
    private boolean frameWaiting;
    /** An ERROR was sent and the connection closes once it is written: never read again. */
    private boolean closing;
    private ScheduledFuture<?> handshakeTimer;
    /** The request waiting for a passed descriptor, or null. */
    private FdWait fdWait;

    /** A RAW_FD or READ_FD that was told FD_READY and waits for the client's descriptor. */
    private record FdWait(int id, java.util.function.Consumer<io.netty.channel.unix.FileDescriptor> onFd,
                          ScheduledFuture<?> timer) {
    }
    /** Counted in {@link ServerContext#unauthenticated}. */
    private boolean countedUnauthenticated;
    /** The tenant's connection count this connection holds a slot in; null: none. */
    private AtomicInteger tenantSlot;
    /** The tenant's in-flight budget, once authenticated. */
    private GlobalBudget tenantBudget;
    /** Where the frame being received is reserved (second may be null); null: nothing reserved. */
    private GlobalBudget frameFirst;
    private GlobalBudget frameSecond;

    /** A request accepted and not yet answered. */
    private record InFlight(long weight, ResponseStream stream) {
    }

    Connection(ServerContext ctx, Channel ch, FrameDecoder frames) {
        this(ctx, ch, frames, false);
    }

    Connection(ServerContext ctx, Channel ch, FrameDecoder frames, boolean local) {
        this.ctx = ctx;
        this.ch = ch;
        this.frames = frames;
        this.local = local;
        this.ops = new Operations(ctx, this);
        frames.budget(this);
    }

    // ================================================================ events (event loop)

    void onActive() {
        ctx.connections.add(this);
        long open = ctx.metrics.connections.incrementAndGet();
        ctx.metrics.connectionsTotal.increment();
        if (local && ch instanceof io.netty.channel.epoll.EpollDomainSocketChannel d) {
            try {
                io.netty.channel.unix.PeerCredentials pc = d.peerCredentials();
                int[] gids = pc.gids();
                peer = "pid " + pc.pid() + " uid " + pc.uid() + (gids.length > 0 ? " gid " + gids[0] : "");
            } catch (java.io.IOException e) {
                peer = "unknown peer (" + e.getMessage() + ")";
            }
        }
        int waiting = ctx.unauthenticated.incrementAndGet();
        countedUnauthenticated = true;
        log.debug("connection from {} opened ({} open)", remote(), open);
        if (ctx.authenticated.get() >= ctx.limits.maxConnections()) {
            // No room for it after HELLO either: say so at once.
            refuse("max_connections", Status.BUSY, Wire.CONNECTION_ID, "-", tooMany());
            return;
        }
        if (waiting > ctx.limits.maxUnauthenticatedConnections()) {
            refuse("max_unauthenticated_connections", Status.BUSY, Wire.CONNECTION_ID, "-",
                    "too many connections waiting for HELLO (limits.max_unauthenticated_connections: "
                            + ctx.limits.maxUnauthenticatedConnections() + "); retry later");
            return;
        }
        if (ctx.shuttingDown) {
            fatal(Wire.CONNECTION_ID, Status.SHUTTING_DOWN, "the daemon is shutting down");
            return;
        }
        long ms = ctx.limits.handshakeTimeout().toMillis();
        handshakeTimer = ch.eventLoop().schedule(() -> {
            if (tenant == null && ch.isActive()) {
                ctx.metrics.refused("handshake_timeout");
                fatal(Wire.CONNECTION_ID, Status.TIMEOUT, "no HELLO within " + ms + " ms");
            }
        }, ms, TimeUnit.MILLISECONDS);
    }

    void onInactive() {
        closed = true;
        ctx.connections.remove(this);
        ctx.budget.forget(this);
        ctx.handshakeBudget.forget(this);
        if (tenantBudget != null) {
            tenantBudget.forget(this);
        }
        leaveUnauthenticated();
        if (tenantSlot != null) {
            tenantSlot.decrementAndGet();
            tenantSlot = null;
            ctx.authenticated.decrementAndGet();
        }
        long open = ctx.metrics.connections.decrementAndGet();
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        for (InFlight f : inFlight.values()) {
            if (f.stream() != null) {
                f.stream().stop(Status.CANCELLED, "connection closed");
            }
        }
        if (fdWait != null) {
            FdWait w = fdWait;
            fdWait = null;
            w.timer().cancel(false);
            complete(w.id(), new ErrorReply(Status.CANCELLED, "connection closed before the descriptor arrived"));
        }
        for (ServerSession s : sessions.values()) {
            ops.abortOnClose(s);
        }
        log.debug("connection from {} closed ({} open, {} sessions aborted)", remote(), open, sessions.size());
    }

    void onWritable() {
        if (ch.isWritable()) {
            for (InFlight f : inFlight.values()) {
                if (f.stream() != null) {
                    f.stream().onWritable();
                }
            }
        }
    }

    void onIdle() {
        int parked = 0;
        for (InFlight f : inFlight.values()) {
            if (f.stream() != null && f.stream().isParked()) {
                parked++;
            }
        }
        if (fdWait != null) {
            parked++; // a descriptor the client never sends
        }
        // Idle with nothing running, or with only streams the client stopped reading; not while
        // the daemon itself holds the reading back for budget room (the client is blocked on it).
        if (inFlight.size() == parked && !frameWaiting) {
            fatal(Wire.CONNECTION_ID, Status.TIMEOUT, "idle for " + ctx.limits.wire().idleTimeoutSeconds()
                    + " s" + (parked > 0 ? " with " + parked + " unread stream(s)" : ""));
        }
    }

    void onMessage(Object msg) {
        if (msg instanceof io.netty.channel.unix.FileDescriptor fd) {
            onDescriptor(fd);
            return;
        }
        if (fdWait != null) {
            // The client had to wait for FD_READY and send the descriptor before anything else.
            io.netty.util.ReferenceCountUtil.release(msg);
            fatal(Wire.CONNECTION_ID, Status.BAD_REQUEST, "a frame arrived where the descriptor for request "
                    + Integer.toUnsignedString(fdWait.id()) + " was expected");
            return;
        }
        try {
            if (msg instanceof DecodeFailure f) {
                if (!f.fatal() && !Opcode.isRequest(f.opcode())) {
                    // A response opcode from a client: not something this server handles, whatever its payload.
                    f = new DecodeFailure(f.requestId(), f.opcode(), Status.UNKNOWN_OPCODE,
                            Opcode.name(f.opcode()) + " is not a request", false);
                }
                if (f.fatal() || tenant == null) {
                    fatal(f.requestId(), f.status(), f.message());
                } else {
                    reject(f.requestId(), f.status(), f.message());
                }
                return;
            }
            Envelope e = (Envelope) msg;
            int id = e.requestId();
            if (!(e.message() instanceof Message.Request req)) {
                if (tenant == null) {
                    fatal(id, Status.UNKNOWN_OPCODE, Opcode.name(e.opcode()) + " is not a request");
                } else {
                    reject(id, Status.UNKNOWN_OPCODE, Opcode.name(e.opcode()) + " is not a request");
                }
                return;
            }
            if (id == Wire.CONNECTION_ID) {
                fatal(Wire.CONNECTION_ID, Status.BAD_REQUEST, "request id 0 is reserved for the server");
                return;
            }
            if (tenant == null) {
                if (req instanceof Message.Hello h) {
                    hello(id, h);
                } else {
                    fatal(id, Status.UNAUTHENTICATED, Opcode.name(e.opcode()) + " before HELLO: say HELLO first");
                }
                return;
            }
            if (req instanceof Message.Hello) {
                reject(id, Status.BAD_REQUEST, "HELLO was already answered on this connection");
            } else if (req instanceof Message.Ping p) {
                send(Envelope.of(id, new Message.Pong(p.nonce())));
            } else if (req instanceof Message.Cancel c) {
                InFlight f = inFlight.get(c.target());
                if (f != null && f.stream() != null) {
                    f.stream().cancelByClient();
                }
            } else if (inFlight.containsKey(id)) {
                fatal(Wire.CONNECTION_ID, Status.BAD_REQUEST, "request id " + Integer.toUnsignedString(id)
                        + " is already in flight");
            } else if (ctx.shuttingDown) {
                reject(id, Status.SHUTTING_DOWN, "the daemon is shutting down");
            } else {
                accept(id, req);
            }
        } catch (RuntimeException ex) {
            log.error("connection {}: unexpected error handling {}", remote(), msg, ex);
            fatal(Wire.CONNECTION_ID, Status.INTERNAL, "internal error: " + ex);
        }
    }

    /** A descriptor passed over the local socket (event loop). */
    private void onDescriptor(io.netty.channel.unix.FileDescriptor fd) {
        FdWait w = fdWait;
        io.netty.channel.unix.DomainSocketChannelConfig cfg = (io.netty.channel.unix.DomainSocketChannelConfig) ch.config();
        cfg.setReadMode(io.netty.channel.unix.DomainSocketReadMode.BYTES);
        // The descriptor read loop would go on taking the next frame's bytes as descriptors: stop it
        // here and restart reading (now bytes) once the loop has returned.
        cfg.setAutoRead(false);
        ch.eventLoop().execute(() -> {
            if (!readPaused && !closed) {
                ch.config().setAutoRead(true);
            }
        });
        if (w == null) {
            LocalFd.closeQuietly(fd);
            fatal(Wire.CONNECTION_ID, Status.BAD_REQUEST, "a file descriptor nobody asked for (send RAW_FD or READ_FD"
                    + " and wait for FD_READY)");
            return;
        }
        fdWait = null;
        w.timer().cancel(false);
        w.onFd().accept(fd);
    }

    /**
     * Asks the client for the descriptor of request {@code id} (event loop): switches the socket to
     * reading descriptors and sends FD_READY; {@code onFd} gets the descriptor and must close it.
     */
    void expectFd(int id, java.util.function.Consumer<io.netty.channel.unix.FileDescriptor> onFd) {
        if (fdWait != null) {
            // Unreachable while frames after a descriptor request are refused; answer it anyway.
            complete(id, new ErrorReply(Status.BAD_REQUEST, "a second descriptor request while one is waiting"));
            fatal(Wire.CONNECTION_ID, Status.BAD_REQUEST, "a second descriptor request while one is waiting");
            return;
        }
        long ms = ctx.limits.handshakeTimeout().toMillis();
        // Bytes sent instead of the descriptor are swallowed by the descriptor read (the kernel
        // hands them over without one), so a peer that breaks the rule is found by this timer.
        ScheduledFuture<?> timer = ch.eventLoop().schedule(() -> {
            if (fdWait != null && fdWait.id() == id && ch.isActive()) {
                fatal(Wire.CONNECTION_ID, Status.TIMEOUT, "no file descriptor within " + ms + " ms of FD_READY"
                        + " (send the descriptor at once, and nothing before it)");
            }
        }, ms, TimeUnit.MILLISECONDS);
        fdWait = new FdWait(id, onFd, timer);
        ((io.netty.channel.unix.DomainSocketChannelConfig) ch.config())
                .setReadMode(io.netty.channel.unix.DomainSocketReadMode.FILE_DESCRIPTORS);
        writePart(id, new dev.cairn.protocol.wire.RawPut.FdReady());
    }

    /** True over the Unix domain socket. */
    boolean isLocal() {
        return local;
    }

    private void hello(int id, Message.Hello h) {
        if (h.minVersion() > Wire.VERSION || h.maxVersion() < Wire.MIN_VERSION || h.minVersion() > h.maxVersion()) {
            fatal(id, Status.UNSUPPORTED_VERSION, "client speaks protocol " + h.minVersion() + ".." + h.maxVersion()
                    + ", this daemon " + Wire.MIN_VERSION + ".." + Wire.VERSION);
            return;
        }
        long maxFrame = Integer.toUnsignedLong(h.maxFrame());
        if (maxFrame < Wire.MIN_MAX_FRAME) {
            fatal(id, Status.BAD_REQUEST, "HELLO.maxFrame " + maxFrame + " is below the protocol minimum "
                    + Wire.MIN_MAX_FRAME);
            return;
        }
        Tenant t = ctx.tenants.authenticate(h.token());
        if (local) {
            log.info("local connection from {} (client '{}'): {}", peer, h.clientName(),
                    t == null ? "authentication failed" : "tenant " + t.name());
        }
        if (t == null) {
            log.info("authentication failed from {} (client '{}')", remote(), h.clientName());
            fatal(id, Status.UNAUTHENTICATED, h.token().isEmpty() ? "this daemon needs a token (--token or CAIRN_TOKEN)"
                    : "wrong token");
            return;
        }
        if (ctx.authenticated.incrementAndGet() > ctx.limits.maxConnections()) {
            ctx.authenticated.decrementAndGet();
            refuse("max_connections", Status.BUSY, id, t.name(), tooMany());
            return;
        }
        AtomicInteger slots = ctx.tenantConnections(t);
        int max = ctx.connectionsPerTenant;
        if (slots.incrementAndGet() > max) {
            slots.decrementAndGet();
            ctx.authenticated.decrementAndGet();
            refuse("max_connections_per_tenant", Status.BUSY, id, t.name(), "tenant " + t.name() + " has " + max
                    + " connections open, the limit (limits.max_connections_per_tenant); close one or retry later");
            return;
        }
        tenantSlot = slots;
        leaveUnauthenticated();
        tenantBudget = ctx.tenantBudget(t);
        clientName = h.clientName();
        tenant = t;
        clientMaxFrame = (int) Math.min(maxFrame, Integer.MAX_VALUE);
        Limits limits = ctx.limits.wire();
        frames.maxFrame(limits.maxFrame());
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        int version = Math.min(Wire.VERSION, h.maxVersion());
        log.debug("connection from {} authenticated: tenant {}, client '{}'", remote(), t.name(), h.clientName());
        var cfg = t.repo().config();
        send(Envelope.of(id, new Message.HelloOk(version, ctx.serverVersion, t.name(), cfg.storeId(), cfg.chunker(),
                limits.withCompression(t.repo().options().compression()))));
    }

    private void accept(int id, Message.Request req) {
        long weight = weight(req);
        ResponseStream stream;
        inFlight.put(id, new InFlight(weight, null));
        inFlightBytes += weight;
        ctx.budget.acquire(weight);
        tenantBudget.acquire(weight);
        ctx.activeRequests.incrementAndGet();
        Limits l = ctx.limits.wire();
        if (!readPaused && (inFlight.size() >= l.maxInFlight() || inFlightBytes >= ctx.limits.maxInFlightBytes()
                || ctx.budget.exhausted() || tenantBudget.exhausted())) {
            readPaused = true;
            updateRead();
            if (ctx.budget.exhausted()) {
                ctx.budget.waitFor(this);
            }
            if (tenantBudget.exhausted()) {
                tenantBudget.waitFor(this);
            }
        }
        stream = ops.dispatch(id, req);
        if (stream != null) {
            // Registered before it starts, so CANCEL, writability and close can reach it.
            inFlight.put(id, new InFlight(weight, stream));
            execute(stream);
        }
    }

    /** Request payload bytes a request holds while in flight. */
    private static long weight(Message.Request r) {
        if (r instanceof Message.Upload u) {
            return u.payloadBytes() + (long) u.chunks().size() * MessageCodec.WIRE_CHUNK_OVERHEAD;
        }
        if (r instanceof Message.PatchData p) {
            return p.data().length + 64L;
        }
        if (r instanceof dev.cairn.protocol.wire.RawPut.Data d) {
            return d.payload().length() + 64L;
        }
        if (r instanceof Message.Have h) {
            return 32L * h.ids().size();
        }
        if (r instanceof Message.Refs f) {
            return 36L * f.refs().size();
        }
        if (r instanceof Message.Trim t && t.policy() != null) {
            return 64L + t.policy().length();
        }
        if (r instanceof Message.PolicySimulate p && p.policy() != null) {
            return 64L + p.policy().length();
        }
        return 64;
    }

    /** Called on the event loop when a request's final frame is about to be written. */
    private void finished(int id) {
        InFlight f = inFlight.remove(id);
        if (f == null) {
            return;
        }
        inFlightBytes -= f.weight();
        ctx.budget.release(f.weight());
        tenantBudget.release(f.weight());
        ctx.activeRequests.decrementAndGet();
        maybeResume();
    }

    private void maybeResume() {
        if (closed) {
            return;
        }
        Limits l = ctx.limits.wire();
        if (readPaused && inFlight.size() <= l.maxInFlight() / 2
                && inFlightBytes <= ctx.limits.maxInFlightBytes() / 2) {
            if (!ctx.budget.belowLowMark()) {
                ctx.budget.waitFor(this);
            } else if (tenantBudget != null && !tenantBudget.belowLowMark()) {
                tenantBudget.waitFor(this);
            } else {
                readPaused = false;
            }
        }
        if (frameWaiting) {
            // Asks for the frame's reservation again (and decodes what is buffered if granted);
            // a refusal sets frameWaiting again.
            frameWaiting = false;
            frames.retry();
        }
        updateRead();
    }

    /** Reads while nothing holds the connection back. Event loop. */
    private void updateRead() {
        boolean read = !closed && !closing && !readPaused && !frameWaiting;
        if (ch.config().isAutoRead() != read) {
            ch.config().setAutoRead(read);
        }
    }

    // ====================================================== frame budget (event loop)

    @Override
    public boolean reserve(long bytes) {
        if (closed || closing) {
            return false;
        }
        GlobalBudget first = tenant == null ? ctx.handshakeBudget : tenantBudget;
        GlobalBudget second = tenant == null ? null : ctx.budget;
        if (!first.tryAcquire(bytes)) {
            waitForRoom(first, bytes);
            return false;
        }
        if (second != null && !second.tryAcquire(bytes)) {
            first.release(bytes);
            waitForRoom(second, bytes);
            return false;
        }
        frameFirst = first;
        frameSecond = second;
        ctx.metrics.frameBytes(bytes);
        return true;
    }

    @Override
    public void release(long bytes) {
        GlobalBudget first = frameFirst;
        GlobalBudget second = frameSecond;
        frameFirst = null;
        frameSecond = null;
        ctx.metrics.frameBytes(-bytes);
        if (second != null) {
            second.release(bytes);
        }
        if (first != null) {
            first.release(bytes);
        }
    }

    private void waitForRoom(GlobalBudget b, long bytes) {
        frameWaiting = true;
        updateRead();
        ctx.metrics.frameBudgetWaits.increment();
        log.debug("connection from {} (tenant {}): a frame of {} bytes waits for room in the in-flight budget"
                + " ({} of {} bytes used)", remote(), tenantName(), bytes, b.used(), b.max());
        b.waitForRoom(this, bytes);
    }

    private String tooMany() {
        return "too many connections (limits.max_connections: " + ctx.limits.maxConnections() + "); retry later";
    }

    private void leaveUnauthenticated() {
        if (countedUnauthenticated) {
            countedUnauthenticated = false;
            ctx.unauthenticated.decrementAndGet();
        }
    }

    /**
     * Refuses the connection for lack of a resource: counted, logged at warn (at most once per
     * reason every {@link #WARN_EVERY_NANOS}, with how many were not logged, so a flood of
     * connections cannot flood the log), ERROR and close.
     */
    private void refuse(String reason, Status status, int id, String tenantLabel, String message) {
        ctx.metrics.refused(reason);
        long suppressed = ctx.warnAllowed(reason, WARN_EVERY_NANOS);
        if (suppressed >= 0) {
            log.warn("closing connection from {} (tenant {}): {}{}", remote(), tenantLabel, message,
                    suppressed > 0 ? " (" + suppressed + " more refused for this reason since the last warning)" : "");
        }
        fatal(id, status, message);
    }

    /** Resource warnings of one kind are logged at most this often. */
    static final long WARN_EVERY_NANOS = 10_000_000_000L;

    /** The tenant's name, or "-" before HELLO, for log lines. */
    String tenantName() {
        Tenant t = tenant;
        return t == null ? "-" : t.name();
    }

    /** Asked by the global budget (any thread) once it has room again. */
    void resumeLater() {
        runOnLoop(this::maybeResume);
    }

    // ============================================================== answers (any thread)

    /** Writes the final frame of request {@code id} and ends it. */
    void complete(int id, Message result) {
        runOnLoop(() -> {
            finished(id);
            send(Envelope.of(id, result));
        });
    }

    /** Ends request {@code id} with the ERROR {@code thrown} maps to. */
    void fail(int id, Throwable thrown, String what) {
        ErrorReply e = Errors.toReply(thrown, what);
        ctx.metrics.error(e.status());
        log.debug("{} #{} from {}: {} {}", what, Integer.toUnsignedString(id), remote(), e.status(), e.message());
        complete(id, e);
    }

    void fail(int id, Status status, String message) {
        ctx.metrics.error(status);
        complete(id, new ErrorReply(status, message));
    }

    /**
     * Writes a stream part, encoded here (on the worker) so the event loop only flushes bytes and
     * the outbound buffer accounts the frame's true size against the watermarks at once.
     */
    void writePart(int id, Message part) {
        ByteBuf b = ch.alloc().buffer(estimate(part));
        try {
            MessageCodec.encode(Envelope.part(id, part), b);
        } catch (RuntimeException e) {
            b.release();
            throw e;
        }
        ch.writeAndFlush(b, ch.voidPromise());
    }

    private static int estimate(Message m) {
        if (m instanceof Message.ReadData d) {
            int n = 64;
            for (Message.WireChunk c : d.chunks()) {
                n += MessageCodec.WIRE_CHUNK_OVERHEAD + c.payload().length();
            }
            return n;
        }
        return 4096;
    }

    /** Answers a request that was never accepted (no in-flight slot). Event loop. */
    private void reject(int id, Status status, String message) {
        ctx.metrics.error(status);
        send(Envelope.of(id, new ErrorReply(status, message)));
    }

    private void send(Envelope e) {
        ch.writeAndFlush(e, ch.voidPromise());
    }

    /** Sends an ERROR and closes the connection once it is written. */
    void fatal(int id, Status status, String message) {
        ctx.metrics.error(status);
        log.debug("closing connection from {}: {} {}", remote(), status, message);
        runOnLoop(() -> {
            closing = true;
            if (ch.isActive()) {
                ch.config().setAutoRead(false);
                ch.writeAndFlush(Envelope.of(id, new ErrorReply(status, message))).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    // =============================================================== helpers

    void execute(Runnable r) {
        try {
            ctx.pool.execute(r);
        } catch (RejectedExecutionException e) {
            r.run(); // shutting down: run here so the request still gets its answer
        }
    }

    private void runOnLoop(Runnable r) {
        if (ch.eventLoop().inEventLoop()) {
            r.run();
        } else {
            try {
                ch.eventLoop().execute(r);
            } catch (RejectedExecutionException e) {
                // The event loop is gone (daemon stopped): nobody is left to answer.
            }
        }
    }

    boolean isWritable() {
        return ch.isWritable();
    }

    boolean isClosed() {
        return closed;
    }

    Tenant tenant() {
        return tenant;
    }

    /**
     * Who is asking, for audit records: the tenant and, if the client named itself in HELLO, its
     * name ("team-a (cairn-cli/0.1.0)").
     */
    String requestedBy() {
        String c = clientName.strip();
        if (c.length() > 100) {
            c = c.substring(0, 100);
        }
        return c.isEmpty() ? tenant.name() : tenant.name() + " (" + c + ")";
    }

    int clientMaxFrame() {
        return clientMaxFrame;
    }

    Channel channel() {
        return ch;
    }

    int newSessionId() {
        int id;
        do {
            id = nextSessionId.incrementAndGet();
        } while (id == 0);
        return id;
    }

    Object remote() {
        return local ? "local socket (" + peer + ")" : ch.remoteAddress();
    }

    /** For shutdown: stops every running stream (event loop). */
    void stopStreams(Status status, String reason) {
        runOnLoop(() -> {
            List<InFlight> fs = new ArrayList<>(inFlight.values());
            for (InFlight f : fs) {
                if (f.stream() != null) {
                    f.stream().stop(status, reason);
                }
            }
        });
    }

}
