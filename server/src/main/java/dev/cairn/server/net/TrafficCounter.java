package dev.cairn.server.net;

import dev.cairn.server.metrics.Metrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/** Counts protocol bytes in and out (above TLS) for the metrics. */
@ChannelHandler.Sharable
final class TrafficCounter extends ChannelDuplexHandler {
    private final Metrics metrics;

    TrafficCounter(Metrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) {
            metrics.bytesIn.add(b.readableBytes());
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf b) {
            metrics.bytesOut.add(b.readableBytes());
        }
        ctx.write(msg, promise);
    }
}
