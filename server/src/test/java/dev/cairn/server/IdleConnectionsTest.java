package dev.cairn.server;

import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Frame;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.MessageCodec;
import dev.cairn.protocol.wire.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Thousands of idle connections must not hurt the daemon or a normal client. */
class IdleConnectionsTest {
    static final int IDLE = 2000;

    @TempDir
    Path dir;

    @Test
    void twoThousandIdleSocketsThenANormalPutAndGet() throws Exception {
        // Half of them never say HELLO: allow that many connections in the handshake.
        var config = DaemonFixture.config(dir.resolve("data"));
        CairnDaemon d = CairnDaemon.start(config.withLimits(config.limits().withTenantLimits(0, 0, IDLE)));
        List<Socket> sockets = new ArrayList<>();
        try {
            InetSocketAddress a = d.address();
            byte[] hello = MessageCodec.encode(Envelope.of(1, new Message.Hello(1, 1, Wire.MIN_MAX_FRAME, "", "idle")));
            for (int i = 0; i < IDLE; i++) {
                Socket s = new Socket();
                s.connect(a, 5000);
                s.setSoTimeout(10_000);
                sockets.add(s);
                if (i % 2 == 0) {
                    // Half complete the handshake and then idle; the rest never say anything.
                    s.getOutputStream().write(hello);
                    assertThat(readFrame(s).opcode()).isEqualTo(dev.cairn.protocol.wire.Opcode.HELLO_OK);
                }
            }
            BadInputTest.waitFor(() -> d.connections() >= IDLE);
            assertThat(d.metrics().connections.get()).isGreaterThanOrEqualTo(IDLE);

            long t0 = System.nanoTime();
            byte[] data = DaemonFixture.data(500, 1_000_000);
            try (WireDriver w = WireDriver.open(a, "")) {
                Message.CommitOk ok = w.put("idle/x", Instant.parse("2026-11-01T00:00:00Z"), data);
                assertThat(w.read(ok.id(), "")).isEqualTo(data);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).as("put+get of 1 MB with %d idle connections", IDLE).isLessThan(10_000);

            // The idle ones are still there and still answer.
            for (int i = 0; i < IDLE; i += 100) {
                Socket s = sockets.get(i);
                s.getOutputStream().write(MessageCodec.encode(Envelope.of(2, new Message.Ping(i))));
                assertThat(readFrame(s).opcode()).isEqualTo(dev.cairn.protocol.wire.Opcode.PONG);
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
            BadInputTest.waitFor(() -> d.connections() == 0);
            assertThat(d.stop()).isTrue();
        }
    }

    private static Frame readFrame(Socket s) throws Exception {
        DataInputStream in = new DataInputStream(s.getInputStream());
        int len = in.readInt();
        int op = in.readUnsignedByte();
        int id = in.readInt();
        int flags = in.readUnsignedByte();
        byte[] p = new byte[len - 6];
        in.readFully(p);
        return new Frame(op, id, flags, p);
    }
}
