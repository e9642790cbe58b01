package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.manifest.ChunkListDigest;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects the chunk list of one entry of a {@link PutSession}: digest for the canonical header,
 * the full list in segments, and (when the session has a parent) the delta edits. Not thread-safe.
 */
public final class EntryBuilder {
    private final PutSession session;
    final int index;
    final String name;
    private final FormBuilder.Entry form;
    private final ChunkListDigest digest = new ChunkListDigest();
    private EntryHeader header;

    EntryBuilder(PutSession session, String name, FormBuilder.Entry form) {
        this.session = session;
        this.index = form.index;
        this.name = name;
        this.form = form;
    }

    /** Appends a ref whose chunk the caller knows the store has (it just stored or found it). */
    public void add(ChunkRef ref) throws CairnException {
        synchronized (session) {
            checkOpen();
            digest.add(ref);
            form.add(ref);
        }
        session.referenced(ref.id());
    }

    /**
     * Appends refs sent by a remote writer, checking first that the store has every chunk, with
     * the raw length the ref claims (a wrong length would make the checkpoint unreadable).
     *
     * @throws CairnException {@link Status#MISSING_CHUNKS} naming the missing ids, or
     *                        {@link Status#BAD_REQUEST} for a length mismatch; nothing is appended
     */
    public void addChecked(List<ChunkRef> refs) throws CairnException {
        checkOpen();
        List<ChunkId> ids = new ArrayList<>(refs.size());
        for (ChunkRef r : refs) {
            ids.add(r.id());
        }
        int[] lengths = session.repository().chunks().rawLengths(ids);
        List<ChunkId> missing = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 0) {
                missing.add(ids.get(i));
            } else if (lengths[i] != refs.get(i).length()) {
                throw new CairnException(Status.BAD_REQUEST, "ref to chunk " + ids.get(i).shortHex() + " claims "
                        + refs.get(i).length() + " bytes, the stored chunk has " + lengths[i]);
            }
        }
        if (!missing.isEmpty()) {
            throw new MissingChunksException(missing);
        }
        for (ChunkRef r : refs) {
            add(r);
        }
    }

    /** Bytes added so far. */
    public long bytes() {
        return digest.bytes();
    }

    /** Ends the entry and returns its canonical header. */
    public EntryHeader finish() throws CairnException {
        synchronized (session) {
            checkOpen();
            form.finish();
        }
        header = digest.finish(name);
        session.entryFinished(this);
        return header;
    }

    /** Ends an empty directory entry. */
    void finishAsDirectory() throws CairnException {
        checkOpen();
        form.finishEmpty();
        header = ChunkListDigest.directory(name);
    }

    EntryHeader header() {
        return header;
    }

    long refs() {
        return form.refs();
    }

    void forEachBuffered(java.util.function.Consumer<ChunkRef> c) {
        form.forEachBuffered(c);
    }

    private void checkOpen() {
        if (header != null) {
            throw new IllegalStateException("entry '" + name + "' is already finished");
        }
    }
}
