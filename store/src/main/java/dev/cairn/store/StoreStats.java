package dev.cairn.store;

/**
 * Store-wide numbers.
 *
 * @param checkpoints     live checkpoints
 * @param trashed         checkpoints in the trash
 * @param series          series with live checkpoints
 * @param logicalBytes    sum of the sizes of all checkpoints (live and trash)
 * @param chunks          distinct chunks indexed
 * @param chunkBytes      raw bytes of the indexed chunks
 * @param storedBytes     bytes of all pack files
 * @param packs           pack files
 * @param metadataBytes   size of the metadata database on disk
 */
public record StoreStats(long checkpoints, long trashed, long series, long logicalBytes, long chunks, long chunkBytes,
                         long storedBytes, long packs, long metadataBytes) {
}
