package dev.cairn.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;

/**
 * The top command: global options (inherited by every subcommand, so they may stand before or
 * after the subcommand's name) and the list of subcommands. Add new commands here.
 */
@Command(name = "cairn", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, versionProvider = CairnCli.Version.class,
        description = "Client and operator command line of the Cairn checkpoint store.",
        subcommands = {PutCommand.class, GetCommand.class, LsCommand.class, ShowCommand.class, StatsCommand.class,
                VerifyCommand.class, TrimCommand.class, TrashCommand.class, HoldCommand.class, TagCommand.class,
                GcCommand.class, PolicyCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 internal error, 2 usage error or invalid argument, 3 not found,"
                + " 4 authentication, 5 conflict (trim: the max_remove brake held), 6 damaged data, 7 daemon unreachable or busy (retry),"
                + " 8 daemon storage error, 9 incompatible versions, 10 local file error."},
        sortOptions = false)
public final class CairnCommand implements Runnable {
    @Option(names = "--server", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT,
            description = "daemon address (env CAIRN_SERVER, default 127.0.0.1:7433)")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", scope = ScopeType.INHERIT,
            description = "tenant token (env CAIRN_TOKEN)")
    String token;

    @Option(names = "--tls", scope = ScopeType.INHERIT, description = "connect with TLS (verified against the system trust store unless --tls-trust)")
    boolean tls;

    @Option(names = "--tls-trust", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "PEM file of certificates to trust (implies --tls)")
    Path tlsTrust;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "print machine-readable JSON on stdout")
    boolean json;

    picocli.CommandLine.Model.CommandSpec spec;
    /** Set by {@link CairnCli#run} before parsing. */
    Output output;

    @picocli.CommandLine.Spec
    void spec(picocli.CommandLine.Model.CommandSpec s) {
        this.spec = s;
    }

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing command: put, get, ls, show, stats, verify, trim,"
                + " trash, hold, tag, gc or policy");
    }
}
