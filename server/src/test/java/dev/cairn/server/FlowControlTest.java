package dev.cairn.server;

import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.CommitOk;
import dev.cairn.protocol.wire.Message.ReadData;
import dev.cairn.protocol.wire.Message.WireChunk;
import dev.cairn.store.RepositoryOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** A reader that does not read must not make the daemon buffer the checkpoint. */
class FlowControlTest {
    static final int SIZE = 48 << 20;

    @TempDir
    Path dir;

    @Test
    void slowReaderHoldsOnlyAWatermarkAndOthersAreUnaffected() throws Exception {
        CairnDaemon d = CairnDaemon.start(DaemonFixture.config(dir.resolve("data"))
                .withStore(RepositoryOptions.defaults().withWorkers(2)));
        try {
            byte[] data = new byte[SIZE];
            new Random(600).nextBytes(data); // incompressible: bytes on the wire = bytes of data
            CommitOk ok;
            try (WireDriver w = WireDriver.open(d.address(), "")) {
                ok = w.put("flow/big", Instant.parse("2026-11-01T00:00:00Z"), data);
            }

            Socket s = new Socket();
            s.setReceiveBufferSize(32 << 10);
            s.connect(d.address(), 5000);
            try (WireDriver slow = WireDriver.wrap(s)) {
                slow.hello("");
                long before = d.metrics().bytesOut.sum();
                int id = slow.send(new Message.Read(ok.id(), "", 0));
                Thread.sleep(1500);
                long after1 = d.metrics().bytesOut.sum() - before;
                Thread.sleep(1000);
                long after2 = d.metrics().bytesOut.sum() - before;
                // Kernel buffers + Netty's 2 MiB high-water mark + one 1 MiB frame: far below 48 MiB.
                assertThat(after2).as("bytes handed to the socket while nobody reads").isLessThan(16L << 20);
                assertThat(after2).as("the stream is parked, not trickling").isEqualTo(after1);

                // Another client is served meanwhile.
                try (WireDriver other = WireDriver.open(d.address(), "")) {
                    assertThat(other.read(ok.id(), "")).isEqualTo(data);
                }

                // The slow reader resumes and gets every byte.
                ByteArrayOutputStream got = new ByteArrayOutputStream(SIZE);
                while (true) {
                    Envelope e = slow.receive();
                    assertThat(e.requestId()).isEqualTo(id);
                    if (e.message() instanceof ReadData rd) {
                        for (WireChunk c : rd.chunks()) {
                            got.writeBytes(WireDriver.decodeVerified(c));
                        }
                    } else {
                        WireDriver.expect(e.message(), Message.ReadOk.class);
                        break;
                    }
                }
                assertThat(got.toByteArray()).isEqualTo(data);
            }
        } finally {
            assertThat(d.stop()).isTrue();
        }
    }
}
