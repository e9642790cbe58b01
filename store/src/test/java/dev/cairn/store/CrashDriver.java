package dev.cairn.store;

import dev.cairn.protocol.chunk.TestData;
import dev.cairn.store.util.FaultPoints;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Child-process side of {@link CrashTest}: puts checkpoints {@code 0..count-1} of a deterministic
 * history, printing {@code COMMITTED i id} after each. The point {@code point} is armed to fire
 * on its {@code hit}-th visit: it prints {@code AT point} and blocks until the parent kills the
 * process with SIGKILL.
 */
public final class CrashDriver {
    /**
     * The crash harness's side of a fault point: prints {@code AT point} (the parent kills the
     * process with SIGKILL when it reads that line) and blocks until then.
     */
    public static void parkAt(String point) {
        System.out.println("AT " + point);
        System.out.flush();
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String point = args[1];
        int hit = Integer.parseInt(args[2]);
        int count = Integer.parseInt(args[3]);
        AtomicInteger visits = new AtomicInteger();
        if (!point.equals("none")) {
            FaultPoints.arm(point, p -> {
                if (visits.incrementAndGet() == hit) {
                    parkAt(p);
                }
            });
        }
        try (Repository repo = StoreFixture.open(dir)) {
            for (int i = 0; i < count; i++) {
                PutResult r = repo.put(StoreFixture.opts("crash", i), new ByteArrayInputStream(version(i)));
                System.out.println("COMMITTED " + i + " " + r.id());
                System.out.flush();
            }
        }
        System.out.println("DONE");
    }

    /** Version i of the history: a base image with a region rewritten per version. */
    public static byte[] version(int i) {
        byte[] b = TestData.random(1000, 1_500_000);
        for (int v = 1; v <= i; v++) {
            byte[] patch = TestData.random(2000 + v, 40_000);
            System.arraycopy(patch, 0, b, (v * 97_000) % (b.length - patch.length), patch.length);
        }
        return b;
    }
}
