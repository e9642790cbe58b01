package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.KeepReason;
import dev.cairn.client.TrimReport;
import dev.cairn.client.TrimRequest;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Message.CheckpointSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

@Command(name = "trim", description = {"Apply retention policies: move the checkpoints they do not keep to the trash.",
        "Prints every kept checkpoint with all its reasons and every removed one with the bytes a GC frees for it"
                + " after the grace period. Exit code 5 if the max_remove brake stopped a series (nothing of it was"
                + " removed; the other series were trimmed): read the plan, then rerun with --force."},
        subcommands = {TrimLogCommand.class}, sortOptions = false)
final class TrimCommand extends ClientCommand {
    @Option(names = "--series", paramLabel = "S", description = "only this series or glob (e.g. 'resnet50/*'); default: every series a policy governs")
    String series;

    @Option(names = "--policy", paramLabel = "FILE", description = "policy file (YAML, 'policies:' at the top); default: the daemon's cairn.yaml")
    Path policy;

    @Option(names = "--dry-run", description = "show the plan, change nothing")
    boolean dryRun;

    @Option(names = "--force", description = "override the max_remove brake")
    boolean force;

    @Override
    int run(CairnClient client, Output out) throws Exception {
        TrimRequest req = policy == null ? TrimRequest.daemonPolicies()
                : TrimRequest.withPolicy(readPolicy(policy), policy.toString());
        TrimReport r = client.trim(req.withSeries(series).withDryRun(dryRun).withForce(force));
        if (json()) {
            out.json(Json.trim(r));
        } else {
            print(client, r, out);
        }
        if (r.anyBlocked()) {
            List<String> names = new ArrayList<>();
            r.series().stream().filter(TrimReport.SeriesPlan::isBlocked).forEach(s -> names.add(s.series()));
            out.err().println("cairn: the max_remove brake held for " + names.size() + " series (" + String.join(", ",
                    names) + "): nothing of " + (names.size() == 1 ? "it" : "them") + " was removed; check the plan"
                    + " and rerun with --force to remove anyway");
            return ExitCodes.of(Status.POLICY_BLOCKED);
        }
        return ExitCodes.OK;
    }

    private static void print(CairnClient client, TrimReport r, Output out) throws Exception {
        if (r.series().isEmpty()) {
            out.line("no series to trim: the policies (" + r.policySource() + ") govern no series"
                    + " selected in the store");
        }
        for (TrimReport.SeriesPlan s : r.series()) {
            out.line(s.series() + " (policy " + s.policy() + "): keep " + s.kept().size() + ", remove "
                    + s.removed().size() + (s.removed().isEmpty() ? "" : ", frees " + Sizes.human(s.freedBytes())
                    + (r.dryRun() ? "; would stay" : "; stay") + " in the trash until " + s.trashExpiresAt()));
            // Kept checkpoints carry no time on the wire; LIST has it (a human is reading, one more call is cheap).
            Map<ManifestId, Instant> created = new HashMap<>();
            if (!s.kept().isEmpty()) {
                for (CheckpointSummary c : client.list(s.series())) {
                    created.put(c.id(), c.meta().createdAt());
                }
            }
            List<String[]> rows = new ArrayList<>();
            List<Instant> times = new ArrayList<>();
            for (TrimReport.Kept k : s.kept()) {
                Instant t = created.get(k.id());
                List<String> texts = new ArrayList<>();
                for (KeepReason x : k.reasons()) {
                    texts.add(x.text());
                }
                rows.add(new String[] {"keep", k.id().shortHex(), t == null ? "-" : t.toString(), "",
                        String.join("; ", texts)});
                times.add(t);
            }
            for (TrimReport.Removed x : s.removed()) {
                rows.add(new String[] {"remove", x.id().shortHex(), x.createdAt().toString(),
                        Sizes.human(x.freedBytes()), ""});
                times.add(x.createdAt());
            }
            // One timeline, newest first, so a person sees what survives where.
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                order.add(i);
            }
            order.sort(Comparator.comparing((Integer i) -> times.get(i), Comparator.nullsFirst(Comparator.reverseOrder())));
            Table t = new Table("  ACTION", "ID", "CREATED", "FREES", "REASONS");
            for (int i : order) {
                String[] row = rows.get(i);
                row[0] = "  " + row[0];
                t.row(row);
            }
            t.print(out);
            if (s.isBlocked()) {
                out.line("  BLOCKED: " + s.blocked());
            }
        }
        for (TrimReport.Rebase b : r.rebases()) {
            out.line("rebase: " + b.id().shortHex() + " (" + b.series() + ") "
                    + (b.newParent() == null ? "materialised as a full checkpoint" : "re-parented from "
                    + b.oldParent().shortHex() + " onto " + b.newParent().shortHex()));
        }
        String totals = r.kept() + " kept, " + r.removed() + " removed, " + r.rebases().size() + " rebased in "
                + r.series().size() + " series; frees " + Sizes.human(r.freedBytes()) + " when a GC runs after the"
                + " grace period";
        if (r.dryRun()) {
            out.line("dry run, nothing changed: " + totals);
        } else if (r.applied()) {
            out.line("applied (audit " + r.auditId() + "): " + totals + "; removed checkpoints are in the trash"
                    + " ('cairn trash ls')");
        } else {
            out.line("nothing to do: " + totals);
        }
    }
}
