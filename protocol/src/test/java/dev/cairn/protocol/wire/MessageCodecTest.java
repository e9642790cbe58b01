package dev.cairn.protocol.wire;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.wire.Message.ErrorReply;
import dev.cairn.protocol.wire.Message.Have;
import dev.cairn.protocol.wire.Message.Ping;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** The byte layouts of docs/PROTOCOL.md, without a channel. */
class MessageCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void samplesCoverEveryMessageType() {
        Set<Class<?>> types = new HashSet<>();
        ArrayDeque<Class<?>> todo = new ArrayDeque<>(List.of(Message.class));
        while (!todo.isEmpty()) {
            Class<?> c = todo.pop();
            if (c.isRecord()) {
                types.add(c);
            } else {
                todo.addAll(Arrays.asList(c.getPermittedSubclasses()));
            }
        }
        Set<Class<?>> sampled = new HashSet<>();
        WireSamples.all().forEach(m -> sampled.add(m.getClass()));
        assertThat(sampled).containsExactlyInAnyOrderElementsOf(types);
    }

    @Test
    void everyMessageRoundTrips() throws CairnException {
        for (Envelope e : WireSamples.envelopes()) {
            byte[] frame = MessageCodec.encode(e);
            Envelope back = MessageCodec.decode(parse(frame));
            assertThat(back).as(e.toString()).isEqualTo(e);
            // Encoding is deterministic: the decoded message encodes to the same bytes.
            assertThat(MessageCodec.encode(back)).isEqualTo(frame);
        }
    }

    @Test
    void opcodesFollowTheRanges() {
        for (Message m : WireSamples.all()) {
            int op = m.opcode();
            if (m instanceof Message.Request) {
                assertThat(Opcode.isRequest(op)).as(Opcode.name(op)).isTrue();
            } else if (m instanceof ErrorReply) {
                assertThat(op).isEqualTo(0xFF);
            } else if (!Opcode.isPart(op)) {
                assertThat(op & 0x80).as(Opcode.name(op)).isEqualTo(0x80);
                assertThat(Opcode.isRequest(op & 0x7F)).isTrue();
            }
            assertThat(Opcode.name(op)).doesNotStartWith("0x");
        }
    }

    // ------------------------------------------------------------ golden bytes

    @Test
    void pingFrameBytes() {
        byte[] f = MessageCodec.encode(Envelope.of(7, new Ping(0x0102030405060708L)));
        assertThat(HEX.formatHex(f)).isEqualTo("0000000e" + "02" + "00000007" + "01" + "0102030405060708");
    }

    @Test
    void helloFrameBytes() {
        byte[] f = MessageCodec.encode(Envelope.of(1, new Message.Hello(1, 1, Wire.MIN_MAX_FRAME, "t", "c")));
        assertThat(HEX.formatHex(f)).isEqualTo("00000018" + "01" + "00000001" + "01"
                + "43414952" + "0001" + "0001" + "01010000" + "000174" + "000163");
    }

    @Test
    void haveAndHaveOkFrameBytes() {
        byte[] id = new byte[32];
        Arrays.fill(id, (byte) 0xaa);
        byte[] f = MessageCodec.encode(Envelope.of(1, new Have(List.of(dev.cairn.protocol.chunk.ChunkId.fromBytes(id)))));
        assertThat(HEX.formatHex(f)).isEqualTo("0000002a" + "10" + "00000001" + "01" + "00000001" + "aa".repeat(32));

        BitSet missing = new BitSet();
        missing.set(0);
        missing.set(9);
        byte[] ok = MessageCodec.encode(Envelope.of(1, new Message.HaveOk(10, missing)));
        // Bit i of the bitmap is bit (i % 8), least significant first, of byte i / 8.
        assertThat(HEX.formatHex(ok)).isEqualTo("0000000c" + "90" + "00000001" + "01" + "0000000a" + "0102");
    }

    @Test
    void errorFrameBytes() {
        byte[] f = MessageCodec.encode(Envelope.of(0x01020304, new ErrorReply(Status.FRAME_TOO_LARGE, "too big")));
        assertThat(HEX.formatHex(f)).isEqualTo("00000015" + "ff" + "01020304" + "01" + "000e" + "0007"
                + HEX.formatHex("too big".getBytes()) + "00000000");
    }

    // -------------------------------------------------------------- malformed

    @Test
    void everyTruncationIsBadRequest() {
        // Counts precede their items and every field is read, so no proper prefix of a payload decodes.
        for (Envelope e : WireSamples.envelopes()) {
            Frame f = parse(MessageCodec.encode(e));
            for (int n = 0; n < f.payload().length; n++) {
                if (n == olderFormLength(e.message(), f.payload().length)) {
                    continue; // the same message without its optional trailing fields (gcFrameWithoutFlags...)
                }
                Frame cut = new Frame(f.opcode(), f.requestId(), f.flags(), Arrays.copyOf(f.payload(), n));
                expectStatus(cut, Status.BAD_REQUEST, e + " cut to " + n);
            }
        }
    }

    @Test
    void trailingBytesAreBadRequest() {
        for (Envelope e : WireSamples.envelopes()) {
            Frame f = parse(MessageCodec.encode(e));
            if (e.message() instanceof Message.Gc g && !g.withFlags()) {
                continue; // one byte more is the flags byte of the current GC frame
            }
            byte[] longer = Arrays.copyOf(f.payload(), f.payload().length + 1);
            expectStatus(new Frame(f.opcode(), f.requestId(), f.flags(), longer), Status.BAD_REQUEST, e.toString());
        }
    }

    @Test
    void unknownAndReservedOpcodes() {
        for (int op : new int[] {0x00, 0x04, 0x18, 0x2d, 0x49, 0x5f, 0x6f, 0x70,
                0x7f, 0x80, 0x83, 0xc9, 0xef, 0xfb, 0xfe}) {
            expectStatus(new Frame(op, 1, Wire.FLAG_LAST, new byte[0]), Status.UNKNOWN_OPCODE, Opcode.name(op));
        }
    }

    @Test
    void flagsAreChecked() {
        byte[] ping = new byte[8];
        expectStatus(new Frame(Opcode.PING, 1, 0x03, ping), Status.BAD_REQUEST, "reserved bit");
        expectStatus(new Frame(Opcode.PING, 1, 0x80, ping), Status.BAD_REQUEST, "reserved bit");
        expectStatus(new Frame(Opcode.PING, 1, 0, ping), Status.BAD_REQUEST, "request without LAST");
        byte[] progress = new byte[8];
        expectStatus(new Frame(Opcode.VERIFY_PROGRESS, 1, Wire.FLAG_LAST, progress), Status.BAD_REQUEST, "part with LAST");
    }

    @Test
    void invalidFieldValuesAreBadRequest() {
        // HELLO with a wrong magic.
        expectPayload(Opcode.HELLO, "47455420" + "0001" + "0001" + "01010000" + "0000" + "0000", "bad magic");
        // A u64 field above 2^63 (READ start chunk).
        expectPayload(Opcode.READ, "11".repeat(32) + "0000" + "8000000000000000", "out of range");
        // An entry name escaping the checkpoint.
        expectPayload(Opcode.ENTRY, "00000001" + "0005" + HEX.formatHex("../x!".getBytes()) + "00", "relative path");
        // An unknown entry kind.
        expectPayload(Opcode.ENTRY, "00000001" + "0001" + "61" + "07", "unknown entry kind");
        // An unknown chunk codec.
        expectPayload(Opcode.UPLOAD, "00000001" + "00000001" + "22".repeat(32) + "05" + "00000001" + "00000001" + "00",
                "unknown codec");
        // A payload length beyond the frame.
        expectPayload(Opcode.UPLOAD, "00000001" + "00000001" + "22".repeat(32) + "00" + "00000001" + "00001000" + "00",
                "payload length");
        // A count that claims more items than bytes left.
        expectPayload(Opcode.HAVE, "7fffffff" + "00".repeat(32), "id count");
        expectPayload(Opcode.HAVE, "ffffffff", "id count");
        // A bad series name in LIST.
        expectPayload(Opcode.LIST, "01" + "0003" + HEX.formatHex("a//".getBytes()), "series");
        // A bad boolean byte.
        expectPayload(Opcode.VERIFY, "02", "boolean");
        // A bitmap with bits beyond the count.
        expectPayload(Opcode.HAVE_OK, "00000003" + "ff", "beyond");
        // A put mode this version does not know.
        expectPayload(Opcode.BEGIN_PUT, "07" + "0001" + "61" + "0000000000000000" + "00" + "00" + "00" + "00000000"
                + "00000000" + "00" + "00", "mode");
        // A delta put without a parent.
        expectPayload(Opcode.BEGIN_PUT, "01" + "0001" + "61" + "0000000000000000" + "00" + "00" + "00" + "00000000"
                + "00000000" + "00" + "00", "parent");
        // A non-finite metric.
        expectPayload(Opcode.BEGIN_PUT, "00" + "0001" + "61" + "0000000000000000" + "00" + "00" + "00" + "00000001"
                + "0001" + "6d" + "7ff8000000000000" + "00000000" + "00" + "00", "finite");
        // Maintenance messages: an empty series filter, a bad tag, a bad series name, a ttl above 2^63,
        // a bool that is not 0/1, texts and lists longer than the payload.
        expectPayload(Opcode.TRIM, "01" + "0000" + "00" + "00" + "00" + "00", "series filter is empty");
        expectPayload(Opcode.TRIM, "00" + "01" + "00000010" + "6162" + "00" + "00" + "00", "text length");
        expectPayload(Opcode.TRIM, "00" + "00" + "00" + "00" + "02", "boolean");
        expectPayload(Opcode.TAG, "11".repeat(32) + "00000001" + "0003" + HEX.formatHex("a b".getBytes()) + "00000000",
                "tag");
        expectPayload(Opcode.TAG, "11".repeat(32) + "00000000" + "7fffffff", "tag count");
        expectPayload(Opcode.POLICY_SIMULATE, "0002" + HEX.formatHex("/a".getBytes()) + "00" + "00", "series");
        expectPayload(Opcode.HOLD_ADD, "11".repeat(32) + "0001" + "6f" + "0001" + "72" + "01" + "8000000000000000",
                "ttl");
        expectPayload(Opcode.GC, "05", "boolean");
        expectPayload(Opcode.GC, "00" + "02", "unknown flags");
        expectPayload(Opcode.GC, "00" + "01" + "00", "trailing");
        expectPayload(Opcode.TRASH_LS, "00", "trailing");
        expectPayload(Opcode.TRIM_SERIES, "0001" + "61" + "0001" + "2a" + "00" + "0000000000000000" + "00000001",
                "kept count");
        expectPayload(Opcode.TRIM_REBASES, "00000002" + "11".repeat(67), "rebase count");
        expectPayload(Opcode.TEXT_PART, "00000005" + "6162", "text length");
        expectPayload(Opcode.GC_OK, "0001" + "67" + "00" + "ff".repeat(8), "out of range");
        // Invalid UTF-8 is refused, naming the field (StrictUtf8Test has the rest).
        expectPayload(Opcode.RESOLVE, "0002" + "c328", "id text is not valid UTF-8");
    }

    /**
     * Payload length of the older form of a message that has optional trailing fields (added
     * compatibly: a GC request's flags byte, GC_OK's unexplained counts), or -1.
     */
    private static int olderFormLength(Message m, int length) {
        if (m instanceof Message.Gc g && g.withFlags()) {
            return 1;
        }
        if (m instanceof Message.GcOk g && g.unexplained() != null) {
            return length - (3 * 8 + 1);
        }
        return -1;
    }

    /** An old client's one-byte GC frame still decodes, and its reply has no fields it cannot read. */
    @Test
    void gcFrameWithoutFlagsIsTheOriginalRequest() throws Exception {
        Frame old = new Frame(Opcode.GC, 5, Wire.FLAG_LAST, HEX.parseHex("01"));
        assertThat(MessageCodec.decode(old).message()).isEqualTo(new Message.Gc(true, false, false));
        Frame forced = new Frame(Opcode.GC, 5, Wire.FLAG_LAST, HEX.parseHex("00" + "01"));
        assertThat(MessageCodec.decode(forced).message()).isEqualTo(new Message.Gc(false, true));
        byte[] v1 = MessageCodec.encode(Envelope.of(5, new Message.GcOk("g", false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                List.of(), 0, 0)));
        byte[] v2 = MessageCodec.encode(Envelope.of(5, new Message.GcOk("g", false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                List.of(), 0, 0, new Message.GcUnexplained(1, 2, 3, true))));
        assertThat(v2.length - v1.length).isEqualTo(3 * 8 + 1); // appended, nothing before it moved
        assertThat(Arrays.copyOfRange(v2, 10, v1.length)).isEqualTo(Arrays.copyOfRange(v1, 10, v1.length));
        assertThat(MessageCodec.decode(parse(v1)).message()).isInstanceOfSatisfying(Message.GcOk.class,
                g -> assertThat(g.unexplained()).isNull());
    }

    private static void expectPayload(int opcode, String hex, String messagePart) {
        Frame f = new Frame(opcode, 5, Opcode.isPart(opcode) ? 0 : Wire.FLAG_LAST, HEX.parseHex(hex));
        if (messagePart == null) {
            try {
                MessageCodec.decode(f);
            } catch (CairnException e) {
                assertThat(e.status()).isEqualTo(Status.BAD_REQUEST);
            }
            return;
        }
        assertThatThrownBy(() -> MessageCodec.decode(f)).isInstanceOf(CairnException.class)
                .hasMessageContaining(messagePart)
                .satisfies(e -> assertThat(((CairnException) e).status()).isEqualTo(Status.BAD_REQUEST));
    }

    private static void expectStatus(Frame f, Status status, String what) {
        try {
            Envelope e = MessageCodec.decode(f);
            fail(what + ": decoded to " + e);
        } catch (CairnException e) {
            assertThat(e.status()).as(what + ": " + e.getMessage()).isEqualTo(status);
        } catch (RuntimeException e) {
            throw new AssertionError(what + ": escaped as " + e, e);
        }
    }

    static Frame parse(byte[] frame) {
        int len = (frame[0] & 0xff) << 24 | (frame[1] & 0xff) << 16 | (frame[2] & 0xff) << 8 | (frame[3] & 0xff);
        assertThat(len).isEqualTo(frame.length - 4);
        int rid = (frame[5] & 0xff) << 24 | (frame[6] & 0xff) << 16 | (frame[7] & 0xff) << 8 | (frame[8] & 0xff);
        return new Frame(frame[4] & 0xff, rid, frame[9] & 0xff, Arrays.copyOfRange(frame, 10, frame.length));
    }
}
