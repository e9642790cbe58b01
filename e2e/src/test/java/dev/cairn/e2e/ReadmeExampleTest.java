package dev.cairn.e2e;

import dev.cairn.client.CairnClient;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.client.PutResult;
import dev.cairn.protocol.manifest.CheckpointMeta;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's "Client library" example, line for line, against a real daemon (only the address differs). */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    @Test
    void exampleRuns() throws Exception {
        try (TestDaemon d = TestDaemon.start(dir.resolve("data"))) {
            assertThat(example(d.address())).isEqualTo("weights of step 1000");
        }
    }

    static String example(String address) throws Exception {
        Path file = Files.writeString(Files.createTempFile("ckpt", ".bin"), "weights of step 1000");
        try (CairnClient cairn = CairnClient.builder().address(address).build()) {
            CheckpointMeta meta = CheckpointMeta.of("resnet50/run-7", Instant.now())
                    .withStep(1000).withMetric("val_loss", 0.31);
            PutResult put = cairn.putFile(PutOptions.of(meta), file);
            System.out.println("stored " + put.id() + " (" + put.newBytes() + " new bytes)");

            Path back = file.resolveSibling(file.getFileName() + ".restored");
            cairn.restore(put.id(), back);               // a file, or a directory for a directory checkpoint
            System.out.println(Files.readString(back));  // weights of step 1000
            return Files.readString(back);
        }
    }
}
