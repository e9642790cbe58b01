package dev.cairn.protocol.wire;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.wire.Message.Ping;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two inbound stages (frame decoder → codec) and the outbound codec in Netty's
 * EmbeddedChannel: byte literals split at every byte, two frames per read, limits, bad frames.
 */
class CodecPipelineTest {
    private static final HexFormat HEX = HexFormat.of();

    private static EmbeddedChannel channel(int maxFrame) {
        return new EmbeddedChannel(new FrameDecoder(maxFrame), new MessageCodecHandler());
    }

    private static byte[] concat(List<Envelope> es) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Envelope e : es) {
            out.writeBytes(MessageCodec.encode(e));
        }
        return out.toByteArray();
    }

    private static List<Object> drain(EmbeddedChannel ch) {
        List<Object> out = new ArrayList<>();
        Object o;
        while ((o = ch.readInbound()) != null) {
            out.add(o);
        }
        return out;
    }

    @Test
    void literalPingSplitAtEveryByte() {
        byte[] frame = HEX.parseHex("0000000e" + "02" + "00000007" + "01" + "0102030405060708");
        for (int split = 0; split <= frame.length; split++) {
            EmbeddedChannel ch = channel(Wire.MIN_MAX_FRAME);
            ch.writeInbound(Unpooled.wrappedBuffer(frame, 0, split));
            if (split < frame.length) {
                Object early = ch.readInbound();
                assertThat(early).as("nothing before the frame is complete").isNull();
            }
            ch.writeInbound(Unpooled.wrappedBuffer(frame, split, frame.length - split));
            assertThat(drain(ch)).as("split at " + split).containsExactly(Envelope.of(7, new Ping(0x0102030405060708L)));
            assertThat(ch.finish()).isFalse();
        }
    }

    @Test
    void everyMessageSplitAtEveryByte() {
        List<Envelope> all = WireSamples.envelopes();
        byte[] stream = concat(all);
        for (int split = 0; split <= stream.length; split++) {
            EmbeddedChannel ch = channel(Wire.MIN_MAX_FRAME);
            ch.writeInbound(Unpooled.wrappedBuffer(stream, 0, split));
            ch.writeInbound(Unpooled.wrappedBuffer(stream, split, stream.length - split));
            assertThat(drain(ch)).as("split at " + split).isEqualTo(all);
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void byteByByte() {
        List<Envelope> all = WireSamples.envelopes();
        byte[] stream = concat(all);
        EmbeddedChannel ch = channel(Wire.MIN_MAX_FRAME);
        for (byte b : stream) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        assertThat(drain(ch)).isEqualTo(all);
    }

    @Test
    void twoFramesPerRead() {
        List<Envelope> all = WireSamples.envelopes();
        for (int i = 0; i + 1 < all.size(); i++) {
            EmbeddedChannel ch = channel(Wire.MIN_MAX_FRAME);
            List<Envelope> pair = all.subList(i, i + 2);
            ch.writeInbound(Unpooled.wrappedBuffer(concat(pair)));
            assertThat(drain(ch)).isEqualTo(pair);
        }
    }

    @Test
    void outboundEnvelopesBecomeTheirFrames() {
        EmbeddedChannel ch = channel(Wire.MIN_MAX_FRAME);
        for (Envelope e : WireSamples.envelopes()) {
            ch.writeOutbound(e);
            ByteBuf b = ch.readOutbound();
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            b.release();
            assertThat(bytes).as(e.toString()).isEqualTo(MessageCodec.encode(e));
        }
    }

    @Test
    void frameOverTheLimitIsFatalAndNamesTheRequest() {
        EmbeddedChannel ch = channel(100);
        byte[] ok = MessageCodec.encode(Envelope.of(1, new Ping(1)));
        // Length 101 > 100, opcode PING, request id 9: only the header is needed to refuse it.
        byte[] big = HEX.parseHex("00000065" + "02" + "00000009" + "01");
        byte[] stream = new byte[ok.length + big.length + ok.length];
        System.arraycopy(ok, 0, stream, 0, ok.length);
        System.arraycopy(big, 0, stream, ok.length, big.length);
        System.arraycopy(ok, 0, stream, ok.length + big.length, ok.length);
        ch.writeInbound(Unpooled.wrappedBuffer(stream));
        List<Object> out = drain(ch);
        assertThat(out).hasSize(2);
        assertThat(out.get(0)).isEqualTo(Envelope.of(1, new Ping(1)));
        DecodeFailure f = (DecodeFailure) out.get(1);
        assertThat(f.status()).isEqualTo(Status.FRAME_TOO_LARGE);
        assertThat(f.requestId()).isEqualTo(9);
        assertThat(f.fatal()).isTrue();
        // Whatever follows is discarded: the stream cannot be trusted past a refused frame.
        ch.writeInbound(Unpooled.wrappedBuffer(ok));
        assertThat(drain(ch)).isEmpty();
    }

    @Test
    void frameExactlyAtTheLimitPasses() {
        byte[] ping = MessageCodec.encode(Envelope.of(3, new Ping(3)));
        EmbeddedChannel ch = channel(ping.length - 4);
        ch.writeInbound(Unpooled.wrappedBuffer(ping));
        assertThat(drain(ch)).containsExactly(Envelope.of(3, new Ping(3)));
    }

    @Test
    void raisedLimitAppliesToLaterFrames() {
        FrameDecoder d = new FrameDecoder(Wire.HANDSHAKE_MAX_FRAME);
        EmbeddedChannel ch = new EmbeddedChannel(d, new MessageCodecHandler());
        Envelope big = Envelope.of(2, new Message.PatchData(1, "", 0, new byte[Wire.HANDSHAKE_MAX_FRAME]));
        d.maxFrame(Wire.MIN_MAX_FRAME);
        ch.writeInbound(Unpooled.wrappedBuffer(MessageCodec.encode(big)));
        assertThat(drain(ch)).containsExactly(big);
    }

    @Test
    void lengthShorterThanHeaderIsFatal() {
        for (String len : new String[] {"00000000", "00000005"}) {
            EmbeddedChannel ch = channel(Wire.MIN_MAX_FRAME);
            ch.writeInbound(Unpooled.wrappedBuffer(HEX.parseHex(len + "02000000")));
            List<Object> out = drain(ch);
            assertThat(out).hasSize(1);
            DecodeFailure f = (DecodeFailure) out.get(0);
            assertThat(f.status()).isEqualTo(Status.BAD_REQUEST);
            assertThat(f.fatal()).isTrue();
            assertThat(f.requestId()).isEqualTo(Wire.CONNECTION_ID);
        }
    }

    @Test
    void garbageStartsWithAHugeLength() {
        // "GET / HTTP/1.1": the first four bytes read as a length of 1.19 GB.
        EmbeddedChannel ch = channel(Wire.HANDSHAKE_MAX_FRAME);
        ch.writeInbound(Unpooled.wrappedBuffer("GET / HTTP/1.1\r\n\r\n".getBytes()));
        List<Object> out = drain(ch);
        assertThat(out).hasSize(1);
        assertThat(((DecodeFailure) out.get(0)).status()).isEqualTo(Status.FRAME_TOO_LARGE);
    }

    @Test
    void malformedPayloadIsNonFatalAndTheNextFrameDecodes() {
        EmbeddedChannel ch = channel(Wire.MIN_MAX_FRAME);
        byte[] bad = HEX.parseHex("0000000a" + "10" + "00000004" + "01" + "00000001"); // HAVE claiming 1 id, 0 bytes
        byte[] unknown = HEX.parseHex("00000006" + "4a" + "00000005" + "01");
        byte[] ok = MessageCodec.encode(Envelope.of(6, new Ping(6)));
        byte[] stream = new byte[bad.length + unknown.length + ok.length];
        System.arraycopy(bad, 0, stream, 0, bad.length);
        System.arraycopy(unknown, 0, stream, bad.length, unknown.length);
        System.arraycopy(ok, 0, stream, bad.length + unknown.length, ok.length);
        for (int split = 0; split <= stream.length; split++) {
            EmbeddedChannel c = channel(Wire.MIN_MAX_FRAME);
            c.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, 0, split)));
            c.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, split, stream.length)));
            List<Object> out = drain(c);
            assertThat(out).hasSize(3);
            DecodeFailure f1 = (DecodeFailure) out.get(0);
            assertThat(f1.status()).isEqualTo(Status.BAD_REQUEST);
            assertThat(f1.requestId()).isEqualTo(4);
            assertThat(f1.fatal()).isFalse();
            DecodeFailure f2 = (DecodeFailure) out.get(1);
            assertThat(f2.status()).isEqualTo(Status.UNKNOWN_OPCODE);
            assertThat(f2.requestId()).isEqualTo(5);
            assertThat(out.get(2)).isEqualTo(Envelope.of(6, new Ping(6)));
        }
        ch.finishAndReleaseAll();
    }
}
