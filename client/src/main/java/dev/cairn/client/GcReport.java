package dev.cairn.client;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a garbage collection did ({@link CairnClient#gc}), or with {@code dryRun} would do: a dry
 * run followed by a real run with no writes in between reports the same numbers (docs/GC.md).
 *
 * @param gcId             names the run in the daemon's log
 * @param epoch            the GC epoch the run marked in
 * @param manifestsDeleted expired trash deleted for good
 * @param rebased          surviving deltas rebased because their parent was deleted
 * @param chunksLive       index entries kept
 * @param chunksFreed      index entries of dead chunks removed
 * @param bytesReclaimed   bytes of deleted and rewritten packs minus the bytes copied out of them
 * @param packsDeleted     packs with nothing live, deleted
 * @param packsRewritten   packs repacked
 * @param bytesCopied      record bytes copied by repacking
 * @param orphanSegments   storage streams no manifest or session used, deleted
 * @param phaseMillis      wall time per phase in order: resume, expire, mark, sweep, then (not in a dry run) delete, repack
 * @param markSetBytes     heap the mark set took on the daemon
 * @param unexplainedChunks unreferenced chunks that no recorded deletion or aborted or crashed upload
 *                         accounts for: kept, or with {@code forced} freed (docs/GC.md, "What GC may
 *                         free"); 0 from a daemon that predates the field
 * @param unexplainedBytes their record bytes
 * @param packsKept        packs kept because they hold such records
 * @param forced           the run was forced ({@code --force})
 */
public record GcReport(String gcId, boolean dryRun, long epoch, long manifestsDeleted, long rebased, long chunksLive,
                       long chunksFreed, long bytesReclaimed, long packsDeleted, long packsRewritten, long bytesCopied,
                       long orphanSegments, Map<String, Long> phaseMillis, long totalMillis, long markSetBytes,
                       long unexplainedChunks, long unexplainedBytes, long packsKept, boolean forced) {
    public GcReport {
        phaseMillis = Collections.unmodifiableMap(new LinkedHashMap<>(phaseMillis));
    }
}
