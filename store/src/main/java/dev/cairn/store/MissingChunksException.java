package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;

import java.util.List;

/** A manifest referenced chunks the store does not have (never uploaded, or swept by GC meanwhile). */
public final class MissingChunksException extends CairnException {
    private final List<ChunkId> missing;

    public MissingChunksException(List<ChunkId> missing) {
        super(Status.MISSING_CHUNKS, missing.size() + " referenced chunk(s) are not in the store (first: "
                + missing.get(0).shortHex() + "); upload them and retry");
        this.missing = List.copyOf(missing);
    }

    public List<ChunkId> missing() {
        return missing;
    }
}
