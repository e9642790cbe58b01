package dev.cairn.client;

import dev.cairn.protocol.manifest.ManifestId;

import java.util.List;

/**
 * The result of {@link CairnClient#verify(boolean)}.
 *
 * @param problemCount the number of findings; {@code problems} may list only a prefix of them
 * @param damaged      checkpoints that cannot be restored bit-exact, with the reasons
 */
public record VerifyReport(long manifests, long chunks, long bytesRead, long packs, boolean readData, long problemCount,
                           List<Problem> problems, List<Damaged> damaged) {

    /** One finding. */
    public record Problem(String kind, String subject, String message) {
    }

    /** A damaged checkpoint. */
    public record Damaged(ManifestId id, List<String> reasons) {
    }

    public VerifyReport {
        problems = List.copyOf(problems);
        damaged = List.copyOf(damaged);
    }

    public boolean clean() {
        return problemCount == 0 && damaged.isEmpty();
    }
}
