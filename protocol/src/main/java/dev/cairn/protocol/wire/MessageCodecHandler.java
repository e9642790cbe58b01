package dev.cairn.protocol.wire;

import dev.cairn.protocol.CairnException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;

import java.util.List;

/**
 * The codec stage: inbound {@link Frame} → {@link Envelope} (or a non-fatal
 * {@link DecodeFailure} when the payload does not decode, so no exception escapes into the
 * pipeline); outbound {@link Envelope} → the frame's bytes. {@link DecodeFailure}s from the
 * frame decoder pass through untouched.
 *
 * <p>Stateless and {@link io.netty.channel.ChannelHandler.Sharable}.
 */
@io.netty.channel.ChannelHandler.Sharable
public final class MessageCodecHandler extends MessageToMessageCodec<Frame, Envelope> {

    @Override
    protected void encode(ChannelHandlerContext ctx, Envelope msg, List<Object> out) {
        ByteBuf buf = ctx.alloc().buffer(estimate(msg));
        boolean ok = false;
        try {
            MessageCodec.encode(msg, buf);
            ok = true;
        } finally {
            if (!ok) {
                buf.release();
            }
        }
        out.add(buf);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        try {
            out.add(MessageCodec.decode(frame));
        } catch (CairnException e) {
            out.add(new DecodeFailure(frame.requestId(), frame.opcode(), e.status(), e.getMessage(), false));
        }
    }

    private static int estimate(Envelope e) {
        if (e.message() instanceof Message.ReadData d) {
            int n = Wire.LENGTH_FIELD + Wire.HEADER + MessageCodec.PAGE_OVERHEAD;
            for (Message.WireChunk c : d.chunks()) {
                n += MessageCodec.WIRE_CHUNK_OVERHEAD + c.payload().length();
            }
            return n;
        }
        if (e.message() instanceof Message.Upload u) {
            return Wire.LENGTH_FIELD + Wire.HEADER + 8 + u.chunks().size() * MessageCodec.WIRE_CHUNK_OVERHEAD
                    + (int) Math.min(Integer.MAX_VALUE / 2, u.payloadBytes());
        }
        return 256;
    }
}
