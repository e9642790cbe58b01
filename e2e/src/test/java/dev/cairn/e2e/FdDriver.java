package dev.cairn.e2e;

import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.FrameDecoder;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.MessageCodecHandler;
import dev.cairn.protocol.wire.Wire;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;

import java.io.Closeable;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bare protocol peer on the daemon's Unix domain socket that can pass any descriptor, for tests
 * of what the daemon does with what it is handed (the Java client only passes what it opened
 * itself, the right way round).
 */
final class FdDriver implements Closeable {
    /** Posted when the daemon closes the connection. */
    static final Envelope CLOSED = Envelope.of(0, new Message.Pong(0));
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final BlockingQueue<Envelope> frames = new LinkedBlockingQueue<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final Channel ch;

    FdDriver(Path socket) throws InterruptedException {
        ch = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new FrameDecoder(Wire.MIN_MAX_FRAME), new MessageCodecHandler(),
                                new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        if (msg instanceof Envelope e) {
                                            frames.add(e);
                                        }
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        frames.add(CLOSED);
                                    }
                                });
                    }
                }).connect(new DomainSocketAddress(socket.toFile())).sync().channel();
    }

    int send(Message m) {
        int id = ids.incrementAndGet();
        ch.writeAndFlush(Envelope.of(id, m)).syncUninterruptibly();
        return id;
    }

    void sendFd(int fd) {
        ch.writeAndFlush(new FileDescriptor(fd)).syncUninterruptibly();
    }

    Envelope next() throws InterruptedException {
        Envelope e = frames.poll(30, TimeUnit.SECONDS);
        if (e == null) {
            throw new AssertionError("no frame from the daemon within 30 s");
        }
        return e;
    }

    /** The next frame that is not a heartbeat. */
    Envelope nextNonHeartbeat() throws InterruptedException {
        Envelope e;
        do {
            e = next();
        } while (e.message() instanceof Message.VerifyProgress);
        return e;
    }

    Message call(Message m) throws InterruptedException {
        send(m);
        return nextNonHeartbeat().message();
    }

    void hello(String token) throws InterruptedException {
        Message r = call(new Message.Hello(1, 1, Wire.MIN_MAX_FRAME, token, "fd-driver"));
        if (!(r instanceof Message.HelloOk)) {
            throw new AssertionError("HELLO refused: " + r);
        }
    }

    /** The number of an open Java descriptor (the tests run with java.io opened). */
    static int fdOf(java.io.FileDescriptor d) throws ReflectiveOperationException {
        Field f = java.io.FileDescriptor.class.getDeclaredField("fd");
        f.setAccessible(true);
        return f.getInt(d);
    }

    /** A Java descriptor for number {@code n}, for the client API. */
    static java.io.FileDescriptor javaFd(int n) throws ReflectiveOperationException {
        java.io.FileDescriptor d = new java.io.FileDescriptor();
        Field f = java.io.FileDescriptor.class.getDeclaredField("fd");
        f.setAccessible(true);
        f.setInt(d, n);
        return d;
    }

    @Override
    public void close() {
        ch.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
