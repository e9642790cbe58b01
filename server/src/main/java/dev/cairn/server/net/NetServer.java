package dev.cairn.server.net;

import dev.cairn.protocol.HostPort;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.wire.FrameDecoder;
import dev.cairn.protocol.wire.MessageCodecHandler;
import dev.cairn.protocol.wire.Wire;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.server.maint.Maintenance;
import dev.cairn.server.metrics.Metrics;
import dev.cairn.server.tenant.TenantRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The protocol listener: Netty (epoll where available, NIO otherwise) with the pipeline
 * [tls] → traffic → frames → codec → idle → handler, and the worker pool for store calls.
 */
public final class NetServer {
    private static final Logger log = LoggerFactory.getLogger(NetServer.class);
    /** A stream stops producing above this many queued outbound bytes per connection... */
    static final int HIGH_WATER = 2 << 20;
    /** ...and resumes below this. */
    static final int LOW_WATER = 512 << 10;

    private final ServerContext ctx;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel listener;
    /** The Unix domain socket listener, or null (off, or no epoll). */
    private volatile Channel local;
    private volatile java.nio.file.Path localPath;

    private NetServer(ServerContext ctx, EventLoopGroup boss, EventLoopGroup workers, Channel listener) {
        this.ctx = ctx;
        this.boss = boss;
        this.workers = workers;
        this.listener = listener;
    }

    /** Binds the listener; the tenants' stores must be open. */
    public static NetServer start(DaemonConfig config, TenantRegistry tenants, Metrics metrics, SslContext ssl,
                                  String serverVersion, Maintenance maint) throws IOException {
        AtomicInteger n = new AtomicInteger();
        int threads = config.limits().workerThreads();
        ExecutorService pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "cairnd-worker-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        ServerContext ctx = new ServerContext(config.limits(), tenants, metrics, pool, serverVersion, maint);
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        TrafficCounter traffic = new TrafficCounter(metrics);
        MessageCodecHandler codec = new MessageCodecHandler();
        int idle = config.limits().wire().idleTimeoutSeconds();
        try {
            ServerBootstrap b = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(channelType)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(LOW_WATER, HIGH_WATER))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ChannelPipeline p = ch.pipeline();
                            if (ssl != null) {
                                p.addLast("tls", ssl.newHandler(ch.alloc()));
                            }
                            FrameDecoder frames = new FrameDecoder(Wire.HANDSHAKE_MAX_FRAME);
                            p.addLast("traffic", traffic);
                            p.addLast("frames", frames);
                            p.addLast("codec", codec);
                            p.addLast("idle", new IdleStateHandler(0, 0, idle));
                            p.addLast("handler", new RequestHandler(ctx, frames, false));
                        }
                    });
            InetSocketAddress addr = new InetSocketAddress(config.listen().host(), config.listen().port());
            Channel ch;
            try {
                ch = b.bind(addr).sync().channel();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while binding " + addr);
            } catch (Exception e) {
                throw new IOException("cannot listen on " + config.listen() + ": " + e.getMessage(), e);
            }
            log.info("listening on {} ({}{}, {} worker threads)",
                    describeBound(config.listen(), (InetSocketAddress) ch.localAddress()), epoll ? "epoll" : "nio",
                    ssl != null ? ", TLS" : "", threads);
            NetServer server = new NetServer(ctx, boss, workers, ch);
            java.nio.file.Path socket = config.socketPath();
            if (socket != null && !epoll) {
                log.warn("local socket {} is off: it needs Netty's epoll transport (Linux); clients use TCP", socket);
            } else if (socket != null && config.socket() == null
                    && socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > LocalSocket.MAX_PATH) {
                log.warn("local socket off: the default path {} is longer than the {} bytes a Unix socket address"
                        + " holds; set 'socket:' in cairn.yaml (or --socket) to a shorter path", socket, LocalSocket.MAX_PATH);
            } else if (socket != null) {
                try {
                    server.bindLocal(socket, traffic, codec, idle);
                } catch (IOException | RuntimeException e) {
                    ch.close().awaitUninterruptibly();
                    throw e;
                }
            }
            return server;
        } catch (IOException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            pool.shutdownNow();
            throw e;
        }
    }

    /**
     * Listens on the Unix domain socket {@code path} as well: same pipeline as TCP without TLS,
     * plus descriptor passing (docs/PROTOCOL.md, "The local socket").
     */
    private void bindLocal(java.nio.file.Path path, TrafficCounter traffic, MessageCodecHandler codec, int idle)
            throws IOException {
        LocalSocket.prepare(path);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(io.netty.channel.epoll.EpollServerDomainSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(LOW_WATER, HIGH_WATER))
                .childHandler(new ChannelInitializer<io.netty.channel.epoll.EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(io.netty.channel.epoll.EpollDomainSocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        FrameDecoder frames = new FrameDecoder(Wire.HANDSHAKE_MAX_FRAME);
                        p.addLast("traffic", traffic);
                        p.addLast("frames", frames);
                        p.addLast("codec", codec);
                        p.addLast("idle", new IdleStateHandler(0, 0, idle));
                        p.addLast("handler", new RequestHandler(ctx, frames, true));
                    }
                });
        Channel ch;
        try {
            ch = b.bind(new io.netty.channel.unix.DomainSocketAddress(path.toFile())).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + path);
        } catch (Exception e) {
            throw new IOException("cannot listen on local socket " + path + ": " + e.getMessage(), e);
        }
        try {
            LocalSocket.restrict(path);
        } catch (IOException e) {
            ch.close().awaitUninterruptibly();
            throw new IOException("cannot restrict local socket " + path + " to its owner: " + e.getMessage(), e);
        }
        local = ch;
        localPath = path;
        log.info("listening on local socket {} (mode 0600, descriptor passing)", path);
    }

    /** The local socket's path, or null if there is none. */
    public java.nio.file.Path localSocket() {
        return localPath;
    }

    /**
     * What a socket asked to listen on {@code asked} is actually bound to, in words. The JDK (NIO
     * and Netty's epoll alike) opens IPv6 sockets where the host has IPv6 and binds the IPv4
     * wildcard {@code 0.0.0.0} as the dual-stack {@code [::]}: the daemon is then reachable on
     * every IPv6 address too, which an operator who wrote 0.0.0.0 may not expect (README,
     * "Listening"). Said explicitly rather than left to the address format.
     */
    static String describeBound(HostPort asked, InetSocketAddress bound) {
        HostPort actual = HostPort.of(bound);
        java.net.InetAddress a = bound.getAddress();
        if (a != null && a.isAnyLocalAddress()) {
            String scope = a instanceof java.net.Inet6Address
                    ? "dual-stack: every IPv4 and IPv6 address of this host"
                    : "every IPv4 address of this host";
            return actual + " (" + scope + (actual.host().equals(asked.host()) ? "" : "; configured " + asked) + ")";
        }
        return actual.host().equals(asked.host()) ? actual.toString() : actual + " (configured " + asked + ")";
    }

    /** "127.0.0.1:7433" (no leading slash, IPv6 in brackets). */

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Connections open now. */
    public int connections() {
        return ctx.connections.size();
    }

    /**
     * Stops serving: no new connections, no new requests (SHUTTING_DOWN), streams stopped,
     * running requests (commits among them) given until {@code deadline} to finish, then every
     * connection told and closed, which aborts its put sessions.
     *
     * @return true if every request and session finished in time and the worker pool stopped,
     *         so the stores can be closed safely
     */
    public boolean shutdown(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        ctx.shuttingDown = true;
        listener.close().awaitUninterruptibly();
        Channel l = local;
        if (l != null) {
            l.close().awaitUninterruptibly();
            try {
                java.nio.file.Files.deleteIfExists(localPath);
            } catch (IOException e) {
                log.warn("cannot remove local socket {}: {}", localPath, e.toString());
            }
        }
        List<Connection> conns = List.copyOf(ctx.connections);
        for (Connection c : conns) {
            c.stopStreams(Status.SHUTTING_DOWN, "the daemon is shutting down");
        }
        boolean drained = waitUntil(deadline, () -> ctx.activeRequests.get() == 0);
        if (!drained) {
            log.warn("shutdown: {} request(s) still running after the grace period", ctx.activeRequests.get());
        }
        for (Connection c : conns) {
            c.fatal(Wire.CONNECTION_ID, Status.SHUTTING_DOWN, "the daemon is shutting down");
        }
        // Closing a connection queues the abort of its sessions behind their running requests.
        boolean sessionsDone = waitUntil(deadline, () -> ctx.connections.isEmpty()
                && ctx.metrics.openSessions.get() == 0);
        ctx.pool.shutdown();
        boolean poolDone;
        try {
            poolDone = ctx.pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            poolDone = false;
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        if (!sessionsDone) {
            log.warn("shutdown: {} put session(s) still open; the store aborts them when it closes",
                    ctx.metrics.openSessions.get());
        }
        return poolDone;
    }

    private static boolean waitUntil(long deadline, java.util.function.BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
