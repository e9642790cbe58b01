package dev.cairn.gc;

import java.util.Map;

/**
 * What one GC did (or, for a dry run, would do). The dry run computes every number the same way
 * the real run does, so with no writes in between the two reports are equal.
 *
 * @param manifestsDeleted   expired trash entries deleted for good
 * @param rebased            checkpoints rebased because a parent was deleted
 * @param chunksLive         index entries kept (unexplained ones included)
 * @param chunksFreed        index entries of dead chunks removed
 * @param bytesReclaimed     bytes of deleted and rewritten packs minus the record bytes copied out
 *                           of them (the new packs' own header and footer are not counted)
 * @param packsDeleted       packs deleted because nothing in them was live
 * @param packsRewritten     packs whose live chunks were copied to new packs before deletion
 * @param bytesCopied        record bytes (header + payload) copied by repacking
 * @param orphanSegments     storage ids whose segments no manifest or session used, deleted
 * @param phaseMillis        wall time per phase: resume, expire, mark, sweep, repack, delete
 * @param markSetBytes       heap held by the mark sets
 * @param unexplainedChunks  unreferenced chunks that no recorded deletion or aborted or crashed
 *                           upload accounts for (index entries, and records of packs without an
 *                           index entry): kept, or with {@code forced} freed (docs/GC.md, "What GC
 *                           may free")
 * @param unexplainedBytes   their record bytes
 * @param packsKept          packs kept (neither deleted nor rewritten) because they hold such
 *                           records, or because their footer could not be read to check them
 * @param forced             the run was asked to free unexplained data too ({@code --force})
 */
public record GcReport(String gcId, boolean dryRun, long epoch, long manifestsDeleted, long rebased,
                       long chunksLive, long chunksFreed, long bytesReclaimed, long packsDeleted,
                       long packsRewritten, long bytesCopied, long orphanSegments, Map<String, Long> phaseMillis,
                       long totalMillis, long markSetBytes, long unexplainedChunks, long unexplainedBytes,
                       long packsKept, boolean forced) {

    /** The numbers that must match between a dry run and the real run that follows it. */
    public String outcome() {
        return "manifestsDeleted=" + manifestsDeleted + " rebased=" + rebased + " chunksLive=" + chunksLive
                + " chunksFreed=" + chunksFreed + " bytesReclaimed=" + bytesReclaimed + " packsDeleted=" + packsDeleted
                + " packsRewritten=" + packsRewritten + " bytesCopied=" + bytesCopied + " orphanSegments="
                + orphanSegments + " unexplainedChunks=" + unexplainedChunks + " unexplainedBytes=" + unexplainedBytes
                + " packsKept=" + packsKept;
    }
}
