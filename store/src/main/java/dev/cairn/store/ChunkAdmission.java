package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;

import java.io.IOException;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The put path's GC-safety step, in one place: "declare needed, look up, store". Every way bytes
 * become chunks of a put session (the embedded and raw-stream ingest, delta patches, a remote
 * writer's UPLOAD) goes through {@link PutSession#admit}, which
 * <ol>
 *   <li>declares every id needed by the session <em>before</em> the lookup, so that a GC starting
 *       at any moment from here until the chunk's ref is added sees the chunk as live (through
 *       {@link PutSession#forEachUnflushed}); a lookup first would leave a window where the chunk
 *       is neither protected (the lookup predates the GC) nor a buffered ref, and the sweep could
 *       free it under the commit;</li>
 *   <li>looks all ids up in one batch (an indexed hit during a GC is protected by the chunk store
 *       itself);</li>
 * </ol>
 * and then {@link #store} appends what the lookup found missing and counts it for the session's
 * result. The declaration lasts until the session adds the chunk's ref (or ends), so the caller
 * adds a ref for every admitted id it keeps, after storing it.
 *
 * <p>What this does not cover: {@link EntryBuilder#addChecked} (refs to chunks a remote writer
 * found present earlier) re-checks presence itself, and the commit re-checks every chunk if a
 * sweep or a failed seal happened meanwhile (see {@link PutSession#commit}).
 *
 * <p>Thread-safety: {@link PutSession#admit} may be called from several threads at once (the
 * ingest's workers do). One admission is used by one thread at a time; it may be handed from the
 * thread that admitted to the one that stores (a happens-before edge, such as a future, between).
 */
public final class ChunkAdmission {
    private final PutSession session;
    private final List<ChunkId> ids;
    private final boolean[] present;
    private final int foundPresent;
    private int stored;

    ChunkAdmission(PutSession session, List<ChunkId> ids, boolean[] present) {
        this.session = session;
        this.ids = ids;
        this.present = present;
        int n = 0;
        for (boolean p : present) {
            if (p) {
                n++;
            }
        }
        this.foundPresent = n;
    }

    /** Number of admitted ids. */
    public int size() {
        return ids.size();
    }

    public ChunkId id(int i) {
        return ids.get(i);
    }

    /** Whether the lookup found chunk {@code i} in the store (pending or indexed). */
    public boolean present(int i) {
        return present[i];
    }

    /**
     * Stores chunk {@code i} if the lookup found it missing; a chunk another writer stored since
     * is not stored twice (see {@link dev.cairn.store.chunk.ChunkStore#store}). For untrusted input
     * the caller has checked that {@code payload} decodes to bytes hashing to {@link #id(int)}.
     *
     * @return true if a record was appended (then counted in the session's new bytes)
     */
    public boolean store(int i, EncodedChunk payload) throws IOException {
        if (present[i]) {
            return false;
        }
        present[i] = true; // stored or found stored: a second call must not count it again
        if (session.repository().chunks().store(ids.get(i), payload)) {
            session.recordStored(payload.rawLength(), payload.length());
            stored++;
            return true;
        }
        return false;
    }

    /**
     * Stores every chunk the lookup found missing, in index order, asking {@code payload} for the
     * encoded bytes of each (only for those: a chunk found present is never encoded).
     *
     * @return the number of records appended
     */
    public int storeMissing(IntFunction<EncodedChunk> payload) throws IOException {
        int before = stored;
        for (int i = 0; i < present.length; i++) {
            if (!present[i]) {
                store(i, payload.apply(i));
            }
        }
        return stored - before;
    }

    /** Records appended through this admission so far. */
    public int stored() {
        return stored;
    }

    /** For the caller's metrics: ids the lookup found present (dedup hits). */
    public int foundPresent() {
        return foundPresent;
    }
}
