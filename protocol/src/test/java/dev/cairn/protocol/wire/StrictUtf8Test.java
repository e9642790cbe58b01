package dev.cairn.protocol.wire;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.codec.MalformedDataException;
import dev.cairn.protocol.codec.Utf8;
import dev.cairn.protocol.wire.Message.Entry;
import dev.cairn.protocol.wire.Message.Ping;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every string on the wire is decoded strictly: malformed UTF-8 is BAD_REQUEST naming the field,
 * never a silently different name made of U+FFFD. Byte literals through the real inbound stages
 * (frame decoder → codec), split at every byte and batched with a good frame behind them.
 */
class StrictUtf8Test {
    private static final HexFormat HEX = HexFormat.of();
    /** The bytes of issue 10 item 9: a lone 0xff then 0xfe, valid in no UTF-8 text. */
    private static final String BAD = "61" + "fffe";

    /** ENTRY (session 1) named {@code a\xff\xfe}, kind file. */
    private static final String ENTRY = "00000001" + "0003" + BAD + "00";
    /** BEGIN_PUT of a full put whose series is {@code a\xff\xfe}. */
    private static final String SERIES = "00" + "0003" + BAD + "0000000000000000" + "00" + "00" + "00" + "00000000"
            + "00000000" + "00" + "00";
    /** BEGIN_PUT with the series "a" and one tag {@code a\xff\xfe}. */
    private static final String TAG = "00" + "0001" + "61" + "0000000000000000" + "00" + "00" + "00" + "00000000"
            + "00000001" + "0003" + BAD + "00" + "00";
    /** BEGIN_PUT with the series "a" and a metric named {@code a\xff\xfe} = 1.0. */
    private static final String METRIC = "00" + "0001" + "61" + "0000000000000000" + "00" + "00" + "00" + "00000001"
            + "0003" + BAD + "3ff0000000000000" + "00000000" + "00" + "00";

    @Test
    void malformedNamesAreBadRequestNamingTheField() {
        expect(Opcode.ENTRY, ENTRY, "entry name");
        expect(Opcode.BEGIN_PUT, SERIES, "series");
        expect(Opcode.BEGIN_PUT, TAG, "tag");
        expect(Opcode.BEGIN_PUT, METRIC, "metric name");
        expect(Opcode.READ, "11".repeat(32) + "0003" + BAD + "0000000000000000", "entry name");
        expect(Opcode.LIST, "01" + "0003" + BAD, "series");
        expect(Opcode.RESOLVE, "0002" + "c328", "id text");
        // The u32-length texts (a policy) too.
        expect(Opcode.TRIM, "00" + "01" + "00000003" + BAD + "00" + "00" + "00", "policy");
        // Replies the client decodes: an error message, a listed entry.
        expect(Opcode.ERROR, "0005" + "0003" + BAD + "00000000", "error message");
        expect(Opcode.ENTRY_PAGE, "00000001" + "0003" + BAD + "00" + "00".repeat(16) + "11".repeat(32), "entry name");
    }

    @Test
    void overlongSurrogateAndTruncatedFormsAreRefused() {
        for (String bytes : List.of("c0af", "e0808f", "eda080", "f4908080", "e282", "80")) {
            assertThatThrownBy(() -> Utf8.decode(HEX.parseHex(bytes), "entry name"), bytes)
                    .isInstanceOf(MalformedDataException.class)
                    .hasMessageContaining("entry name is not valid UTF-8");
        }
    }

    @Test
    void validMultiByteNamesRoundTrip() throws CairnException {
        String name = "résumé/日本/𝄞.bin";
        Envelope e = Envelope.of(3, new Entry(1, name, dev.cairn.protocol.manifest.EntryKind.FILE));
        Envelope back = MessageCodec.decode(MessageCodecTest.parse(MessageCodec.encode(e)));
        assertThat(back).isEqualTo(e);
        assertThat(((Entry) back.message()).name().getBytes(StandardCharsets.UTF_8))
                .isEqualTo(name.getBytes(StandardCharsets.UTF_8));
        assertThat(Utf8.decode(name.getBytes(StandardCharsets.UTF_8), "x")).isEqualTo(name);
    }

    /** The malformed ENTRY through the pipeline: a non-fatal BAD_REQUEST, and the next frame decodes. */
    @Test
    void malformedEntryThroughThePipelineAtEverySplit() {
        byte[] bad = frame(Opcode.ENTRY, 9, ENTRY);
        byte[] ok = MessageCodec.encode(Envelope.of(10, new Ping(10)));
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.writeBytes(bad);
        both.writeBytes(ok);
        byte[] stream = both.toByteArray();
        for (int split = 0; split <= stream.length; split++) {
            EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(Wire.MIN_MAX_FRAME), new MessageCodecHandler());
            ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, 0, split)));
            ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, split, stream.length)));
            List<Object> out = new ArrayList<>();
            for (Object o; (o = ch.readInbound()) != null; ) {
                out.add(o);
            }
            assertThat(out).as("split at " + split).hasSize(2);
            DecodeFailure f = (DecodeFailure) out.get(0);
            assertThat(f.status()).isEqualTo(Status.BAD_REQUEST);
            assertThat(f.requestId()).isEqualTo(9);
            assertThat(f.fatal()).isFalse();
            assertThat(f.message()).contains("entry name is not valid UTF-8");
            assertThat(out.get(1)).isEqualTo(Envelope.of(10, new Ping(10)));
            ch.finishAndReleaseAll();
        }
    }

    private static byte[] frame(int opcode, int requestId, String payloadHex) {
        byte[] payload = HEX.parseHex(payloadHex);
        int flags = Opcode.isPart(opcode) ? 0 : Wire.FLAG_LAST;
        return HEX.parseHex(String.format("%08x%02x%08x%02x", payload.length + 6, opcode, requestId, flags)
                + payloadHex);
    }

    private static void expect(int opcode, String payloadHex, String field) {
        Frame f = new Frame(opcode, 5, Opcode.isPart(opcode) ? 0 : Wire.FLAG_LAST, HEX.parseHex(payloadHex));
        assertThatThrownBy(() -> MessageCodec.decode(f)).as(Opcode.name(opcode) + " " + field)
                .isInstanceOf(CairnException.class)
                .hasMessageContaining(field + " is not valid UTF-8")
                .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.BAD_REQUEST));
    }
}
