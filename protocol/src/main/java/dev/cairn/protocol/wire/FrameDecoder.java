package dev.cairn.protocol.wire;

import dev.cairn.protocol.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
 * <p>With a {@link FrameBudget} ({@link #budget(FrameBudget)}) every frame is reserved as soon as
 * its length field arrives and released when the frame is handed on (or the channel closes with
 * it unfinished), so bytes a peer announced but has not finished sending count against the
 * receiver's memory budgets. A refused reservation stops decoding until {@link #retry()}.
 *
 * <p>One instance per channel; {@link #budget}, {@link #retry} and the decoding run on the
 * channel's event loop.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private volatile int maxFrame;
    private boolean failed;
    private FrameBudget budget;
    /** Bytes reserved for the frame being accumulated; 0: none. */
    private long reserved;
    private FrameBudget reservedFrom;
    /** A reservation was refused: decode nothing until {@link #retry()}. */
    private boolean waiting;
    private ChannelHandlerContext context;

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

    /** Sets the budget frames are reserved from, from the next frame on; null: none. */
    public void budget(FrameBudget b) {
        this.budget = b;
    }

    /** Bytes reserved for the frame being accumulated now (0 if none). */
    public long reserved() {
        return reserved;
    }

    /** True while a refused reservation holds decoding back. */
    public boolean waiting() {
        return waiting;
    }

    /**
     * Asks the budget again for the frame that was refused and decodes what is buffered if it
     * is granted. Event loop; does nothing unless {@link #waiting()}.
     */
    public void retry() {
        if (!waiting || context == null || context.isRemoved()) {
            return;
        }
        waiting = false;
        // An empty read re-runs the decoding over the bytes already cumulated.
        try {
            channelRead(context, Unpooled.EMPTY_BUFFER);
        } catch (Exception e) {
            context.fireExceptionCaught(e);
        }
    }

    /**
     * {@code ByteToMessageDecoder} asks the channel for more bytes ({@code ctx.read()}) after a read
     * that decoded nothing while auto-read is off. That is exactly the state of a connection whose
     * frame waits for budget room (its owner turned auto-read off): the extra read would undo the
     * pause, and the rest of the frame would be read into memory outside every budget. While
     * waiting, pass the event on without asking for more; {@link #retry()} and the owner's
     * auto-read resume the reading.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (waiting) {
            discardSomeReadBytes();
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.context = ctx;
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        releaseReservation();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        try {
            super.channelInactive(ctx);
        } finally {
            releaseReservation();
        }
    }

    private void releaseReservation() {
        if (reserved > 0) {
            long r = reserved;
            reserved = 0;
            reservedFrom.release(r);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (waiting) {
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
        if (reserved == 0 && budget != null) {
            if (!budget.reserve(Wire.LENGTH_FIELD + length)) {
                waiting = true;
                return;
            }
            reserved = Wire.LENGTH_FIELD + length;
            reservedFrom = budget;
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
        // Handed on: from here the frame is the next stage's (a request's in-flight weight).
        releaseReservation();
        out.add(new Frame(opcode, requestId, flags, payload));
    }

    private void fail(ByteBuf in, List<Object> out, DecodeFailure f) {
        failed = true;
        releaseReservation();
        in.skipBytes(in.readableBytes());
        out.add(f);
    }
}
