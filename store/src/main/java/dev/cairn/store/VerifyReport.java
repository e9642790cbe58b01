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
 */
public record VerifyReport(long manifests, long chunks, long bytesRead, long packs, List<Problem> problems,
                           Map<ManifestId, List<String>> damaged, boolean readData) {

    /** One finding: what kind, about what, and the details. */
    public record Problem(String kind, String subject, String message) {
    }

    public boolean clean() {
        return problems.isEmpty() && damaged.isEmpty();
    }
}
