package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.KeepReason;
import dev.cairn.client.PolicySimulation;
import dev.cairn.client.TrimReport;
import dev.cairn.client.TrimRequest;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code policy simulate}. */
@Command(name = "policy", description = "Retention policies: try one out before it trims anything.",
        subcommands = {PolicyCommand.Simulate.class}, sortOptions = false)
final class PolicyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: policy simulate");
    }

    @Command(name = "simulate", description = {"Replay a policy over the real history of a series as if trim had run"
            + " after every put; changes nothing.", "Prints the survivors, the largest gap between survivors per age"
            + " band and the stored bytes over time. Without --series, every series with live checkpoints that the"
            + " policy governs."}, sortOptions = false)
    static final class Simulate extends ClientCommand {
        @Option(names = "--policy", paramLabel = "FILE", description = "policy file (YAML, 'policies:' at the top); default: the daemon's cairn.yaml")
        Path policy;

        @Option(names = "--series", paramLabel = "S", description = "the series to replay (a name, not a glob)")
        String series;

        @Option(names = "--svg", paramLabel = "OUT.svg", description = "write the timeline as SVG (kept vs removed, coloured by reason); overwrites")
        Path svg;

        @Override
        int run(CairnClient client, Output out) throws Exception {
            String text = policy == null ? null : readPolicy(policy);
            List<String> names = new ArrayList<>();
            if (series != null) {
                names.add(series);
            } else {
                // The daemon knows which series the policy governs: a dry-run trim lists exactly those
                // (and checks the policy, with the parser's message if it is wrong). It changes nothing.
                TrimRequest probe = (text == null ? TrimRequest.daemonPolicies()
                        : TrimRequest.withPolicy(text, policy.toString())).withDryRun(true);
                for (TrimReport.SeriesPlan s : client.trim(probe).series()) {
                    names.add(s.series());
                }
                if (names.isEmpty()) {
                    throw new CairnException(Status.NOT_FOUND, "the policy governs no series with live checkpoints;"
                            + " name one with --series");
                }
                if (svg != null && names.size() > 1) {
                    throw new ParameterException(spec.commandLine(), "--svg draws one series, and the policy governs "
                            + names.size() + " (" + String.join(", ", names) + "): add --series");
                }
            }
            List<Map<String, Object>> j = new ArrayList<>();
            for (String name : names) {
                PolicySimulation s = client.simulate(name, text, svg != null);
                if (svg != null) {
                    write(svg, s.svg());
                }
                if (json()) {
                    j.add(Json.simulation(s, svg == null ? null : svg.toString()));
                } else {
                    print(s, out);
                    if (svg != null) {
                        out.line("timeline written to " + svg);
                    }
                }
            }
            if (json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("simulations", j);
                out.json(m);
            }
            return ExitCodes.OK;
        }

        /** Written beside the target and renamed, so the file is never half an SVG. */
        private static void write(Path target, String svgText) throws java.io.IOException {
            Path abs = target.toAbsolutePath();
            Path tmp = abs.resolveSibling("." + abs.getFileName() + ".cairn-tmp-" + Long.toHexString(System.nanoTime()));
            try {
                Files.writeString(tmp, svgText == null ? "" : svgText, StandardCharsets.UTF_8);
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }

        static void print(PolicySimulation s, Output out) {
            out.line(s.series() + " (policy " + s.policy() + "): " + s.puts() + " puts, " + s.survivors() + " survive"
                    + (s.stepsOverMaxRemove() > 0 ? "; the max_remove brake would have stopped " + s.stepsOverMaxRemove()
                    + " of the trims (the simulation forces them)" : ""));
            Table bands = new Table("  AGE", "SURVIVORS", "LARGEST GAP");
            for (PolicySimulation.AgeBand b : s.bands()) {
                bands.row("  " + b.label(), Integer.toString(b.survivors()),
                        b.largestGap() == null ? "-" : Durations.human(b.largestGap()));
            }
            bands.print(out);
            out.line("  stored bytes over time (simulated): " + storedSummary(s));
            out.line("  survivors:");
            Table t = new Table("    ID", "CREATED", "REASONS");
            List<PolicySimulation.TimelineEntry> survivors = new ArrayList<>();
            for (PolicySimulation.TimelineEntry e : s.timeline()) {
                if (e.survives()) {
                    survivors.add(0, e); // newest first
                }
            }
            for (PolicySimulation.TimelineEntry e : survivors) {
                List<String> texts = new ArrayList<>();
                for (KeepReason r : e.reasons()) {
                    texts.add(r.text());
                }
                t.row("    " + e.id().shortHex(), e.createdAt().toString(), String.join("; ", texts));
            }
            t.print(out);
        }

        /** Now, peak, and a few points in between: enough to see the shape without the SVG. */
        static String storedSummary(PolicySimulation s) {
            List<PolicySimulation.TimelineEntry> tl = s.timeline();
            if (tl.isEmpty()) {
                return "no puts";
            }
            PolicySimulation.TimelineEntry peak = tl.get(0);
            for (PolicySimulation.TimelineEntry e : tl) {
                if (e.storedBytesAfter() > peak.storedBytesAfter()) {
                    peak = e;
                }
            }
            StringBuilder b = new StringBuilder("now " + Sizes.human(s.storedBytes()) + ", peak "
                    + Sizes.human(peak.storedBytesAfter()) + " after the put of " + peak.createdAt());
            int samples = Math.min(6, tl.size());
            if (samples > 1) {
                List<String> pts = new ArrayList<>();
                for (int i = 0; i < samples; i++) {
                    PolicySimulation.TimelineEntry e = tl.get((int) ((long) i * (tl.size() - 1) / (samples - 1)));
                    pts.add(e.createdAt() + " " + Sizes.human(e.storedBytesAfter()));
                }
                b.append("; ").append(String.join(" → ", pts));
            }
            return b.toString();
        }
    }
}
