package dev.cairn.store;

import dev.cairn.protocol.manifest.ManifestId;

import java.util.List;
import java.util.Map;

/**
 * What {@code verify} found.
 *
 * @param manifests     manifests checked (live and trash)
 * @param chunks        index entries checked
 * @param bytesRead     chunk bytes read and re-hashed (0 without --read-data)
 * @param packs         pack files checked
 * @param problems      everything that is damaged or missing
 * @param damaged       checkpoints that cannot be restored bit-exact, with the reasons
 * @param readData      whether chunk data was re-read and re-hashed
 * @param unindexed     per pack, the records that no index entry names. Not a problem by itself
 *                      (an interrupted put or GC leaves such records, and GC removes them), so it
 *                      does not make the report unclean; but records of committed checkpoints
 *                      whose metadata was lost look the same: those are problems when the
 *                      catalog check reports them, or when GC's accounting does not explain
 *                      them either (kind {@code metadata}, "metadata lost")
 */
public record VerifyReport(long manifests, long chunks, long bytesRead, long packs, List<Problem> problems,
                           Map<ManifestId, List<String>> damaged, boolean readData, List<Unindexed> unindexed) {

    /** One finding: what kind, about what, and the details. */
    public record Problem(String kind, String subject, String message) {
    }

    /** Records of one pack that no index entry names: how many, and their stored bytes. */
    public record Unindexed(String pack, long records, long bytes) {
    }

    public boolean clean() {
        return problems.isEmpty() && damaged.isEmpty();
    }
}
