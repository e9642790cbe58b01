package dev.cairn.protocol.wire;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;

import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * Every message of the wire protocol, as a record per message type. The byte layouts are in
 * {@link MessageCodec} and docs/PROTOCOL.md; field comments here give units and meanings only.
 *
 * <p>Optional fields are null when absent. Lists are never null. Messages are immutable except
 * that byte arrays are not copied: a decoded message may point into its frame's payload.
 */
public sealed interface Message permits Message.Request, Message.Response {

    int opcode();

    /** What a client sends. Every request is one frame. */
    sealed interface Request extends Message permits Hello, Ping, Cancel, Have, Show, Read, ListCheckpoints, Stats,
            Verify, Resolve, BeginPut, SessionRequest, Trim, TrashList, TrashRestore, HoldAdd, HoldRemove, Gc,
            PolicySimulate, TrimLog, Tag, RawPut.Request {
    }

    /**
     * A request that acts on a put session. The server applies the requests of one session in the
     * order they arrive; other requests may complete in any order.
     */
    sealed interface SessionRequest extends Request permits Upload, Entry, Refs, EndEntry, PatchData, Commit, Abort,
            RawPut.SessionRequest {
        int session();
    }

    /** What the server sends: final responses, stream parts and errors. */
    sealed interface Response extends Message permits HelloOk, Pong, HaveOk, ShowOk, EntryPage, ReadData, ReadOk,
            ListPage, ListOk, StatsOk, VerifyProgress, VerifyOk, ResolveOk, BeginPutOk, UploadOk, EntryOk, RefsOk,
            EndEntryOk, PatchOk, CommitOk, AbortOk, ErrorReply, TrimOk, TrimSeries, TrimRebases, TrashPage,
            TrashListOk, TrashRestoreOk, HoldAddOk, HoldRemoveOk, GcOk, SimulationTimeline, TextPart,
            PolicySimulateOk, TrimLogEntry, TrimLogOk, TagOk, RawPut.Response {
    }

    // ================================================================= values

    /** A chunk as uploaded or read: its id and its encoded payload (see {@link dev.cairn.protocol.chunk.ChunkCodec}). */
    record WireChunk(ChunkId id, EncodedChunk payload) {
        public WireChunk {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(payload, "payload");
        }

        /** Equal ids, codecs, raw lengths and payload bytes (wherever the bytes live). */
        @Override
        public boolean equals(Object o) {
            if (!(o instanceof WireChunk w)) {
                return false;
            }
            EncodedChunk a = payload;
            EncodedChunk b = w.payload;
            return id.equals(w.id) && a.codec() == b.codec() && a.rawLength() == b.rawLength()
                    && java.util.Arrays.equals(a.data(), a.offset(), a.offset() + a.length(),
                    b.data(), b.offset(), b.offset() + b.length());
        }

        @Override
        public int hashCode() {
            return id.hashCode();
        }

        @Override
        public String toString() {
            return "WireChunk[" + id.shortHex() + ", codec=" + payload.codec() + ", raw=" + payload.rawLength()
                    + ", stored=" + payload.length() + "]";
        }
    }

    /** A hold on a checkpoint. {@code expiresAt} null: until released. */
    record HoldInfo(String owner, String reason, Instant createdAt, Instant expiresAt) {
    }

    /** Trash state of a soft-deleted checkpoint. */
    record TrashInfo(Instant trashedAt, Instant expiresAt, String reason) {
    }

    /** The mutable labels beside a checkpoint. {@code trash} null: live. */
    record LabelInfo(List<String> tags, List<HoldInfo> holds, TrashInfo trash) {
        public LabelInfo {
            tags = List.copyOf(tags);
            holds = List.copyOf(holds);
        }
    }

    /**
     * What LIST and SHOW say about a checkpoint.
     *
     * @param kind   "full" or "delta"
     * @param parent the delta parent, or null
     * @param depth  delta chain depth, 0 for a full manifest
     */
    record CheckpointSummary(ManifestId id, CheckpointMeta meta, String kind, ManifestId parent, int depth,
                             long logicalBytes, int entryCount, LabelInfo labels) {
        public CheckpointSummary {
            if (!kind.equals("full") && !kind.equals("delta")) {
                throw new IllegalArgumentException("kind must be full or delta, got " + kind);
            }
        }
    }

    /** One finding of VERIFY. */
    record Problem(String kind, String subject, String message) {
    }

    /** A checkpoint VERIFY found damaged, with the reasons. */
    record Damaged(ManifestId id, List<String> reasons) {
        public Damaged {
            reasons = List.copyOf(reasons);
        }
    }

    /**
     * Why a checkpoint is kept.
     *
     * @param kind the rule or invariant, lower case: {@code last}, {@code within}, {@code hourly},
     *             {@code daily}, {@code weekly}, {@code monthly}, {@code yearly}, {@code tag},
     *             {@code best}, {@code every_n_steps}, {@code max_recompute},
     *             {@code newest_restorable}, {@code floor}, {@code hold}, {@code lineage},
     *             {@code chain_base}, {@code max_remove_brake}; later versions may add kinds
     * @param text what a person reads, e.g. "daily 2026-11-27"
     */
    record Reason(String kind, String text) {
        public Reason {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(text, "text");
        }
    }

    /** A checkpoint a trim keeps, with every reason. */
    record KeptInfo(ManifestId id, List<Reason> reasons) {
        public KeptInfo {
            Objects.requireNonNull(id, "id");
            reasons = List.copyOf(reasons);
        }
    }

    /** A checkpoint a trim removes (moves to the trash) and the bytes GC frees for it after the grace period. */
    record RemovedInfo(ManifestId id, Instant createdAt, long freedBytes) {
    }

    /**
     * A surviving delta whose parent a trim removes, rewritten in the same atomic step.
     *
     * @param newParent its new parent, or null: materialised as a full manifest
     */
    record RebaseInfo(ManifestId id, String series, ManifestId oldParent, ManifestId newParent) {
    }

    /** A checkpoint in the trash. {@code reason}: the audit id of the trim that removed it. */
    record TrashEntryInfo(ManifestId id, String series, Instant createdAt, long logicalBytes, Instant trashedAt,
                          Instant expiresAt, String reason) {
    }

    /** Wall time of one GC phase. */
    record PhaseMillis(String phase, long millis) {
    }

    /**
     * One put of a simulated series.
     *
     * @param removedAt        the time of the put whose trim removed it; null: it survives
     * @param reasons          for a survivor, why the final trim keeps it; empty for removed ones
     * @param storedBytesAfter the simulated stored bytes after this put and its trim
     */
    record TimelineEntry(ManifestId id, Instant createdAt, Instant removedAt, List<Reason> reasons,
                         long storedBytesAfter) {
        public TimelineEntry {
            reasons = List.copyOf(reasons);
        }
    }

    /**
     * An age band of a simulation, {@code [fromMillis, toMillis)} before the last put.
     *
     * @param toMillis          null: open-ended
     * @param largestGapMillis  the largest gap between consecutive survivors (counted in the band of
     *                          the newer one); null if no survivor in the band has an older survivor
     */
    record AgeBandInfo(String label, long fromMillis, Long toMillis, int survivors, Long largestGapMillis) {
    }

    // =============================================================== requests

    /**
     * Opens a connection: must be the first frame.
     *
     * @param maxFrame the largest frame length the client accepts (at least {@link Wire#MIN_MAX_FRAME})
     * @param token    the tenant's token, "" for none
     */
    record Hello(int minVersion, int maxVersion, int maxFrame, String token, String clientName) implements Request {
        public int opcode() {
            return Opcode.HELLO;
        }

        /** Never shows the token: messages end up in logs. */
        @Override
        public String toString() {
            return "Hello[versions=" + minVersion + ".." + maxVersion + ", maxFrame=" + maxFrame + ", token="
                    + (token.isEmpty() ? "none" : "***") + ", client=" + clientName + "]";
        }
    }

    record Ping(long nonce) implements Request {
        public int opcode() {
            return Opcode.PING;
        }
    }

    /** Stops the streamed response of request {@code target}; that response then ends with CANCELLED. */
    record Cancel(int target) implements Request {
        public int opcode() {
            return Opcode.CANCEL;
        }
    }

    /** Which of these chunks does the tenant's store lack? */
    record Have(List<ChunkId> ids) implements Request {
        public Have {
            ids = List.copyOf(ids);
        }

        public int opcode() {
            return Opcode.HAVE;
        }
    }

    record Show(ManifestId id) implements Request {
        public int opcode() {
            return Opcode.SHOW;
        }
    }

    /**
     * Streams entry {@code entry} of checkpoint {@code id} as its stored chunks, from chunk index
     * {@code startChunk} (0 for the whole entry; a reader resuming after a reconnect passes how
     * many chunks it already has).
     */
    record Read(ManifestId id, String entry, long startChunk) implements Request {
        public int opcode() {
            return Opcode.READ;
        }
    }

    /** Lists live checkpoints, of one series or (null) of all. */
    record ListCheckpoints(String series) implements Request {
        public int opcode() {
            return Opcode.LIST;
        }
    }

    record Stats() implements Request {
        public int opcode() {
            return Opcode.STATS;
        }
    }

    record Verify(boolean readData) implements Request {
        public int opcode() {
            return Opcode.VERIFY;
        }
    }

    /** Resolves a full id or a unique hex prefix (at least 6 characters). */
    record Resolve(String text) implements Request {
        public int opcode() {
            return Opcode.RESOLVE;
        }
    }

    /**
     * Opens a put session.
     *
     * @param mode      {@link #MODE_ENTRIES}: the client sends entries and chunk refs;
     *                  {@link #MODE_PATCHES}: a delta put, the client sends PATCH frames against
     *                  {@code parent} (required) and the server builds the checkpoint
     * @param parent    explicit delta parent, or null
     * @param autoDelta with no parent, let the store align against the newest checkpoint of the series
     */
    record BeginPut(int mode, CheckpointMeta meta, List<String> tags, ManifestId parent, boolean autoDelta)
            implements Request {
        public static final int MODE_ENTRIES = 0;
        public static final int MODE_PATCHES = 1;

        public BeginPut {
            Objects.requireNonNull(meta, "meta");
            tags = List.copyOf(tags);
            if (mode != MODE_ENTRIES && mode != MODE_PATCHES) {
                throw new IllegalArgumentException("unknown put mode " + mode);
            }
            if (mode == MODE_PATCHES && parent == null) {
                throw new IllegalArgumentException("a delta put (mode 1) needs a parent");
            }
        }

        public int opcode() {
            return Opcode.BEGIN_PUT;
        }
    }

    /** Chunks for the store; each is decoded and re-hashed before it is stored. */
    record Upload(int session, List<WireChunk> chunks) implements SessionRequest {
        public Upload {
            chunks = List.copyOf(chunks);
        }

        public int opcode() {
            return Opcode.UPLOAD;
        }

        /** Payload bytes in this upload. */
        public long payloadBytes() {
            long n = 0;
            for (WireChunk c : chunks) {
                n += c.payload().length();
            }
            return n;
        }
    }

    /** Starts the next entry (names ascending, UTF-8 byte order). A directory entry is complete at once. */
    record Entry(int session, String name, EntryKind kind) implements SessionRequest {
        public int opcode() {
            return Opcode.ENTRY;
        }
    }

    /** Appends refs to the open entry. */
    record Refs(int session, List<ChunkRef> refs) implements SessionRequest {
        public Refs {
            refs = List.copyOf(refs);
        }

        public int opcode() {
            return Opcode.REFS;
        }
    }

    record EndEntry(int session) implements SessionRequest {
        public int opcode() {
            return Opcode.END_ENTRY;
        }
    }

    /** In a delta session: the bytes of entry {@code entry} at {@code offset} become {@code data}. */
    record PatchData(int session, String entry, long offset, byte[] data) implements SessionRequest {
        public PatchData {
            Objects.requireNonNull(entry, "entry");
            Objects.requireNonNull(data, "data");
        }

        public int opcode() {
            return Opcode.PATCH;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PatchData p && session == p.session && entry.equals(p.entry) && offset == p.offset
                    && java.util.Arrays.equals(data, p.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(session, entry, offset) * 31 + java.util.Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "PatchData[session=" + session + ", entry=" + entry + ", offset=" + offset + ", bytes=" + data.length + "]";
        }
    }

    record Commit(int session) implements SessionRequest {
        public int opcode() {
            return Opcode.COMMIT;
        }
    }

    record Abort(int session) implements SessionRequest {
        public int opcode() {
            return Opcode.ABORT;
        }
    }

    // ---------------------------------------------------------- maintenance

    /**
     * Applies retention policies, or with {@code dryRun} only reports what they would do.
     *
     * @param series       a series name or glob to restrict the trim to; null: every series a policy governs
     * @param policy       a policy document (YAML, {@code policies:} at the top); null: the daemon's own
     * @param policySource where {@code policy} came from (a file name), for the audit log; null: "client"
     * @param force        override the max_remove brake
     */
    record Trim(String series, String policy, String policySource, boolean dryRun, boolean force) implements Request {
        public int opcode() {
            return Opcode.TRIM;
        }
    }

    /** Lists the trash. */
    record TrashList() implements Request {
        public int opcode() {
            return Opcode.TRASH_LS;
        }
    }

    /** Brings a checkpoint back from the trash. */
    record TrashRestore(ManifestId id) implements Request {
        public int opcode() {
            return Opcode.TRASH_RESTORE;
        }
    }

    /**
     * Adds or renews {@code owner}'s hold on a live checkpoint.
     *
     * @param ttlSeconds null: until released; otherwise at least 1
     */
    record HoldAdd(ManifestId id, String owner, String reason, Long ttlSeconds) implements Request {
        public HoldAdd {
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(reason, "reason");
        }

        public int opcode() {
            return Opcode.HOLD_ADD;
        }
    }

    /** Releases {@code owner}'s hold. */
    record HoldRemove(ManifestId id, String owner) implements Request {
        public int opcode() {
            return Opcode.HOLD_RM;
        }
    }

    /**
     * Collects garbage in the tenant's store; {@code dryRun} computes the same numbers and changes
     * nothing; {@code force} also frees unreferenced data that nothing accounts for (docs/GC.md,
     * "What GC may free").
     *
     * @param withFlags the frame carries the flags byte (clients since the flag was added send it
     *                  always); only then does GC_OK carry the {@link GcUnexplained} fields, so that
     *                  a client that sends the original one-byte frame gets the reply it decodes
     */
    record Gc(boolean dryRun, boolean force, boolean withFlags) implements Request {
        public Gc {
            if (force && !withFlags) {
                throw new IllegalArgumentException("force needs the flags byte");
            }
        }

        /** The original one-byte frame, as clients from before the flags byte send it. */
        public Gc(boolean dryRun) {
            this(dryRun, false, false);
        }

        /** The current frame (with flags). */
        public Gc(boolean dryRun, boolean force) {
            this(dryRun, force, true);
        }

        public int opcode() {
            return Opcode.GC;
        }
    }

    /**
     * Replays a policy over the history of one series.
     *
     * @param policy a policy document (YAML); null: the daemon's own
     * @param svg    also render the timeline as SVG (sent in TEXT_PART frames)
     */
    record PolicySimulate(String series, String policy, boolean svg) implements Request {
        public PolicySimulate {
            Objects.requireNonNull(series, "series");
        }

        public int opcode() {
            return Opcode.POLICY_SIMULATE;
        }
    }

    /**
     * Lists audit records of applied trims, newest first.
     *
     * @param limit   at most this many (u32); 0: all
     * @param reports also send each record in full, as JSON (TEXT_PART frames)
     */
    record TrimLog(int limit, boolean reports) implements Request {
        public int opcode() {
            return Opcode.TRIM_LOG;
        }
    }

    /** Adds and removes tags (a tag in both lists ends up added). */
    record Tag(ManifestId id, List<String> add, List<String> remove) implements Request {
        public Tag {
            add = List.copyOf(add);
            remove = List.copyOf(remove);
        }

        public int opcode() {
            return Opcode.TAG;
        }
    }

    // ============================================================== responses

    /**
     * @param storeId 16 bytes identifying the tenant's store (a client may key caches on it)
     * @param chunker the store's chunker parameters: the client must chunk with exactly these
     */
    record HelloOk(int version, String serverVersion, String tenant, byte[] storeId, ChunkerParams chunker,
                   Limits limits) implements Response {
        public HelloOk {
            if (storeId.length != 16) {
                throw new IllegalArgumentException("store id must be 16 bytes");
            }
        }

        public int opcode() {
            return Opcode.HELLO_OK;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof HelloOk h && version == h.version && serverVersion.equals(h.serverVersion)
                    && tenant.equals(h.tenant) && java.util.Arrays.equals(storeId, h.storeId)
                    && chunker.equals(h.chunker) && limits.equals(h.limits);
        }

        @Override
        public int hashCode() {
            return Objects.hash(version, serverVersion, tenant, chunker, limits);
        }
    }

    record Pong(long nonce) implements Response {
        public int opcode() {
            return Opcode.PONG;
        }
    }

    /** Bit {@code i} of {@code missing} is set when {@code ids[i]} of the HAVE is missing. */
    record HaveOk(int count, BitSet missing) implements Response {
        public HaveOk {
            missing = (BitSet) missing.clone();
            if (missing.length() > count) {
                throw new IllegalArgumentException("bit " + (missing.length() - 1) + " set beyond count " + count);
            }
        }

        public int opcode() {
            return Opcode.HAVE_OK;
        }

        public boolean isMissing(int i) {
            return missing.get(i);
        }
    }

    /** The final frame of SHOW; the entries came before it in {@link EntryPage} parts. */
    record ShowOk(CheckpointSummary checkpoint) implements Response {
        public int opcode() {
            return Opcode.SHOW_OK;
        }
    }

    /** Part of SHOW: the next entries, in order. */
    record EntryPage(List<EntryHeader> entries) implements Response {
        public EntryPage {
            entries = List.copyOf(entries);
        }

        public int opcode() {
            return Opcode.ENTRY_PAGE;
        }
    }

    /** Part of READ: the next chunks of the entry, in order, as stored. */
    record ReadData(List<WireChunk> chunks) implements Response {
        public ReadData {
            chunks = List.copyOf(chunks);
        }

        public int opcode() {
            return Opcode.READ_DATA;
        }
    }

    /** The final frame of READ: how many chunks and raw bytes were sent. */
    record ReadOk(long chunks, long bytes) implements Response {
        public int opcode() {
            return Opcode.READ_OK;
        }
    }

    /** Part of LIST. */
    record ListPage(List<CheckpointSummary> checkpoints) implements Response {
        public ListPage {
            checkpoints = List.copyOf(checkpoints);
        }

        public int opcode() {
            return Opcode.LIST_PAGE;
        }
    }

    /** The final frame of LIST: how many summaries the pages carried. */
    record ListOk(long total) implements Response {
        public int opcode() {
            return Opcode.LIST_OK;
        }
    }

    /** Store-wide numbers of the tenant's store; see dev.cairn.store.StoreStats for each field. */
    record StatsOk(long checkpoints, long trashed, long series, long logicalBytes, long chunks, long chunkBytes,
                   long storedBytes, long packs, long metadataBytes) implements Response {
        public int opcode() {
            return Opcode.STATS_OK;
        }
    }

    /** Part of VERIFY: still running. */
    record VerifyProgress(long elapsedMillis) implements Response {
        public int opcode() {
            return Opcode.VERIFY_PROGRESS;
        }
    }

    /**
     * The report of VERIFY. {@code problems} may be a prefix of all findings (it is cut to fit a
     * frame); {@code problemCount} is the total.
     */
    record VerifyOk(long manifests, long chunks, long bytesRead, long packs, boolean readData, long problemCount,
                    List<Problem> problems, List<Damaged> damaged) implements Response {
        public VerifyOk {
            problems = List.copyOf(problems);
            damaged = List.copyOf(damaged);
        }

        public int opcode() {
            return Opcode.VERIFY_OK;
        }

        public boolean clean() {
            return problemCount == 0 && damaged.isEmpty();
        }
    }

    record ResolveOk(ManifestId id) implements Response {
        public int opcode() {
            return Opcode.RESOLVE_OK;
        }
    }

    /** @param parent the parent the session aligns against (explicit or automatic), or null */
    record BeginPutOk(int session, ManifestId parent) implements Response {
        public int opcode() {
            return Opcode.BEGIN_PUT_OK;
        }
    }

    /** @param stored chunks appended to the store; @param present chunks it already had */
    record UploadOk(int stored, int present) implements Response {
        public int opcode() {
            return Opcode.UPLOAD_OK;
        }
    }

    record EntryOk() implements Response {
        public int opcode() {
            return Opcode.ENTRY_OK;
        }
    }

    /** Totals of the open entry after the refs were appended. */
    record RefsOk(long entryChunks, long entryBytes) implements Response {
        public int opcode() {
            return Opcode.REFS_OK;
        }
    }

    /** The entry's canonical header (the client may compare the digest with its own). */
    record EndEntryOk(EntryHeader header) implements Response {
        public int opcode() {
            return Opcode.END_ENTRY_OK;
        }
    }

    /** Patch bytes the session holds so far. */
    record PatchOk(long bufferedBytes) implements Response {
        public int opcode() {
            return Opcode.PATCH_OK;
        }
    }

    /** The committed checkpoint; fields as dev.cairn.store.PutResult. */
    record CommitOk(ManifestId id, String kind, long logicalBytes, long newBytes, long storedBytes, long chunks,
                    long newChunks, ManifestId parent, boolean existed) implements Response {
        public CommitOk {
            if (!kind.equals("full") && !kind.equals("delta")) {
                throw new IllegalArgumentException("kind must be full or delta, got " + kind);
            }
        }

        public int opcode() {
            return Opcode.COMMIT_OK;
        }
    }

    record AbortOk() implements Response {
        public int opcode() {
            return Opcode.ABORT_OK;
        }
    }

    // ---------------------------------------------------------- maintenance

    /**
     * The end of a TRIM report; the series and rebases came before it in {@link TrimSeries} and
     * {@link TrimRebases} parts.
     *
     * @param auditId       the audit record ({@code TRIM_LOG}); null when nothing was applied
     * @param applied       false for a dry run, and when there was nothing to remove or rebase
     * @param blockedSeries series where the max_remove brake held (not an error: see the parts)
     * @param freedBytes    what GC frees after the grace period, over all removed checkpoints
     */
    record TrimOk(String auditId, Instant at, boolean dryRun, boolean applied, boolean force, String requestedBy,
                  String policySource, int seriesCount, int blockedSeries, long kept, long removed, long rebases,
                  long freedBytes) implements Response {
        public int opcode() {
            return Opcode.TRIM_OK;
        }
    }

    /**
     * Part of TRIM: one series of the plan, or a continuation of it (a large series is sent as
     * consecutive parts with the same series; their lists concatenate).
     *
     * @param policy         the glob of the policy that governs the series
     * @param blocked        why the max_remove brake stopped the series, or null
     * @param trashExpiresAt when its removed checkpoints leave the trash for good (GC after that frees them)
     */
    record TrimSeries(String series, String policy, String blocked, Instant trashExpiresAt, List<KeptInfo> kept,
                      List<RemovedInfo> removed) implements Response {
        public TrimSeries {
            kept = List.copyOf(kept);
            removed = List.copyOf(removed);
        }

        public int opcode() {
            return Opcode.TRIM_SERIES;
        }
    }

    /** Part of TRIM: rebases of surviving deltas. */
    record TrimRebases(List<RebaseInfo> rebases) implements Response {
        public TrimRebases {
            rebases = List.copyOf(rebases);
        }

        public int opcode() {
            return Opcode.TRIM_REBASES;
        }
    }

    /** Part of TRASH_LS. */
    record TrashPage(List<TrashEntryInfo> entries) implements Response {
        public TrashPage {
            entries = List.copyOf(entries);
        }

        public int opcode() {
            return Opcode.TRASH_PAGE;
        }
    }

    /** The end of TRASH_LS: how many entries the pages carried. */
    record TrashListOk(long total) implements Response {
        public int opcode() {
            return Opcode.TRASH_LS_OK;
        }
    }

    /** The restored checkpoint as it is now (a delta may have been rebased). */
    record TrashRestoreOk(CheckpointSummary checkpoint) implements Response {
        public int opcode() {
            return Opcode.TRASH_RESTORE_OK;
        }
    }

    record HoldAddOk(HoldInfo hold) implements Response {
        public int opcode() {
            return Opcode.HOLD_ADD_OK;
        }
    }

    record HoldRemoveOk() implements Response {
        public int opcode() {
            return Opcode.HOLD_RM_OK;
        }
    }

    /** What a GC did (or would do); fields as dev.cairn.gc.GcReport. */
    record GcOk(String gcId, boolean dryRun, long epoch, long manifestsDeleted, long rebased, long chunksLive,
                long chunksFreed, long bytesReclaimed, long packsDeleted, long packsRewritten, long bytesCopied,
                long orphanSegments, List<PhaseMillis> phases, long totalMillis, long markSetBytes,
                GcUnexplained unexplained) implements Response {
        public GcOk {
            phases = List.copyOf(phases);
        }

        /** A reply without the unexplained fields (to a GC frame without flags). */
        public GcOk(String gcId, boolean dryRun, long epoch, long manifestsDeleted, long rebased, long chunksLive,
                    long chunksFreed, long bytesReclaimed, long packsDeleted, long packsRewritten, long bytesCopied,
                    long orphanSegments, List<PhaseMillis> phases, long totalMillis, long markSetBytes) {
            this(gcId, dryRun, epoch, manifestsDeleted, rebased, chunksLive, chunksFreed, bytesReclaimed, packsDeleted,
                    packsRewritten, bytesCopied, orphanSegments, phases, totalMillis, markSetBytes, null);
        }

        public int opcode() {
            return Opcode.GC_OK;
        }
    }

    /**
     * GC_OK's trailing fields, present when the request carried flags: unreferenced data that no
     * recorded deletion or aborted or crashed upload accounts for.
     *
     * @param chunks    such chunks (index entries and pack records without one)
     * @param bytes     their record bytes
     * @param packsKept packs kept because they hold such records (or could not be checked)
     * @param forced    the run was forced, so they were freed (a dry run: would be)
     */
    record GcUnexplained(long chunks, long bytes, long packsKept, boolean forced) {
    }

    /** Part of POLICY_SIMULATE: the next puts of the timeline, oldest first. */
    record SimulationTimeline(List<TimelineEntry> entries) implements Response {
        public SimulationTimeline {
            entries = List.copyOf(entries);
        }

        public int opcode() {
            return Opcode.SIMULATION_TIMELINE;
        }
    }

    /**
     * Part: the next bytes of a long UTF-8 text whose length the response announced (a fragment may
     * end inside a multi-byte character: concatenate the bytes, then decode).
     */
    record TextPart(byte[] data) implements Response {
        public TextPart {
            Objects.requireNonNull(data, "data");
        }

        public int opcode() {
            return Opcode.TEXT_PART;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TextPart t && java.util.Arrays.equals(data, t.data);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "TextPart[bytes=" + data.length + "]";
        }
    }

    /**
     * The end of POLICY_SIMULATE.
     *
     * @param svgBytes length of the SVG sent in TEXT_PART frames before this one (0 if not asked for)
     */
    record PolicySimulateOk(String series, String policy, int puts, int survivors, int stepsOverMaxRemove,
                            List<AgeBandInfo> bands, long storedBytes, long svgBytes) implements Response {
        public PolicySimulateOk {
            bands = List.copyOf(bands);
        }

        public int opcode() {
            return Opcode.POLICY_SIMULATE_OK;
        }
    }

    /**
     * Part of TRIM_LOG: one audit record; when the request asked for reports, {@code reportBytes}
     * bytes of JSON follow in TEXT_PART frames.
     */
    record TrimLogEntry(String id, Instant at, String requestedBy, String policySource, int seriesCount, long kept,
                        long removed, long rebases, long freedBytes, long reportBytes) implements Response {
        public int opcode() {
            return Opcode.TRIM_LOG_ENTRY;
        }
    }

    /** The end of TRIM_LOG: how many records were sent. */
    record TrimLogOk(int count) implements Response {
        public int opcode() {
            return Opcode.TRIM_LOG_OK;
        }
    }

    /** The checkpoint's tags after the change, sorted. */
    record TagOk(List<String> tags) implements Response {
        public TagOk {
            tags = List.copyOf(tags);
        }

        public int opcode() {
            return Opcode.TAG_OK;
        }
    }

    /**
     * A failed request (always the last frame of its response), or with request id
     * {@link Wire#CONNECTION_ID} a connection-level error before the server closes.
     *
     * @param code   a {@link Status} code; kept as a number so codes newer than this build survive
     * @param chunks for MISSING_CHUNKS the missing ids, for CHUNK_MISMATCH the mismatching ones;
     *               otherwise empty
     */
    record ErrorReply(int code, String message, List<ChunkId> chunks) implements Response {
        public ErrorReply {
            if (code < 0 || code > 0xffff) {
                throw new IllegalArgumentException("status code must fit in u16: " + code);
            }
            if (message.length() > Wire.MAX_ERROR_MESSAGE) {
                message = message.substring(0, Wire.MAX_ERROR_MESSAGE - 3) + "...";
            }
            chunks = List.copyOf(chunks);
        }

        public ErrorReply(Status status, String message) {
            this(status.code(), message, List.of());
        }

        public Status status() {
            return Status.ofCode(code);
        }

        public int opcode() {
            return Opcode.ERROR;
        }
    }
}
