package dev.cairn.server.net;

import dev.cairn.gc.TrimReport;
import dev.cairn.gc.policy.KeepReason;
import dev.cairn.gc.policy.KeptCheckpoint;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.KeptInfo;
import dev.cairn.protocol.wire.Message.RemovedInfo;
import dev.cairn.protocol.wire.Message.TextPart;
import dev.cairn.protocol.wire.Message.TrimSeries;
import dev.cairn.protocol.wire.MessageCodec;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Big reports leave as parts that each fit well inside any client's frame limit, and together say
 * exactly what the report says: a trim over 100 000 checkpoints, a long text.
 */
class ReportPartsTest {
    /** Encoded part frames must stay near {@link Streams#PART_BYTES}: one item may overshoot it, never a frame. */
    private static final int MAX_FRAME_SEEN = Streams.PART_BYTES + 4096;

    private static ManifestId id(int i) {
        byte[] b = new byte[32];
        ByteBuffer.wrap(b).putInt(i).putInt(~i);
        return ManifestId.fromBytes(b);
    }

    private static TrimReport.SeriesReport series(String name, int kept, int removed, Random rnd) {
        List<KeptCheckpoint> k = new ArrayList<>();
        for (int i = 0; i < kept; i++) {
            List<KeepReason> reasons = new ArrayList<>();
            reasons.add(new KeepReason(KeepReason.Kind.DAILY, "daily 2026-11-" + (1 + i % 28)));
            if (rnd.nextInt(4) == 0) {
                reasons.add(new KeepReason(KeepReason.Kind.HOLD, "held by eval-job (" + "x".repeat(rnd.nextInt(400))
                        + ") until 2026-12-01T00:00:00Z"));
            }
            k.add(new KeptCheckpoint(id(i), reasons));
        }
        List<TrimReport.Removed> r = new ArrayList<>();
        for (int i = 0; i < removed; i++) {
            r.add(new TrimReport.Removed(id(1_000_000 + i).toHex(), Instant.ofEpochMilli(i), i));
        }
        return new TrimReport.SeriesReport(name, "runs/*", k, r, removed == 0 ? "max_remove 50% allows ..." : null,
                Instant.ofEpochMilli(42));
    }

    private static int frameSize(Message m) {
        return MessageCodec.encode(Envelope.part(1, m)).length;
    }

    @Test
    void aHundredThousandCheckpointTrimSplitsIntoFittingPartsThatConcatenateBack() {
        Random rnd = new Random(7);
        List<TrimReport.SeriesReport> in = List.of(series("runs/a", 60_000, 40_000, rnd), series("runs/b", 1, 0, rnd),
                series("runs/c", 0, 0, rnd), series("runs/d", 3, 30_000, rnd));
        Iterator<Message> parts = new MaintenanceOps.TrimSeriesParts(in);
        List<TrimSeries> seen = new ArrayList<>();
        while (parts.hasNext()) {
            TrimSeries t = (TrimSeries) parts.next();
            assertThat(frameSize(t)).isLessThanOrEqualTo(MAX_FRAME_SEEN);
            seen.add(t);
        }
        assertThat(seen.size()).isGreaterThan(8);
        int at = 0;
        for (TrimReport.SeriesReport s : in) {
            List<KeptInfo> kept = new ArrayList<>();
            List<RemovedInfo> removed = new ArrayList<>();
            int first = at;
            while (at < seen.size() && seen.get(at).series().equals(s.series())) {
                TrimSeries t = seen.get(at++);
                assertThat(t.policy()).isEqualTo(s.policy());
                assertThat(t.blocked()).isEqualTo(s.blocked());
                assertThat(t.trashExpiresAt()).isEqualTo(s.trashExpiresAt());
                // Within a series, kept items come before removed ones.
                assertThat(removed.isEmpty() || t.kept().isEmpty()).isTrue();
                kept.addAll(t.kept());
                removed.addAll(t.removed());
            }
            assertThat(at).as("every series has at least one part: " + s.series()).isGreaterThan(first);
            assertThat(kept).hasSize(s.keep().size());
            for (int i = 0; i < kept.size(); i++) {
                assertThat(kept.get(i)).isEqualTo(MaintenanceOps.kept(s.keep().get(i)));
            }
            assertThat(removed).extracting(r -> r.id().toHex())
                    .containsExactlyElementsOf(s.remove().stream().map(TrimReport.Removed::id).toList());
        }
        assertThat(at).isEqualTo(seen.size());
    }

    @Test
    void longTextsComeInPartsAndEmptyOnesInNone() {
        byte[] text = new byte[3 * Streams.PART_BYTES + 17];
        new Random(3).nextBytes(text);
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        Iterator<Message> it = MaintenanceOps.textParts(text);
        int n = 0;
        while (it.hasNext()) {
            byte[] d = ((TextPart) it.next()).data();
            assertThat(d.length).isLessThanOrEqualTo(Streams.PART_BYTES);
            back.writeBytes(d);
            n++;
        }
        assertThat(n).isEqualTo(4);
        assertThat(back.toByteArray()).isEqualTo(text);
        assertThat(MaintenanceOps.textParts(new byte[0]).hasNext()).isFalse();
    }

    @Test
    void pagesHoldAtLeastOneItemAndRespectTheBudget() {
        List<Message> pages = new ArrayList<>();
        MaintenanceOps.pages(5, i -> i == 2 ? 3 * Streams.PART_BYTES : 100, x -> x, 0, l -> new Message.TagOk(
                l.stream().map(String::valueOf).toList())).forEachRemaining(pages::add);
        assertThat(pages).extracting(p -> ((Message.TagOk) p).tags())
                .containsExactly(List.of("100", "100"), List.of(String.valueOf(3 * Streams.PART_BYTES)),
                        List.of("100", "100"));
        assertThat(MaintenanceOps.pages(0, i -> 1, x -> x, 1, l -> new Message.TagOk(List.of())).hasNext()).isTrue();
        assertThat(MaintenanceOps.pages(0, i -> 1, x -> x, 0, l -> new Message.TagOk(List.of())).hasNext()).isFalse();
    }
}
