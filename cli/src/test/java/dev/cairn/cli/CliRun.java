package dev.cairn.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Runs {@link CairnCli} in-process with captured streams. */
public record CliRun(int code, byte[] stdout, String stderr) {

    public static CliRun run(Map<String, String> env, byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = CairnCli.run(args, new ByteArrayInputStream(stdin == null ? new byte[0] : stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                env == null ? new HashMap<>() : env, false);
        return new CliRun(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    public static CliRun run(String... args) {
        return run(Map.of(), null, args);
    }

    public String out() {
        return new String(stdout, StandardCharsets.UTF_8);
    }
}
