package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Message.HoldInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code hold add} and {@code hold rm}: leases that keep a checkpoint from being trimmed. */
@Command(name = "hold", description = "Holds: a named owner's lease on a checkpoint; nothing held is ever trimmed.",
        subcommands = {HoldCommand.Add.class, HoldCommand.Rm.class}, sortOptions = false)
final class HoldCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: hold add or hold rm");
    }

    @Command(name = "add", description = {"Hold a live checkpoint (adding again as the same owner renews the hold).",
            "Exit code 5 if the checkpoint is in the trash (restore it first)."}, sortOptions = false)
    static final class Add extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "checkpoint id or unique prefix")
        String id;

        @Option(names = "--owner", required = true, paramLabel = "O", description = "who holds it, e.g. eval-job")
        String owner;

        @Option(names = "--reason", required = true, paramLabel = "R", description = "why, e.g. 'nightly eval'")
        String reason;

        @Option(names = "--ttl", paramLabel = "D", description = "expire after this long (30m, 2h, 7d, 1d12h); default: until released")
        String ttl;

        @Override
        int run(CairnClient client, Output out) throws Exception {
            Duration d = null;
            if (ttl != null) {
                try {
                    d = Durations.parse(ttl);
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), "--ttl: " + e.getMessage());
                }
                if (d.isZero()) {
                    throw new ParameterException(spec.commandLine(), "--ttl must be positive; leave it out to hold"
                            + " until released");
                }
            }
            ManifestId mid = resolve(client, id);
            HoldInfo h = client.holdAdd(mid, owner, reason, d);
            if (json()) {
                out.json(Json.hold(mid, h));
            } else {
                out.line("held " + mid.toHex() + " by " + h.owner() + " (" + h.reason() + ") "
                        + (h.expiresAt() == null ? "until released" : "until " + h.expiresAt()));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "rm", description = {"Release an owner's hold.", "Exit code 3 if that owner holds nothing on it."},
            sortOptions = false)
    static final class Rm extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "checkpoint id or unique prefix")
        String id;

        @Option(names = "--owner", required = true, paramLabel = "O", description = "whose hold to release")
        String owner;

        @Override
        int run(CairnClient client, Output out) throws Exception {
            ManifestId mid = resolve(client, id);
            client.holdRemove(mid, owner);
            if (json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", mid.toHex());
                m.put("owner", owner);
                m.put("released", true);
                out.json(m);
            } else {
                out.line("released " + owner + "'s hold on " + mid.toHex());
            }
            return ExitCodes.OK;
        }
    }
}
