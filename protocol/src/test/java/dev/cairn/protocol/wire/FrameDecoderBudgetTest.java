package dev.cairn.protocol.wire;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A frame whose reservation the budget refused must not be read further: the budget's owner turns
 * auto-read off, and nothing may ask the channel for more bytes behind its back. Netty's
 * {@code ByteToMessageDecoder} does exactly that after a read that decoded nothing while auto-read
 * is off, so 40 connections announcing 16 MiB UPLOAD frames had every byte they sent read into
 * memory, the refused ones too (issue 10 item 4, found live: 320 MiB read, 252 MiB reserved).
 */
class FrameDecoderBudgetTest {
    /** Counts the read requests that travel from the decoder towards the socket. */
    static final class ReadCounter extends ChannelOutboundHandlerAdapter {
        final AtomicInteger reads = new AtomicInteger();

        @Override
        public void read(ChannelHandlerContext ctx) {
            reads.incrementAndGet();
            ctx.read();
        }
    }

    static final class Budget implements FrameBudget {
        boolean grant;
        long held;

        @Override
        public boolean reserve(long bytes) {
            if (grant) {
                held += bytes;
            }
            return grant;
        }

        @Override
        public void release(long bytes) {
            held -= bytes;
        }
    }

    private static byte[] frameStart(int length, int bytesOfPayload) {
        ByteBuffer b = ByteBuffer.allocate(Wire.LENGTH_FIELD + Wire.HEADER + bytesOfPayload);
        b.putInt(length).put((byte) Opcode.UPLOAD).putInt(7).put((byte) Wire.FLAG_LAST);
        return b.array();
    }

    private static EmbeddedChannel channel(ReadCounter counter, Budget budget) {
        FrameDecoder decoder = new FrameDecoder(Wire.MIN_MAX_FRAME);
        decoder.budget(budget);
        EmbeddedChannel ch = new EmbeddedChannel(counter, decoder);
        ch.config().setAutoRead(false); // what the budget's owner does when it refuses a frame
        counter.reads.set(0);
        return ch;
    }

    @Test
    void aRefusedFrameIsNotReadFurther() {
        ReadCounter counter = new ReadCounter();
        Budget budget = new Budget();
        EmbeddedChannel ch = channel(counter, budget);
        ch.writeInbound(Unpooled.wrappedBuffer(frameStart(16 << 20, 60_000)));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[60_000]));
        assertThat(counter.reads).as("read requests while the frame waits for budget room").hasValue(0);
        assertThat(budget.held).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void aGrantedFrameStillAsksForItsRest() {
        // The control: with the reservation granted the decoder does ask for the rest (auto-read
        // off for another reason, e.g. a pause the owner lifts later, must not starve the frame).
        ReadCounter counter = new ReadCounter();
        Budget budget = new Budget();
        budget.grant = true;
        EmbeddedChannel ch = channel(counter, budget);
        ch.writeInbound(Unpooled.wrappedBuffer(frameStart(16 << 20, 60_000)));
        assertThat(counter.reads.get()).isPositive();
        assertThat(budget.held).isEqualTo(Wire.LENGTH_FIELD + (16L << 20));
        ch.finishAndReleaseAll();
    }
}
