package dev.cairn.protocol.wire;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Message.*;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/** One or more instances of every message type, with non-trivial field values. */
public final class WireSamples {
    private WireSamples() {
    }

    public static ChunkId chunkId(int seed) {
        byte[] b = new byte[32];
        Arrays.fill(b, (byte) seed);
        b[31] = (byte) (seed * 7 + 1);
        return ChunkId.fromBytes(b);
    }

    public static ManifestId manifestId(int seed) {
        byte[] b = new byte[32];
        Arrays.fill(b, (byte) (0x80 | seed));
        return ManifestId.fromBytes(b);
    }

    public static WireChunk rawChunk(String text) {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        return new WireChunk(ChunkId.of(raw, 0, raw.length), new EncodedChunk(ChunkCodec.RAW, raw.length, raw, 0, raw.length));
    }

    public static WireChunk lz4Chunk(int n) {
        byte[] raw = new byte[n];
        Arrays.fill(raw, (byte) 'z');
        EncodedChunk e = ChunkCodec.shared().encode(raw, 0, raw.length);
        return new WireChunk(ChunkId.of(raw, 0, raw.length), e);
    }

    public static CheckpointMeta meta() {
        return CheckpointMeta.of("resnet50/run-7", Instant.parse("2026-11-02T10:15:30.123Z")).withStep(12000)
                .withMetric("val_loss", 0.4321).withMetric("acc", 0.91).withComputeSeconds(3600.5)
                .withDerivedFrom(manifestId(3));
    }

    public static CheckpointSummary summary(boolean delta) {
        LabelInfo labels = new LabelInfo(List.of("best", "milestone"),
                List.of(new HoldInfo("eval-job", "evaluating", Instant.ofEpochMilli(1_700_000_000_000L), null),
                        new HoldInfo("deploy", "prod", Instant.ofEpochMilli(1_700_000_100_000L),
                                Instant.ofEpochMilli(1_800_000_000_000L))),
                delta ? new TrashInfo(Instant.ofEpochMilli(1_700_000_200_000L), Instant.ofEpochMilli(1_700_600_000_000L),
                        "trim 42") : null);
        return new CheckpointSummary(manifestId(delta ? 5 : 6), delta ? meta() : CheckpointMeta.of("a", Instant.EPOCH),
                delta ? "delta" : "full", delta ? manifestId(7) : null, delta ? 3 : 0, 123_456_789L, 2, labels);
    }

    public static EntryHeader entry(String name, EntryKind kind) {
        byte[] digest = new byte[32];
        Arrays.fill(digest, (byte) name.length());
        return kind == EntryKind.DIRECTORY ? new EntryHeader(name, kind, 0, 0, digest)
                : new EntryHeader(name, kind, 1L << 33, 524_289, digest);
    }

    /** Every message type at least once. */
    public static List<Message> all() {
        List<Message> m = new ArrayList<>();
        m.add(new Hello(1, 3, Wire.MIN_MAX_FRAME, "s3cr3t-token", "cairn-java/0.1"));
        m.add(new Hello(1, 1, Wire.MIN_MAX_FRAME, "", ""));
        m.add(new Ping(-5));
        m.add(new Cancel(-1));
        m.add(new Have(List.of(chunkId(1), chunkId(2), chunkId(3))));
        m.add(new Have(List.of()));
        m.add(new Show(manifestId(1)));
        m.add(new Read(manifestId(2), "dir/file.bin", 17));
        m.add(new Read(manifestId(2), "", 0));
        m.add(new ListCheckpoints("resnet50/run-7"));
        m.add(new ListCheckpoints(null));
        m.add(new Stats());
        m.add(new Verify(true));
        m.add(new Verify(false));
        m.add(new Resolve("abcdef12"));
        m.add(new BeginPut(BeginPut.MODE_ENTRIES, meta(), List.of("best", "x:y"), null, true));
        m.add(new BeginPut(BeginPut.MODE_PATCHES, CheckpointMeta.of("s", Instant.ofEpochMilli(1)), List.of(),
                manifestId(9), false));
        m.add(new Upload(7, List.of(rawChunk("hello chunk"), lz4Chunk(5000))));
        m.add(new Entry(7, "model/weights.bin", EntryKind.FILE));
        m.add(new Entry(7, "empty-dir", EntryKind.DIRECTORY));
        m.add(new Entry(7, "", EntryKind.FILE));
        m.add(new Refs(7, List.of(new ChunkRef(chunkId(4), 65536), new ChunkRef(chunkId(5), 0))));
        m.add(new EndEntry(7));
        m.add(new PatchData(8, "", 1L << 40, new byte[] {1, 2, 3}));
        m.add(new Commit(-2));
        m.add(new Abort(9));
        m.add(new Trim("resnet50/*", "policies:\n  - series: '**'\n    last: 3\n", "nightly.yaml", true, false));
        m.add(new Trim(null, null, null, false, true));
        m.add(new TrashList());
        m.add(new TrashRestore(manifestId(16)));
        m.add(new HoldAdd(manifestId(17), "eval-job", "nightly eval ✓", 3600L));
        m.add(new HoldAdd(manifestId(17), "deploy", "prod", null));
        m.add(new HoldRemove(manifestId(17), "eval-job"));
        m.add(new Gc(true));
        m.add(new Gc(false));
        m.add(new Gc(true, true));
        m.add(new Gc(false, false));
        m.add(new PolicySimulate("resnet50/run-7", "policies: []", true));
        m.add(new PolicySimulate("a", null, false));
        m.add(new TrimLog(10, true));
        m.add(new TrimLog(0, false));
        m.add(new Tag(manifestId(18), List.of("best", "x:y"), List.of("old")));
        m.add(new Tag(manifestId(18), List.of(), List.of()));

        m.add(new HelloOk(1, "cairnd 0.1.0", "team-a", new byte[16], ChunkerParams.DEFAULT, Limits.defaults()));
        m.add(new Pong(Long.MIN_VALUE));
        BitSet missing = new BitSet();
        missing.set(0);
        missing.set(9);
        m.add(new HaveOk(10, missing));
        m.add(new HaveOk(0, new BitSet()));
        m.add(new ShowOk(summary(true)));
        m.add(new ShowOk(summary(false)));
        m.add(new EntryPage(List.of(entry("a/b", EntryKind.FILE), entry("c", EntryKind.DIRECTORY))));
        m.add(new ReadData(List.of(rawChunk("payload"), lz4Chunk(3000))));
        m.add(new ReadOk(2, 3007));
        m.add(new ListPage(List.of(summary(true), summary(false))));
        m.add(new ListOk(2));
        m.add(new StatsOk(1, 2, 3, 4, 5, 6, 7, 8, Long.MAX_VALUE));
        m.add(new VerifyProgress(1234));
        m.add(new VerifyOk(10, 20, 30, 4, true, 3, List.of(new Problem("chunk", "abc", "missing")),
                List.of(new Damaged(manifestId(4), List.of("chunk abc missing", "digest mismatch")))));
        m.add(new ResolveOk(manifestId(11)));
        m.add(new BeginPutOk(77, manifestId(12)));
        m.add(new BeginPutOk(78, null));
        m.add(new UploadOk(3, 4));
        m.add(new EntryOk());
        m.add(new RefsOk(100, 1L << 35));
        m.add(new EndEntryOk(entry("w.bin", EntryKind.FILE)));
        m.add(new PatchOk(4096));
        m.add(new CommitOk(manifestId(13), "delta", 1000, 200, 150, 10, 2, manifestId(14), false));
        m.add(new CommitOk(manifestId(15), "full", 0, 0, 0, 0, 0, null, true));
        m.add(new AbortOk());
        m.add(new TrimOk("trim-1700000000000-1a2b", Instant.ofEpochMilli(1_700_000_000_000L), false, true, true,
                "team-a (cairn-cli/0.1)", "cairn.yaml", 2, 1, 10, 5, 1, 1L << 33));
        m.add(new TrimOk(null, Instant.EPOCH, true, false, false, "default", "client", 0, 0, 0, 0, 0, 0));
        m.add(new TrimSeries("resnet50/run-7", "resnet50/*", "max_remove 50% allows removing at most 2",
                Instant.ofEpochMilli(1_700_086_400_000L),
                List.of(new KeptInfo(manifestId(19), List.of(new Reason("last", "last 3"),
                                new Reason("daily", "daily 2026-11-27"))),
                        new KeptInfo(manifestId(20), List.of(new Reason("hold", "held by eval-job (x) until ∞")))),
                List.of(new RemovedInfo(manifestId(21), Instant.ofEpochMilli(1_600_000_000_000L), 4096))));
        m.add(new TrimSeries("a", "**", null, Instant.EPOCH, List.of(), List.of()));
        m.add(new TrimRebases(List.of(new RebaseInfo(manifestId(22), "s/x", manifestId(23), manifestId(24)),
                new RebaseInfo(manifestId(25), "s", manifestId(26), null))));
        m.add(new TrashPage(List.of(new TrashEntryInfo(manifestId(27), "resnet50/run-7",
                Instant.ofEpochMilli(1_600_000_000_000L), 123_456, Instant.ofEpochMilli(1_700_000_000_000L),
                Instant.ofEpochMilli(1_700_086_400_000L), "trim-1700000000000-1a2b"))));
        m.add(new TrashPage(List.of()));
        m.add(new TrashListOk(1));
        m.add(new TrashRestoreOk(summary(false)));
        m.add(new HoldAddOk(new HoldInfo("eval-job", "nightly eval", Instant.ofEpochMilli(1_700_000_000_000L),
                Instant.ofEpochMilli(1_700_003_600_000L))));
        m.add(new HoldAddOk(new HoldInfo("deploy", "prod", Instant.EPOCH, null)));
        m.add(new HoldRemoveOk());
        m.add(new GcOk("gc-1700000000000-beef", false, 7, 3, 1, 1000, 250, 1L << 30, 2, 1, 65536, 4,
                List.of(new PhaseMillis("resume", 0), new PhaseMillis("expire", 12), new PhaseMillis("mark", 340)),
                400, 1 << 20));
        m.add(new GcOk("gc-0-0", true, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, List.of(), 0, 0));
        m.add(new GcOk("gc-0-1", false, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, List.of(), 0, 0,
                new Message.GcUnexplained(1196, 2_857_408, 4, false)));
        m.add(new SimulationTimeline(List.of(
                new TimelineEntry(manifestId(28), Instant.ofEpochMilli(1_600_000_000_000L),
                        Instant.ofEpochMilli(1_600_003_600_000L), List.of(), 1000),
                new TimelineEntry(manifestId(29), Instant.ofEpochMilli(1_600_003_600_000L), null,
                        List.of(new Reason("last", "last 1")), 2000))));
        m.add(new TextPart("<svg>…</svg>".getBytes(StandardCharsets.UTF_8)));
        m.add(new TextPart(new byte[0]));
        m.add(new PolicySimulateOk("resnet50/run-7", "resnet50/*", 100, 12, 3,
                List.of(new AgeBandInfo("<1d", 0, 86_400_000L, 5, 3_600_000L),
                        new AgeBandInfo(">365d", 31_536_000_000L, null, 0, null)), 1L << 32, 5000));
        m.add(new TrimLogEntry("trim-1700000000000-1a2b", Instant.ofEpochMilli(1_700_000_000_000L), "scheduler",
                "cairn.yaml", 3, 30, 12, 2, 1L << 31, 2048));
        m.add(new TrimLogOk(1));
        m.add(new TagOk(List.of("best", "milestone")));
        m.add(new TagOk(List.of()));
        // The raw-stream and descriptor family (RawPut).
        m.add(new RawPut.Begin(meta(), List.of("best"), manifestId(40), false));
        m.add(new RawPut.Begin(meta(), List.of(), null, true));
        m.add(new RawPut.BeginOk(7, manifestId(41)));
        m.add(new RawPut.BeginOk(8, null));
        m.add(new RawPut.EntryStart(7, "", EntryKind.FILE));
        m.add(new RawPut.EntryStart(7, "a/b.bin", EntryKind.DIRECTORY));
        m.add(new RawPut.EntryOk());
        m.add(RawPut.Data.raw(7, "plain bytes".getBytes(StandardCharsets.UTF_8), 0, 11));
        m.add(new RawPut.Data(7, lz4Chunk(5000).payload()));
        m.add(new RawPut.DataOk(1L << 33));
        m.add(new RawPut.EndEntry(7, 12345L));
        m.add(new RawPut.EndEntry(7, null));
        m.add(new RawPut.EndEntryOk(entry("a/b.bin", EntryKind.FILE)));
        m.add(new RawPut.Fd(7));
        m.add(new RawPut.FdReady());
        m.add(new RawPut.FdOk(99));
        m.add(new RawPut.ReadFd(manifestId(42), ""));
        m.add(new RawPut.ReadFd(manifestId(43), "dir/file"));
        m.add(new RawPut.ReadFdOk(1L << 40));
        m.add(new ErrorReply(Status.MISSING_CHUNKS.code(), "2 chunks missing", List.of(chunkId(20), chunkId(21))));
        m.add(new ErrorReply(Status.UNAUTHENTICATED, "wrong token ✗"));
        return m;
    }

    /** Envelopes for every sample: requests and finals LAST, parts not, varied request ids. */
    public static List<Envelope> envelopes() {
        List<Envelope> out = new ArrayList<>();
        int id = 1;
        for (Message m : all()) {
            int rid = id++ * 0x01010101;
            out.add(Opcode.isPart(m.opcode()) ? Envelope.part(rid, m) : Envelope.of(rid, m));
        }
        return out;
    }
}
