package dev.cairn.protocol.wire;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Byte layouts of the raw-stream family, as docs/PROTOCOL.md ("Raw-stream puts") gives them. */
class RawPutCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void rawDataFrameBytes() {
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        byte[] frame = MessageCodec.encode(Envelope.of(5, RawPut.Data.raw(7, abc, 0, 3)));
        // length 22, opcode 0x2A, request 5, LAST; session 7, codec 0, rawLength 3, payloadLength 3, "abc"
        assertThat(HEX.formatHex(frame)).isEqualTo("00000016" + "2a" + "00000005" + "01"
                + "00000007" + "00" + "00000003" + "00000003" + "616263");
    }

    @Test
    void rawEndEntryAndFdFrameBytes() {
        assertThat(HEX.formatHex(MessageCodec.encode(Envelope.of(9, new RawPut.EndEntry(7, 3L)))))
                .isEqualTo("00000013" + "2b" + "00000009" + "01" + "00000007" + "01" + "0000000000000003");
        assertThat(HEX.formatHex(MessageCodec.encode(Envelope.of(9, new RawPut.EndEntry(7, null)))))
                .isEqualTo("0000000b" + "2b" + "00000009" + "01" + "00000007" + "00");
        assertThat(HEX.formatHex(MessageCodec.encode(Envelope.of(4, new RawPut.Fd(7)))))
                .isEqualTo("0000000a" + "2c" + "00000004" + "01" + "00000007");
        // FD_READY is a part: no LAST flag, empty payload.
        assertThat(HEX.formatHex(MessageCodec.encode(Envelope.part(4, new RawPut.FdReady()))))
                .isEqualTo("00000006" + "fa" + "00000004" + "00");
    }

    @Test
    void invalidFieldsAreBadRequest() {
        // codec 2 (zstd) is not accepted in RAW_DATA
        expectBadRequest(Opcode.RAW_DATA, "00000007" + "02" + "00000003" + "00000003" + "616263");
        // rawLength above 16 MiB
        expectBadRequest(Opcode.RAW_DATA, "00000007" + "01" + "01000001" + "00000003" + "616263");
        // raw payload whose length differs from rawLength
        expectBadRequest(Opcode.RAW_DATA, "00000007" + "00" + "00000004" + "00000003" + "616263");
        // an absolute path as entry name
        expectBadRequest(Opcode.RAW_ENTRY, "00000007" + "0002" + "2f78" + "00");
        // READ_FD naming a parent directory
        expectBadRequest(Opcode.READ_FD, "00".repeat(32) + "0002" + "2e2e");
    }

    private static void expectBadRequest(int opcode, String hex) {
        assertThatThrownBy(() -> MessageCodec.decodePayload(opcode, HEX.parseHex(hex)))
                .isInstanceOf(CairnException.class)
                .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.BAD_REQUEST));
    }
}
