package dev.cairn.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The training run behind {@code bin/cairn}'s class-data archive (bin/env.sh, {@code
 * cairn_cli_archive}): one JVM that runs the commands users run, in-process through {@link
 * CairnCli#run}, against a throwaway daemon, so that the JDK records the classes they load (and,
 * with the JDK 25 AOT cache, their method profiles). It has to be a single process: an archive is
 * written from one JVM's run. Not part of the CLI's interface.
 *
 * <p>Arguments: {@code SOCKET HOST:PORT WORKDIR}: the daemon's local socket, its TCP address, and
 * an empty directory for the files it puts and gets. Exit code 0 if every command succeeded (the
 * caller keeps the archive only then), 1 otherwise, with the failing command on stderr.
 */
public final class Training {
    private Training() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: Training SOCKET HOST:PORT WORKDIR");
            System.exit(2);
        }
        System.exit(run(Path.of(args[0]), args[1], Path.of(args[2])));
    }

    static int run(Path socket, String server, Path work) throws IOException {
        Path one = work.resolve("one-byte");
        Files.write(one, new byte[] {'x'});
        // Big enough for the remote path's chunker, hashing and compression to get hot (several
        // chunks per pipeline stage), small enough for a build step.
        Path big = work.resolve("big");
        byte[] data = new byte[4 << 20];
        new SplittableRandom(1).nextBytes(data);
        System.arraycopy(data, 0, data, data.length / 2, data.length / 4); // some repeated content
        Files.write(big, data);
        Path dir = Files.createDirectories(work.resolve("dir"));
        Files.write(dir.resolve("a"), new byte[] {1, 2, 3});

        String local = "--socket=" + socket;
        String remote = "--server=" + server;
        List<String[]> steps = new ArrayList<>();
        steps.add(new String[] {"--version"});
        String first = Files.exists(socket) ? local : remote;
        steps.add(new String[] {"stats", first});
        steps.add(new String[] {"stats", first, "--json"});
        steps.add(new String[] {"stats", remote, "--remote"});
        String[] commands = {"put", "get", "ls", "show"};
        for (String c : commands) {
            steps.add(new String[] {c, "--help"});
        }
        int code = 0;
        for (String[] s : steps) {
            code |= step(s, null);
        }
        // No local socket without epoll (not Linux): then only TCP is trained.
        String[] paths = Files.exists(socket) ? new String[] {local, remote} : new String[] {remote};
        for (String via : paths) {
            String path = via.equals(local) ? "--local" : "--remote";
            for (Path f : new Path[] {one, big, dir}) {
                CliRun put = call(new String[] {"put", via, path, "--series=training/" + f.getFileName(), "--step=1",
                        "--metric=loss=0.5", "--tag=t", f.toString()}, null);
                code |= put.code;
                String id = put.out.trim();
                if (put.code != 0 || id.isEmpty()) {
                    continue;
                }
                code |= step(new String[] {"show", via, path, id.substring(0, 12)}, null);
                Path back = work.resolve("back-" + path.substring(2) + "-" + f.getFileName());
                code |= step(new String[] {"get", via, path, id, "-o", back.toString()}, null);
            }
            code |= step(new String[] {"put", via, path, "--series=training/stdin", "-"}, new byte[] {'y'});
            code |= step(new String[] {"ls", via, path}, null);
            code |= step(new String[] {"ls", via, path, "--json"}, null);
        }
        code |= step(new String[] {"nonsense-command"}, null) == 0 ? 1 : 0; // the usage-error path
        return code == 0 ? 0 : 1;
    }

    private record CliRun(int code, String out) {
    }

    private static int step(String[] args, byte[] stdin) {
        return call(args, stdin).code;
    }

    private static CliRun call(String[] args, byte[] stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> env = new HashMap<>();
        int code = CairnCli.run(args, new ByteArrayInputStream(stdin == null ? new byte[0] : stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                env, false);
        boolean expectedFailure = args.length > 0 && args[0].equals("nonsense-command");
        if (code != 0 && !expectedFailure) {
            System.err.println("training: cairn " + String.join(" ", args) + " exited " + code + ": "
                    + err.toString(StandardCharsets.UTF_8).strip());
        }
        return new CliRun(code, out.toString(StandardCharsets.UTF_8));
    }
}
