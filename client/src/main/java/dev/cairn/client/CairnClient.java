package dev.cairn.client;

import dev.cairn.protocol.HostPort;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.DirectoryLayout;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.Patch;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.CheckpointSummary;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * The Java client of a Cairn daemon ({@code cairnd}). Build one with {@link #builder()}, share it,
 * close it when done:
 *
 * <pre>{@code
 * try (CairnClient cairn = CairnClient.builder().address("127.0.0.1:7433").build()) {
 *     PutResult r = cairn.putFile(PutOptions.of(CheckpointMeta.of("resnet50/run-7", Instant.now())), file);
 *     cairn.restore(r.id(), Path.of("restored.bin"));
 * }
 * }</pre>
 *
 * <h2>What crosses the wire</h2>
 * Puts are chunked and hashed on the client with the store's own chunker parameters (from the
 * handshake); the client asks the daemon which chunks it lacks and uploads only those, LZ4
 * compressed where that pays. Putting data the store already holds costs only the chunk hashes.
 * Chunking and hashing of the next batch overlap the upload of the previous ones; memory per put
 * is a few batches whatever the checkpoint's size. Reads verify every chunk (decode and SHA-256
 * against its id) and the whole entry (chunk-list digest) before the bytes count as read.
 *
 * <h2>Thread-safety and ordering</h2>
 * A {@code CairnClient} is thread-safe: any number of threads may call it at once. Requests are
 * multiplexed over a pool of connections ({@link Builder#poolSize}); there is no ordering
 * between calls of different threads, while calls of one thread take effect in program order
 * (each returns after the daemon answered). A put is committed atomically: after
 * {@code put*} returns, the checkpoint is durable and visible to every client; if it throws,
 * nothing of it is visible. The streams and writers it returns ({@link #open},
 * {@link #newCheckpoint}) are for one thread each.
 *
 * <h2>Maintenance</h2>
 * {@link #trim}, {@link #trashList}, {@link #trashRestore}, {@link #holdAdd}, {@link #holdRemove},
 * {@link #tag}, {@link #gc} / {@link #startGc}, {@link #simulate} and {@link #trimLog} act on the
 * tenant's store (docs/GC.md). Long ones (trim, GC, simulation) receive heartbeats from the daemon;
 * every frame resets the request timeout, so they run as long as the daemon keeps working.
 *
 * <h2>Failures</h2>
 * Every failure is a {@link CairnClientException} with a stable {@link Status}. A request that
 * gets no frame of its answer within {@link Builder#requestTimeout} fails with
 * {@link Status#TIMEOUT}. When a pooled connection breaks, requests that are safe to repeat
 * (show, list, stats, verify, resolve, tag, trash list, trim log, policy simulation, and reads,
 * which resume at the next chunk) are retried on a new connection; trims, restores from the
 * trash, holds and GCs are not (a trim whose connection broke may or may not have been applied:
 * {@link #trimLog} tells); a put session belongs to its connection, so a put whose connection breaks
 * fails with {@link Status#IO_ERROR} and nothing of it is stored. A commit refused with
 * {@link Status#MISSING_CHUNKS} (garbage collection freed a chunk mid-put) is repaired by
 * re-uploading: from the held batch at REFS time, by re-reading the files of {@link #putFile}
 * and {@link #putDirectory} at COMMIT time; a one-shot {@link InputStream} cannot be re-read, and
 * such a put fails with a message saying so.
 */
public final class CairnClient implements AutoCloseable {
    private final ClientConfig cfg;
    private final EventLoopGroup group;
    private final ExecutorService workers;
    private final ConnectionPool pool;
    private volatile boolean closed;
    /** Test hook (package-private): chunks the put pipeline leaves out of their first UPLOAD. */
    volatile java.util.function.Predicate<dev.cairn.protocol.chunk.ChunkId> dropFirstUpload;

    private CairnClient(ClientConfig cfg, EventLoopGroup group, ExecutorService workers, ConnectionPool pool) {
        this.cfg = cfg;
        this.group = group;
        this.workers = workers;
        this.pool = pool;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a client; every one has a default. Not thread-safe. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 7433;
        private String token = "";
        private boolean tls;
        private Path tlsTrust;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(120);
        private int poolSize = 4;
        private int workerThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
        private int pipelineDepth = 4;
        private int batchBytes = 4 << 20;
        private int readAheadBytes = 8 << 20;
        private String clientName = "cairn-java/0.1.0";
        private Path socket;

        private Builder() {
        }

        /**
         * Connect through the daemon's Unix domain socket at {@code path} (docs/PROTOCOL.md, "The
         * local socket") instead of TCP: same protocol, plus passing open files to the daemon
         * ({@link #putLocal}, {@link #restoreLocal}). Needs Netty's epoll transport (Linux); null: TCP.
         */
        public Builder socket(Path path) {
            this.socket = path;
            return this;
        }

        /** The daemon's address as "HOST:PORT" ("[::1]:7433" for IPv6). Default 127.0.0.1:7433. */
        public Builder address(String hostPort) {
            HostPort a = HostPort.parse(hostPort);
            return address(a.host(), a.port());
        }

        public Builder address(String host, int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is outside 1..65535");
            }
            this.host = Objects.requireNonNull(host, "host");
            this.port = port;
            return this;
        }

        /** The tenant's token; "" or null for a daemon without tokens. Never logged. */
        public Builder token(String token) {
            this.token = token == null ? "" : token;
            return this;
        }

        /** Speak TLS; the server is verified against the system trust store unless {@link #tlsTrust} names a file. */
        public Builder tls(boolean on) {
            this.tls = on;
            return this;
        }

        /** Trust the certificates in this PEM file (instead of the system store); turns TLS on. */
        public Builder tlsTrust(Path pemFile) {
            this.tlsTrust = pemFile;
            this.tls = pemFile != null || tls;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d, "connectTimeout");
            return this;
        }

        /** How long a request may wait for the next frame of its answer. Default 120 s. */
        public Builder requestTimeout(Duration d) {
            this.requestTimeout = positive(d, "requestTimeout");
            return this;
        }

        /** Connections to the daemon, opened on demand and shared by all threads. Default 4. */
        public Builder poolSize(int n) {
            this.poolSize = atLeast(n, 1, "poolSize");
            return this;
        }

        /** Threads for hashing, compression and read verification. Default: the number of cores, at least 2. */
        public Builder workerThreads(int n) {
            this.workerThreads = atLeast(n, 1, "workerThreads");
            return this;
        }

        /** Batches of chunks one put may have between chunking and acknowledgement. Default 4. */
        public Builder pipelineDepth(int n) {
            this.pipelineDepth = atLeast(n, 1, "pipelineDepth");
            return this;
        }

        /** Bytes per batch of chunks (raised to twice the store's largest chunk). Default 4 MiB. */
        public Builder batchBytes(int n) {
            this.batchBytes = atLeast(n, 64 << 10, "batchBytes");
            return this;
        }

        /** Bytes a read stream buffers ahead of its reader before it stops reading the socket. Default 8 MiB. */
        public Builder readAheadBytes(int n) {
            this.readAheadBytes = atLeast(n, 1 << 20, "readAheadBytes");
            return this;
        }

        /** Free text the daemon logs, e.g. "my-trainer/1.2". */
        public Builder clientName(String name) {
            this.clientName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Creates the client. No connection is made yet: the first request connects (and fails
         * with a clear message if the daemon cannot be reached).
         *
         * @throws CairnClientException if the TLS trust file cannot be used
         */
        public CairnClient build() throws CairnClientException {
            ClientConfig cfg = new ClientConfig(host, port, token, tls, tlsTrust, connectTimeout, requestTimeout, poolSize,
                    workerThreads, pipelineDepth, batchBytes, readAheadBytes, clientName, socket);
            if (socket != null && tls) {
                throw CairnClientException.local(Status.BAD_REQUEST, "TLS is for TCP; the local socket " + socket
                        + " is reachable only on this machine and needs none", null);
            }
            if (socket != null && !Epoll.isAvailable()) {
                throw CairnClientException.local(Status.BAD_REQUEST, "the local socket " + socket + " needs Netty's"
                        + " epoll transport, which is not available here (" + Epoll.unavailabilityCause() + "); use TCP", null);
            }
            SslContext ssl = null;
            if (tls) {
                try {
                    SslContextBuilder b = SslContextBuilder.forClient().protocols("TLSv1.3", "TLSv1.2");
                    if (tlsTrust != null) {
                        b.trustManager(tlsTrust.toFile());
                    }
                    ssl = b.build();
                } catch (IOException | RuntimeException e) {
                    throw CairnClientException.local(Status.BAD_REQUEST, "cannot use TLS trust file " + tlsTrust
                            + " (PEM certificates expected): " + e.getMessage(), e);
                }
            }
            boolean epoll = Epoll.isAvailable();
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(Math.min(poolSize, 2),
                    daemonThreads("cairn-client-io"), epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
            Class<? extends Channel> type = socket != null ? io.netty.channel.epoll.EpollDomainSocketChannel.class
                    : epoll ? EpollSocketChannel.class : NioSocketChannel.class;
            ExecutorService workers = new ThreadPoolExecutor(workerThreads, workerThreads, 30, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), daemonThreads("cairn-client-worker"));
            return new CairnClient(cfg, group, workers, new ConnectionPool(group, type, ssl, cfg));
        }

        private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
            AtomicInteger n = new AtomicInteger();
            return r -> {
                Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive");
            }
            return d;
        }

        private static int atLeast(int v, int min, String what) {
            if (v < min) {
                throw new IllegalArgumentException(what + " must be at least " + min + ", got " + v);
            }
            return v;
        }
    }

    // ================================================================ put

    /** Puts a single-stream checkpoint read from {@code in} to its end (not closed). */
    public PutResult put(PutOptions opts, InputStream in) throws IOException {
        return runPut(opts, p -> {
            p.beginFile("");
            p.readFrom(in);
            p.endFile();
        }, null);
    }

    public PutResult put(CheckpointMeta meta, InputStream in) throws IOException {
        return put(PutOptions.of(meta), in);
    }

    /**
     * Puts the file {@code file} as a single-stream checkpoint. Unlike {@link #put(PutOptions,
     * InputStream)}, a commit refused for chunks freed meanwhile is repaired by reading the file
     * again.
     */
    public PutResult putFile(PutOptions opts, Path file) throws IOException {
        return putFile(opts, file, null);
    }

    /** As {@link #putFile(PutOptions, Path)}, reporting bytes read to {@code progress}. */
    public PutResult putFile(PutOptions opts, Path file, LongConsumer progress) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw CairnClientException.local(Status.BAD_REQUEST, file + " is not a regular file", null);
        }
        return runPut(opts, p -> {
            p.beginFile("");
            try (InputStream in = counting(Files.newInputStream(file), progress)) {
                p.readFrom(in);
            }
            p.endFile();
        }, feed -> {
            try (InputStream in = Files.newInputStream(file)) {
                feed.entry(in);
            }
        });
    }

    /**
     * A writer the caller fills with the bytes of a single-stream checkpoint; {@link
     * CheckpointWriter#commit()} stores it, closing without commit aborts.
     */
    public CheckpointWriter newCheckpoint(PutOptions opts) throws IOException {
        Session s = begin(opts, Message.BeginPut.MODE_ENTRIES);
        PutPipeline p = new PutPipeline(s.conn, s.session, workers, cfg.pipelineDepth(), cfg.batchBytes(), dropFirstUpload);
        try {
            p.beginFile("");
        } catch (IOException | RuntimeException e) {
            p.abort();
            throw explain(e, s.conn);
        }
        return new CheckpointWriter(p, new PutFinisher() {
            @Override
            public PutResult finish(PutPipeline pl) throws IOException {
                try {
                    return result(pl.commit(null), pl);
                } catch (IOException | RuntimeException e) {
                    pl.abort();
                    throw explainCommit(e, s.conn, opts, pl);
                }
            }

            @Override
            public IOException explain(Throwable t) {
                return CairnClient.explain(t, s.conn);
            }
        });
    }

    public CheckpointWriter newCheckpoint(CheckpointMeta meta) throws IOException {
        return newCheckpoint(PutOptions.of(meta));
    }

    /**
     * Puts a directory checkpoint: every regular file below {@code root} becomes an entry named by
     * its relative path ('/'-separated), every empty directory a directory entry, in ascending
     * UTF-8 byte order of the names. Symbolic links and special files are refused (a checkpoint
     * that silently lost them would not restore what was there). Same semantics as the store's
     * {@code Repository.putDirectory}.
     */
    public PutResult putDirectory(PutOptions opts, Path root) throws IOException {
        return putDirectory(opts, root, null);
    }

    public PutResult putDirectory(CheckpointMeta meta, Path root) throws IOException {
        return putDirectory(PutOptions.of(meta), root, null);
    }

    /** As {@link #putDirectory(PutOptions, Path)}, reporting bytes read to {@code progress}. */
    public PutResult putDirectory(PutOptions opts, Path root, LongConsumer progress) throws IOException {
        List<DirectoryLayout.Item> items = DirectoryLayout.scan(root, CairnClient::localError);
        return runPut(opts, p -> {
            for (DirectoryLayout.Item it : items) {
                if (it.directory()) {
                    p.directory(it.name());
                    continue;
                }
                p.beginFile(it.name());
                try (InputStream in = counting(Files.newInputStream(it.path(), LinkOption.NOFOLLOW_LINKS), progress)) {
                    p.readFrom(in);
                }
                p.endFile();
            }
        }, feed -> {
            for (DirectoryLayout.Item it : items) {
                if (!it.directory()) {
                    try (InputStream in = Files.newInputStream(it.path(), LinkOption.NOFOLLOW_LINKS)) {
                        feed.entry(in);
                    }
                }
            }
        });
    }

    /**
     * Puts a checkpoint that is {@code parent} with {@code patches} applied: only the patch bytes
     * cross the wire, and the daemon reads just the parent chunks they touch. {@code opts.parent()}
     * is ignored in favour of {@code parent}.
     */
    public PutResult putDelta(PutOptions opts, ManifestId parent, List<Patch> patches) throws IOException {
        Objects.requireNonNull(parent, "parent");
        PutOptions o = opts.withParent(parent);
        Session s = begin(o, Message.BeginPut.MODE_PATCHES);
        long sent = 0;
        boolean commitSent = false;
        try {
            List<CompletableFuture<Message.Response>> acks = new ArrayList<>();
            int piece = Math.min(4 << 20, s.conn.limits().maxFrame() - 8192);
            for (Patch p : patches) {
                byte[] d = p.data();
                int off = 0;
                do {
                    int n = Math.min(piece, d.length - off);
                    byte[] part = off == 0 && n == d.length ? d : Arrays.copyOfRange(d, off, off + n);
                    acks.add(s.conn.call(new Message.PatchData(s.session, p.entry(), p.offset() + off, part)));
                    sent += n;
                    off += n;
                } while (off < d.length);
            }
            for (CompletableFuture<Message.Response> a : acks) {
                await(a);
            }
            commitSent = true;
            Message.CommitOk ok = (Message.CommitOk) await(s.conn.call(new Message.Commit(s.session)));
            return new PutResult(ok.id(), ok.kind(), ok.logicalBytes(), ok.newBytes(), ok.storedBytes(), ok.chunks(),
                    ok.newChunks(), ok.parent(), ok.existed(), 0, sent);
        } catch (IOException | RuntimeException e) {
            try {
                s.conn.call(new Message.Abort(s.session)).get(5, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // A failed delta COMMIT already ended the session; the connection's end does too.
            }
            throw commitSent ? outcomeUnknown(e, s.conn, o.meta(), null) : explain(e, s.conn);
        }
    }

    public PutResult putDelta(CheckpointMeta meta, ManifestId parent, List<Patch> patches) throws IOException {
        return putDelta(PutOptions.of(meta), parent, patches);
    }

    // ------------------------------------------------- raw stream and local socket

    /**
     * True if this client talks to the daemon over its Unix domain socket ({@link
     * Builder#socket}), where {@link #putLocal} and {@link #restoreLocal} hand over open files.
     */
    public boolean isLocal() {
        return cfg.socket() != null;
    }

    /** True if this JVM lets the client pass file descriptors (see {@link #putLocal(PutOptions, Path)}). */
    public static boolean canPassDescriptors() {
        return RawPuts.canPassDescriptors();
    }

    /**
     * Puts {@code in} (read to its end, not closed) as a single-stream checkpoint through the
     * raw-stream put: the client sends plain bytes and the daemon cuts, hashes and deduplicates
     * them. Over TCP or the local socket. Less client CPU than {@link #put(PutOptions, InputStream)},
     * but every byte crosses the wire even when the daemon already has it.
     *
     * @param lz4 compress each frame with LZ4 (pays on a slow network, costs CPU on a fast one)
     */
    public PutResult putStream(PutOptions opts, InputStream in, boolean lz4, LongConsumer progress) throws IOException {
        checkOpen();
        ClientConnection c = pool.acquire();
        try {
            return RawPuts.stream(c, opts, in, lz4, progress);
        } catch (IOException | RuntimeException e) {
            throw explain(e, c);
        }
    }

    public PutResult putStream(PutOptions opts, InputStream in) throws IOException {
        return putStream(opts, in, false, null);
    }

    /**
     * Puts the file {@code file} by handing the daemon the open file (local socket only): the
     * bytes never pass through this JVM. The daemon refuses a file that changes size while it
     * reads it.
     *
     * @throws CairnClientException {@link Status#BAD_REQUEST} if this client is not local or this
     *                              JVM cannot pass descriptors ({@link #canPassDescriptors})
     */
    public PutResult putLocal(PutOptions opts, Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw CairnClientException.local(Status.BAD_REQUEST, file + " is not a regular file", null);
        }
        try (java.io.FileInputStream in = new java.io.FileInputStream(file.toFile())) {
            return putLocal(opts, in.getFD(), in.getChannel().size());
        }
    }

    /**
     * Puts what descriptor {@code fd} holds (a regular file from its current offset to its end,
     * or a pipe until its writers close it; e.g. {@link java.io.FileDescriptor#in}) by handing it
     * to the daemon (local socket only). {@code size}: the bytes expected, or -1 if unknown; the
     * daemon refuses the put if it read a different number.
     */
    public PutResult putLocal(PutOptions opts, java.io.FileDescriptor fd, long size) throws IOException {
        checkOpen();
        requireLocal("putLocal");
        int n = RawPuts.fd(fd);
        ClientConnection c = pool.openDedicated();
        try {
            return RawPuts.descriptor(c, opts, n, size < 0 ? null : size);
        } catch (IOException | RuntimeException e) {
            throw explain(e, c);
        } finally {
            c.close();
        }
    }

    /**
     * Restores a checkpoint by creating each file here and handing the open file to the daemon,
     * which writes it (local socket only). Same rules as {@link #restore(CheckpointInfo, Path,
     * LongConsumer)}: a temporary sibling renamed into place when complete, nothing left behind
     * on failure; {@code target} must not exist.
     */
    public void restoreLocal(CheckpointInfo info, Path target, LongConsumer progress) throws IOException {
        checkOpen();
        requireLocal("restoreLocal");
        ManifestId id = info.summary().id();
        if (!RawPuts.canPassDescriptors()) {
            RawPuts.fd(new java.io.FileDescriptor()); // throws the explanation
        }
        ClientConnection c = pool.openDedicated();
        try {
            DirectoryLayout.restore(target, info.isStream(), info.entries(), (i, e, file) -> {
                Files.createFile(file);
                try (java.io.FileOutputStream out = new java.io.FileOutputStream(file.toFile())) {
                    long n = RawPuts.restore(c, id, info.isStream() ? "" : e.name(), RawPuts.fd(out.getFD()));
                    if (n != e.size()) {
                        throw CairnClientException.local(Status.CORRUPT, "the daemon wrote " + n + " bytes of entry '"
                                + e.name() + "', which has " + e.size(), null);
                    }
                    if (progress != null) {
                        progress.accept(n);
                    }
                }
            }, CairnClient::localError);
        } finally {
            c.close();
        }
    }

    private void requireLocal(String what) throws CairnClientException {
        if (cfg.socket() == null) {
            throw CairnClientException.local(Status.BAD_REQUEST, what + " needs the daemon's local socket"
                    + " (CairnClient.Builder.socket); this client uses TCP to " + cfg.address(), null);
        }
    }

    interface PutBody {
        void run(PutPipeline p) throws IOException;
    }

    interface PutFinisher {
        PutResult finish(PutPipeline p) throws IOException;

        /** Turns a failure of the put into the exception the caller sees. */
        IOException explain(Throwable t);
    }

    private record Session(ClientConnection conn, int session) {
    }

    private Session begin(PutOptions o, int mode) throws IOException {
        checkOpen();
        ClientConnection c = pool.acquire();
        Message.BeginPutOk ok = (Message.BeginPutOk) await(c.call(new Message.BeginPut(mode, o.meta(),
                List.copyOf(o.tags()), o.parent(), o.autoDelta())));
        return new Session(c, ok.session());
    }

    private PutResult runPut(PutOptions opts, PutBody body, PutPipeline.Resupplier resupplier) throws IOException {
        Session s = begin(opts, Message.BeginPut.MODE_ENTRIES);
        PutPipeline p = new PutPipeline(s.conn, s.session, workers, cfg.pipelineDepth(), cfg.batchBytes(), dropFirstUpload);
        try {
            body.run(p);
            return result(p.commit(resupplier), p);
        } catch (IOException | RuntimeException | Error e) {
            p.abort();
            if (e instanceof Error err) {
                throw err;
            }
            throw explainCommit(e, s.conn, opts, p);
        }
    }

    private static PutResult result(Message.CommitOk ok, PutPipeline p) {
        return new PutResult(ok.id(), ok.kind(), ok.logicalBytes(), ok.newBytes(), ok.storedBytes(), ok.chunks(),
                ok.newChunks(), ok.parent(), ok.existed(), p.uploadedChunks(), p.uploadedBytes());
    }

    /**
     * As {@link #explain(Throwable, ClientConnection)}, for a put that may have sent its COMMIT:
     * a connection lost after that leaves the outcome unknown, and the message says how to check.
     */
    private static IOException explainCommit(Throwable e, ClientConnection c, PutOptions opts, PutPipeline p) {
        return p.commitSent() ? outcomeUnknown(e, c, opts.meta(), p.expectedId(opts.meta())) : explain(e, c);
    }

    /**
     * The connection broke after COMMIT was sent: the daemon may have committed (and only its
     * reply was lost) or not. Saying "nothing was stored" could be false, and a put again could
     * make a second checkpoint of the same data, so this says how to find out instead.
     */
    private static IOException outcomeUnknown(Throwable e, ClientConnection c, CheckpointMeta meta, ManifestId expected) {
        if (!(e instanceof CairnClientException x && x.connectionLost())) {
            return explain(e, c);
        }
        String check = expected != null
                ? "`cairn show " + expected.toHex() + "` (the id it gets if it was stored) or `cairn ls --series "
                        + meta.series() + "`"
                : "`cairn ls --series " + meta.series() + "`";
        return new CairnClientException(x.status(), "put failed: its connection to " + c.describe()
                + " broke after the COMMIT was sent (" + x.getMessage() + "); the outcome is unknown: the"
                + " checkpoint may have been stored. Check with " + check + " before putting it again",
                x.serverMessage(), List.of(), true, x);
    }

    /** A put's connection broke before its COMMIT was sent: say plainly that nothing was stored. */
    private static IOException explain(Throwable e, ClientConnection c) {
        if (e instanceof CairnClientException x && x.connectionLost()) {
            return new CairnClientException(x.status(), "put failed: its connection to " + c.describe()
                    + " broke (" + x.getMessage() + "); a put session lives on one connection, so nothing of this"
                    + " checkpoint was stored: put it again", x.serverMessage(), List.of(), true, x);
        }
        if (e instanceof IOException io) {
            return io;
        }
        if (e instanceof IllegalArgumentException) {
            return CairnClientException.local(Status.BAD_REQUEST, e.getMessage(), e);
        }
        return CairnClientException.local(Status.INTERNAL, "put failed: " + e, e);
    }

    private static InputStream counting(InputStream in, LongConsumer progress) {
        if (progress == null) {
            return in;
        }
        return new FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    progress.accept(n);
                }
                return n;
            }
        };
    }

    // ================================================================ get

    /**
     * Opens a single-stream checkpoint for reading. The stream verifies every chunk and the whole
     * entry (see the class comment); it is for one thread and must be closed.
     *
     * @throws CairnClientException {@link Status#NOT_FOUND} for an unknown id,
     *                              {@link Status#BAD_REQUEST} for a directory checkpoint (use
     *                              {@link #open(ManifestId, String)} or {@link #restore})
     */
    public InputStream open(ManifestId id) throws IOException {
        return open(show(id));
    }

    /**
     * As {@link #open(ManifestId)}, for a checkpoint already {@link #show shown}: saves the SHOW
     * round trip (and, for a large directory, its entry pages).
     */
    public InputStream open(CheckpointInfo info) throws IOException {
        ManifestId id = info.summary().id();
        if (!info.isStream()) {
            throw CairnClientException.local(Status.BAD_REQUEST, "checkpoint " + id.shortHex() + " is a directory of "
                    + info.entries().size() + " entries; open one entry or restore it to a path", null);
        }
        return reader(id, info.entries().get(0));
    }

    /**
     * Writes a single-stream checkpoint to {@code out} (not closed), verified as {@link #open}
     * verifies, reporting bytes written to {@code progress} (may be null).
     */
    public void copyTo(CheckpointInfo info, OutputStream out, LongConsumer progress) throws IOException {
        try (InputStream in = open(info)) {
            transfer(in, out, progress);
        }
    }

    /** Opens one file entry of a checkpoint (entry "" of a single-stream one). */
    public InputStream open(ManifestId id, String entry) throws IOException {
        CheckpointInfo info = show(id);
        for (EntryHeader h : info.entries()) {
            if (h.name().equals(entry) && h.kind() == EntryKind.FILE) {
                return reader(id, h);
            }
        }
        throw CairnClientException.local(Status.NOT_FOUND, "checkpoint " + id.shortHex() + " has no file '" + entry
                + "'", null);
    }

    private EntryReader reader(ManifestId id, EntryHeader h) throws CairnClientException {
        checkOpen();
        return new EntryReader(pool::acquire, workers, id, h, cfg.readAheadBytes(), cfg.requestTimeout().toMillis());
    }

    /**
     * Restores a checkpoint to {@code target}: a file for a single-stream checkpoint, a directory
     * otherwise. Data goes to a temporary sibling first and is renamed into place when complete
     * and verified, so a failed restore leaves no partial result. {@code target} must not exist.
     */
    public void restore(ManifestId id, Path target) throws IOException {
        restore(id, target, null);
    }

    /** As {@link #restore(ManifestId, Path)}, reporting bytes written to {@code progress}. */
    public void restore(ManifestId id, Path target, LongConsumer progress) throws IOException {
        restore(show(id), target, progress);
    }

    /** As {@link #restore(ManifestId, Path, LongConsumer)}, for a checkpoint already {@link #show shown}. */
    public void restore(CheckpointInfo info, Path target, LongConsumer progress) throws IOException {
        ManifestId id = info.summary().id();
        DirectoryLayout.restore(target, info.isStream(), info.entries(), (i, e, file) -> {
            try (InputStream in = reader(id, e);
                 OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                transfer(in, out, progress);
            }
        }, CairnClient::localError);
    }

    private static void transfer(InputStream in, OutputStream out, LongConsumer progress) throws IOException {
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
            if (progress != null) {
                progress.accept(n);
            }
        }
    }

    private static CairnClientException localError(Status status, String message) {
        return CairnClientException.local(status, message, null);
    }

    // ================================================================ metadata

    /** A checkpoint's summary and entries (also for checkpoints in the trash). */
    public CheckpointInfo show(ManifestId id) throws IOException {
        Reply r = idempotent(c -> awaitReply(c.collect(new Message.Show(id))));
        List<EntryHeader> entries = new ArrayList<>();
        for (Message.Response part : r.parts()) {
            entries.addAll(((Message.EntryPage) part).entries());
        }
        return new CheckpointInfo(((Message.ShowOk) r.last()).checkpoint(), entries);
    }

    /** Live checkpoints of {@code series} (null: of every series), by series name, oldest first within one. */
    public List<CheckpointSummary> list(String series) throws IOException {
        if (series != null) {
            try {
                CheckpointMeta.validateSeries(series);
            } catch (IllegalArgumentException e) {
                throw CairnClientException.local(Status.BAD_REQUEST, e.getMessage(), e);
            }
        }
        Reply r = idempotent(c -> awaitReply(c.collect(new Message.ListCheckpoints(series))));
        List<CheckpointSummary> out = new ArrayList<>();
        for (Message.Response part : r.parts()) {
            out.addAll(((Message.ListPage) part).checkpoints());
        }
        return out;
    }

    public StoreStats stats() throws IOException {
        Message.StatsOk s = (Message.StatsOk) idempotent(c -> await(c.call(new Message.Stats())));
        return new StoreStats(s.checkpoints(), s.trashed(), s.series(), s.logicalBytes(), s.chunks(), s.chunkBytes(),
                s.storedBytes(), s.packs(), s.metadataBytes());
    }

    /** Checks the store; with {@code readData}, the daemon re-reads and re-hashes every chunk (slow). */
    public VerifyReport verify(boolean readData) throws IOException {
        Reply r = idempotent(c -> awaitReply(c.collect(new Message.Verify(readData))));
        Message.VerifyOk v = (Message.VerifyOk) r.last();
        List<VerifyReport.Problem> problems = new ArrayList<>();
        for (Message.Problem p : v.problems()) {
            problems.add(new VerifyReport.Problem(p.kind(), p.subject(), p.message()));
        }
        List<VerifyReport.Damaged> damaged = new ArrayList<>();
        for (Message.Damaged d : v.damaged()) {
            damaged.add(new VerifyReport.Damaged(d.id(), d.reasons()));
        }
        return new VerifyReport(v.manifests(), v.chunks(), v.bytesRead(), v.packs(), v.readData(), v.problemCount(),
                problems, damaged);
    }

    /**
     * Resolves a full id or a unique hex prefix (at least 6 characters) to the checkpoint's id.
     *
     * @throws CairnClientException {@link Status#NOT_FOUND}, or {@link Status#BAD_REQUEST} for a
     *                              prefix that is too short, not hex, or ambiguous
     */
    public ManifestId resolve(String idOrPrefix) throws IOException {
        Message.ResolveOk r = (Message.ResolveOk) idempotent(c -> await(c.call(new Message.Resolve(idOrPrefix))));
        return r.id();
    }

    /** What the daemon announced in the handshake (connects if needed). */
    public ServerInfo serverInfo() throws IOException {
        checkOpen();
        Message.HelloOk h = pool.acquire().hello();
        return new ServerInfo(h.version(), h.serverVersion(), h.tenant(), h.chunker(), h.limits());
    }

    // ================================================================ maintenance

    /**
     * Applies retention policies (or with {@link TrimRequest#dryRun()} reports what they would do).
     * Not retried on a new connection: a trim whose connection broke may or may not have been
     * applied ({@link #trimLog} tells). A series the {@code max_remove} brake stopped is not an
     * error: see {@link TrimReport#anyBlocked()}.
     *
     * @throws CairnClientException {@link Status#INVALID_POLICY} when the policy does not parse or
     *                              validate (the message is the parser's, with lines and columns) or
     *                              there is no policy at all; nothing is touched then.
     *                              {@link Status#BAD_REQUEST} for a bad series glob
     */
    public TrimReport trim(TrimRequest req) throws IOException {
        checkOpen();
        Objects.requireNonNull(req, "req");
        Reply r = awaitReply(pool.acquire().collect(new Message.Trim(req.series(), req.policy(), req.policySource(),
                req.dryRun(), req.force()), null, false).reply());
        return trimReport(r);
    }

    static TrimReport trimReport(Reply r) throws CairnClientException {
        List<TrimReport.SeriesPlan> series = new ArrayList<>();
        List<TrimReport.Rebase> rebases = new ArrayList<>();
        // A large series comes as consecutive parts with the same name: concatenate their lists.
        Message.TrimSeries open = null;
        List<TrimReport.Kept> kept = new ArrayList<>();
        List<TrimReport.Removed> removed = new ArrayList<>();
        for (Message.Response part : r.parts()) {
            if (part instanceof Message.TrimSeries ts) {
                if (open != null && !open.series().equals(ts.series())) {
                    series.add(new TrimReport.SeriesPlan(open.series(), open.policy(), open.blocked(),
                            open.trashExpiresAt(), kept, removed));
                    kept = new ArrayList<>();
                    removed = new ArrayList<>();
                }
                open = ts;
                for (Message.KeptInfo k : ts.kept()) {
                    kept.add(new TrimReport.Kept(k.id(), reasons(k.reasons())));
                }
                for (Message.RemovedInfo x : ts.removed()) {
                    removed.add(new TrimReport.Removed(x.id(), x.createdAt(), x.freedBytes()));
                }
            } else if (part instanceof Message.TrimRebases tr) {
                for (Message.RebaseInfo b : tr.rebases()) {
                    rebases.add(new TrimReport.Rebase(b.id(), b.series(), b.oldParent(), b.newParent()));
                }
            } else {
                throw unexpected("TRIM", part);
            }
        }
        if (open != null) {
            series.add(new TrimReport.SeriesPlan(open.series(), open.policy(), open.blocked(), open.trashExpiresAt(),
                    kept, removed));
        }
        Message.TrimOk ok = (Message.TrimOk) r.last();
        return new TrimReport(ok.at(), ok.dryRun(), ok.applied(), ok.force(), ok.auditId(), ok.requestedBy(),
                ok.policySource(), series, rebases, ok.kept(), ok.removed(), ok.freedBytes(), ok.blockedSeries());
    }

    /** Checkpoints in the trash, soonest expiry first. */
    public List<TrashEntry> trashList() throws IOException {
        Reply r = idempotent(c -> awaitReply(c.collect(new Message.TrashList())));
        List<TrashEntry> out = new ArrayList<>();
        for (Message.Response part : r.parts()) {
            if (!(part instanceof Message.TrashPage page)) {
                throw unexpected("TRASH_LS", part);
            }
            for (Message.TrashEntryInfo e : page.entries()) {
                out.add(new TrashEntry(e.id(), e.series(), e.createdAt(), e.logicalBytes(), e.trashedAt(),
                        e.expiresAt(), e.reason()));
            }
        }
        return out;
    }

    /**
     * Brings a checkpoint back from the trash exactly as it was (same id, tags, holds, metrics); a
     * delta whose parent is still in the trash is rebased onto its nearest live ancestor.
     *
     * @return the checkpoint as it is now
     * @throws CairnClientException {@link Status#NOT_FOUND} (unknown, or already deleted for good),
     *                              {@link Status#CONFLICT} (it is not in the trash)
     */
    public CheckpointSummary trashRestore(ManifestId id) throws IOException {
        checkOpen();
        return ((Message.TrashRestoreOk) await(pool.acquire().call(new Message.TrashRestore(id)))).checkpoint();
    }

    /**
     * Adds (or renews) {@code owner}'s hold on a live checkpoint: nothing held is ever trimmed.
     *
     * @param ttl how long the hold lasts (at least 1 s; rounded up to whole seconds); null: until released
     * @return the hold as stored, with the daemon's times
     * @throws CairnClientException {@link Status#NOT_FOUND}, {@link Status#CONFLICT} (the checkpoint
     *                              is in the trash: restore it first), {@link Status#BAD_REQUEST}
     *                              (empty or over-long owner or reason)
     */
    public Message.HoldInfo holdAdd(ManifestId id, String owner, String reason, Duration ttl) throws IOException {
        checkOpen();
        Long seconds = null;
        if (ttl != null) {
            if (ttl.isNegative() || ttl.isZero()) {
                throw CairnClientException.local(Status.BAD_REQUEST, "a hold's ttl must be positive; leave it out"
                        + " to hold until released", null);
            }
            seconds = ttl.getSeconds() + (ttl.getNano() > 0 ? 1 : 0);
        }
        if (owner == null || reason == null) {
            throw CairnClientException.local(Status.BAD_REQUEST, "a hold needs an owner and a reason", null);
        }
        return ((Message.HoldAddOk) await(pool.acquire().call(new Message.HoldAdd(id, owner, reason, seconds)))).hold();
    }

    /**
     * Releases {@code owner}'s hold.
     *
     * @throws CairnClientException {@link Status#NOT_FOUND} if that owner holds nothing on it
     */
    public void holdRemove(ManifestId id, String owner) throws IOException {
        checkOpen();
        await(pool.acquire().call(new Message.HoldRemove(id, owner)));
    }

    /**
     * Adds and removes tags of a checkpoint (live or in the trash); a tag in both lists ends up
     * added. With both empty, just reads the tags.
     *
     * @return the checkpoint's tags afterwards, sorted
     */
    public List<String> tag(ManifestId id, Collection<String> add, Collection<String> remove) throws IOException {
        List<String> a = add == null ? List.of() : List.copyOf(add);
        List<String> rm = remove == null ? List.of() : List.copyOf(remove);
        try {
            for (String t : a) {
                CheckpointMeta.validateTag(t);
            }
            for (String t : rm) {
                CheckpointMeta.validateTag(t);
            }
        } catch (IllegalArgumentException e) {
            throw CairnClientException.local(Status.BAD_REQUEST, e.getMessage(), e);
        }
        // Safe to repeat: the same adds and removes give the same tags.
        return ((Message.TagOk) idempotent(c -> await(c.call(new Message.Tag(id, a, rm))))).tags();
    }

    /**
     * Runs a garbage collection and waits for its report. Interrupting the calling thread cancels
     * it; so does closing the client. For a handle that can be cancelled from elsewhere, use
     * {@link #startGc}.
     *
     * @throws CairnClientException {@link Status#CONFLICT} if another GC (a client's or the daemon's
     *                              scheduled one) is running on the store, {@link Status#CANCELLED}
     */
    public GcReport gc(boolean dryRun) throws IOException {
        return gc(dryRun, false);
    }

    /**
     * Like {@link #gc(boolean)}; with {@code force} the daemon also frees unreferenced data that no
     * recorded deletion or aborted upload accounts for ({@link GcReport#unexplainedChunks()}),
     * which it otherwise keeps and reports (docs/GC.md, "What GC may free").
     */
    public GcReport gc(boolean dryRun, boolean force) throws IOException {
        try (CancellableCall<GcReport> call = startGc(dryRun, force, null)) {
            return call.get();
        }
    }

    /**
     * Starts a garbage collection; the returned call waits for, or cancels, it. Heartbeats (elapsed
     * milliseconds on the daemon, every few seconds) go to {@code heartbeat} (may be null) on a
     * network thread: keep it short.
     */
    public CancellableCall<GcReport> startGc(boolean dryRun, LongConsumer heartbeat) throws IOException {
        return startGc(dryRun, false, heartbeat);
    }

    /** {@link #startGc(boolean, LongConsumer)} with {@code force} (see {@link #gc(boolean, boolean)}). */
    public CancellableCall<GcReport> startGc(boolean dryRun, boolean force, LongConsumer heartbeat) throws IOException {
        checkOpen();
        ClientConnection c = pool.acquire();
        ClientConnection.Collecting call = c.collect(new Message.Gc(dryRun, force), heartbeat, true);
        CompletableFuture<GcReport> report = call.reply().thenApply(r -> gcReport((Message.GcOk) r.last()));
        return new CancellableCall<>(c, call.requestId(), report, cfg.requestTimeout(), "GC");
    }

    static GcReport gcReport(Message.GcOk g) {
        Message.GcUnexplained u = g.unexplained(); // null from a daemon before the field
        Map<String, Long> phases = new LinkedHashMap<>();
        for (Message.PhaseMillis p : g.phases()) {
            phases.merge(p.phase(), p.millis(), Long::sum);
        }
        return new GcReport(g.gcId(), g.dryRun(), g.epoch(), g.manifestsDeleted(), g.rebased(), g.chunksLive(),
                g.chunksFreed(), g.bytesReclaimed(), g.packsDeleted(), g.packsRewritten(), g.bytesCopied(),
                g.orphanSegments(), phases, g.totalMillis(), g.markSetBytes(),
                u == null ? 0 : u.chunks(), u == null ? 0 : u.bytes(), u == null ? 0 : u.packsKept(), u != null && u.forced());
    }

    /**
     * Replays a policy over the real history of {@code series} (live and trashed checkpoints) as if
     * trim had run after every put. Changes nothing.
     *
     * @param series     a series name (not a glob)
     * @param policyYaml a policy document; null: the daemon's {@code policies:}. The policy whose glob
     *                   matches the series is replayed
     * @param svg        also render the timeline as SVG ({@link PolicySimulation#svg()})
     * @throws CairnClientException {@link Status#INVALID_POLICY} (does not parse, no policy at all, or
     *                              none governs the series), {@link Status#NOT_FOUND} (no checkpoints)
     */
    public PolicySimulation simulate(String series, String policyYaml, boolean svg) throws IOException {
        try {
            CheckpointMeta.validateSeries(series);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw CairnClientException.local(Status.BAD_REQUEST, "simulate: " + e.getMessage(), e);
        }
        Reply r = idempotent(c -> awaitReply(c.collect(new Message.PolicySimulate(series, policyYaml, svg), null,
                true).reply()));
        return simulation(r);
    }

    static PolicySimulation simulation(Reply r) throws CairnClientException {
        List<PolicySimulation.TimelineEntry> timeline = new ArrayList<>();
        TextCollector svg = new TextCollector();
        for (Message.Response part : r.parts()) {
            if (part instanceof Message.SimulationTimeline t) {
                for (Message.TimelineEntry e : t.entries()) {
                    timeline.add(new PolicySimulation.TimelineEntry(e.id(), e.createdAt(), e.removedAt(),
                            reasons(e.reasons()), e.storedBytesAfter()));
                }
            } else if (part instanceof Message.TextPart tp) {
                svg.add(tp);
            } else {
                throw unexpected("POLICY_SIMULATE", part);
            }
        }
        Message.PolicySimulateOk ok = (Message.PolicySimulateOk) r.last();
        if (timeline.size() != ok.puts()) {
            throw CairnClientException.local(Status.CORRUPT, "POLICY_SIMULATE announced " + ok.puts()
                    + " puts but sent " + timeline.size(), null);
        }
        List<PolicySimulation.AgeBand> bands = new ArrayList<>();
        for (Message.AgeBandInfo b : ok.bands()) {
            bands.add(new PolicySimulation.AgeBand(b.label(), Duration.ofMillis(b.fromMillis()),
                    b.toMillis() == null ? null : Duration.ofMillis(b.toMillis()), b.survivors(),
                    b.largestGapMillis() == null ? null : Duration.ofMillis(b.largestGapMillis())));
        }
        String text = ok.svgBytes() == 0 && svg.size() == 0 ? null : svg.text("POLICY_SIMULATE's SVG", ok.svgBytes());
        return new PolicySimulation(ok.series(), ok.policy(), ok.puts(), ok.survivors(), ok.stepsOverMaxRemove(),
                timeline, bands, ok.storedBytes(), text);
    }

    /**
     * Audit records of applied trims, newest first.
     *
     * @param limit       at most this many; 0: all
     * @param withReports also fetch each record in full, as JSON ({@link TrimLogRecord#reportJson()})
     */
    public List<TrimLogRecord> trimLog(int limit, boolean withReports) throws IOException {
        if (limit < 0) {
            throw CairnClientException.local(Status.BAD_REQUEST, "trim log limit must be >= 0 (0: all), got "
                    + limit, null);
        }
        Reply r = idempotent(c -> awaitReply(c.collect(new Message.TrimLog(limit, withReports))));
        return trimLog(r);
    }

    static List<TrimLogRecord> trimLog(Reply r) throws CairnClientException {
        List<TrimLogRecord> out = new ArrayList<>();
        Message.TrimLogEntry entry = null;
        TextCollector json = new TextCollector();
        for (Message.Response part : r.parts()) {
            if (part instanceof Message.TrimLogEntry e) {
                if (entry != null) {
                    out.add(logRecord(entry, json));
                }
                entry = e;
                json = new TextCollector();
            } else if (part instanceof Message.TextPart tp && entry != null) {
                json.add(tp);
            } else {
                throw unexpected("TRIM_LOG", part);
            }
        }
        if (entry != null) {
            out.add(logRecord(entry, json));
        }
        int count = ((Message.TrimLogOk) r.last()).count();
        if (count != out.size()) {
            throw CairnClientException.local(Status.CORRUPT, "TRIM_LOG announced " + count + " records but sent "
                    + out.size(), null);
        }
        return out;
    }

    private static TrimLogRecord logRecord(Message.TrimLogEntry e, TextCollector json) throws CairnClientException {
        String report = e.reportBytes() == 0 && json.size() == 0 ? null
                : json.text("the report of audit record " + e.id(), e.reportBytes());
        return new TrimLogRecord(e.id(), e.at(), e.requestedBy(), e.policySource(), e.seriesCount(), e.kept(),
                e.removed(), e.rebases(), e.freedBytes(), report);
    }

    private static List<KeepReason> reasons(List<Message.Reason> rs) {
        List<KeepReason> out = new ArrayList<>(rs.size());
        for (Message.Reason x : rs) {
            out.add(new KeepReason(x.kind(), x.text()));
        }
        return out;
    }

    private static CairnClientException unexpected(String what, Message.Response part) {
        return CairnClientException.local(Status.INTERNAL, what + ": unexpected part " + part.getClass().getSimpleName()
                + " in the daemon's answer", null);
    }

    /** The bytes of a long text sent in TEXT_PARTs; decoded once complete (a part may split a character). */
    static final class TextCollector {
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();

        void add(Message.TextPart p) {
            bytes.writeBytes(p.data());
        }

        int size() {
            return bytes.size();
        }

        String text(String what, long announced) throws CairnClientException {
            if (bytes.size() != announced) {
                throw CairnClientException.local(Status.CORRUPT, what + ": " + announced + " bytes announced, "
                        + bytes.size() + " received", null);
            }
            try {
                return dev.cairn.protocol.codec.Utf8.decode(bytes.toByteArray(), what);
            } catch (dev.cairn.protocol.codec.MalformedDataException e) {
                // The same rule as for every string in a frame (MessageCodec): never guess a text.
                throw CairnClientException.local(Status.BAD_REQUEST, "malformed reply: " + e.getMessage(), e);
            }
        }
    }

    // ================================================================ plumbing

    interface ConnectionCall<T> {
        T apply(ClientConnection c) throws IOException;
    }

    /** Runs a request that is safe to repeat, once more on a new connection if the first broke. */
    private <T> T idempotent(ConnectionCall<T> op) throws IOException {
        checkOpen();
        for (int attempt = 0; ; attempt++) {
            ClientConnection c = pool.acquire();
            try {
                return op.apply(c);
            } catch (CairnClientException e) {
                if (!e.connectionLost() || attempt >= 2 || closed) {
                    throw e;
                }
            }
        }
    }

    static Message.Response await(CompletableFuture<? extends Message.Response> f) throws IOException {
        return (Message.Response) awaitAny(f);
    }

    private static Reply awaitReply(CompletableFuture<Reply> f) throws IOException {
        return (Reply) awaitAny(f);
    }

    private static Object awaitAny(CompletableFuture<?> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CairnClientException.local(Status.CANCELLED, "interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = PutPipeline.unwrap(e);
            if (c instanceof IOException io) {
                throw io;
            }
            throw CairnClientException.local(Status.INTERNAL, String.valueOf(c), c);
        }
    }

    private void checkOpen() throws CairnClientException {
        if (closed) {
            throw CairnClientException.local(Status.CANCELLED, "the client is closed", null);
        }
    }

    /**
     * Closes every connection (aborting puts in progress, whose sessions end with their
     * connection) and stops the client's threads. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pool.close();
        workers.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
