package dev.cairn.protocol.chunk;

import java.io.IOException;

/**
 * An encoded chunk's payload does not decode to what its header promises: the LZ4 stream is
 * malformed, or it decodes to a different number of bytes than {@code rawLength}.
 *
 * <p>Checked on purpose: a chunk arrives from a disk or a peer, and every caller must decide what
 * a damaged one means for it (fail the restore, reject the upload, report it in verify).
 */
public final class CorruptChunkException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int codec;
    private final int expectedRawLength;

    public CorruptChunkException(int codec, int expectedRawLength, String detail, Throwable cause) {
        super("corrupt " + ChunkCodec.name(codec) + " chunk (rawLength " + expectedRawLength + "): " + detail, cause);
        this.codec = codec;
        this.expectedRawLength = expectedRawLength;
    }

    public CorruptChunkException(int codec, int expectedRawLength, String detail) {
        this(codec, expectedRawLength, detail, null);
    }

    /** The codec the chunk claimed. */
    public int codec() {
        return codec;
    }

    /** The raw length the chunk claimed. */
    public int expectedRawLength() {
        return expectedRawLength;
    }
}
