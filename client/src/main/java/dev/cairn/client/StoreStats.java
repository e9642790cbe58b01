package dev.cairn.client;

/**
 * Store-wide numbers of the tenant's store, as {@code STATS} reports them.
 *
 * @param checkpoints   live checkpoints
 * @param trashed       checkpoints in the trash
 * @param series        series with at least one checkpoint
 * @param logicalBytes  sum of checkpoint sizes, live and trash
 * @param chunks        distinct chunks indexed
 * @param chunkBytes    raw bytes of those chunks
 * @param storedBytes   bytes of pack files
 * @param packs         pack files
 * @param metadataBytes bytes of the metadata database on disk
 */
public record StoreStats(long checkpoints, long trashed, long series, long logicalBytes, long chunks, long chunkBytes,
                         long storedBytes, long packs, long metadataBytes) {
}
