package dev.cairn.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Puts and reads back a checkpoint eight times larger than the child JVM's heap. */
class LargerThanHeapTest {
    @TempDir
    Path dir;

    @Test
    void streamsACheckpointLargerThanTheHeap() throws Exception {
        try (ChildJvm child = ChildJvm.start(dir, List.of("-Xmx64m", "-XX:+UseSerialGC"), HeapBoundDriver.class,
                dir.resolve("store").toString(), String.valueOf(512L << 20))) {
            String line = child.nextLine(300);
            assertThat(line).as("stderr: %s", child.stderr()).isNotNull().startsWith("OK ");
            String[] f = line.split(" ");
            assertThat(f[1]).isEqualTo(f[2]);
            assertThat(Long.parseLong(f[3])).isEqualTo(512L << 20);
            assertThat(child.waitFor(60)).isZero();
        }
    }
}
