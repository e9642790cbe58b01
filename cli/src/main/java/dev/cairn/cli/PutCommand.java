package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.client.PutResult;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

@Command(name = "put", description = {"Store a file, a directory or standard input (-) as a checkpoint; prints its id.",
        "A directory becomes a directory checkpoint (files by relative path, empty directories kept; symbolic links"
                + " are refused)."},
        sortOptions = false)
final class PutCommand extends ClientCommand {
    @Option(names = "--series", required = true, paramLabel = "S", description = "series, e.g. resnet50/run-7")
    String series;

    @Option(names = "--step", paramLabel = "N", description = "training step or sequence number")
    Long step;

    @Option(names = "--metric", paramLabel = "NAME=VALUE", description = "a metric (repeatable), e.g. val_loss=0.31")
    List<String> metrics = new ArrayList<>();

    @Option(names = "--tag", paramLabel = "T", description = "a tag (repeatable), e.g. best")
    List<String> tags = new ArrayList<>();

    @Option(names = "--time", paramLabel = "ISO-8601", description = "creation time (default: now), e.g. 2026-11-01T12:00:00Z")
    String time;

    @Option(names = "--parent", paramLabel = "ID", description = "store as a delta against this checkpoint (id or unique prefix)")
    String parent;

    @Option(names = "--derived-from", paramLabel = "ID", description = "lineage: the checkpoint this one was derived from")
    String derivedFrom;

    @Option(names = "--compute-seconds", paramLabel = "X", description = "compute spent since the previous checkpoint")
    Double computeSeconds;

    @Parameters(index = "0", paramLabel = "PATH|-", description = "file or directory to store, or - for standard input")
    String path;

    @Override
    int run(CairnClient client, Output out) throws Exception {
        CheckpointMeta meta = meta(client);
        PutOptions opts = new PutOptions(meta, new TreeSet<>(tags), parent == null ? null : resolve(client, parent), true);
        PutResult r;
        boolean fds = client.isLocal() && CairnClient.canPassDescriptors();
        if (path.equals("-") && client.isLocal()) {
            // The daemon reads standard input itself when it is a file or a pipe of this process.
            int type = fds && out.in() == System.in ? stdinType() : 0;
            if (type == S_IFREG) {
                r = client.putLocal(opts, java.io.FileDescriptor.in, -1);
            } else if (type == S_IFIFO) {
                // A pipe is handed over as a new open file description of the same pipe (opening
                // /proc/self/fd/0), not as stdin's own: flags the daemon sets on what it receives
                // (it reads non-blocking) would otherwise stay on the description this process shares
                // with its shell and the other commands of the pipeline.
                try (java.io.FileInputStream pipe = new java.io.FileInputStream("/proc/self/fd/0")) {
                    r = client.putLocal(opts, pipe.getFD(), -1);
                }
            } else {
                try (Progress p = Progress.start(out, "put", -1)) {
                    r = client.putStream(opts, counting(out.in(), p), false, null);
                }
            }
        } else if (path.equals("-")) {
            try (Progress p = Progress.start(out, "put", -1)) {
                r = client.put(opts, counting(out.in(), p));
            }
        } else if (client.isLocal() && Files.isRegularFile(Path.of(path), LinkOption.NOFOLLOW_LINKS)) {
            Path p = Path.of(path);
            if (fds) {
                r = client.putLocal(opts, p);
            } else {
                try (Progress pr = Progress.start(out, "put", Files.size(p));
                     InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                    r = client.putStream(opts, in, false, pr::add);
                }
            }
        } else {
            Path p = Path.of(path);
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new NoSuchFileException(path);
            }
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                try (Progress pr = Progress.start(out, "put", treeSize(p))) {
                    r = client.putDirectory(opts, p, pr::add);
                }
            } else {
                try (Progress pr = Progress.start(out, "put", Files.size(p))) {
                    r = client.putFile(opts, p, pr::add);
                }
            }
        }
        if (json()) {
            out.json(Json.put(r));
        } else {
            out.line(r.id().toHex());
        }
        return ExitCodes.OK;
    }

    private CheckpointMeta meta(CairnClient client) throws IOException {
        TreeMap<String, Double> m = new TreeMap<>();
        for (String kv : metrics) {
            int eq = kv.indexOf('=');
            if (eq <= 0 || eq == kv.length() - 1) {
                throw usage("--metric '" + kv + "' is not NAME=VALUE (e.g. val_loss=0.31)");
            }
            try {
                m.put(kv.substring(0, eq), Double.parseDouble(kv.substring(eq + 1)));
            } catch (NumberFormatException e) {
                throw usage("--metric '" + kv + "': '" + kv.substring(eq + 1) + "' is not a number");
            }
        }
        ManifestId derived = derivedFrom == null ? null : resolve(client, derivedFrom);
        try {
            for (String t : tags) {
                CheckpointMeta.validateTag(t);
            }
            return new CheckpointMeta(series, time == null ? Instant.now() : parseTime(time),
                    step == null ? OptionalLong.empty() : OptionalLong.of(step), m,
                    computeSeconds == null ? OptionalDouble.empty() : OptionalDouble.of(computeSeconds),
                    Optional.ofNullable(derived));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** ISO-8601: an instant ("2026-11-01T12:00:00Z"), with an offset, or local date(-time) taken as UTC. */
    Instant parseTime(String s) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException ignored) {
            // try the other ISO forms
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException ignored) {
            // next
        }
        try {
            return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException ignored) {
            // next
        }
        try {
            return LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw usage("--time '" + s + "' is not an ISO-8601 time (e.g. 2026-11-01T12:00:00Z)");
        }
    }

    private static final int S_IFREG = 0100000;
    private static final int S_IFIFO = 0010000;

    /** The file type bits of this process's standard input ({@code S_IFREG}, {@code S_IFIFO}, ...), 0 if unknown. */
    private static int stdinType() {
        try {
            Object mode = Files.getAttribute(Path.of("/proc/self/fd/0"), "unix:mode");
            return mode instanceof Integer m ? m & 0170000 : 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return 0;
        }
    }

    private static long treeSize(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static InputStream counting(InputStream in, Progress p) {
        return new FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    p.add(n);
                }
                return n;
            }

            @Override
            public void close() {
                // stdin belongs to the process
            }
        };
    }
}
