package dev.cairn.client;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.manifest.ChunkListDigest;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Limits;
import dev.cairn.protocol.wire.Message;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A scripted daemon for one mode-0 session: applies session requests in arrival order (as the
 * real one does) on one thread, answers HAVE after random delays so answers overtake each other,
 * checks every UPLOAD's bytes, and records everything for assertions. Faults: ids to report
 * missing at REFS time once (GC between HAVE and REFS), and at COMMIT once.
 */
final class FakeExchange implements Exchange {
    final ChunkerParams chunker;
    final Limits limits;
    final Set<ChunkId> store = new HashSet<>();
    final List<Message.Request> log = new ArrayList<>();
    final Map<String, List<ChunkRef>> entries = new LinkedHashMap<>();
    final List<String> errors = new ArrayList<>();
    Predicate<ChunkId> vanishBeforeRefs = id -> false;
    Set<ChunkId> vanishBeforeCommit = Set.of();
    int maxOutstandingBatches;
    private int outstanding;
    private String open;
    private final ScheduledExecutorService answers = Executors.newSingleThreadScheduledExecutor();
    private final ScheduledExecutorService delays = Executors.newScheduledThreadPool(2);
    private final Random random;

    FakeExchange(ChunkerParams chunker, Limits limits, long seed) {
        this.chunker = chunker;
        this.limits = limits;
        this.random = new Random(seed);
    }

    @Override
    public synchronized CompletableFuture<Message.Response> call(Message.Request req) {
        log.add(req);
        CompletableFuture<Message.Response> f = new CompletableFuture<>();
        if (req instanceof Message.Have h) {
            outstanding++;
            maxOutstandingBatches = Math.max(maxOutstandingBatches, outstanding);
            BitSet missing = new BitSet();
            synchronized (store) {
                for (int i = 0; i < h.ids().size(); i++) {
                    if (!store.contains(h.ids().get(i))) {
                        missing.set(i);
                    }
                }
            }
            Message.HaveOk ok = new Message.HaveOk(h.ids().size(), missing);
            delays.schedule(() -> f.complete(ok), random.nextInt(3), TimeUnit.MILLISECONDS);
            return f;
        }
        // Session requests: in arrival order, one at a time.
        answers.execute(() -> {
            try {
                f.complete(apply(req));
            } catch (CairnClientException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    private Message.Response apply(Message.Request req) throws CairnClientException {
        if (req instanceof Message.Upload u) {
            int stored = 0;
            for (Message.WireChunk c : u.chunks()) {
                byte[] raw;
                try {
                    raw = ChunkCodec.shared().decode(c.payload());
                } catch (Exception e) {
                    throw err(Status.CHUNK_MISMATCH, "undecodable", List.of(c.id()));
                }
                if (!ChunkId.of(raw, 0, raw.length).equals(c.id())) {
                    throw err(Status.CHUNK_MISMATCH, "wrong bytes", List.of(c.id()));
                }
                synchronized (store) {
                    if (store.add(c.id())) {
                        stored++;
                    }
                }
            }
            return new Message.UploadOk(stored, u.chunks().size() - stored);
        }
        if (req instanceof Message.Entry e) {
            if (open != null) {
                throw err(Status.BAD_REQUEST, "entry open", List.of());
            }
            if (e.kind() == dev.cairn.protocol.manifest.EntryKind.FILE) {
                open = e.name();
            }
            entries.put(e.name(), new ArrayList<>());
            return new Message.EntryOk();
        }
        if (req instanceof Message.Refs r) {
            synchronized (this) {
                outstanding--;
            }
            List<ChunkId> missing = new ArrayList<>();
            synchronized (store) {
                for (ChunkRef ref : r.refs()) {
                    if (vanishBeforeRefs.test(ref.id())) {
                        store.remove(ref.id());
                    }
                }
                vanishBeforeRefs = id -> false;
                for (ChunkRef ref : r.refs()) {
                    if (!store.contains(ref.id())) {
                        missing.add(ref.id());
                    }
                }
            }
            if (!missing.isEmpty()) {
                synchronized (this) {
                    outstanding++;
                }
                errors.add("REFS MISSING " + missing.size());
                throw err(Status.MISSING_CHUNKS, missing.size() + " missing", missing);
            }
            entries.get(open).addAll(r.refs());
            return new Message.RefsOk(entries.get(open).size(), 0);
        }
        if (req instanceof Message.EndEntry) {
            ChunkListDigest d = new ChunkListDigest();
            entries.get(open).forEach(d::add);
            EntryHeader h = d.finish(open);
            open = null;
            return new Message.EndEntryOk(h);
        }
        if (req instanceof Message.Commit) {
            List<ChunkId> missing = new ArrayList<>();
            synchronized (store) {
                store.removeAll(vanishBeforeCommit);
                vanishBeforeCommit = Set.of();
                for (List<ChunkRef> refs : entries.values()) {
                    for (ChunkRef ref : refs) {
                        if (!store.contains(ref.id())) {
                            missing.add(ref.id());
                        }
                    }
                }
            }
            if (!missing.isEmpty()) {
                errors.add("COMMIT MISSING " + missing.size());
                throw err(Status.MISSING_CHUNKS, missing.size() + " missing", missing);
            }
            long chunks = entries.values().stream().mapToLong(List::size).sum();
            return new Message.CommitOk(ManifestId.parse("00".repeat(32)), "full", 0, 0, 0, chunks, 0, null, false);
        }
        if (req instanceof Message.Abort) {
            return new Message.AbortOk();
        }
        throw err(Status.UNKNOWN_OPCODE, req.toString(), List.of());
    }

    private static CairnClientException err(Status s, String m, List<ChunkId> ids) {
        return CairnClientException.remote("fake", s, s.code(), m, ids);
    }

    synchronized List<Message.Request> requests() {
        return List.copyOf(log);
    }

    @Override
    public ChunkerParams chunker() {
        return chunker;
    }

    @Override
    public Limits limits() {
        return limits;
    }

    @Override
    public String describe() {
        return "fake";
    }

    void close() {
        answers.shutdownNow();
        delays.shutdownNow();
    }
}
