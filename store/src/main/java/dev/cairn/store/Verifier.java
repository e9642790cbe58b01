package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.ChunkListDigest;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.chunk.ChunkIndexCodec;
import dev.cairn.store.manifest.RefCursor;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.GcAccounting;
import dev.cairn.store.meta.GcJournal;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackInfo;
import dev.cairn.store.util.LongHashSet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks a store: packs readable, every index entry pointing into an existing pack (and, with
 * read-data, decoding to bytes that hash to its id), every manifest decoding, its chain resolving,
 * its chunk lists matching the digests in its header, and every chunk it references present and
 * undamaged. Reports damage per checkpoint, and pack records whose metadata was lost: those GC's
 * brake keeps, by GC's own rule ({@link GcAccounting#unaccounted}).
 *
 * <p>Memory: a set of 64-bit prefixes of the chunk ids seen in manifests, and the (small) set of
 * damaged ids. A prefix collision between a present and a missing chunk would hide the missing
 * one; with 64-bit prefixes that needs billions of chunks to become likely.
 */
final class Verifier {
    private static final int BATCH = 2048;

    private final Repository repo;
    private final List<VerifyReport.Problem> problems = new ArrayList<>();
    private final Map<ManifestId, List<String>> damaged = new LinkedHashMap<>();
    private final Map<ChunkId, String> badChunks = new HashMap<>();

    Verifier(Repository repo) {
        this.repo = repo;
    }

    VerifyReport run(boolean readData) throws IOException {
        repo.chunks().flush();
        Map<PackId, Long> packSizes = new HashMap<>();
        Map<PackId, dev.cairn.store.chunk.PackRecord> records = repo.chunks().packRecords();
        List<VerifyReport.Unindexed> unindexed = new ArrayList<>();
        java.util.Set<PackId> inUse = repo.chunks().packsInUse();
        Map<PackId, GcAccounting.Unaccounted> lost = new LinkedHashMap<>();
        for (PackInfo p : repo.packs().list()) {
            packSizes.put(p.id(), p.size());
            dev.cairn.store.chunk.PackRecord rec = records.get(p.id());
            if (rec != null && rec.isDamaged()) {
                problems.add(new VerifyReport.Problem("pack", p.id().toHex(), "damaged (kept as it is): " + rec.reason()));
                continue;
            }
            if (rec != null && !p.sealed()) {
                problems.add(new VerifyReport.Problem("pack", p.id().toHex(), "it was sealed with " + rec.count()
                        + " records and " + rec.sealedLength() + " bytes, but its end magic is gone (file now "
                        + p.size() + " bytes): damaged"));
                continue;
            }
            try {
                dev.cairn.store.pack.PackIndex idx = repo.packs().readIndex(p.id());
                if (!inUse.contains(p.id())) {
                    countUnindexed(idx, unindexed);
                    // GC's own rule (its brake): what it would keep this pack for. The record is
                    // read after the index, so a sweep running meanwhile (which deletes entries
                    // and raises the record in one batch) can only make it allow more.
                    GcAccounting.Census census = GcAccounting.census(repo.db(), idx, null);
                    if (census.absent() > 0) {
                        GcAccounting.Unaccounted u = GcAccounting.unaccounted(census,
                                GcAccounting.pack(repo.db(), p.id()), 0);
                        if (u.records() > 0) {
                            lost.put(p.id(), u);
                        }
                    }
                }
            } catch (IOException e) {
                problems.add(new VerifyReport.Problem("pack", p.id().toHex(), e.getMessage()));
            }
        }
        boolean anyLost = reportLost(lost);
        try {
            new CatalogCheck(repo, problems).run();
        } catch (CairnException e) {
            unreadable("catalog check", "could not be completed: " + e.getMessage());
        }
        AtomicLong bytesRead = new AtomicLong();
        long chunkCount = checkIndex(packSizes, readData, bytesRead);
        long manifests = 0;
        for (ManifestId id : manifestIds()) {
            manifests++;
            checkManifest(id);
        }
        String catalogLoss = repo.catalogLoss();
        if (catalogLoss != null && (anyLost || manifests == 0 && chunkCount > 0)) {
            // What the open saw, while the store still holds the data that lost its metadata
            // (records nothing accounts for, or index entries and not one checkpoint).
            problems.add(new VerifyReport.Problem("metadata", "catalog", "metadata lost: " + catalogLoss + ". "
                    + LOST_ADVICE));
        }
        return new VerifyReport(manifests, chunkCount, bytesRead.get(), packSizes.size(), List.copyOf(problems),
                damaged, readData, List.copyOf(unindexed));
    }

    /**
     * The ids of every manifest: those the {@code manifests} family lists, and those whose labels
     * exist, so that a checkpoint whose manifest record sits in an unreadable block of a table
     * file is still checked (and reported) rather than silently skipped. Each family is read up
     * to its first unreadable block; what lies beyond is reported as not checked.
     */
    private java.util.Collection<ManifestId> manifestIds() {
        java.util.Set<ManifestId> ids = new java.util.LinkedHashSet<>();
        for (Cf cf : new Cf[] {Cf.MANIFESTS, Cf.LABELS}) {
            byte[] last = null;
            try (MetaDb.Cursor c = repo.db().scan(cf, null, null)) {
                while (c.next()) {
                    last = c.key();
                    if (last.length == 32) {
                        ids.add(ManifestId.fromBytes(last));
                    }
                }
            } catch (CairnException e) {
                unreadable(cf.name().toLowerCase(java.util.Locale.ROOT), "the list of checkpoints could not be read"
                        + (last == null ? "" : " past " + java.util.HexFormat.of().formatHex(last))
                        + "; checkpoints beyond it were not checked: " + e.getMessage());
            }
        }
        return ids;
    }

    /**
     * Pack records that GC's accounting does not explain: their checkpoints' metadata was lost
     * (docs/GC.md "What GC may free"). Packs a crashed GC journaled for deletion are not among
     * them: the next GC deletes those first, without looking at their records. The journal is
     * read after the packs, so a GC that journals a pack meanwhile only removes a report.
     */
    private boolean reportLost(Map<PackId, GcAccounting.Unaccounted> lost) throws CairnException {
        if (lost.isEmpty()) {
            return false;
        }
        GcJournal.Entry j = GcJournal.read(repo.db());
        if (j != null) {
            j.packsToDelete().forEach(lost::remove);
        }
        int listed = 0;
        for (Map.Entry<PackId, GcAccounting.Unaccounted> e : lost.entrySet()) {
            problems.add(new VerifyReport.Problem("metadata", "pack " + e.getKey().toHex(), "metadata lost: "
                    + e.getValue().records() + " of the pack's records (" + e.getValue().bytes() + " bytes) are in no"
                    + " index entry, and no recorded deletion, crashed upload or GC accounts for them: the metadata of"
                    + " the checkpoints that stored them was lost (e.g. the metadata database's log and the catalog were"
                    + " deleted or damaged). GC keeps them. " + LOST_ADVICE));
            if (++listed == MAX_LOST_LISTED && lost.size() > listed) {
                problems.add(new VerifyReport.Problem("metadata", "packs", "metadata lost: " + (lost.size() - listed)
                        + " more packs hold records nothing accounts for (not listed)"));
                break;
            }
        }
        return !lost.isEmpty();
    }

    /** Packs listed one by one as holding records whose metadata was lost; the rest are counted. */
    private static final int MAX_LOST_LISTED = 100;

    /** What an operator can do about lost metadata; shared by the problems that report it. */
    static final String LOST_ADVICE = "To get the checkpoints back, restore the data directory's meta/ and catalog/"
            + " from a backup (an S3 store: `cairnd --restore-from-bucket`). `cairnd --rebuild-index` cannot: it"
            + " re-indexes the chunks from the pack footers, but the checkpoints' manifests were only in the lost"
            + " metadata. Once you know the data is garbage, `cairn gc --force` frees it";

    /** Metadata that could not be read (a damaged RocksDB table block): reported, and verify goes on. */
    private void unreadable(String what, String why) {
        problems.add(new VerifyReport.Problem("metadata", what, why));
    }

    /** Counts the records of a pack whose chunk's index entry names no record there, or another one. */
    private void countUnindexed(dev.cairn.store.pack.PackIndex idx, List<VerifyReport.Unindexed> out)
            throws CairnException {
        long n = 0;
        long bytes = 0;
        List<dev.cairn.store.pack.PackIndex.Entry> es = idx.entries();
        for (int from = 0; from < es.size(); from += BATCH) {
            List<dev.cairn.store.pack.PackIndex.Entry> part = es.subList(from, Math.min(es.size(), from + BATCH));
            List<byte[]> keys = new ArrayList<>(part.size());
            for (var e : part) {
                keys.add(dev.cairn.store.meta.Keys.chunk(e.id()));
            }
            List<byte[]> values = repo.db().multiGet(Cf.CHUNKS, keys);
            for (int k = 0; k < part.size(); k++) {
                ChunkLocation at = part.get(k).location();
                boolean named = false;
                if (values.get(k) != null) {
                    try {
                        ChunkLocation l = ChunkIndexCodec.decode(values.get(k)).location();
                        named = l.pack().equals(at.pack()) && l.offset() == at.offset();
                    } catch (CairnException e) {
                        named = false; // reported by the index check
                    }
                }
                if (!named) {
                    n++;
                    bytes += at.storedLength();
                }
            }
        }
        if (n > 0) {
            out.add(new VerifyReport.Unindexed(idx.pack().toString(), n, bytes));
        }
    }

    private long checkIndex(Map<PackId, Long> packSizes, boolean readData, AtomicLong bytesRead) throws IOException {
        long n = 0;
        List<ChunkId> ids = new ArrayList<>(BATCH);
        List<ChunkLocation> locs = new ArrayList<>(BATCH);
        List<CompletableFuture<Map<ChunkId, String>>> running = new ArrayList<>();
        ChunkId lastId = null;
        try (MetaDb.Cursor c = repo.db().scan(Cf.CHUNKS, null, null)) {
            while (c.next()) {
                lastId = c.key().length == 32 ? ChunkId.fromBytes(c.key()) : lastId;
                n++;
                ChunkId id = ChunkId.fromBytes(c.key());
                ChunkLocation loc;
                try {
                    loc = ChunkIndexCodec.decode(c.value()).location();
                } catch (CairnException e) {
                    badChunk(id, "index entry damaged: " + e.getMessage());
                    continue;
                }
                Long size = packSizes.get(loc.pack());
                if (size == null) {
                    badChunk(id, "its pack " + loc.pack() + " is missing");
                } else if (loc.offset() + loc.storedLength() > size) {
                    badChunk(id, "its record lies past the end of pack " + loc.pack());
                } else if (readData) {
                    ids.add(id);
                    locs.add(loc);
                    if (ids.size() == BATCH) {
                        running.add(readBatch(ids, bytesRead));
                        ids = new ArrayList<>(BATCH);
                        locs = new ArrayList<>(BATCH);
                        drain(running, repo.options().effectiveWorkers());
                    }
                }
            }
        } catch (CairnException e) {
            if (e.status() != dev.cairn.protocol.Status.CORRUPT) {
                throw e;
            }
            // A damaged block of the index: what it held is unknown. The manifest check below still
            // finds every chunk that no longer resolves.
            unreadable("chunks", "the chunk index could not be read" + (lastId == null ? "" : " past chunk "
                    + lastId.toHex()) + "; the entries beyond it were not checked: " + e.getMessage());
        }
        if (!ids.isEmpty()) {
            running.add(readBatch(ids, bytesRead));
        }
        drain(running, 0);
        return n;
    }

    private CompletableFuture<Map<ChunkId, String>> readBatch(List<ChunkId> ids, AtomicLong bytesRead) {
        return CompletableFuture.supplyAsync(() -> {
            Map<ChunkId, String> bad = new HashMap<>();
            for (ChunkId id : ids) {
                try {
                    bytesRead.addAndGet(repo.chunks().read(id, true).length);
                } catch (IOException e) {
                    bad.put(id, e.getMessage());
                }
            }
            return bad;
        }, repo.workers());
    }

    private void drain(List<CompletableFuture<Map<ChunkId, String>>> running, int keep) throws IOException {
        while (running.size() > keep) {
            try {
                running.remove(0).get().forEach(this::badChunk);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("verify interrupted");
            } catch (ExecutionException e) {
                throw new IOException("verify failed: " + e.getCause(), e.getCause());
            }
        }
    }

    private void badChunk(ChunkId id, String why) {
        badChunks.put(id, why);
        problems.add(new VerifyReport.Problem("chunk", id.toHex(), why));
    }

    private void checkManifest(ManifestId id) throws IOException {
        StoredManifest m;
        try {
            m = repo.manifests().get(id);
        } catch (CairnException e) {
            damage(id, "manifest record: " + e.getMessage());
            return;
        }
        LongHashSet seen = new LongHashSet();
        List<EntryHeader> entries = m.header().entries();
        for (int i = 0; i < entries.size(); i++) {
            EntryHeader e = entries.get(i);
            try {
                RefCursor cur = repo.manifests().cursor(m, i);
                ChunkListDigest digest = new ChunkListDigest();
                List<ChunkId> batch = new ArrayList<>(BATCH);
                ChunkRef r;
                while ((r = cur.next()) != null) {
                    digest.add(r);
                    String bad = badChunks.get(r.id());
                    if (bad != null) {
                        damage(id, "entry '" + e.name() + "': chunk " + r.id().shortHex() + " " + bad);
                    }
                    if (seen.add(r.id().prefix64())) {
                        batch.add(r.id());
                        if (batch.size() == BATCH) {
                            checkPresent(id, e, batch);
                        }
                    }
                }
                checkPresent(id, e, batch);
                EntryHeader actual = digest.finish(e.name());
                if (e.kind() == dev.cairn.protocol.manifest.EntryKind.FILE && (actual.size() != e.size()
                        || actual.chunkCount() != e.chunkCount() || !Arrays.equals(actual.listDigest(), e.listDigest()))) {
                    damage(id, "entry '" + e.name() + "': its stored chunk list does not match the header digest");
                }
            } catch (CairnException ex) {
                damage(id, "entry '" + e.name() + "': " + ex.getMessage());
            }
        }
    }

    private void checkPresent(ManifestId id, EntryHeader e, List<ChunkId> batch) throws CairnException {
        boolean[] have = repo.chunks().contains(batch);
        for (int k = 0; k < have.length; k++) {
            if (!have[k]) {
                damage(id, "entry '" + e.name() + "': chunk " + batch.get(k).shortHex() + " is missing from the store");
            }
        }
        batch.clear();
    }

    private void damage(ManifestId id, String why) {
        if (!damaged.containsKey(id)) {
            // Every unclean report lists a problem: a damaged checkpoint is one by itself, also
            // when nothing else explains it (chunks missing after an index rebuild).
            problems.add(new VerifyReport.Problem("checkpoint", id.toHex(), "cannot be restored bit-exact: " + why));
        }
        List<String> l = damaged.computeIfAbsent(id, k -> new ArrayList<>());
        if (l.size() < 20) {
            l.add(why);
        } else if (l.size() == 20) {
            l.add("(more problems not listed)");
        }
    }
}
