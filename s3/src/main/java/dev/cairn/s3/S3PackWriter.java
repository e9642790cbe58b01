package dev.cairn.s3;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.PackId;
import dev.cairn.store.pack.PackIndex;
import dev.cairn.store.pack.PackWriter;

import java.io.IOException;

/**
 * Writes one pack for {@link S3PackStore}: records go to a local staging pack (the local writer,
 * with its fsync ordering), and {@link #seal()} seals it locally, uploads it and verifies the
 * object. Not thread-safe (see {@link PackWriter}).
 *
 * <p>Durability differs from the local backend: {@link #sync()} makes the records durable on the
 * local disk only, which is not where the store's data lives; a pack's records are durable once
 * {@link #seal()} returned, i.e. the object is complete in the bucket. That is why
 * {@link S3PackStore#durableOnSync()} is false and commits seal the open pack.
 */
final class S3PackWriter implements PackWriter {
    private final S3PackStore store;
    private final PackWriter local;

    S3PackWriter(S3PackStore store, PackWriter local) {
        this.store = store;
        this.local = local;
    }

    @Override
    public PackId id() {
        return local.id();
    }

    @Override
    public ChunkLocation append(ChunkId id, EncodedChunk chunk) throws IOException {
        return local.append(id, chunk);
    }

    @Override
    public long size() {
        return local.size();
    }

    @Override
    public int count() {
        return local.count();
    }

    /** Local fsync only: not durable in the store's sense until {@link #seal()} (see the class comment). */
    @Override
    public void sync() throws IOException {
        local.sync();
    }

    /**
     * Seals the local pack, uploads it and verifies the object. When this returns, the pack is in
     * the bucket and listed; if it throws, the pack is not listed, its staging file is gone and
     * none of its records may be indexed (a failed upload leaves at most an object that nothing
     * references, which GC deletes).
     */
    @Override
    public PackIndex seal() throws IOException {
        PackIndex idx;
        try {
            idx = local.seal();
        } catch (IOException | RuntimeException e) {
            try {
                local.close(); // a failed writer still holds its channel
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            store.abandon(id());
            throw e;
        }
        store.upload(idx);
        return idx;
    }

    /**
     * Abandons an unsealed pack: nothing in it was indexed (that needs a completed seal), so its
     * staging file goes. A no-op after a successful seal.
     */
    @Override
    public void close() throws IOException {
        local.close();
        store.abandon(id());
    }

    @Override
    public String toString() {
        return "S3PackWriter[" + local + "]";
    }
}
