package dev.cairn.server;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.Chunker;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.Frame;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.*;
import dev.cairn.protocol.wire.MessageCodec;
import dev.cairn.protocol.wire.Wire;

import javax.net.SocketFactory;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal blocking protocol client for tests (the real client library is another module):
 * frames in and out over a plain or TLS socket, plus put and read helpers that chunk, dedup and
 * verify like a real client would.
 */
public final class WireDriver implements Closeable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final AtomicInteger ids = new AtomicInteger();
    private HelloOk hello;

    /** An ERROR response, as an exception. */
    public static final class WireError extends RuntimeException {
        public final ErrorReply reply;

        WireError(ErrorReply reply) {
            super(reply.status() + ": " + reply.message());
            this.reply = reply;
        }

        public Status status() {
            return reply.status();
        }
    }

    private WireDriver(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(20_000);
        socket.setTcpNoDelay(true);
        this.in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16));
        this.out = socket.getOutputStream();
    }

    /** Wraps a connected socket (e.g. a TLS socket after its handshake). */
    public static WireDriver wrap(Socket s) throws IOException {
        return new WireDriver(s);
    }

    public static WireDriver connect(InetSocketAddress a) throws IOException {
        return connect(a, SocketFactory.getDefault());
    }

    public static WireDriver connect(InetSocketAddress a, SocketFactory f) throws IOException {
        Socket s = f.createSocket();
        s.connect(a, 5000);
        return new WireDriver(s);
    }

    /** Connects and completes the handshake. */
    public static WireDriver open(InetSocketAddress a, String token) throws IOException {
        WireDriver d = connect(a);
        d.hello(token);
        return d;
    }

    public Socket socket() {
        return socket;
    }

    public HelloOk hello(String token) throws IOException {
        hello = expect(call(new Hello(1, 1, Wire.MIN_MAX_FRAME, token, "wire-driver")), HelloOk.class);
        return hello;
    }

    public HelloOk helloOk() {
        return hello;
    }

    public ChunkerParams chunker() {
        return hello.chunker();
    }

    public int nextId() {
        int id;
        do {
            id = ids.incrementAndGet();
        } while (id == 0);
        return id;
    }

    /** Sends a request with a fresh id; returns the id. */
    public int send(Message m) throws IOException {
        int id = nextId();
        send(Envelope.of(id, m));
        return id;
    }

    public void send(Envelope e) throws IOException {
        sendRaw(MessageCodec.encode(e));
    }

    public synchronized void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next frame from the server. */
    public Envelope receive() throws IOException {
        int len = in.readInt();
        if (len < Wire.HEADER || len > Wire.MIN_MAX_FRAME) {
            throw new IOException("bad frame length " + len);
        }
        int op = in.readUnsignedByte();
        int rid = in.readInt();
        int flags = in.readUnsignedByte();
        byte[] payload = new byte[len - Wire.HEADER];
        in.readFully(payload);
        return MessageCodec.decode(new Frame(op, rid, flags, payload));
    }

    /** Sends {@code m} and returns every frame of its response (parts, then the LAST frame). */
    public List<Envelope> exchange(Message m) throws IOException {
        int id = send(m);
        return collect(id);
    }

    /** Reads frames until the LAST frame of {@code id}; fails on frames of other requests. */
    public List<Envelope> collect(int id) throws IOException {
        List<Envelope> frames = new ArrayList<>();
        while (true) {
            Envelope e = receive();
            if (e.requestId() != id) {
                throw new IOException("unexpected frame for request " + e.requestId() + " while waiting for " + id
                        + ": " + e);
            }
            frames.add(e);
            if (e.last()) {
                return frames;
            }
        }
    }

    /** Sends {@code m} and returns the final message of the response (possibly an ErrorReply). */
    public Message call(Message m) throws IOException {
        List<Envelope> f = exchange(m);
        return f.get(f.size() - 1).message();
    }

    public <T extends Message> T ok(Message m, Class<T> type) throws IOException {
        return expect(call(m), type);
    }

    public static <T extends Message> T expect(Message m, Class<T> type) {
        if (m instanceof ErrorReply e) {
            throw new WireError(e);
        }
        return type.cast(m);
    }

    /** True if the server closed the connection (reads end), within the socket timeout. */
    public boolean closedByServer() {
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (EOFException | SocketException e) {
            return true;
        } catch (IOException e) {
            return true;
        }
    }

    /** Reads frames until the server closes; returns them (ERRORs before a close, typically). */
    public List<Envelope> drainUntilClosed() {
        List<Envelope> got = new ArrayList<>();
        try {
            while (true) {
                got.add(receive());
            }
        } catch (IOException e) {
            return got;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    // =============================================================== high level

    /** Cuts {@code data} into chunks with the store's parameters. */
    public static List<byte[]> chunk(byte[] data, ChunkerParams p) {
        Chunker c = new Chunker(p);
        List<byte[]> out = new ArrayList<>();
        int off = 0;
        while (off < data.length) {
            int n = c.cut(data, off, data.length - off, true);
            byte[] b = new byte[n];
            System.arraycopy(data, off, b, 0, n);
            out.add(b);
            off += n;
        }
        return out;
    }

    public int beginPut(CheckpointMeta meta, List<String> tags, ManifestId parent) throws IOException {
        return ok(new BeginPut(BeginPut.MODE_ENTRIES, meta, tags, parent, false), BeginPutOk.class).session();
    }

    /** Uploads what the store lacks of {@code chunks}, then refs them all into the open entry. */
    public long addData(int session, List<byte[]> chunks) throws IOException {
        long uploaded = 0;
        int batch = 64;
        for (int from = 0; from < chunks.size(); from += batch) {
            List<byte[]> part = chunks.subList(from, Math.min(chunks.size(), from + batch));
            List<ChunkId> ids = new ArrayList<>();
            for (byte[] c : part) {
                ids.add(ChunkId.of(c, 0, c.length));
            }
            HaveOk have = ok(new Have(ids), HaveOk.class);
            List<WireChunk> up = new ArrayList<>();
            for (int i = 0; i < part.size(); i++) {
                if (have.isMissing(i)) {
                    byte[] c = part.get(i);
                    EncodedChunk e = ChunkCodec.shared().encode(c, 0, c.length);
                    byte[] copy = java.util.Arrays.copyOfRange(e.data(), e.offset(), e.offset() + e.length());
                    up.add(new WireChunk(ids.get(i), new EncodedChunk(e.codec(), e.rawLength(), copy, 0, copy.length)));
                }
            }
            if (!up.isEmpty()) {
                ok(new Upload(session, up), UploadOk.class);
                uploaded += up.size();
            }
            List<ChunkRef> refs = new ArrayList<>();
            for (int i = 0; i < part.size(); i++) {
                refs.add(new ChunkRef(ids.get(i), part.get(i).length));
            }
            ok(new Refs(session, refs), RefsOk.class);
        }
        return uploaded;
    }

    /** Puts a single-stream checkpoint. */
    public CommitOk put(String series, Instant time, byte[] data) throws IOException {
        return put(CheckpointMeta.of(series, time), data);
    }

    public CommitOk put(CheckpointMeta meta, byte[] data) throws IOException {
        int s = beginPut(meta, List.of(), null);
        ok(new Entry(s, "", EntryKind.FILE), EntryOk.class);
        addData(s, chunk(data, chunker()));
        ok(new EndEntry(s), EndEntryOk.class);
        return ok(new Commit(s), CommitOk.class);
    }

    /** Puts a directory checkpoint: name → bytes (null bytes: an empty directory). */
    public CommitOk putDirectory(String series, Instant time, Map<String, byte[]> files) throws IOException {
        int s = beginPut(CheckpointMeta.of(series, time), List.of(), null);
        List<String> names = new ArrayList<>(files.keySet());
        names.sort((a, b) -> java.util.Arrays.compareUnsigned(a.getBytes(), b.getBytes()));
        for (String n : names) {
            byte[] data = files.get(n);
            if (data == null) {
                ok(new Entry(s, n, EntryKind.DIRECTORY), EntryOk.class);
                continue;
            }
            ok(new Entry(s, n, EntryKind.FILE), EntryOk.class);
            addData(s, chunk(data, chunker()));
            ok(new EndEntry(s), EndEntryOk.class);
        }
        return ok(new Commit(s), CommitOk.class);
    }

    /** Reads an entry, decoding and re-hashing every chunk. */
    public byte[] read(ManifestId id, String entry) throws IOException {
        return read(id, entry, 0);
    }

    public byte[] read(ManifestId id, String entry, long startChunk) throws IOException {
        int rid = send(new Read(id, entry, startChunk));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            Envelope e = receive();
            if (e.requestId() != rid) {
                throw new IOException("unexpected frame " + e);
            }
            if (e.message() instanceof ReadData d) {
                for (WireChunk c : d.chunks()) {
                    out.writeBytes(decodeVerified(c));
                }
            } else if (e.message() instanceof ReadOk ok) {
                if (ok.bytes() != out.size()) {
                    throw new IOException("READ_OK says " + ok.bytes() + " bytes, received " + out.size());
                }
                return out.toByteArray();
            } else {
                expect(e.message(), ReadOk.class);
            }
        }
    }

    public static byte[] decodeVerified(WireChunk c) throws IOException {
        byte[] raw;
        try {
            raw = ChunkCodec.shared().decode(c.payload());
        } catch (dev.cairn.protocol.chunk.CorruptChunkException e) {
            throw new IOException(e);
        }
        if (!ChunkId.of(raw, 0, raw.length).equals(c.id())) {
            throw new CairnException(Status.CORRUPT, "chunk " + c.id().shortHex() + " does not hash to its id");
        }
        return raw;
    }

    /** SHOW: the summary and the entries. */
    public Map.Entry<CheckpointSummary, List<dev.cairn.protocol.manifest.EntryHeader>> show(ManifestId id)
            throws IOException {
        List<Envelope> frames = exchange(new Show(id));
        List<dev.cairn.protocol.manifest.EntryHeader> entries = new ArrayList<>();
        for (Envelope e : frames.subList(0, frames.size() - 1)) {
            entries.addAll(((EntryPage) e.message()).entries());
        }
        ShowOk ok = expect(frames.get(frames.size() - 1).message(), ShowOk.class);
        return Map.entry(ok.checkpoint(), entries);
    }

    public List<CheckpointSummary> list(String series) throws IOException {
        List<Envelope> frames = exchange(new ListCheckpoints(series));
        List<CheckpointSummary> out = new ArrayList<>();
        for (Envelope e : frames.subList(0, frames.size() - 1)) {
            out.addAll(((ListPage) e.message()).checkpoints());
        }
        ListOk ok = expect(frames.get(frames.size() - 1).message(), ListOk.class);
        if (ok.total() != out.size()) {
            throw new IOException("LIST_OK total " + ok.total() + " but " + out.size() + " summaries");
        }
        return out;
    }

    // ============================================================ maintenance

    /** A TRIM response: the series (continuation parts merged), the rebases, the end, and heartbeats seen. */
    public record TrimResult(List<TrimSeries> series, List<RebaseInfo> rebases, TrimOk ok, int heartbeats) {
        public TrimSeries series(String name) {
            return series.stream().filter(s -> s.series().equals(name)).findFirst().orElseThrow();
        }
    }

    public TrimResult trim(Trim req) throws IOException {
        return trimResult(exchange(req));
    }

    /** Parses the frames of a TRIM response; an ERROR becomes a {@link WireError}. */
    public static TrimResult trimResult(List<Envelope> frames) {
        List<TrimSeries> series = new ArrayList<>();
        List<RebaseInfo> rebases = new ArrayList<>();
        int heartbeats = 0;
        for (Envelope e : frames.subList(0, frames.size() - 1)) {
            if (e.message() instanceof VerifyProgress) {
                heartbeats++;
            } else if (e.message() instanceof TrimSeries t) {
                TrimSeries prev = series.isEmpty() ? null : series.get(series.size() - 1);
                if (prev != null && prev.series().equals(t.series())) {
                    List<KeptInfo> kept = new ArrayList<>(prev.kept());
                    kept.addAll(t.kept());
                    List<RemovedInfo> removed = new ArrayList<>(prev.removed());
                    removed.addAll(t.removed());
                    series.set(series.size() - 1, new TrimSeries(t.series(), t.policy(), t.blocked(),
                            t.trashExpiresAt(), kept, removed));
                } else {
                    series.add(t);
                }
            } else {
                rebases.addAll(((TrimRebases) e.message()).rebases());
            }
        }
        TrimOk ok = expect(frames.get(frames.size() - 1).message(), TrimOk.class);
        return new TrimResult(series, rebases, ok, heartbeats);
    }

    public List<TrashEntryInfo> trash() throws IOException {
        List<Envelope> frames = exchange(new TrashList());
        List<TrashEntryInfo> out = new ArrayList<>();
        for (Envelope e : frames.subList(0, frames.size() - 1)) {
            out.addAll(((TrashPage) e.message()).entries());
        }
        TrashListOk ok = expect(frames.get(frames.size() - 1).message(), TrashListOk.class);
        if (ok.total() != out.size()) {
            throw new IOException("TRASH_LS_OK total " + ok.total() + " but " + out.size() + " entries");
        }
        return out;
    }

    /** Runs a GC; heartbeats are skipped. */
    public GcOk gc(boolean dryRun) throws IOException {
        return ok(new Gc(dryRun), GcOk.class);
    }

    /** A POLICY_SIMULATE response. */
    public record Simulation(List<TimelineEntry> timeline, String svg, PolicySimulateOk ok) {
    }

    public Simulation simulate(PolicySimulate req) throws IOException {
        List<Envelope> frames = exchange(req);
        List<TimelineEntry> timeline = new ArrayList<>();
        ByteArrayOutputStream svg = new ByteArrayOutputStream();
        for (Envelope e : frames.subList(0, frames.size() - 1)) {
            if (e.message() instanceof SimulationTimeline t) {
                timeline.addAll(t.entries());
            } else if (e.message() instanceof TextPart p) {
                svg.writeBytes(p.data());
            }
        }
        PolicySimulateOk ok = expect(frames.get(frames.size() - 1).message(), PolicySimulateOk.class);
        if (ok.svgBytes() != svg.size() || ok.puts() != timeline.size()) {
            throw new IOException("POLICY_SIMULATE_OK does not match its parts: " + ok);
        }
        return new Simulation(timeline, svg.toString(java.nio.charset.StandardCharsets.UTF_8), ok);
    }

    /** One TRIM_LOG record with its JSON ("" unless asked for). */
    public record LogRecord(TrimLogEntry entry, String json) {
    }

    public List<LogRecord> trimLog(int limit, boolean reports) throws IOException {
        List<Envelope> frames = exchange(new TrimLog(limit, reports));
        List<LogRecord> out = new ArrayList<>();
        TrimLogEntry current = null;
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        for (Envelope e : frames.subList(0, frames.size() - 1)) {
            if (e.message() instanceof TrimLogEntry t) {
                if (current != null) {
                    out.add(new LogRecord(current, json.toString(java.nio.charset.StandardCharsets.UTF_8)));
                }
                current = t;
                json.reset();
            } else {
                json.writeBytes(((TextPart) e.message()).data());
            }
        }
        if (current != null) {
            out.add(new LogRecord(current, json.toString(java.nio.charset.StandardCharsets.UTF_8)));
        }
        TrimLogOk ok = expect(frames.get(frames.size() - 1).message(), TrimLogOk.class);
        for (LogRecord r : out) {
            if (r.json().getBytes(java.nio.charset.StandardCharsets.UTF_8).length != r.entry().reportBytes()) {
                throw new IOException("report of " + r.entry().id() + " has the wrong length");
            }
        }
        if (ok.count() != out.size()) {
            throw new IOException("TRIM_LOG_OK count " + ok.count() + " but " + out.size() + " records");
        }
        return out;
    }

    public static Map<String, byte[]> files(Object... nameThenBytes) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenBytes.length; i += 2) {
            m.put((String) nameThenBytes[i], (byte[]) nameThenBytes[i + 1]);
        }
        return m;
    }
}
