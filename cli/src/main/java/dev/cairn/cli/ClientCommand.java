package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnClientException;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ManifestId;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Base of every command that talks to the daemon: builds the client from the global options
 * (flags, then CAIRN_SERVER / CAIRN_TOKEN, then defaults), runs {@link #run}, closes the client.
 * Failures propagate to {@link CairnCli}, which prints them and maps them to exit codes.
 */
abstract class ClientCommand implements Callable<Integer> {
    static final String DEFAULT_SERVER = "127.0.0.1:7433";
    /** bin/cairnd's default data directory's socket, relative to the working directory. */
    static final String DEFAULT_SOCKET = "cairn-data/cairnd.sock";

    @Spec
    CommandSpec spec;

    /** The command's work; returns the exit code (normally {@link ExitCodes#OK}). */
    abstract int run(CairnClient client, Output out) throws Exception;

    CairnCommand root() {
        return (CairnCommand) spec.root().userObject();
    }

    Output output() {
        return CairnCli.output(spec.commandLine());
    }

    boolean json() {
        return root().json;
    }

    @Override
    public Integer call() throws Exception {
        Output out = output();
        try (CairnClient client = buildClient(out)) {
            return run(client, out);
        }
    }

    private CairnClient buildClient(Output out) throws CairnClientException {
        CairnCommand g = root();
        String server = g.server != null ? g.server : orDefault(out.env("CAIRN_SERVER"), DEFAULT_SERVER);
        String token = g.token != null ? g.token : orDefault(out.env("CAIRN_TOKEN"), "");
        CairnClient.Builder b = CairnClient.builder().clientName("cairn-cli/0.1.0").token(token);
        try {
            b.address(server);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--server: " + e.getMessage());
        }
        Path socket = localSocket(g, out);
        if (socket != null) {
            return b.socket(socket).build();
        }
        if (g.tls || g.tlsTrust != null) {
            b.tls(true).tlsTrust(g.tlsTrust);
        }
        return b.build();
    }

    /**
     * The local socket to use, or null for TCP: with {@code --local} the socket (which must exist);
     * with {@code --remote}, {@code --server}, CAIRN_SERVER or TLS, none; otherwise the socket if
     * there is one ({@code --socket}, CAIRN_SOCKET, or ./cairn-data/cairnd.sock).
     */
    private Path localSocket(CairnCommand g, Output out) {
        if (g.local && g.remote) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--local and --remote exclude each other");
        }
        Path socket = g.socket != null ? g.socket : Path.of(orDefault(out.env("CAIRN_SOCKET"), DEFAULT_SOCKET));
        boolean exists = isSocket(socket);
        if (g.local) {
            if (!exists) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--local: no daemon socket at "
                        + socket + " (is cairnd running with this data directory? set --socket or CAIRN_SOCKET)");
            }
            return socket;
        }
        boolean remoteAsked = g.remote || g.server != null || !orDefault(out.env("CAIRN_SERVER"), "").isEmpty()
                || g.tls || g.tlsTrust != null;
        return !remoteAsked && exists && io.netty.channel.epoll.Epoll.isAvailable() ? socket : null;
    }

    private static boolean isSocket(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode");
            return mode instanceof Integer m && (m & 0170000) == 0140000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    private static String orDefault(String v, String d) {
        return v == null || v.isBlank() ? d : v;
    }

    /**
     * The text of a policy file (UTF-8). A missing or unreadable file is a local file error; whether
     * the text is a valid policy is the daemon's call (INVALID_POLICY with the parser's message).
     */
    static String readPolicy(Path file) throws IOException {
        try {
            // Checked here, before reading or sending, as the daemon would (LIMIT_EXCEEDED: exit 2).
            long size = Files.size(file);
            if (size > dev.cairn.protocol.wire.Wire.MAX_POLICY_BYTES) {
                throw new CairnException(Status.LIMIT_EXCEEDED, "policy file " + file
                        + " is " + size + " bytes; the limit is " + dev.cairn.protocol.wire.Wire.MAX_POLICY_BYTES
                        + " bytes (1 MiB)");
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new IOException("policy file " + file + " is not UTF-8 text", e);
        }
    }

    /** A full id or a unique prefix, resolved by the daemon. */
    static ManifestId resolve(CairnClient client, String idOrPrefix) throws IOException {
        return client.resolve(idOrPrefix.trim().toLowerCase(java.util.Locale.ROOT));
    }
}
