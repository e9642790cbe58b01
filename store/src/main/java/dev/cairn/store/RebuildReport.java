package dev.cairn.store;

import java.util.List;

/**
 * Outcome of rebuilding the chunk index from pack footers.
 *
 * @param packs               packs read
 * @param recovered           unsealed packs that were recovered first
 * @param chunks              index entries written
 * @param duplicates          records whose chunk was already indexed from another pack
 * @param unreadable          packs whose footer could not be read, with the reason
 * @param missingReferenced   chunk refs of manifests still not in the index afterwards
 * @param damaged             damaged packs whose intact records were indexed, with what is wrong
 * @param restored            checkpoints (manifests, labels or deletions) restored from the catalog
 * @param markedDamaged       checkpoints marked damaged because chunks they reference are in no pack
 */
public record RebuildReport(long packs, long recovered, long chunks, long duplicates, List<String> unreadable,
                            long missingReferenced, List<String> damaged, long restored, long markedDamaged) {

    RebuildReport withCatalog(long restoredCount, long damagedCount, long missing) {
        return new RebuildReport(packs, recovered, chunks, duplicates, unreadable, missing, damaged, restoredCount,
                damagedCount);
    }
}
