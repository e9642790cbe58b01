package dev.cairn.client;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.wire.Message;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Chunk verification on read: wrong bytes can never come out. */
class EntryReaderTest {
    static Message.WireChunk chunk(byte[] raw) {
        EncodedChunk e = ChunkCodec.shared().encode(raw, 0, raw.length);
        return new Message.WireChunk(ChunkId.of(raw, 0, raw.length), e);
    }

    static byte[] compressible(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i / 100);
        }
        return b;
    }

    @Test
    void decodesAndVerifiesRawAndLz4Chunks() {
        byte[] a = new byte[5000];
        new Random(1).nextBytes(a);
        byte[] b = compressible(7000);
        Message.WireChunk ca = chunk(a);
        Message.WireChunk cb = chunk(b);
        assertThat(ca.payload().codec()).isEqualTo(ChunkCodec.RAW);
        assertThat(cb.payload().codec()).isEqualTo(ChunkCodec.LZ4);
        var d = EntryReader.decode(new Message.ReadData(List.of(ca, cb)));
        byte[] all = new byte[12000];
        System.arraycopy(a, 0, all, 0, 5000);
        System.arraycopy(b, 0, all, 5000, 7000);
        assertThat(d.toArray()).isEqualTo(all);
        assertThat(d.refs()).hasSize(2);
    }

    @Test
    void flippedByteInARawChunkIsCorrupt() {
        byte[] a = new byte[3000];
        new Random(2).nextBytes(a);
        Message.WireChunk good = chunk(a);
        byte[] bad = a.clone();
        bad[1234] ^= 1;
        Message.WireChunk forged = new Message.WireChunk(good.id(), new EncodedChunk(ChunkCodec.RAW, bad.length, bad, 0,
                bad.length));
        assertCorrupt(forged, "hashes to");
    }

    @Test
    void damagedLz4PayloadIsCorrupt() {
        byte[] b = compressible(9000);
        Message.WireChunk good = chunk(b);
        EncodedChunk e = good.payload();
        byte[] payload = java.util.Arrays.copyOfRange(e.data(), e.offset(), e.offset() + e.length());
        payload[payload.length / 2] ^= 0x55;
        Message.WireChunk forged = new Message.WireChunk(good.id(), new EncodedChunk(ChunkCodec.LZ4, e.rawLength(),
                payload, 0, payload.length));
        assertCorrupt(forged, "");
    }

    @Test
    void wrongRawLengthIsCorrupt() {
        byte[] a = new byte[100];
        Message.WireChunk good = chunk(a);
        Message.WireChunk forged = new Message.WireChunk(good.id(), new EncodedChunk(ChunkCodec.RAW, 99, a, 0, 100));
        assertCorrupt(forged, "does not decode");
    }

    private static void assertCorrupt(Message.WireChunk c, String text) {
        assertThatThrownBy(() -> EntryReader.decode(new Message.ReadData(List.of(c))))
                .isInstanceOf(CompletionException.class)
                .satisfies(t -> {
                    CairnClientException e = (CairnClientException) t.getCause();
                    assertThat(e.status()).isEqualTo(Status.CORRUPT);
                    assertThat(e.getMessage()).contains(text);
                });
    }
}
