package dev.cairn.protocol.wire;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.codec.ByteReader;
import dev.cairn.protocol.codec.MalformedDataException;
import dev.cairn.protocol.codec.Utf8;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Message.Abort;
import dev.cairn.protocol.wire.Message.AbortOk;
import dev.cairn.protocol.wire.Message.BeginPut;
import dev.cairn.protocol.wire.Message.BeginPutOk;
import dev.cairn.protocol.wire.Message.Cancel;
import dev.cairn.protocol.wire.Message.CheckpointSummary;
import dev.cairn.protocol.wire.Message.Commit;
import dev.cairn.protocol.wire.Message.CommitOk;
import dev.cairn.protocol.wire.Message.Damaged;
import dev.cairn.protocol.wire.Message.EndEntry;
import dev.cairn.protocol.wire.Message.EndEntryOk;
import dev.cairn.protocol.wire.Message.Entry;
import dev.cairn.protocol.wire.Message.EntryOk;
import dev.cairn.protocol.wire.Message.EntryPage;
import dev.cairn.protocol.wire.Message.ErrorReply;
import dev.cairn.protocol.wire.Message.Have;
import dev.cairn.protocol.wire.Message.HaveOk;
import dev.cairn.protocol.wire.Message.Hello;
import dev.cairn.protocol.wire.Message.HelloOk;
import dev.cairn.protocol.wire.Message.HoldInfo;
import dev.cairn.protocol.wire.Message.LabelInfo;
import dev.cairn.protocol.wire.Message.ListCheckpoints;
import dev.cairn.protocol.wire.Message.ListOk;
import dev.cairn.protocol.wire.Message.ListPage;
import dev.cairn.protocol.wire.Message.PatchData;
import dev.cairn.protocol.wire.Message.PatchOk;
import dev.cairn.protocol.wire.Message.Ping;
import dev.cairn.protocol.wire.Message.Pong;
import dev.cairn.protocol.wire.Message.Problem;
import dev.cairn.protocol.wire.Message.Read;
import dev.cairn.protocol.wire.Message.ReadData;
import dev.cairn.protocol.wire.Message.ReadOk;
import dev.cairn.protocol.wire.Message.Refs;
import dev.cairn.protocol.wire.Message.RefsOk;
import dev.cairn.protocol.wire.Message.Resolve;
import dev.cairn.protocol.wire.Message.ResolveOk;
import dev.cairn.protocol.wire.Message.Show;
import dev.cairn.protocol.wire.Message.ShowOk;
import dev.cairn.protocol.wire.Message.Stats;
import dev.cairn.protocol.wire.Message.StatsOk;
import dev.cairn.protocol.wire.Message.TrashInfo;
import dev.cairn.protocol.wire.Message.Upload;
import dev.cairn.protocol.wire.Message.UploadOk;
import dev.cairn.protocol.wire.Message.Verify;
import dev.cairn.protocol.wire.Message.VerifyOk;
import dev.cairn.protocol.wire.Message.VerifyProgress;
import dev.cairn.protocol.wire.Message.WireChunk;
import dev.cairn.protocol.wire.Message.AgeBandInfo;
import dev.cairn.protocol.wire.Message.Gc;
import dev.cairn.protocol.wire.Message.GcOk;
import dev.cairn.protocol.wire.Message.HoldAdd;
import dev.cairn.protocol.wire.Message.HoldAddOk;
import dev.cairn.protocol.wire.Message.HoldRemove;
import dev.cairn.protocol.wire.Message.HoldRemoveOk;
import dev.cairn.protocol.wire.Message.KeptInfo;
import dev.cairn.protocol.wire.Message.PhaseMillis;
import dev.cairn.protocol.wire.Message.PolicySimulate;
import dev.cairn.protocol.wire.Message.PolicySimulateOk;
import dev.cairn.protocol.wire.Message.Reason;
import dev.cairn.protocol.wire.Message.RebaseInfo;
import dev.cairn.protocol.wire.Message.RemovedInfo;
import dev.cairn.protocol.wire.Message.SimulationTimeline;
import dev.cairn.protocol.wire.Message.Tag;
import dev.cairn.protocol.wire.Message.TagOk;
import dev.cairn.protocol.wire.Message.TextPart;
import dev.cairn.protocol.wire.Message.TimelineEntry;
import dev.cairn.protocol.wire.Message.TrashEntryInfo;
import dev.cairn.protocol.wire.Message.TrashList;
import dev.cairn.protocol.wire.Message.TrashListOk;
import dev.cairn.protocol.wire.Message.TrashPage;
import dev.cairn.protocol.wire.Message.TrashRestore;
import dev.cairn.protocol.wire.Message.TrashRestoreOk;
import dev.cairn.protocol.wire.Message.Trim;
import dev.cairn.protocol.wire.Message.TrimLog;
import dev.cairn.protocol.wire.Message.TrimLogEntry;
import dev.cairn.protocol.wire.Message.TrimLogOk;
import dev.cairn.protocol.wire.Message.TrimOk;
import dev.cairn.protocol.wire.Message.TrimRebases;
import dev.cairn.protocol.wire.Message.TrimSeries;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The byte layout of every message (docs/PROTOCOL.md has the same tables). Plain code: encodes
 * into a {@link ByteBuf} or a byte array, decodes from a frame's payload bytes, and needs no
 * channel.
 *
 * <p>Decoding trusts nothing: every count is bounded by the bytes left, every name and value goes
 * through the model's validation, trailing bytes are an error. A payload that does not decode
 * raises {@link CairnException} with {@link Status#BAD_REQUEST}; an opcode this version does not
 * know raises it with {@link Status#UNKNOWN_OPCODE}. Decoded messages may point into the payload
 * array (chunk payloads are not copied).
 *
 * <p>Thread-safe (stateless).
 */
public final class MessageCodec {
    /** GC request flag: also free unreferenced data that nothing accounts for. */
    static final int GC_FLAG_FORCE = 1;
    /** Bytes a {@link WireChunk} takes besides its payload: id, codec, raw length, payload length. */
    public static final int WIRE_CHUNK_OVERHEAD = ChunkId.LENGTH + 1 + 4 + 4;
    /** Bytes of a page's item count. */
    public static final int PAGE_OVERHEAD = 4;

    private static final int KIND_FULL = 0;
    private static final int KIND_DELTA = 1;

    private MessageCodec() {
    }

    // ================================================================ frames

    /** Appends the whole frame of {@code e} (length prefix, header, payload) to {@code out}. */
    public static void encode(Envelope e, ByteBuf out) {
        int start = out.writerIndex();
        out.writeInt(0); // length, patched below
        out.writeByte(e.opcode());
        out.writeInt(e.requestId());
        out.writeByte(e.last() ? Wire.FLAG_LAST : 0);
        encodePayload(e.message(), out);
        out.setInt(start, out.writerIndex() - start - Wire.LENGTH_FIELD);
    }

    /** The whole frame of {@code e} as bytes. */
    public static byte[] encode(Envelope e) {
        ByteBuf b = Unpooled.buffer(256);
        try {
            encode(e, b);
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return out;
        } finally {
            b.release();
        }
    }

    /**
     * Decodes a frame into an envelope, checking the flags against the message kind: requests
     * and final responses are LAST, stream parts are not, reserved flag bits are zero.
     *
     * @throws CairnException {@link Status#UNKNOWN_OPCODE} or {@link Status#BAD_REQUEST}
     */
    public static Envelope decode(Frame f) throws CairnException {
        if ((f.flags() & ~Wire.FLAG_LAST) != 0) {
            throw new CairnException(Status.BAD_REQUEST, "reserved flag bits set in a " + Opcode.name(f.opcode())
                    + " frame: 0x" + Integer.toHexString(f.flags()));
        }
        Message m = decodePayload(f.opcode(), f.payload());
        boolean part = Opcode.isPart(f.opcode());
        if (part == f.last()) {
            throw new CairnException(Status.BAD_REQUEST, part
                    ? "a stream part (" + Opcode.name(f.opcode()) + ") cannot carry the LAST flag"
                    : Opcode.name(f.opcode()) + " must carry the LAST flag (requests and final responses are one frame)");
        }
        return new Envelope(f.requestId(), f.last(), m);
    }

    // ============================================================== encoding

    /** Appends the payload of {@code m} (no frame header). */
    public static void encodePayload(Message m, ByteBuf b) {
        switch (m.opcode()) {
            case Opcode.HELLO -> {
                Hello h = (Hello) m;
                b.writeBytes(Wire.MAGIC);
                u16(b, h.minVersion());
                u16(b, h.maxVersion());
                b.writeInt(h.maxFrame());
                str(b, h.token());
                str(b, h.clientName());
            }
            case Opcode.PING -> b.writeLong(((Ping) m).nonce());
            case Opcode.CANCEL -> b.writeInt(((Cancel) m).target());
            case Opcode.HAVE -> {
                List<ChunkId> ids = ((Have) m).ids();
                b.writeInt(ids.size());
                ids.forEach(id -> chunkId(b, id));
            }
            case Opcode.SHOW -> manifestId(b, ((Show) m).id());
            case Opcode.READ -> {
                Read r = (Read) m;
                manifestId(b, r.id());
                str(b, r.entry());
                u64(b, r.startChunk());
            }
            case Opcode.LIST -> optStr(b, ((ListCheckpoints) m).series());
            case Opcode.STATS, Opcode.ENTRY_OK, Opcode.ABORT_OK -> {
                // empty payload
            }
            case Opcode.VERIFY -> bool(b, ((Verify) m).readData());
            case Opcode.RESOLVE -> str(b, ((Resolve) m).text());
            case Opcode.BEGIN_PUT -> {
                BeginPut p = (BeginPut) m;
                b.writeByte(p.mode());
                meta(b, p.meta());
                b.writeInt(p.tags().size());
                p.tags().forEach(t -> str(b, t));
                optManifestId(b, p.parent());
                bool(b, p.autoDelta());
            }
            case Opcode.UPLOAD -> {
                Upload u = (Upload) m;
                b.writeInt(u.session());
                chunks(b, u.chunks());
            }
            case Opcode.ENTRY -> {
                Entry e = (Entry) m;
                b.writeInt(e.session());
                str(b, e.name());
                b.writeByte(e.kind().code());
            }
            case Opcode.REFS -> {
                Refs r = (Refs) m;
                b.writeInt(r.session());
                b.writeInt(r.refs().size());
                for (ChunkRef ref : r.refs()) {
                    chunkId(b, ref.id());
                    b.writeInt(ref.length());
                }
            }
            case Opcode.END_ENTRY -> b.writeInt(((EndEntry) m).session());
            case Opcode.PATCH -> {
                PatchData p = (PatchData) m;
                b.writeInt(p.session());
                str(b, p.entry());
                u64(b, p.offset());
                b.writeInt(p.data().length);
                b.writeBytes(p.data());
            }
            case Opcode.COMMIT -> b.writeInt(((Commit) m).session());
            case Opcode.ABORT -> b.writeInt(((Abort) m).session());

            case Opcode.HELLO_OK -> {
                HelloOk h = (HelloOk) m;
                u16(b, h.version());
                str(b, h.serverVersion());
                str(b, h.tenant());
                b.writeBytes(h.storeId());
                b.writeInt(h.chunker().minSize());
                b.writeInt(h.chunker().avgSize());
                b.writeInt(h.chunker().maxSize());
                limits(b, h.limits());
            }
            case Opcode.PONG -> b.writeLong(((Pong) m).nonce());
            case Opcode.HAVE_OK -> {
                HaveOk h = (HaveOk) m;
                b.writeInt(h.count());
                byte[] bits = h.missing().toByteArray(); // little-endian bit order: bit i = byte i/8, bit i%8
                byte[] out = Arrays.copyOf(bits, (h.count() + 7) / 8);
                b.writeBytes(out);
            }
            case Opcode.SHOW_OK -> summary(b, ((ShowOk) m).checkpoint());
            case Opcode.ENTRY_PAGE -> {
                List<EntryHeader> es = ((EntryPage) m).entries();
                b.writeInt(es.size());
                es.forEach(e -> entryHeader(b, e));
            }
            case Opcode.READ_DATA -> chunks(b, ((ReadData) m).chunks());
            case Opcode.READ_OK -> {
                ReadOk r = (ReadOk) m;
                u64(b, r.chunks());
                u64(b, r.bytes());
            }
            case Opcode.LIST_PAGE -> {
                List<CheckpointSummary> cs = ((ListPage) m).checkpoints();
                b.writeInt(cs.size());
                cs.forEach(c -> summary(b, c));
            }
            case Opcode.LIST_OK -> u64(b, ((ListOk) m).total());
            case Opcode.STATS_OK -> {
                StatsOk s = (StatsOk) m;
                for (long v : new long[] {s.checkpoints(), s.trashed(), s.series(), s.logicalBytes(), s.chunks(),
                        s.chunkBytes(), s.storedBytes(), s.packs(), s.metadataBytes()}) {
                    u64(b, v);
                }
            }
            case Opcode.VERIFY_PROGRESS -> u64(b, ((VerifyProgress) m).elapsedMillis());
            case Opcode.VERIFY_OK -> {
                VerifyOk v = (VerifyOk) m;
                u64(b, v.manifests());
                u64(b, v.chunks());
                u64(b, v.bytesRead());
                u64(b, v.packs());
                bool(b, v.readData());
                u64(b, v.problemCount());
                b.writeInt(v.problems().size());
                for (Problem p : v.problems()) {
                    problem(b, p);
                }
                b.writeInt(v.damaged().size());
                for (Damaged d : v.damaged()) {
                    manifestId(b, d.id());
                    b.writeInt(d.reasons().size());
                    d.reasons().forEach(r -> str(b, r));
                }
            }
            case Opcode.RESOLVE_OK -> manifestId(b, ((ResolveOk) m).id());
            case Opcode.BEGIN_PUT_OK -> {
                BeginPutOk o = (BeginPutOk) m;
                b.writeInt(o.session());
                optManifestId(b, o.parent());
            }
            case Opcode.UPLOAD_OK -> {
                UploadOk u = (UploadOk) m;
                b.writeInt(u.stored());
                b.writeInt(u.present());
            }
            case Opcode.REFS_OK -> {
                RefsOk r = (RefsOk) m;
                u64(b, r.entryChunks());
                u64(b, r.entryBytes());
            }
            case Opcode.END_ENTRY_OK -> entryHeader(b, ((EndEntryOk) m).header());
            case Opcode.PATCH_OK -> u64(b, ((PatchOk) m).bufferedBytes());
            case Opcode.COMMIT_OK -> {
                CommitOk c = (CommitOk) m;
                manifestId(b, c.id());
                b.writeByte(c.kind().equals("delta") ? KIND_DELTA : KIND_FULL);
                u64(b, c.logicalBytes());
                u64(b, c.newBytes());
                u64(b, c.storedBytes());
                u64(b, c.chunks());
                u64(b, c.newChunks());
                optManifestId(b, c.parent());
                bool(b, c.existed());
            }
            // ------------------------------------------------------ maintenance
            case Opcode.TRIM -> {
                Trim t = (Trim) m;
                optStr(b, t.series());
                optText(b, t.policy());
                optStr(b, t.policySource());
                bool(b, t.dryRun());
                bool(b, t.force());
            }
            case Opcode.TRASH_LS, Opcode.HOLD_RM_OK -> {
                // empty payload
            }
            case Opcode.TRASH_RESTORE -> manifestId(b, ((TrashRestore) m).id());
            case Opcode.HOLD_ADD -> {
                HoldAdd h = (HoldAdd) m;
                manifestId(b, h.id());
                str(b, h.owner());
                str(b, h.reason());
                bool(b, h.ttlSeconds() != null);
                if (h.ttlSeconds() != null) {
                    u64(b, h.ttlSeconds());
                }
            }
            case Opcode.HOLD_RM -> {
                HoldRemove h = (HoldRemove) m;
                manifestId(b, h.id());
                str(b, h.owner());
            }
            case Opcode.GC -> {
                Gc g = (Gc) m;
                bool(b, g.dryRun());
                if (g.withFlags()) {
                    b.writeByte(g.force() ? GC_FLAG_FORCE : 0);
                }
            }
            case Opcode.POLICY_SIMULATE -> {
                PolicySimulate p = (PolicySimulate) m;
                str(b, p.series());
                optText(b, p.policy());
                bool(b, p.svg());
            }
            case Opcode.TRIM_LOG -> {
                TrimLog t = (TrimLog) m;
                b.writeInt(t.limit());
                bool(b, t.reports());
            }
            case Opcode.TAG -> {
                Tag t = (Tag) m;
                manifestId(b, t.id());
                strs(b, t.add());
                strs(b, t.remove());
            }
            case Opcode.TRIM_OK -> {
                TrimOk t = (TrimOk) m;
                optStr(b, t.auditId());
                b.writeLong(t.at().toEpochMilli());
                bool(b, t.dryRun());
                bool(b, t.applied());
                bool(b, t.force());
                str(b, t.requestedBy());
                str(b, t.policySource());
                b.writeInt(t.seriesCount());
                b.writeInt(t.blockedSeries());
                u64(b, t.kept());
                u64(b, t.removed());
                u64(b, t.rebases());
                u64(b, t.freedBytes());
            }
            case Opcode.TRIM_SERIES -> {
                TrimSeries t = (TrimSeries) m;
                str(b, t.series());
                str(b, t.policy());
                optStr(b, t.blocked());
                b.writeLong(t.trashExpiresAt().toEpochMilli());
                b.writeInt(t.kept().size());
                t.kept().forEach(k -> kept(b, k));
                b.writeInt(t.removed().size());
                for (RemovedInfo r : t.removed()) {
                    manifestId(b, r.id());
                    b.writeLong(r.createdAt().toEpochMilli());
                    u64(b, r.freedBytes());
                }
            }
            case Opcode.TRIM_REBASES -> {
                List<RebaseInfo> rs = ((TrimRebases) m).rebases();
                b.writeInt(rs.size());
                for (RebaseInfo r : rs) {
                    manifestId(b, r.id());
                    str(b, r.series());
                    manifestId(b, r.oldParent());
                    optManifestId(b, r.newParent());
                }
            }
            case Opcode.TRASH_PAGE -> {
                List<TrashEntryInfo> es = ((TrashPage) m).entries();
                b.writeInt(es.size());
                es.forEach(e -> trashEntry(b, e));
            }
            case Opcode.TRASH_LS_OK -> u64(b, ((TrashListOk) m).total());
            case Opcode.TRASH_RESTORE_OK -> summary(b, ((TrashRestoreOk) m).checkpoint());
            case Opcode.HOLD_ADD_OK -> hold(b, ((HoldAddOk) m).hold());
            case Opcode.GC_OK -> {
                GcOk g = (GcOk) m;
                str(b, g.gcId());
                bool(b, g.dryRun());
                for (long v : new long[] {g.epoch(), g.manifestsDeleted(), g.rebased(), g.chunksLive(), g.chunksFreed(),
                        g.bytesReclaimed(), g.packsDeleted(), g.packsRewritten(), g.bytesCopied(), g.orphanSegments()}) {
                    u64(b, v);
                }
                b.writeInt(g.phases().size());
                for (PhaseMillis p : g.phases()) {
                    str(b, p.phase());
                    u64(b, p.millis());
                }
                u64(b, g.totalMillis());
                u64(b, g.markSetBytes());
                if (g.unexplained() != null) {
                    u64(b, g.unexplained().chunks());
                    u64(b, g.unexplained().bytes());
                    u64(b, g.unexplained().packsKept());
                    bool(b, g.unexplained().forced());
                }
            }
            case Opcode.SIMULATION_TIMELINE -> {
                List<TimelineEntry> es = ((SimulationTimeline) m).entries();
                b.writeInt(es.size());
                es.forEach(e -> timelineEntry(b, e));
            }
            case Opcode.TEXT_PART -> {
                byte[] d = ((TextPart) m).data();
                b.writeInt(d.length);
                b.writeBytes(d);
            }
            case Opcode.POLICY_SIMULATE_OK -> {
                PolicySimulateOk p = (PolicySimulateOk) m;
                str(b, p.series());
                str(b, p.policy());
                b.writeInt(p.puts());
                b.writeInt(p.survivors());
                b.writeInt(p.stepsOverMaxRemove());
                b.writeInt(p.bands().size());
                for (AgeBandInfo a : p.bands()) {
                    str(b, a.label());
                    u64(b, a.fromMillis());
                    optU64(b, a.toMillis());
                    b.writeInt(a.survivors());
                    optU64(b, a.largestGapMillis());
                }
                u64(b, p.storedBytes());
                u64(b, p.svgBytes());
            }
            case Opcode.TRIM_LOG_ENTRY -> {
                TrimLogEntry e = (TrimLogEntry) m;
                str(b, e.id());
                b.writeLong(e.at().toEpochMilli());
                str(b, e.requestedBy());
                str(b, e.policySource());
                b.writeInt(e.seriesCount());
                u64(b, e.kept());
                u64(b, e.removed());
                u64(b, e.rebases());
                u64(b, e.freedBytes());
                u64(b, e.reportBytes());
            }
            case Opcode.TRIM_LOG_OK -> b.writeInt(((TrimLogOk) m).count());
            case Opcode.TAG_OK -> strs(b, ((TagOk) m).tags());
            case Opcode.ERROR -> {
                ErrorReply e = (ErrorReply) m;
                u16(b, e.code());
                str(b, e.message());
                b.writeInt(e.chunks().size());
                e.chunks().forEach(id -> chunkId(b, id));
            }
            default -> {
                if (!RawPutCodec.encode(m, b)) {
                    throw new IllegalArgumentException("no encoding for opcode " + Opcode.name(m.opcode()));
                }
            }
        }
    }

    /** Encoded size of a summary in a LIST_PAGE, so a sender can fill pages up to a frame size. */
    public static int sizeOf(CheckpointSummary c) {
        ByteBuf b = Unpooled.buffer(256);
        try {
            summary(b, c);
            return b.readableBytes();
        } finally {
            b.release();
        }
    }

    /** Encoded size of an entry header in an ENTRY_PAGE. */
    public static int sizeOf(EntryHeader e) {
        return 2 + e.name().getBytes(StandardCharsets.UTF_8).length + 1 + 8 + 8 + 32;
    }

    /** Encoded size of a problem in a VERIFY_OK. */
    public static int sizeOf(Problem p) {
        return 6 + utf8Length(p.kind()) + utf8Length(p.subject()) + utf8Length(p.message());
    }

    /** Encoded size of a kept checkpoint in a TRIM_SERIES. */
    public static int sizeOf(KeptInfo k) {
        int n = ManifestId.LENGTH + 4;
        for (Reason r : k.reasons()) {
            n += 4 + utf8Length(r.kind()) + utf8Length(r.text());
        }
        return n;
    }

    /** Encoded size of a removed checkpoint in a TRIM_SERIES. */
    public static final int REMOVED_INFO_SIZE = ManifestId.LENGTH + 8 + 8;

    /** Encoded size of a TRIM_SERIES without its kept and removed items. */
    public static int sizeOfTrimSeriesHeader(String series, String policy, String blocked) {
        return 2 + utf8Length(series) + 2 + utf8Length(policy) + 1 + (blocked == null ? 0 : 2 + utf8Length(blocked))
                + 8 + 4 + 4;
    }

    /** Encoded size of a rebase in a TRIM_REBASES. */
    public static int sizeOf(RebaseInfo r) {
        return ManifestId.LENGTH * 2 + 2 + utf8Length(r.series()) + 1 + (r.newParent() == null ? 0 : ManifestId.LENGTH);
    }

    /** Encoded size of a trash entry in a TRASH_PAGE. */
    public static int sizeOf(TrashEntryInfo e) {
        return ManifestId.LENGTH + 2 + utf8Length(e.series()) + 8 + 8 + 8 + 8 + 2 + utf8Length(e.reason());
    }

    /** Encoded size of a timeline entry in a SIMULATION_TIMELINE. */
    public static int sizeOf(TimelineEntry e) {
        int n = ManifestId.LENGTH + 8 + 1 + (e.removedAt() == null ? 0 : 8) + 4 + 8;
        for (Reason r : e.reasons()) {
            n += 4 + utf8Length(r.kind()) + utf8Length(r.text());
        }
        return n;
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static void u16(ByteBuf b, int v) {
        if (v < 0 || v > 0xffff) {
            throw new IllegalArgumentException("value does not fit in u16: " + v);
        }
        b.writeShort(v);
    }

    static void u64(ByteBuf b, long v) {
        if (v < 0) {
            throw new IllegalArgumentException("u64 field must not be negative: " + v);
        }
        b.writeLong(v);
    }

    static void bool(ByteBuf b, boolean v) {
        b.writeByte(v ? 1 : 0);
    }

    static void str(ByteBuf b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        u16(b, bytes.length);
        b.writeBytes(bytes);
    }

    private static void optStr(ByteBuf b, String s) {
        bool(b, s != null);
        if (s != null) {
            str(b, s);
        }
    }

    /** A {@code text}: u32 byte length, then UTF-8 (for texts that may exceed a u16 {@code str}). */
    private static void text(ByteBuf b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.writeInt(bytes.length);
        b.writeBytes(bytes);
    }

    private static void optText(ByteBuf b, String s) {
        bool(b, s != null);
        if (s != null) {
            text(b, s);
        }
    }

    static void optU64(ByteBuf b, Long v) {
        bool(b, v != null);
        if (v != null) {
            u64(b, v);
        }
    }

    static void strs(ByteBuf b, List<String> ss) {
        b.writeInt(ss.size());
        ss.forEach(s -> str(b, s));
    }

    private static void reasons(ByteBuf b, List<Reason> rs) {
        b.writeInt(rs.size());
        for (Reason r : rs) {
            str(b, r.kind());
            str(b, r.text());
        }
    }

    private static void kept(ByteBuf b, KeptInfo k) {
        manifestId(b, k.id());
        reasons(b, k.reasons());
    }

    private static void trashEntry(ByteBuf b, TrashEntryInfo e) {
        manifestId(b, e.id());
        str(b, e.series());
        b.writeLong(e.createdAt().toEpochMilli());
        u64(b, e.logicalBytes());
        b.writeLong(e.trashedAt().toEpochMilli());
        b.writeLong(e.expiresAt().toEpochMilli());
        str(b, e.reason());
    }

    private static void timelineEntry(ByteBuf b, TimelineEntry e) {
        manifestId(b, e.id());
        b.writeLong(e.createdAt().toEpochMilli());
        optInstant(b, e.removedAt());
        reasons(b, e.reasons());
        u64(b, e.storedBytesAfter());
    }

    private static void hold(ByteBuf b, HoldInfo h) {
        str(b, h.owner());
        str(b, h.reason());
        b.writeLong(h.createdAt().toEpochMilli());
        optInstant(b, h.expiresAt());
    }

    private static void chunkId(ByteBuf b, ChunkId id) {
        for (int i = 0; i < ChunkId.LENGTH; i++) {
            b.writeByte(id.byteAt(i));
        }
    }

    static void manifestId(ByteBuf b, ManifestId id) {
        b.writeBytes(id.toBytes());
    }

    static void optManifestId(ByteBuf b, ManifestId id) {
        bool(b, id != null);
        if (id != null) {
            manifestId(b, id);
        }
    }

    private static void optInstant(ByteBuf b, Instant t) {
        bool(b, t != null);
        if (t != null) {
            b.writeLong(t.toEpochMilli());
        }
    }

    static void meta(ByteBuf b, CheckpointMeta m) {
        str(b, m.series());
        b.writeLong(m.createdAt().toEpochMilli());
        bool(b, m.step().isPresent());
        if (m.step().isPresent()) {
            b.writeLong(m.step().getAsLong());
        }
        bool(b, m.computeSeconds().isPresent());
        if (m.computeSeconds().isPresent()) {
            b.writeDouble(m.computeSeconds().getAsDouble());
        }
        optManifestId(b, m.derivedFrom().orElse(null));
        b.writeInt(m.metrics().size());
        m.metrics().forEach((k, v) -> {
            str(b, k);
            b.writeDouble(v);
        });
    }

    static void entryHeader(ByteBuf b, EntryHeader e) {
        str(b, e.name());
        b.writeByte(e.kind().code());
        u64(b, e.size());
        u64(b, e.chunkCount());
        b.writeBytes(e.listDigest());
    }

    private static void summary(ByteBuf b, CheckpointSummary c) {
        manifestId(b, c.id());
        meta(b, c.meta());
        b.writeByte(c.kind().equals("delta") ? KIND_DELTA : KIND_FULL);
        optManifestId(b, c.parent());
        b.writeInt(c.depth());
        u64(b, c.logicalBytes());
        b.writeInt(c.entryCount());
        LabelInfo l = c.labels();
        b.writeInt(l.tags().size());
        l.tags().forEach(t -> str(b, t));
        b.writeInt(l.holds().size());
        l.holds().forEach(h -> hold(b, h));
        bool(b, l.trash() != null);
        if (l.trash() != null) {
            b.writeLong(l.trash().trashedAt().toEpochMilli());
            b.writeLong(l.trash().expiresAt().toEpochMilli());
            str(b, l.trash().reason());
        }
    }

    private static void chunks(ByteBuf b, List<WireChunk> cs) {
        b.writeInt(cs.size());
        for (WireChunk c : cs) {
            EncodedChunk p = c.payload();
            chunkId(b, c.id());
            b.writeByte(p.codec());
            b.writeInt(p.rawLength());
            b.writeInt(p.length());
            b.writeBytes(p.data(), p.offset(), p.length());
        }
    }

    private static void problem(ByteBuf b, Problem p) {
        str(b, p.kind());
        str(b, p.subject());
        str(b, p.message());
    }

    private static void limits(ByteBuf b, Limits l) {
        u16(b, Limits.KEY_COUNT);
        kv(b, Limits.KEY_MAX_FRAME, l.maxFrame());
        kv(b, Limits.KEY_MAX_HAVE_IDS, l.maxHaveIds());
        kv(b, Limits.KEY_MAX_UPLOAD_CHUNKS, l.maxUploadChunks());
        kv(b, Limits.KEY_MAX_REFS, l.maxRefs());
        kv(b, Limits.KEY_MAX_SESSIONS, l.maxSessions());
        kv(b, Limits.KEY_MAX_IN_FLIGHT, l.maxInFlight());
        kv(b, Limits.KEY_MAX_PATCH_BYTES, l.maxPatchBytes());
        kv(b, Limits.KEY_IDLE_TIMEOUT_SECONDS, l.idleTimeoutSeconds());
        kv(b, Limits.KEY_COMPRESSION, l.compression().code());
    }

    private static void kv(ByteBuf b, int key, long value) {
        u16(b, key);
        u64(b, value);
    }

    // ============================================================== decoding

    /**
     * Decodes the payload of a message with opcode {@code opcode}.
     *
     * @throws CairnException {@link Status#UNKNOWN_OPCODE} for an opcode this version does not
     *                        know (including the reserved ranges), {@link Status#BAD_REQUEST} for
     *                        a payload that does not decode
     */
    public static Message decodePayload(int opcode, byte[] payload) throws CairnException {
        ByteReader r = new ByteReader(payload);
        Message m;
        try {
            m = decode(opcode, r);
            if (m == null) {
                throw new CairnException(Status.UNKNOWN_OPCODE, "unknown opcode " + Opcode.name(opcode)
                        + " (this build speaks protocol " + Wire.MIN_VERSION + ".." + Wire.VERSION + ")");
            }
            r.expectEnd(Opcode.name(opcode));
        } catch (MalformedDataException | IllegalArgumentException | ArithmeticException e) {
            throw new CairnException(Status.BAD_REQUEST, "malformed " + Opcode.name(opcode) + " payload: "
                    + e.getMessage(), e);
        }
        return m;
    }

    private static Message decode(int op, ByteReader r) throws CairnException {
        return switch (op) {
            case Opcode.HELLO -> {
                byte[] magic = r.bytes(4);
                if (!Arrays.equals(magic, Wire.MAGIC)) {
                    throw new MalformedDataException("bad magic " + Arrays.toString(magic) + ": not a Cairn client");
                }
                int min = r.u16();
                int max = r.u16();
                int maxFrame = r.i32();
                yield new Hello(min, max, maxFrame, r.str("token"), r.str("client name"));
            }
            case Opcode.PING -> new Ping(r.i64());
            case Opcode.CANCEL -> new Cancel(r.i32());
            case Opcode.HAVE -> new Have(chunkIds(r));
            case Opcode.SHOW -> new Show(manifestId(r));
            case Opcode.READ -> {
                ManifestId id = manifestId(r);
                String entry = r.str("entry name");
                EntryHeader.validateName(entry);
                yield new Read(id, entry, u64(r, "start chunk"));
            }
            case Opcode.LIST -> {
                String series = optStr(r, "series");
                if (series != null) {
                    CheckpointMeta.validateSeries(series);
                }
                yield new ListCheckpoints(series);
            }
            case Opcode.STATS -> new Stats();
            case Opcode.VERIFY -> new Verify(r.bool());
            case Opcode.RESOLVE -> new Resolve(r.str("id text"));
            case Opcode.BEGIN_PUT -> {
                int mode = r.u8();
                CheckpointMeta meta = meta(r);
                int n = r.count(r.remaining() / 2, "tag count");
                List<String> tags = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    String t = r.str("tag");
                    CheckpointMeta.validateTag(t);
                    tags.add(t);
                }
                ManifestId parent = optManifestId(r);
                yield new BeginPut(mode, meta, tags, parent, r.bool());
            }
            case Opcode.UPLOAD -> {
                int session = r.i32();
                yield new Upload(session, chunks(r));
            }
            case Opcode.ENTRY -> {
                int session = r.i32();
                String name = r.str("entry name");
                EntryHeader.validateName(name);
                yield new Entry(session, name, EntryKind.ofCode(r.u8()));
            }
            case Opcode.REFS -> {
                int session = r.i32();
                int n = r.count(r.remaining() / ChunkRef.ENCODED_LENGTH, "ref count");
                List<ChunkRef> refs = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    ChunkId id = chunkId(r);
                    refs.add(new ChunkRef(id, r.count(ChunkerParams.LIMIT, "chunk length")));
                }
                yield new Refs(session, refs);
            }
            case Opcode.END_ENTRY -> new EndEntry(r.i32());
            case Opcode.PATCH -> {
                int session = r.i32();
                String entry = r.str("entry name");
                EntryHeader.validateName(entry);
                long offset = u64(r, "patch offset");
                int len = r.count(r.remaining(), "patch length");
                yield new PatchData(session, entry, offset, r.bytes(len));
            }
            case Opcode.COMMIT -> new Commit(r.i32());
            case Opcode.ABORT -> new Abort(r.i32());

            case Opcode.HELLO_OK -> {
                int version = r.u16();
                String serverVersion = r.str("server version");
                String tenant = r.str("tenant");
                byte[] storeId = r.bytes(16);
                ChunkerParams p = new ChunkerParams(r.i32(), r.i32(), r.i32());
                yield new HelloOk(version, serverVersion, tenant, storeId, p, limits(r));
            }
            case Opcode.PONG -> new Pong(r.i64());
            case Opcode.HAVE_OK -> {
                int n = r.count(Integer.MAX_VALUE - 7, "id count");
                int bytes = (n + 7) / 8;
                BitSet bits = BitSet.valueOf(r.bytes(bytes));
                if (bits.length() > n) {
                    throw new MalformedDataException("missing-bitmap has bit " + (bits.length() - 1)
                            + " set beyond the " + n + " ids");
                }
                yield new HaveOk(n, bits);
            }
            case Opcode.SHOW_OK -> new ShowOk(summary(r));
            case Opcode.ENTRY_PAGE -> {
                int n = r.count(r.remaining() / 51, "entry count");
                List<EntryHeader> es = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    es.add(entryHeader(r));
                }
                yield new EntryPage(es);
            }
            case Opcode.READ_DATA -> new ReadData(chunks(r));
            case Opcode.READ_OK -> new ReadOk(u64(r, "chunks"), u64(r, "bytes"));
            case Opcode.LIST_PAGE -> {
                int n = r.count(r.remaining() / 64, "checkpoint count");
                List<CheckpointSummary> cs = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    cs.add(summary(r));
                }
                yield new ListPage(cs);
            }
            case Opcode.LIST_OK -> new ListOk(u64(r, "total"));
            case Opcode.STATS_OK -> new StatsOk(u64(r, "checkpoints"), u64(r, "trashed"), u64(r, "series"),
                    u64(r, "logical bytes"), u64(r, "chunks"), u64(r, "chunk bytes"), u64(r, "stored bytes"),
                    u64(r, "packs"), u64(r, "metadata bytes"));
            case Opcode.VERIFY_PROGRESS -> new VerifyProgress(u64(r, "elapsed"));
            case Opcode.VERIFY_OK -> {
                long manifests = u64(r, "manifests");
                long chunks = u64(r, "chunks");
                long bytesRead = u64(r, "bytes read");
                long packs = u64(r, "packs");
                boolean readData = r.bool();
                long problemCount = u64(r, "problem count");
                int np = r.count(r.remaining() / 6, "problem count");
                List<Problem> problems = new ArrayList<>(np);
                for (int i = 0; i < np; i++) {
                    problems.add(new Problem(r.str("problem kind"), r.str("problem subject"), r.str("problem message")));
                }
                int nd = r.count(r.remaining() / 36, "damaged count");
                List<Damaged> damaged = new ArrayList<>(nd);
                for (int i = 0; i < nd; i++) {
                    ManifestId id = manifestId(r);
                    int nr = r.count(r.remaining() / 2, "reason count");
                    List<String> reasons = new ArrayList<>(nr);
                    for (int k = 0; k < nr; k++) {
                        reasons.add(r.str("damage reason"));
                    }
                    damaged.add(new Damaged(id, reasons));
                }
                yield new VerifyOk(manifests, chunks, bytesRead, packs, readData, problemCount, problems, damaged);
            }
            case Opcode.RESOLVE_OK -> new ResolveOk(manifestId(r));
            case Opcode.BEGIN_PUT_OK -> new BeginPutOk(r.i32(), optManifestId(r));
            case Opcode.UPLOAD_OK -> new UploadOk(r.count(Integer.MAX_VALUE, "stored"),
                    r.count(Integer.MAX_VALUE, "present"));
            case Opcode.ENTRY_OK -> new EntryOk();
            case Opcode.REFS_OK -> new RefsOk(u64(r, "entry chunks"), u64(r, "entry bytes"));
            case Opcode.END_ENTRY_OK -> new EndEntryOk(entryHeader(r));
            case Opcode.PATCH_OK -> new PatchOk(u64(r, "buffered bytes"));
            case Opcode.COMMIT_OK -> {
                ManifestId id = manifestId(r);
                String kind = kind(r.u8());
                yield new CommitOk(id, kind, u64(r, "logical bytes"), u64(r, "new bytes"), u64(r, "stored bytes"),
                        u64(r, "chunks"), u64(r, "new chunks"), optManifestId(r), r.bool());
            }
            case Opcode.ABORT_OK -> new AbortOk();
            // ------------------------------------------------------ maintenance
            case Opcode.TRIM -> {
                String series = optStr(r, "series filter");
                if (series != null && series.isEmpty()) {
                    throw new MalformedDataException("series filter is empty (leave it out to trim every series)");
                }
                yield new Trim(series, optText(r, "policy"), optStr(r, "policy source"), r.bool(), r.bool());
            }
            case Opcode.TRASH_LS -> new TrashList();
            case Opcode.TRASH_RESTORE -> new TrashRestore(manifestId(r));
            case Opcode.HOLD_ADD -> {
                ManifestId id = manifestId(r);
                String owner = r.str("hold owner");
                String reason = r.str("hold reason");
                Long ttl = r.bool() ? u64(r, "ttl") : null;
                yield new HoldAdd(id, owner, reason, ttl);
            }
            case Opcode.HOLD_RM -> new HoldRemove(manifestId(r), r.str("hold owner"));
            case Opcode.GC -> {
                boolean dryRun = r.bool();
                if (r.remaining() == 0) {
                    yield new Gc(dryRun, false, false); // the original one-byte frame
                }
                int flags = r.u8();
                if ((flags & ~GC_FLAG_FORCE) != 0) {
                    throw new CairnException(Status.BAD_REQUEST, "GC: unknown flags 0x" + Integer.toHexString(flags));
                }
                yield new Gc(dryRun, (flags & GC_FLAG_FORCE) != 0, true);
            }
            case Opcode.POLICY_SIMULATE -> {
                String series = r.str("series");
                CheckpointMeta.validateSeries(series);
                yield new PolicySimulate(series, optText(r, "policy"), r.bool());
            }
            case Opcode.TRIM_LOG -> new TrimLog(r.i32(), r.bool());
            case Opcode.TAG -> {
                ManifestId id = manifestId(r);
                List<String> add = tags(r);
                yield new Tag(id, add, tags(r));
            }
            case Opcode.TRIM_OK -> {
                String auditId = optStr(r, "audit id");
                Instant at = Instant.ofEpochMilli(r.i64());
                boolean dryRun = r.bool();
                boolean applied = r.bool();
                boolean force = r.bool();
                String requestedBy = r.str("requested by");
                String source = r.str("policy source");
                int series = r.count(Integer.MAX_VALUE, "series count");
                int blocked = r.count(Integer.MAX_VALUE, "blocked count");
                yield new TrimOk(auditId, at, dryRun, applied, force, requestedBy, source, series, blocked,
                        u64(r, "kept"), u64(r, "removed"), u64(r, "rebases"), u64(r, "freed bytes"));
            }
            case Opcode.TRIM_SERIES -> {
                String series = r.str("series");
                String policy = r.str("policy");
                String blocked = optStr(r, "blocked reason");
                Instant expires = Instant.ofEpochMilli(r.i64());
                int nk = r.count(r.remaining() / (ManifestId.LENGTH + 4), "kept count");
                List<KeptInfo> kept = new ArrayList<>(nk);
                for (int i = 0; i < nk; i++) {
                    kept.add(new KeptInfo(manifestId(r), reasons(r)));
                }
                int nr = r.count(r.remaining() / REMOVED_INFO_SIZE, "removed count");
                List<RemovedInfo> removed = new ArrayList<>(nr);
                for (int i = 0; i < nr; i++) {
                    removed.add(new RemovedInfo(manifestId(r), Instant.ofEpochMilli(r.i64()), u64(r, "freed bytes")));
                }
                yield new TrimSeries(series, policy, blocked, expires, kept, removed);
            }
            case Opcode.TRIM_REBASES -> {
                int n = r.count(r.remaining() / (2 * ManifestId.LENGTH + 3), "rebase count");
                List<RebaseInfo> rs = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    rs.add(new RebaseInfo(manifestId(r), r.str("rebase series"), manifestId(r), optManifestId(r)));
                }
                yield new TrimRebases(rs);
            }
            case Opcode.TRASH_PAGE -> {
                int n = r.count(r.remaining() / (ManifestId.LENGTH + 36), "entry count");
                List<TrashEntryInfo> es = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    es.add(new TrashEntryInfo(manifestId(r), r.str("series"), Instant.ofEpochMilli(r.i64()),
                            u64(r, "logical bytes"), Instant.ofEpochMilli(r.i64()), Instant.ofEpochMilli(r.i64()),
                            r.str("trash reason")));
                }
                yield new TrashPage(es);
            }
            case Opcode.TRASH_LS_OK -> new TrashListOk(u64(r, "total"));
            case Opcode.TRASH_RESTORE_OK -> new TrashRestoreOk(summary(r));
            case Opcode.HOLD_ADD_OK -> new HoldAddOk(hold(r));
            case Opcode.HOLD_RM_OK -> new HoldRemoveOk();
            case Opcode.GC_OK -> {
                String gcId = r.str("gc id");
                boolean dryRun = r.bool();
                long[] v = new long[10];
                for (int i = 0; i < v.length; i++) {
                    v[i] = u64(r, "gc count " + i);
                }
                int n = r.count(r.remaining() / 10, "phase count");
                List<PhaseMillis> phases = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    phases.add(new PhaseMillis(r.str("phase name"), u64(r, "phase millis")));
                }
                long total = u64(r, "total millis");
                long markSet = u64(r, "mark set bytes");
                Message.GcUnexplained unexplained = null;
                if (r.remaining() > 0) { // a reply to a frame with flags
                    unexplained = new Message.GcUnexplained(u64(r, "unexplained chunks"), u64(r, "unexplained bytes"),
                            u64(r, "packs kept"), r.bool());
                }
                yield new GcOk(gcId, dryRun, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], phases,
                        total, markSet, unexplained);
            }
            case Opcode.SIMULATION_TIMELINE -> {
                int n = r.count(r.remaining() / (ManifestId.LENGTH + 21), "entry count");
                List<TimelineEntry> es = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    ManifestId id = manifestId(r);
                    Instant created = Instant.ofEpochMilli(r.i64());
                    Instant removedAt = optInstant(r);
                    List<Reason> reasons = reasons(r);
                    es.add(new TimelineEntry(id, created, removedAt, reasons, u64(r, "stored bytes")));
                }
                yield new SimulationTimeline(es);
            }
            case Opcode.TEXT_PART -> new TextPart(r.bytes(length(r, "text length")));
            case Opcode.POLICY_SIMULATE_OK -> {
                String series = r.str("series");
                String policy = r.str("policy");
                int puts = r.count(Integer.MAX_VALUE, "puts");
                int survivors = r.count(Integer.MAX_VALUE, "survivors");
                int over = r.count(Integer.MAX_VALUE, "steps over max_remove");
                int n = r.count(r.remaining() / 16, "band count");
                List<AgeBandInfo> bands = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    String label = r.str("band label");
                    long from = u64(r, "band start");
                    Long to = optU64(r, "band end");
                    int count = r.count(Integer.MAX_VALUE, "band survivors");
                    bands.add(new AgeBandInfo(label, from, to, count, optU64(r, "largest gap")));
                }
                yield new PolicySimulateOk(series, policy, puts, survivors, over, bands, u64(r, "stored bytes"),
                        u64(r, "svg bytes"));
            }
            case Opcode.TRIM_LOG_ENTRY -> {
                String id = r.str("audit id");
                Instant at = Instant.ofEpochMilli(r.i64());
                String requestedBy = r.str("requested by");
                String source = r.str("policy source");
                int series = r.count(Integer.MAX_VALUE, "series count");
                yield new TrimLogEntry(id, at, requestedBy, source, series, u64(r, "kept"), u64(r, "removed"),
                        u64(r, "rebases"), u64(r, "freed bytes"), u64(r, "report bytes"));
            }
            case Opcode.TRIM_LOG_OK -> new TrimLogOk(r.count(Integer.MAX_VALUE, "count"));
            case Opcode.TAG_OK -> new TagOk(tags(r));
            case Opcode.ERROR -> new ErrorReply(r.u16(), r.str("error message"), chunkIds(r));
            default -> RawPutCodec.decode(op, r);
        };
    }

    static long u64(ByteReader r, String what) {
        long v = r.i64();
        if (v < 0) {
            throw new MalformedDataException(what + " out of range: " + Long.toUnsignedString(v));
        }
        return v;
    }

    private static String optStr(ByteReader r, String field) {
        return r.bool() ? r.str(field) : null;
    }

    private static String optText(ByteReader r, String field) {
        if (!r.bool()) {
            return null;
        }
        int n = length(r, "text length");
        int off = r.skip(n);
        return Utf8.decode(r.array(), off, n, field);
    }

    /** A u32 byte length that the bytes after it can hold. */
    private static int length(ByteReader r, String what) {
        int n = r.i32();
        if (n < 0 || n > r.remaining()) {
            throw new MalformedDataException(what + " out of range: " + Integer.toUnsignedString(n) + " (" + r.remaining()
                    + " bytes left)");
        }
        return n;
    }

    static Long optU64(ByteReader r, String what) {
        return r.bool() ? u64(r, what) : null;
    }

    static List<String> tags(ByteReader r) {
        int n = r.count(r.remaining() / 2, "tag count");
        List<String> tags = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String t = r.str("tag");
            CheckpointMeta.validateTag(t);
            tags.add(t);
        }
        return tags;
    }

    private static List<Reason> reasons(ByteReader r) {
        int n = r.count(r.remaining() / 4, "reason count");
        List<Reason> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new Reason(r.str("reason kind"), r.str("reason text")));
        }
        return out;
    }

    private static HoldInfo hold(ByteReader r) {
        return new HoldInfo(r.str("hold owner"), r.str("hold reason"), Instant.ofEpochMilli(r.i64()), optInstant(r));
    }

    private static ChunkId chunkId(ByteReader r) {
        return ChunkId.fromBytes(r.array(), r.skip(ChunkId.LENGTH));
    }

    private static List<ChunkId> chunkIds(ByteReader r) {
        int n = r.count(r.remaining() / ChunkId.LENGTH, "id count");
        List<ChunkId> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(chunkId(r));
        }
        return ids;
    }

    static ManifestId manifestId(ByteReader r) {
        return ManifestId.fromBytes(r.array(), r.skip(ManifestId.LENGTH));
    }

    static ManifestId optManifestId(ByteReader r) {
        return r.bool() ? manifestId(r) : null;
    }

    private static Instant optInstant(ByteReader r) {
        return r.bool() ? Instant.ofEpochMilli(r.i64()) : null;
    }

    private static String kind(int code) {
        return switch (code) {
            case KIND_FULL -> "full";
            case KIND_DELTA -> "delta";
            default -> throw new MalformedDataException("unknown manifest kind " + code);
        };
    }

    static CheckpointMeta meta(ByteReader r) {
        String series = r.str("series");
        Instant created = Instant.ofEpochMilli(r.i64());
        OptionalLong step = r.bool() ? OptionalLong.of(r.i64()) : OptionalLong.empty();
        OptionalDouble compute = r.bool() ? OptionalDouble.of(r.f64()) : OptionalDouble.empty();
        Optional<ManifestId> derived = Optional.ofNullable(optManifestId(r));
        int n = r.count(Math.min(10_000, r.remaining() / 10), "metric count");
        TreeMap<String, Double> metrics = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String name = r.str("metric name");
            if (metrics.put(name, r.f64()) != null) {
                throw new MalformedDataException("metric " + name + " given twice");
            }
        }
        return new CheckpointMeta(series, created, step, metrics, compute, derived);
    }

    static EntryHeader entryHeader(ByteReader r) {
        String name = r.str("entry name");
        EntryKind kind = EntryKind.ofCode(r.u8());
        return new EntryHeader(name, kind, u64(r, "entry size"), u64(r, "chunk count"), r.bytes(32));
    }

    private static CheckpointSummary summary(ByteReader r) {
        ManifestId id = manifestId(r);
        CheckpointMeta meta = meta(r);
        String kind = kind(r.u8());
        ManifestId parent = optManifestId(r);
        int depth = r.count(Integer.MAX_VALUE, "depth");
        long logical = u64(r, "logical bytes");
        int entries = r.count(Integer.MAX_VALUE, "entry count");
        int nt = r.count(r.remaining() / 2, "tag count");
        List<String> tags = new ArrayList<>(nt);
        for (int i = 0; i < nt; i++) {
            tags.add(r.str("tag"));
        }
        int nh = r.count(r.remaining() / 13, "hold count");
        List<HoldInfo> holds = new ArrayList<>(nh);
        for (int i = 0; i < nh; i++) {
            holds.add(hold(r));
        }
        TrashInfo trash = r.bool() ? new TrashInfo(Instant.ofEpochMilli(r.i64()), Instant.ofEpochMilli(r.i64()), r.str("trash reason"))
                : null;
        return new CheckpointSummary(id, meta, kind, parent, depth, logical, entries, new LabelInfo(tags, holds, trash));
    }

    private static List<WireChunk> chunks(ByteReader r) {
        int n = r.count(r.remaining() / WIRE_CHUNK_OVERHEAD, "chunk count");
        List<WireChunk> cs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ChunkId id = chunkId(r);
            int codec = r.u8();
            if (!ChunkCodec.isKnown(codec)) {
                throw new MalformedDataException("chunk " + id.shortHex() + " has unknown codec " + codec);
            }
            int raw = r.count(ChunkerParams.LIMIT, "raw length");
            int len = r.count(r.remaining(), "payload length");
            int off = r.skip(len);
            cs.add(new WireChunk(id, new EncodedChunk(codec, raw, r.array(), off, len)));
        }
        return cs;
    }

    private static Limits limits(ByteReader r) {
        int n = r.u16();
        long[] v = new long[Limits.KEY_COUNT + 1];
        Arrays.fill(v, -1);
        for (int i = 0; i < n; i++) {
            int key = r.u16();
            long value = u64(r, "limit " + key);
            if (key >= 1 && key <= Limits.KEY_COUNT) {
                v[key] = value; // unknown keys: limits of a newer server, ignored by this client
            }
        }
        for (int k = 1; k <= Limits.KEY_IDLE_TIMEOUT_SECONDS; k++) {
            if (v[k] < 0) {
                throw new MalformedDataException("HELLO_OK lacks limit " + k);
            }
        }
        // compression (key 9) is optional: absent means LZ4, as before it existed.
        return new Limits(Math.toIntExact(v[Limits.KEY_MAX_FRAME]), Math.toIntExact(v[Limits.KEY_MAX_HAVE_IDS]),
                Math.toIntExact(v[Limits.KEY_MAX_UPLOAD_CHUNKS]), Math.toIntExact(v[Limits.KEY_MAX_REFS]),
                Math.toIntExact(v[Limits.KEY_MAX_SESSIONS]), Math.toIntExact(v[Limits.KEY_MAX_IN_FLIGHT]),
                v[Limits.KEY_MAX_PATCH_BYTES], Math.toIntExact(v[Limits.KEY_IDLE_TIMEOUT_SECONDS]),
                dev.cairn.protocol.chunk.Compression.ofCode(v[Limits.KEY_COMPRESSION] < 0 ? 0 : v[Limits.KEY_COMPRESSION]));
    }
}
