package dev.cairn.server.net;

import dev.cairn.protocol.wire.FrameDecoder;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last pipeline stage: hands every event to the channel's {@link Connection}. Thin on
 * purpose; nothing here blocks, and nothing thrown reaches Netty's default handler.
 */
final class RequestHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
    private final ServerContext ctx;
    private final FrameDecoder frames;
    /** A connection over the Unix domain socket (descriptor passing allowed). */
    private final boolean local;
    private Connection conn;

    RequestHandler(ServerContext ctx, FrameDecoder frames) {
        this(ctx, frames, false);
    }

    RequestHandler(ServerContext ctx, FrameDecoder frames, boolean local) {
        this.ctx = ctx;
        this.frames = frames;
        this.local = local;
    }

    @Override
    public void channelActive(ChannelHandlerContext c) {
        conn = new Connection(ctx, c.channel(), frames, local);
        conn.onActive();
        c.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) {
        if (conn != null) {
            conn.onInactive();
        }
        c.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        conn.onMessage(msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext c) {
        conn.onWritable();
        c.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext c, Object evt) {
        if (evt instanceof IdleStateEvent) {
            conn.onIdle();
        } else {
            c.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        OutOfMemoryError oom = outOfMemory(cause);
        if (oom != null) {
            // Netty's OutOfDirectMemoryError among them: the daemon is short of memory, not the peer rude.
            ctx.metrics.refused("out_of_memory");
            log.warn("connection from {} (tenant {}) closed: out of memory: {}", c.channel().remoteAddress(),
                    conn == null ? "-" : conn.tenantName(), oom.toString());
        } else {
            // Resets, TLS handshake failures and the like: the connection is done for.
            log.debug("connection from {} failed: {}", c.channel().remoteAddress(), cause.toString());
        }
        c.close();
    }

    /** The OutOfMemoryError in {@code t}'s cause chain (Netty wraps it in a DecoderException), or null. */
    static OutOfMemoryError outOfMemory(Throwable t) {
        for (int depth = 0; t != null && depth < 10; depth++, t = t.getCause()) {
            if (t instanceof OutOfMemoryError e) {
                return e;
            }
        }
        return null;
    }
}
