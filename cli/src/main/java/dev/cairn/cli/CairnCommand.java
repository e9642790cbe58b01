package dev.cairn.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;

/**
 * The top command: global options (inherited by every subcommand, so they may stand before or
 * after the subcommand's name) and the list of subcommands ({@link #SUBCOMMANDS}). Add new
 * commands there.
 */
@Command(name = "cairn", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, versionProvider = CairnCli.Version.class,
        description = "Client and operator command line of the Cairn checkpoint store.",
        footer = {"", "Exit codes: 0 ok, 1 internal error, 2 usage error or invalid argument, 3 not found,"
                + " 4 authentication, 5 conflict (trim: the max_remove brake held), 6 damaged data, 7 daemon unreachable or busy (retry),"
                + " 8 daemon storage error, 9 incompatible versions, 10 local file error."},
        sortOptions = false)
public final class CairnCommand implements Runnable {
    /**
     * Every subcommand by name, in the order {@code --help} lists them. Not in the annotation:
     * {@link CairnCli#run} registers only the one a command line names (picocli builds the model
     * of every registered command by reflection, ~0.2 s for all of them on a cold JVM), and all of
     * them when none is named (help, usage errors, suggestions).
     */
    static final java.util.Map<String, Class<?>> SUBCOMMANDS = subcommands(
            "put", PutCommand.class, "get", GetCommand.class, "ls", LsCommand.class, "show", ShowCommand.class,
            "stats", StatsCommand.class, "verify", VerifyCommand.class, "trim", TrimCommand.class,
            "trash", TrashCommand.class, "hold", HoldCommand.class, "tag", TagCommand.class, "gc", GcCommand.class,
            "policy", PolicyCommand.class);

    /** Global options that take a value (the next argument unless written {@code --opt=value}). */
    static final java.util.Set<String> VALUE_OPTIONS = java.util.Set.of("--server", "--token", "--tls-trust", "--socket");

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

    @Option(names = "--socket", paramLabel = "PATH", scope = ScopeType.INHERIT,
            description = "the daemon's local socket (env CAIRN_SOCKET, default ./cairn-data/cairnd.sock); used when it"
                    + " exists and no --server / CAIRN_SERVER is given")
    Path socket;

    @Option(names = "--local", scope = ScopeType.INHERIT,
            description = "use the local socket (fail if there is none): put and get hand the daemon the open file")
    boolean local;

    @Option(names = "--remote", scope = ScopeType.INHERIT, description = "use TCP (--server) even if a local socket exists")
    boolean remote;

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

    /** Name, class, name, class, ...: names are literals, so building the map reads no annotation. */
    private static java.util.Map<String, Class<?>> subcommands(Object... nameThenClass) {
        java.util.Map<String, Class<?>> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < nameThenClass.length; i += 2) {
            m.put((String) nameThenClass[i], (Class<?>) nameThenClass[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * The subcommand a command line names: its first argument that is not a global option or a
     * global option's value; null if that is not a known command (or there is none).
     */
    static String named(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                return null;
            }
            if (a.startsWith("-")) {
                if (VALUE_OPTIONS.contains(a)) {
                    i++;
                }
                continue;
            }
            return SUBCOMMANDS.containsKey(a) ? a : null;
        }
        return null;
    }
}
