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
     * The chunk records of a pack: from its footer index if sealed (footer checksum verified),
     * otherwise by scanning records from the header on and stopping at the first incomplete or
     * invalid one.
     */
    PackIndex readIndex(PackId id) throws IOException;

    /**
     * Reads every record of a pack in file order, verifying each record's CRC32C, and hands it to
     * {@code visitor}. A damaged record is reported through {@link RecordVisitor#corrupt} and the
     * scan continues with the next record the footer index names (sealed packs) or stops (unsealed).
     */
    void scan(PackId id, RecordVisitor visitor) throws IOException;

    /**
     * Makes a pack that a crash left unsealed consistent: cuts it after its last complete, valid
     * record, writes the footer and syncs. Idempotent on sealed packs.
     */
    PackIndex recover(PackId id) throws IOException;

    /** Removes a pack. Only the sweeper calls this, after the index no longer points into it. */
    void delete(PackId id) throws IOException;

    /**
     * Removes several packs; packs that are already gone are skipped. Same contract as
     * {@link #delete} for each pack. Backends with batched deletes (object storage: one request per
     * 1000 keys) override this; the default deletes one by one.
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
