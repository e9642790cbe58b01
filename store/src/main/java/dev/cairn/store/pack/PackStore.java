package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * The pack layer: where chunk records physically live. The local-disk implementation is the
 * default; a later backend keeps sealed packs on S3-compatible object storage with the local disk
 * as a cache. Everything above this interface (index, manifests, GC) is backend-agnostic.
 *
 * <p>Implementations are thread-safe. Reads may run concurrently with each other, with writers
 * appending to other packs, and with {@link #delete}; reading a deleted pack fails with
 * {@link PackNotFoundException}.
 *
 * <p>Ordering contract relied on by commit and GC (docs/FORMAT.md, "Ordering rules"): data appended
 * through a {@link PackWriter} is durable once {@link PackWriter#sync()} or {@link PackWriter#seal()}
 * has returned, and not before.
 */
public interface PackStore extends Closeable {

    /** Creates a new empty pack (header written) and returns its writer. */
    PackWriter create() throws IOException;

    /**
     * Reads the record at {@code loc}, checks its CRC32C and that its header matches {@code loc}
     * and {@code expectedId}, and returns the stored payload (not decompressed).
     *
     * @throws CorruptPackException  if the record's bytes do not match what was written
     * @throws PackNotFoundException if the pack does not exist
     */
    EncodedChunk read(ChunkLocation loc, ChunkId expectedId) throws IOException;

    /**
     * Like {@link #read(ChunkLocation, ChunkId)}, but may place the result in {@code scratch} so
     * that a streaming reader reusing one array makes no garbage per chunk. The result points into
     * {@code scratch} if it is large enough (each implementation says how large), otherwise into a
     * new array; callers can keep {@code result.data()} as their next scratch. The result is valid
     * until the caller reuses that array.
     */
    default EncodedChunk read(ChunkLocation loc, ChunkId expectedId, byte[] scratch) throws IOException {
        return read(loc, expectedId);
    }

    /** Every pack present in the backend, sealed or not. */
    List<PackInfo> list() throws IOException;

    /**
     * The chunk records of a pack, for callers that act on them (GC copies and deletes by it):
     * from its footer index if sealed (footer checksum verified), otherwise by scanning records from
     * the header on and stopping at the first incomplete or invalid one (what {@link #recover}
     * would keep of a crash leftover).
     *
     * @throws CorruptPackException if the header is unreadable, or the pack is sealed and its footer
     *                              or end magic is damaged; {@link #salvage} reads around that
     */
    PackIndex readIndex(PackId id) throws IOException;

    /**
     * What can still be used of a pack, damaged or not: the entries of its footer if one checks
     * out where it belongs or nearby (the end magic lost or damaged, the file cut short by a few
     * bytes or grown), else every record whose CRC checks out, found by a scan that resynchronises
     * after each damaged record (a damaged record costs that record only). {@link PackIndex#damage()}
     * says what was wrong. Reads only; an index rebuild uses it for damaged packs.
     *
     * <p>The default scans the whole pack ({@link #scan}).
     *
     * @throws CorruptPackException if the header is unreadable
     */
    default PackIndex salvage(PackId id) throws IOException {
        java.util.List<PackIndex.Entry> entries = new java.util.ArrayList<>();
        java.util.List<PackIndex.Damage> damage = new java.util.ArrayList<>();
        scan(id, new RecordVisitor() {
            @Override
            public void record(ChunkId chunk, ChunkLocation loc, EncodedChunk data) {
                entries.add(new PackIndex.Entry(chunk, loc));
            }

            @Override
            public void corrupt(PackId pack, long offset, CorruptPackException problem) {
                damage.add(new PackIndex.Damage(offset, 0, problem.getMessage()));
            }
        });
        return new PackIndex(id, false, -1, List.copyOf(entries), List.copyOf(damage));
    }

    /**
     * Reads every record of a pack in file order, verifying each record's CRC32C, and hands it to
     * {@code visitor}. With a footer (where it belongs or found as {@link #salvage} finds it), the
     * records it names are visited and a damaged one is reported through
     * {@link RecordVisitor#corrupt}, as is a damaged footer or end; without one, records are
     * scanned from the header on, and after a damaged record the scan resynchronises at the next
     * offset where a record's CRC checks out, reporting the skipped region at its first byte.
     * The trailing bytes of an unsealed pack that hold no record (a crash's torn tail) are not
     * reported.
     */
    void scan(PackId id, RecordVisitor visitor) throws IOException;

    /**
     * Makes a pack that a crash left unsealed consistent: cuts it after its last complete, valid
     * record, writes the footer and syncs; completes the end magic of a pack whose seal a crash
     * interrupted. Idempotent on sealed packs, and crash-safe (a crash inside leaves a pack that
     * the next call recovers the same way).
     *
     * <p>It cuts only what a crash can leave: a torn tail. It refuses, leaving the file exactly as
     * it was, with {@link DamagedPackException} when the valid records in sequence end before
     * {@code keep}, when intact records follow a damaged one, or when a footer checks out but the
     * file does not end with it; with {@link CorruptPackException} when the header is unreadable
     * or the end magic is present on a damaged footer. The caller must not call it for a pack it
     * knows was sealed (docs/FORMAT.md, "Pack records"): such a pack is damaged, whatever its end.
     *
     * @param keep end of the furthest record the caller references in this pack (the chunk index),
     *             0 if none: recovery never cuts before it
     */
    PackIndex recover(PackId id, long keep) throws IOException;

    /** {@link #recover(PackId, long)} of a pack nothing references. */
    default PackIndex recover(PackId id) throws IOException {
        return recover(id, 0);
    }

    /** Removes a pack. Only the sweeper calls this, after the index no longer points into it. */
    void delete(PackId id) throws IOException;

    /**
     * Removes several packs; packs that are already gone are skipped. Same contract as
     * {@link #delete} for each pack: every deletion is durable when this returns (GC clears its
     * journal right after). Callers pass all the packs of one step at once so that backends can
     * batch: object storage sends one request per 1000 keys, the local disk unlinks in parallel
     * and syncs each directory once. The default deletes one by one.
     */
    default void deleteAll(List<PackId> ids) throws IOException {
        for (PackId id : ids) {
            try {
                delete(id);
            } catch (PackNotFoundException | java.nio.file.NoSuchFileException e) {
                // already gone: a previous attempt (or a crashed GC) deleted it
            }
        }
    }

    /**
     * True if {@link PackWriter#sync()} makes appended records durable in this backend, so that
     * they may be indexed while the pack stays open (local disk: an fsync). False for backends
     * where only a sealed pack is durable (object storage: a pack is durable once its upload
     * completed); {@link dev.cairn.store.chunk.ChunkStore#flush()} then seals the open pack instead
     * of syncing it, so every commit's chunks are in sealed, durable packs before its manifest.
     */
    default boolean durableOnSync() {
        return true;
    }

    /**
     * Bytes that new packs may still take where this backend writes them, as far as it knows
     * (local disk: the file system's usable space); {@link Long#MAX_VALUE} if it has no limit it
     * can tell. GC sizes its repack groups by it, so that a full disk still gets space back.
     */
    default long usableSpace() throws IOException {
        return Long.MAX_VALUE;
    }

    /** Receives records from {@link #scan}. */
    interface RecordVisitor {
        /** One valid record; {@code chunk} is only valid during the call. */
        void record(ChunkId id, ChunkLocation loc, EncodedChunk chunk) throws IOException;

        /** A record at {@code offset} failed its checks. */
        void corrupt(PackId pack, long offset, CorruptPackException problem) throws IOException;
    }
}
