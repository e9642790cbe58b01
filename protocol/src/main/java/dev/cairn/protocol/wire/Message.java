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
            Verify, Resolve, BeginPut, SessionRequest {
    }

    /**
     * A request that acts on a put session. The server applies the requests of one session in the
     * order they arrive; other requests may complete in any order.
     */
    sealed interface SessionRequest extends Request permits Upload, Entry, Refs, EndEntry, PatchData, Commit, Abort {
        int session();
    }

    /** What the server sends: final responses, stream parts and errors. */
    sealed interface Response extends Message permits HelloOk, Pong, HaveOk, ShowOk, EntryPage, ReadData, ReadOk,
            ListPage, ListOk, StatsOk, VerifyProgress, VerifyOk, ResolveOk, BeginPutOk, UploadOk, EntryOk, RefsOk,
            EndEntryOk, PatchOk, CommitOk, AbortOk, ErrorReply {
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
