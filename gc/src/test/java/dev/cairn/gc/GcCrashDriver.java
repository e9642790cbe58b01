package dev.cairn.gc;

import dev.cairn.gc.policy.PolicyParser;
import dev.cairn.protocol.chunk.TestData;
import dev.cairn.store.CrashDriver;
import dev.cairn.store.Repository;
import dev.cairn.store.StoreFixture;
import dev.cairn.store.util.FaultPoints;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * Child side of {@link GcCrashTest}: builds a history, collects once, trims it to the last two, then runs
 * a GC after the grace period with {@code point} armed: the GC prints {@code AT point} there and
 * waits to be killed. Prints {@code ID i id} for every checkpoint it put.
 */
public final class GcCrashDriver {
    static final Instant T0 = Instant.parse("2026-11-02T00:00:00Z");

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String point = args[1];
        try (Repository repo = StoreFixture.open(dir)) {
            for (int i = 0; i < COUNT; i++) {
                var r = StoreFixture.put(repo, StoreFixture.opts("run", i), version(i));
                System.out.println("ID " + i + " " + r.id());
            }
            repo.chunks().sealCurrent();
            Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
            // A completed GC first: from here on the chunks are old, so what the next GC frees
            // must be accounted for by the deletions it records, not by being new.
            new GarbageCollector(repo, clock, GcOptions.defaults()).run(false, new GcCancel());
            FaultPoints.arm(point, CrashDriver::parkAt);
            String yaml = "policies:\n  - series: run\n    last: 2\n    max_remove: 100%\n";
            new Trimmer(repo, clock).trim(new TrimRequest(PolicyParser.parse(yaml), "t", yaml, null, false, false, "t"));
            System.out.println("TRIMMED");
            System.out.flush();
            new GarbageCollector(repo, Clock.offset(clock, Duration.ofDays(2)), GcOptions.defaults())
                    .run(false, new GcCancel());
        }
        System.out.println("DONE");
    }

    static final int COUNT = 6;

    static byte[] version(int i) {
        byte[] b = TestData.random(1, 900_000);
        for (int v = 1; v <= i; v++) {
            System.arraycopy(TestData.random(1000 + v, 600_000), 0, b, (v * 77_777) % 300_000, 600_000);
        }
        return b;
    }
}
