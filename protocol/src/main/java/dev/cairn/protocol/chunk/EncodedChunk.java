package dev.cairn.protocol.chunk;

/**
 * A chunk's payload as stored and sent: {@code length} bytes of {@code data} starting at
 * {@code offset}, encoded with {@code codec} (see {@link ChunkCodec}), decoding to
 * {@code rawLength} bytes. The array is not copied: the producer says how long it stays valid.
 */
public record EncodedChunk(int codec, int rawLength, byte[] data, int offset, int length) {
}
