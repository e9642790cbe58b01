package dev.cairn.bench;

import dev.cairn.gc.GarbageCollector;
import dev.cairn.gc.GcCancel;
import dev.cairn.gc.GcOptions;
import dev.cairn.gc.GcReport;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ChunkListDigest;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.ManifestHeader;
import dev.cairn.store.Repository;
import dev.cairn.store.RepositoryOptions;
import dev.cairn.store.chunk.ChunkIndexCodec;
import dev.cairn.store.manifest.EntryBody;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.Segments;
import dev.cairn.store.manifest.StoredManifest;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.PackWriter;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The metadata-scale GC benchmark: a synthetic store of M manifests referencing C distinct
 * chunks (tiny 32-byte chunks in real packs, real index entries, real segments), a fifth of the
 * manifests in the trash and expired. Runs one real GC and prints its report, wall time per
 * phase and the peak heap seen while it ran. Run with {@code -Xmx1g} to show the bound.
 *
 * <p>Usage: {@code GcScale MANIFESTS CHUNKS DIR}
 */
public final class GcScale {
    public static void main(String[] args) throws Exception {
        int manifests = Integer.parseInt(args[0]);
        long chunks = Long.parseLong(args[1]);
        Path dir = Path.of(args[2]);
        Instant t0 = Instant.parse("2026-11-01T00:00:00Z");
        long buildStart = System.nanoTime();
        try (Repository repo = Repository.open(dir, RepositoryOptions.defaults())) {
            build(repo, manifests, chunks, t0);
            System.out.printf(Locale.ROOT, "built %d manifests, %d chunks in %.1f s%n", manifests, chunks,
                    (System.nanoTime() - buildStart) / 1e9);
            System.gc();
            AtomicLong peak = new AtomicLong();
            Thread sampler = new Thread(() -> {
                var mem = ManagementFactory.getMemoryMXBean();
                while (!Thread.currentThread().isInterrupted()) {
                    peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.setDaemon(true);
            sampler.start();
            long start = System.nanoTime();
            GcReport r = new GarbageCollector(repo, Clock.fixed(t0.plusSeconds(86_400 * 30), ZoneOffset.UTC),
                    GcOptions.defaults()).run(false, new GcCancel());
            double secs = (System.nanoTime() - start) / 1e9;
            sampler.interrupt();
            System.out.printf(Locale.ROOT, "gc: %.1f s, peak heap %.0f MiB (max %d MiB), mark set %.0f MiB%n", secs,
                    peak.get() / 1048576.0, Runtime.getRuntime().maxMemory() >> 20, r.markSetBytes() / 1048576.0);
            System.out.println("report: " + r.outcome() + " phases " + r.phaseMillis());
        }
    }

    /** Writes the synthetic store directly through the store's own record formats. */
    static void build(Repository repo, int manifests, long chunks, Instant t0) throws Exception {
        MetaDb db = repo.db();
        long perManifest = chunks / manifests;
        Random rnd = new Random(42);
        byte[] payload = new byte[32];
        SecureRandom ids = new SecureRandom(new byte[] {1});
        PackWriter w = null;
        MetaDb.Batch index = db.batch();
        long written = 0;
        List<ChunkRef> refs = new ArrayList<>((int) perManifest);
        for (int m = 0; m < manifests; m++) {
            refs.clear();
            for (long k = 0; k < perManifest; k++) {
                if (w == null || w.count() >= 200_000) {
                    if (w != null) {
                        w.seal();
                    }
                    w = repo.packs().create();
                }
                rnd.nextBytes(payload);
                byte[] idBytes = new byte[32];
                ids.nextBytes(idBytes);
                ChunkId id = ChunkId.fromBytes(idBytes);
                ChunkLocation loc = w.append(id, new EncodedChunk(ChunkCodec.RAW, 32, payload, 0, 32));
                index.put(MetaDb.Cf.CHUNKS, Keys.chunk(id), ChunkIndexCodec.encode(loc, 0));
                refs.add(new ChunkRef(id, 32));
                if (index.count() >= 100_000) {
                    db.write(index, false);
                    index.close();
                    index = db.batch();
                }
                written++;
            }
            addManifest(repo, m, refs, t0, m % 5 == 0);
        }
        if (w != null) {
            w.seal();
        }
        db.write(index, true);
        index.close();
        db.flush();
    }

    static void addManifest(Repository repo, int m, List<ChunkRef> refs, Instant t0, boolean expiredTrash)
            throws Exception {
        byte[] storage = new byte[16];
        Keys.putLong(storage, 0, m);
        Keys.putLong(storage, 8, 0x5ca1eL);
        Segments.Writer seg = new Segments.Writer(repo.db(), storage, 0);
        ChunkListDigest d = new ChunkListDigest();
        for (ChunkRef r : refs) {
            seg.add(r);
            d.add(r);
        }
        seg.finish();
        ManifestHeader h = new ManifestHeader(CheckpointMeta.of("scale/" + (m % 100), t0.plusSeconds(m)),
                List.of(d.finish("")));
        byte[] hb = h.encode();
        StoredManifest sm = new StoredManifest(h.id(), h, hb, null, 0, storage, List.of(new EntryBody.Full(refs.size())));
        Labels labels = Labels.of(List.of(), 0);
        try (MetaDb.Batch b = repo.db().batch()) {
            repo.manifests().addNew(b, sm, labels);
            if (expiredTrash) {
                repo.manifests().trash(b, sm, labels, new Labels.Trash(t0, t0.plusSeconds(3600), "scale"));
            }
            repo.db().write(b, false);
        }
    }
}
