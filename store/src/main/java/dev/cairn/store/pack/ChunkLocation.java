package dev.cairn.store.pack;

/**
 * Where one chunk record lives: the pack, the byte offset of the record's first byte (its record
 * header), the lengths and the codec of the stored payload. This is the value of the RocksDB chunk
 * index (see docs/FORMAT.md) and all a reader needs for one positional read.
 *
 * @param pack          the pack holding the record
 * @param offset        offset of the record header within the pack file
 * @param storedLength  payload length as stored (compressed or raw)
 * @param rawLength     length of the chunk's raw bytes
 * @param codec         payload codec, one of {@link dev.cairn.protocol.chunk.ChunkCodec}'s constants
 */
public record ChunkLocation(PackId pack, long offset, int storedLength, int rawLength, int codec) {
}
