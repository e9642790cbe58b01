package dev.cairn.cli;

import dev.cairn.client.CairnClientException;
import dev.cairn.protocol.CairnException;
import picocli.CommandLine;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.Map;

/**
 * {@code bin/cairn}. {@link #run} is the whole CLI as a function (arguments, streams and
 * environment in, exit code out), so tests run it in-process; {@link #main} wires it to the
 * process. Exit codes: {@link ExitCodes}.
 */
public final class CairnCli {
    private CairnCli() {
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
                StandardCharsets.UTF_8);
        int code = run(args, System.in, out, System.err, System.getenv(), System.console() != null);
        out.flush();
        System.exit(code);
    }

    /**
     * Runs one command line.
     *
     * @param terminal true if stderr is a terminal (progress bars are drawn only then; the
     *                 environment variable CAIRN_PROGRESS=1 or 0 overrides)
     * @return the exit code
     */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env,
                          boolean terminal) {
        Output o = new Output(out, err, in, env, terminal);
        CairnCommand root = new CairnCommand();
        root.output = o;
        CommandLine cl = new CommandLine(root);
        String named = CairnCommand.named(args);
        for (Map.Entry<String, Class<?>> e : CairnCommand.SUBCOMMANDS.entrySet()) {
            if (named == null || named.equals(e.getKey())) {
                cl.addSubcommand(e.getKey(), e.getValue());
            }
        }
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((ex, args1) -> {
            CommandLine cmd = ex.getCommandLine();
            err.println("cairn: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
            if (root.json) {
                o.json(Json.error(ExitCodes.USAGE, "USAGE", ex.getMessage()));
            }
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            int code = ExitCodes.of(ex);
            String message = message(ex);
            err.println("cairn: " + message);
            if (root.json) {
                String status = ex instanceof CairnException c ? c.status().name() : code == ExitCodes.LOCAL_IO
                        ? "LOCAL_IO" : "INTERNAL";
                o.json(Json.error(code, status, message));
            }
            if (code == ExitCodes.INTERNAL && env.get("CAIRN_DEBUG") != null) {
                ex.printStackTrace(err);
            }
            return code;
        });
        return cl.execute(args);
    }

    static String message(Throwable t) {
        if (t instanceof NoSuchFileException e) {
            return "no such file or directory: " + e.getFile();
        }
        if (t instanceof AccessDeniedException e) {
            return "permission denied: " + e.getFile();
        }
        if (t instanceof FileAlreadyExistsException e) {
            return e.getFile() + " already exists" + (e.getReason() != null ? " (" + e.getReason() + ")" : "");
        }
        if (t instanceof CairnClientException || t instanceof CairnException) {
            return t.getMessage();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    static Output output(CommandLine cl) {
        CommandLine c = cl;
        while (c.getParent() != null) {
            c = c.getParent();
        }
        return ((CairnCommand) c.getCommand()).output;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = CairnCli.class.getPackage().getImplementationVersion();
            return new String[] {"cairn " + (v == null ? "dev" : v)};
        }
    }
}
