package dev.cairn.client;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.wire.DecodeFailure;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.FrameDecoder;
import dev.cairn.protocol.wire.Limits;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.MessageCodec;
import dev.cairn.protocol.wire.MessageCodecHandler;
import dev.cairn.protocol.wire.Opcode;
import dev.cairn.protocol.wire.Wire;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * One TCP (or TLS) connection to the daemon after a successful handshake, shared by many callers:
 * each request gets its own request id, and responses are routed back by id, so requests of any
 * number of threads interleave on the wire (docs/PROTOCOL.md, "Framing").
 *
 * <p>Pipeline: [tls] → frames ({@link FrameDecoder}, limited to the frame size this client
 * announced) → codec ({@link MessageCodecHandler}) → idle (PING when quiet) → handler (routes by
 * id). Requests are encoded on the caller's thread into a buffer, so Netty's send-buffer
 * accounting sees their true size: a caller blocks while the connection's send buffer is above
 * its high-water mark (the daemon stopped reading), which bounds memory when the daemon is slower
 * than its clients.
 *
 * <p>Every request has a timeout: it fails with {@link Status#TIMEOUT} if no frame of its response
 * arrives for {@code requestTimeout} (streams the caller has paused do not time out). Its id then
 * stays reserved until the daemon's final frame arrives, so ids are never reused while in flight.
 *
 * <p>Thread-safe. Frames of one request are delivered in order on the connection's event loop.
 */
final class ClientConnection implements Exchange {
    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);
    /** The largest frame this client accepts; the protocol minimum, which fits any chunk. */
    static final int MAX_FRAME = Wire.MIN_MAX_FRAME;
    private static final long SCAN_MILLIS = 250;

    private final ClientConfig cfg;
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger();
    private final Object writability = new Object();
    private volatile Channel ch;
    private volatile Message.HelloOk hello;
    private volatile CairnClientException closedCause;
    /** Streams that asked to stop reading from the socket; autoRead is off while positive. Event loop. */
    private int pausedStreams;
    private volatile boolean paused;
    private ScheduledFuture<?> scanner;

    private ClientConnection(ClientConfig cfg) {
        this.cfg = cfg;
    }

    // ================================================================ connect

    /**
     * Connects, performs the handshake and returns a ready connection.
     *
     * @throws CairnClientException {@link Status#IO_ERROR} (with {@link CairnClientException#connectionLost()})
     *                              if the daemon cannot be reached, {@link Status#TIMEOUT}, or the
     *                              daemon's refusal ({@link Status#UNAUTHENTICATED}, {@link Status#UNSUPPORTED_VERSION})
     */
    static ClientConnection open(EventLoopGroup group, Class<? extends Channel> channelType, SslContext ssl,
                                 ClientConfig cfg) throws CairnClientException {
        ClientConnection c = new ClientConnection(cfg);
        Bootstrap b = new Bootstrap().group(group).channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, cfg.connectTimeout().toMillis()))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(2 << 20, 8 << 20));
        if (cfg.socket() == null) {
            b.option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.SO_KEEPALIVE, true);
        }
        b
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (ssl != null) {
                            SSLEngine engine = ssl.newEngine(ch.alloc(), cfg.host(), cfg.port());
                            SSLParameters params = engine.getSSLParameters();
                            // Check that the certificate names the host we dialled, not just that a CA signed it.
                            params.setEndpointIdentificationAlgorithm("HTTPS");
                            engine.setSSLParameters(params);
                            p.addLast("tls", new SslHandler(engine));
                        }
                        p.addLast("frames", new FrameDecoder(MAX_FRAME));
                        p.addLast("codec", new MessageCodecHandler());
                        p.addLast("handler", c.new Handler());
                    }
                });
        ChannelFuture cf = cfg.socket() != null
                ? b.connect(new io.netty.channel.unix.DomainSocketAddress(cfg.socket().toFile()))
                : b.connect(cfg.host(), cfg.port());
        try {
            if (!cf.await(cfg.connectTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                cf.cancel(false);
                throw CairnClientException.local(Status.TIMEOUT, "cannot connect to " + cfg.address() + " within "
                        + cfg.connectTimeout().toMillis() + " ms", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cf.cancel(false);
            throw CairnClientException.local(Status.CANCELLED, "interrupted while connecting to " + cfg.address(), e);
        }
        if (!cf.isSuccess()) {
            Throwable t = cf.cause();
            throw CairnClientException.connectionLost("cannot connect to " + cfg.address() + ": " + describe(t)
                    + (cfg.socket() != null ? " (is cairnd running with this socket? set --socket or CAIRN_SOCKET, or use"
                    + " --remote)" : " (is cairnd running there? set --server or CAIRN_SERVER)"), t);
        }
        c.ch = cf.channel();
        c.handshake();
        return c;
    }

    private static String describe(Throwable t) {
        String m = t == null ? null : t.getMessage();
        return m == null ? String.valueOf(t) : m;
    }

    private void handshake() throws CairnClientException {
        CompletableFuture<Message.Response> f = call(new Message.Hello(Wire.MIN_VERSION, Wire.VERSION, MAX_FRAME,
                cfg.token() == null ? "" : cfg.token(), cfg.clientName()));
        Message.Response r;
        try {
            r = f.get(cfg.connectTimeout().toMillis() + cfg.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            close();
            throw CairnClientException.local(Status.TIMEOUT, "no HELLO_OK from " + cfg.address() + " (is it a cairnd"
                    + (cfg.tls() ? " with TLS" : " without TLS") + "?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw CairnClientException.local(Status.CANCELLED, "interrupted during the handshake", e);
        } catch (ExecutionException e) {
            close();
            if (e.getCause() instanceof CairnClientException c) {
                throw c;
            }
            throw CairnClientException.local(Status.INTERNAL, "handshake failed: " + e.getCause(), e.getCause());
        }
        if (!(r instanceof Message.HelloOk h)) {
            close();
            throw CairnClientException.local(Status.BAD_REQUEST, "the daemon answered HELLO with "
                    + Opcode.name(r.opcode()), null);
        }
        hello = h;
        int idle = Math.max(1, h.limits().idleTimeoutSeconds() / 3);
        ch.eventLoop().execute(() -> {
            if (ch.isActive()) {
                ch.pipeline().addBefore("handler", "idle", new IdleStateHandler(0, 0, idle));
            }
        });
        scanner = ch.eventLoop().scheduleAtFixedRate(this::scanTimeouts, SCAN_MILLIS, SCAN_MILLIS, TimeUnit.MILLISECONDS);
    }

    // ================================================================ requests

    @Override
    public CompletableFuture<Message.Response> call(Message.Request req) {
        CompletableFuture<Message.Response> f = new CompletableFuture<>();
        String what = Opcode.name(req.opcode());
        send(req, new Pending(what) {
            @Override
            void frame(Envelope e) {
                if (e.last()) {
                    complete(f, what, e.message());
                }
            }

            @Override
            void fail(CairnClientException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** True over the daemon's Unix domain socket (descriptors can be passed). */
    boolean isLocal() {
        return cfg.socket() != null;
    }

    /**
     * Sends a RAW_FD or READ_FD and, once the daemon answers FD_READY, the descriptor {@code fd}
     * (docs/PROTOCOL.md, "The local socket"). Nothing else may be sent on this connection until
     * the descriptor has gone, so callers use a connection of their own for it. The caller keeps
     * ownership of {@code fd}; the daemon gets a duplicate.
     */
    CompletableFuture<Message.Response> callWithFd(Message.Request req, int fd) {
        CompletableFuture<Message.Response> f = new CompletableFuture<>();
        String what = Opcode.name(req.opcode());
        send(req, new Pending(what) {
            @Override
            void frame(Envelope e) {
                if (!e.last()) {
                    if (e.message() instanceof dev.cairn.protocol.wire.RawPut.FdReady) {
                        ch.writeAndFlush(new io.netty.channel.unix.FileDescriptor(fd));
                    }
                    return; // heartbeats
                }
                complete(f, what, e.message());
            }

            @Override
            void fail(CairnClientException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Sends {@code req} and collects every part of its response (SHOW's and LIST's pages). */
    CompletableFuture<Reply> collect(Message.Request req) {
        return collect(req, null, false).reply();
    }

    /** A collecting request in flight: its id (for {@link #sendCancel}) and its whole answer to come. */
    record Collecting(int requestId, CompletableFuture<Reply> reply) {
    }

    /**
     * Sends {@code req} and collects every part of its response. Heartbeat parts ({@code
     * VERIFY_PROGRESS}, sent during long VERIFY, TRIM, GC and POLICY_SIMULATE work) are not
     * collected: they go to {@code heartbeat} (elapsed milliseconds; may be null), and like every
     * frame they reset the request's timeout, so a long operation never times out while the
     * daemon reports that it is working on it. With {@code cancelOnTimeout}, a request that does
     * time out is cancelled on the daemon too (a GC nobody waits for should stop).
     */
    Collecting collect(Message.Request req, LongConsumer heartbeat, boolean cancelOnTimeout) {
        CompletableFuture<Reply> f = new CompletableFuture<>();
        String what = Opcode.name(req.opcode());
        List<Message.Response> parts = new ArrayList<>();
        int id = send(req, new Pending(what) {
            @Override
            void frame(Envelope e) {
                if (!e.last()) {
                    if (e.message() instanceof Message.VerifyProgress hb) {
                        if (heartbeat != null) {
                            try {
                                heartbeat.accept(hb.elapsedMillis());
                            } catch (RuntimeException x) {
                                log.warn("heartbeat listener of {} failed", what, x);
                            }
                        }
                    } else {
                        parts.add((Message.Response) e.message());
                    }
                    return;
                }
                CompletableFuture<Message.Response> last = new CompletableFuture<>();
                complete(last, what, e.message());
                last.whenComplete((m, t) -> {
                    if (t != null) {
                        f.completeExceptionally(t);
                    } else {
                        f.complete(new Reply(List.copyOf(parts), m));
                    }
                });
            }

            @Override
            void fail(CairnClientException e) {
                f.completeExceptionally(e);
            }

            @Override
            boolean cancelOnTimeout() {
                return cancelOnTimeout;
            }
        });
        return new Collecting(id, f);
    }

    /** Sends a streamed request; its frames go to {@code sink} on the event loop. Returns the request id. */
    int stream(Message.Request req, StreamSink sink) {
        String what = Opcode.name(req.opcode());
        Pending p = new Pending(what) {
            @Override
            void frame(Envelope e) {
                if (!e.last()) {
                    sink.part(this, (Message.Response) e.message());
                } else if (e.message() instanceof Message.ErrorReply err) {
                    sink.failed(CairnClientException.remote(what, err.status(), err.code(), err.message(), err.chunks()));
                } else {
                    sink.end((Message.Response) e.message());
                }
            }

            @Override
            void fail(CairnClientException e) {
                sink.failed(e);
            }

            @Override
            boolean cancelOnTimeout() {
                return true;
            }
        };
        return send(req, p);
    }

    /** Where the frames of a streamed response go. Called on the event loop, in order. */
    interface StreamSink {
        void part(Pending request, Message.Response part);

        void end(Message.Response last);

        void failed(CairnClientException e);
    }

    private static void complete(CompletableFuture<Message.Response> f, String what, Message m) {
        if (m instanceof Message.ErrorReply err) {
            f.completeExceptionally(CairnClientException.remote(what, err.status(), err.code(), err.message(),
                    err.chunks()));
        } else {
            f.complete((Message.Response) m);
        }
    }

    private int send(Message.Request req, Pending p) {
        int id;
        do {
            id = nextId.incrementAndGet();
        } while (id == Wire.CONNECTION_ID || pending.putIfAbsent(id, p) != null);
        p.id = id;
        CairnClientException dead = closedCause;
        if (dead != null) {
            fail(id, p, dead);
            return id;
        }
        ByteBuf buf = ch.alloc().buffer(estimate(req));
        try {
            MessageCodec.encode(Envelope.of(id, req), buf);
        } catch (RuntimeException e) {
            buf.release();
            fail(id, p, CairnClientException.local(Status.BAD_REQUEST, p.what + " cannot be encoded: " + e.getMessage(), e));
            return id;
        }
        int frame = buf.readableBytes() - Wire.LENGTH_FIELD;
        Message.HelloOk h = hello;
        int limit = h == null ? Wire.HANDSHAKE_MAX_FRAME : h.limits().maxFrame();
        if (frame > limit) {
            buf.release();
            fail(id, p, CairnClientException.local(Status.FRAME_TOO_LARGE, p.what + " frame of " + frame
                    + " bytes exceeds the daemon's limit of " + limit, null));
            return id;
        }
        try {
            awaitWritable();
        } catch (CairnClientException e) {
            buf.release();
            fail(id, p, e);
            return id;
        }
        final int rid = id;
        p.touch();
        ch.writeAndFlush(buf).addListener(w -> {
            if (!w.isSuccess()) {
                CairnClientException c = closedCause;
                fail(rid, p, c != null ? c : CairnClientException.connectionLost("sending " + p.what + " to "
                        + cfg.address() + " failed: " + describe(w.cause()), w.cause()));
            }
        });
        if (closedCause != null) {
            // Closed between the check above and the write: the close handler may have missed p.
            fail(id, p, closedCause);
        }
        return id;
    }

    private static int estimate(Message.Request req) {
        if (req instanceof Message.Upload u) {
            return (int) Math.min(Integer.MAX_VALUE - 64, 64 + u.payloadBytes()
                    + (long) u.chunks().size() * MessageCodec.WIRE_CHUNK_OVERHEAD);
        }
        if (req instanceof Message.PatchData p) {
            return p.data().length + 128 + p.entry().length() * 3;
        }
        if (req instanceof Message.Have h) {
            return 32 + 32 * h.ids().size();
        }
        if (req instanceof Message.Refs r) {
            return 32 + 36 * r.refs().size();
        }
        return 256;
    }

    /** Blocks the caller while the send buffer is above its high-water mark (never on the event loop). */
    private void awaitWritable() throws CairnClientException {
        Channel c = ch;
        if (c.isWritable() || c.eventLoop().inEventLoop()) {
            return;
        }
        long deadline = System.nanoTime() + cfg.requestTimeout().toNanos();
        synchronized (writability) {
            while (!c.isWritable() && c.isActive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw CairnClientException.local(Status.TIMEOUT, "the daemon at " + cfg.address() + " accepted no"
                            + " data for " + cfg.requestTimeout().toMillis() + " ms", null);
                }
                try {
                    writability.wait(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw CairnClientException.local(Status.CANCELLED, "interrupted while sending", e);
                }
            }
        }
    }

    private void fail(int id, Pending p, CairnClientException e) {
        if (p.failed.compareAndSet(false, true)) {
            pending.remove(id, p);
            p.fail(e);
        }
    }

    /** Asks the daemon to stop streaming request {@code id}; its remaining frames are dropped. */
    void cancel(int id) {
        Pending p = pending.get(id);
        if (p != null) {
            Pending discard = new Discard(p.what);
            discard.id = id;
            if (pending.replace(id, p, discard)) {
                p.failed.set(true);
                runOnLoop(() -> resume(p));
            }
        }
        sendCancel(id);
    }

    /**
     * Sends {@code CANCEL(id)} and nothing else: the request's frames keep coming to its caller,
     * whose answer ends with {@code ERROR CANCELLED}, or with the result if it finished first. A
     * GC's caller thus learns that it stopped. CANCEL has no answer of its own.
     */
    void sendCancel(int id) {
        if (closedCause == null && ch.isActive()) {
            ByteBuf buf = ch.alloc().buffer(32);
            int cid;
            do {
                cid = nextId.incrementAndGet();
            } while (cid == Wire.CONNECTION_ID || pending.containsKey(cid));
            MessageCodec.encode(Envelope.of(cid, new Message.Cancel(id)), buf);
            ch.writeAndFlush(buf, ch.voidPromise());
        }
    }

    // ================================================================ flow control

    /**
     * Stops reading from the socket on behalf of stream {@code p} (its consumer is behind).
     * Every request on this connection waits until the stream is resumed; the daemon stops
     * producing once its send buffer fills. Event loop.
     */
    void pause(Pending p) {
        if (!p.paused) {
            p.paused = true;
            if (pausedStreams++ == 0) {
                paused = true;
                ch.config().setAutoRead(false);
            }
        }
    }

    /** Undoes {@link #pause}. Event loop. */
    void resume(Pending p) {
        if (p.paused) {
            p.paused = false;
            if (--pausedStreams == 0) {
                paused = false;
                ch.config().setAutoRead(true);
                ch.read();
            }
        }
    }

    void runOnLoop(Runnable r) {
        if (ch.eventLoop().inEventLoop()) {
            r.run();
        } else {
            ch.eventLoop().execute(r);
        }
    }

    // ================================================================ state

    @Override
    public ChunkerParams chunker() {
        return hello.chunker();
    }

    @Override
    public Limits limits() {
        return hello.limits();
    }

    @Override
    public String describe() {
        return cfg.address();
    }

    Message.HelloOk hello() {
        return hello;
    }

    /** False once the connection broke or was closed: the pool replaces it. */
    boolean usable() {
        return closedCause == null && ch.isActive();
    }

    /** Requests waiting for an answer: the pool prefers the least loaded connection. */
    int load() {
        return pending.size();
    }

    /** True while a slow stream reader holds the socket's reading stopped. */
    boolean paused() {
        return paused;
    }

    void close() {
        if (closedCause == null) {
            closedCause = CairnClientException.local(Status.CANCELLED, "the client was closed", null);
        }
        if (scanner != null) {
            scanner.cancel(false);
        }
        ch.close();
        failAll(closedCause);
    }

    private void failAll(CairnClientException e) {
        for (Map.Entry<Integer, Pending> en : pending.entrySet()) {
            fail(en.getKey(), en.getValue(), e);
        }
    }

    private void scanTimeouts() {
        long now = System.nanoTime();
        long limit = cfg.requestTimeout().toNanos();
        for (Map.Entry<Integer, Pending> en : pending.entrySet()) {
            Pending p = en.getValue();
            if (p instanceof Discard || p.paused || now - p.lastActivity < limit) {
                continue;
            }
            int id = en.getKey();
            CairnClientException e = CairnClientException.local(Status.TIMEOUT, "no answer to " + p.what + " from "
                    + cfg.address() + " within " + cfg.requestTimeout().toMillis() + " ms", null);
            if (p.failed.compareAndSet(false, true)) {
                // Keep the id reserved until the daemon's last frame: reusing it early would be a protocol violation.
                Discard d = new Discard(p.what);
                d.id = id;
                pending.replace(id, p, d);
                p.fail(e);
                if (p.cancelOnTimeout()) {
                    cancel(id);
                }
            }
        }
    }

    // ================================================================ pending requests

    /** A request waiting for (the rest of) its response. */
    abstract static class Pending {
        final String what;
        final AtomicBoolean failed = new AtomicBoolean();
        volatile int id;
        volatile long lastActivity = System.nanoTime();
        /** Event loop. */
        boolean paused;

        Pending(String what) {
            this.what = what;
        }

        void touch() {
            lastActivity = System.nanoTime();
        }

        /** A frame of this request's response (event loop, in order). */
        abstract void frame(Envelope e);

        /** The request failed locally (timeout, connection lost); called at most once. */
        abstract void fail(CairnClientException e);

        boolean cancelOnTimeout() {
            return false;
        }
    }

    /** Swallows the rest of a response nobody waits for any more. */
    private static final class Discard extends Pending {
        Discard(String what) {
            super(what);
        }

        @Override
        void frame(Envelope e) {
        }

        @Override
        void fail(CairnClientException e) {
        }
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DecodeFailure f) {
                // The daemon sent bytes this client cannot decode: nothing after them can be trusted.
                broken(CairnClientException.connectionLost("protocol error from " + cfg.address() + ": " + f.status()
                        + ": " + f.message(), null));
                return;
            }
            Envelope e = (Envelope) msg;
            if (e.requestId() == Wire.CONNECTION_ID) {
                if (e.message() instanceof Message.ErrorReply err) {
                    broken(new CairnClientException(err.status(), "the daemon at " + cfg.address()
                            + " closed the connection: " + err.status() + ": " + err.message(), err.message(),
                            List.of(), true, null));
                }
                return;
            }
            Pending p = pending.get(e.requestId());
            if (p == null) {
                log.debug("dropping {} for unknown request", e);
                return;
            }
            p.touch();
            if (e.last()) {
                pending.remove(e.requestId(), p);
                if (p.paused) {
                    resume(p);
                }
            }
            if (!p.failed.get()) {
                p.frame(e);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            synchronized (writability) {
                writability.notifyAll();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent && pending.isEmpty()) {
                // Keeps a pooled connection from being closed by the daemon's idle timeout.
                call(new Message.Ping(System.nanoTime()));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            broken(CairnClientException.connectionLost("connection to " + cfg.address() + " lost", null));
            synchronized (writability) {
                writability.notifyAll();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            String m = describe(cause);
            if (cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() instanceof javax.net.ssl.SSLException s) {
                m = "TLS: " + describe(s);
            }
            broken(CairnClientException.connectionLost("connection to " + cfg.address() + " failed: " + m, cause));
            ctx.close();
        }

        private void broken(CairnClientException e) {
            if (closedCause == null) {
                closedCause = e;
            }
            if (scanner != null) {
                scanner.cancel(false);
            }
            failAll(closedCause);
            ch.close();
        }
    }
}
