package dev.cairn.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@link CairnClient#trim} should do. Start from {@link #daemonPolicies()} or {@link
 * #withPolicy}, then narrow it: {@code TrimRequest.withPolicyFile(p).withSeries("exp/*").withDryRun(true)}.
 *
 * @param series       a series name or glob (docs/GC.md "Globs"); null: every series a policy governs
 * @param policy       a policy document (YAML with {@code policies:} at the top); null: the daemon's
 *                     {@code policies:} from {@code cairn.yaml}
 * @param policySource where {@code policy} came from, recorded in the audit log (a file name); null:
 *                     "client" ("cairn.yaml" when the daemon's policies apply)
 * @param dryRun       compute and report the plan; change nothing, write no audit record
 * @param force        override the {@code max_remove} brake
 */
public record TrimRequest(String series, String policy, String policySource, boolean dryRun, boolean force) {

    /** Trims with the daemon's own policies. */
    public static TrimRequest daemonPolicies() {
        return new TrimRequest(null, null, null, false, false);
    }

    /** Trims with this policy document; {@code source} names it in the audit log (may be null). */
    public static TrimRequest withPolicy(String policyYaml, String source) {
        if (policyYaml == null) {
            throw new IllegalArgumentException("policy document is null; use daemonPolicies() for the daemon's own");
        }
        return new TrimRequest(null, policyYaml, source, false, false);
    }

    /** Trims with the policy document in {@code file} (UTF-8), recorded as its path as given. */
    public static TrimRequest withPolicyFile(Path file) throws IOException {
        return withPolicy(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    public TrimRequest withSeries(String seriesOrGlob) {
        return new TrimRequest(seriesOrGlob, policy, policySource, dryRun, force);
    }

    public TrimRequest withDryRun(boolean on) {
        return new TrimRequest(series, policy, policySource, on, force);
    }

    public TrimRequest withForce(boolean on) {
        return new TrimRequest(series, policy, policySource, dryRun, on);
    }
}
