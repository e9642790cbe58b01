package dev.cairn.protocol.wire;

import dev.cairn.protocol.Status;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Cuts the byte stream into {@link Frame}s: u32 length, then that many bytes (u8 opcode, u32
 * request id, u8 flags, payload). A length above the current maximum, or below the 6-byte header,
 * yields a fatal {@link DecodeFailure} instead (the stream cannot be trusted past it) and every
 * later byte is discarded; the handler answers and closes.
 *
 * <p>The maximum can be raised once the peer has authenticated ({@link #maxFrame(int)}): before
 * that, an unauthenticated peer can make the receiver buffer at most
 * {@link Wire#HANDSHAKE_MAX_FRAME} bytes. A payload is copied out of the cumulation buffer into
 * its own array only once all of its bytes have arrived.
 *
 * <p>One instance per channel.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private volatile int maxFrame;
    private boolean failed;

    /** @param maxFrame the largest length field accepted, until {@link #maxFrame(int)} changes it */
    public FrameDecoder(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    /** Changes the largest length field accepted from the next frame on. */
    public void maxFrame(int max) {
        this.maxFrame = max;
    }

    public int maxFrame() {
        return maxFrame;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < Wire.LENGTH_FIELD) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (length < Wire.HEADER) {
            fail(in, out, new DecodeFailure(Wire.CONNECTION_ID, -1, Status.BAD_REQUEST, "frame length " + length
                    + " is shorter than the " + Wire.HEADER + "-byte frame header", true));
            return;
        }
        if (length > maxFrame) {
            // Wait for the header so the error can name the request it refuses.
            if (in.readableBytes() < Wire.LENGTH_FIELD + Wire.HEADER) {
                return;
            }
            int opcode = in.getUnsignedByte(in.readerIndex() + 4);
            int requestId = in.getInt(in.readerIndex() + 5);
            fail(in, out, new DecodeFailure(requestId, opcode, Status.FRAME_TOO_LARGE, Opcode.name(opcode)
                    + " frame of " + length + " bytes exceeds the limit of " + maxFrame + " bytes", true));
            return;
        }
        if (in.readableBytes() < Wire.LENGTH_FIELD + length) {
            return;
        }
        in.skipBytes(Wire.LENGTH_FIELD);
        int opcode = in.readUnsignedByte();
        int requestId = in.readInt();
        int flags = in.readUnsignedByte();
        byte[] payload = new byte[(int) length - Wire.HEADER];
        in.readBytes(payload);
        out.add(new Frame(opcode, requestId, flags, payload));
    }

    private void fail(ByteBuf in, List<Object> out, DecodeFailure f) {
        failed = true;
        in.skipBytes(in.readableBytes());
        out.add(f);
    }
}
