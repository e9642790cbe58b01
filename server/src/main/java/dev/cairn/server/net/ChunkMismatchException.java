package dev.cairn.server.net;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;

import java.util.List;

/** Uploaded chunks whose bytes do not decode to data hashing to their ids. */
final class ChunkMismatchException extends CairnException {
    private final List<ChunkId> ids;

    ChunkMismatchException(List<ChunkId> ids, String detail) {
        super(Status.CHUNK_MISMATCH, ids.size() + " uploaded chunk(s) do not match their ids (first: "
                + ids.get(0).shortHex() + ": " + detail + "); nothing of this UPLOAD was stored");
        this.ids = List.copyOf(ids);
    }

    List<ChunkId> ids() {
        return ids;
    }
}
