package dev.cairn.e2e;

import dev.cairn.cli.CairnCli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The CLI's picocli entry point in-process, with captured stdout, stderr and exit code. */
record Cli(int code, byte[] stdout, String stderr) {

    static Cli run(Map<String, String> env, byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = CairnCli.run(args, new ByteArrayInputStream(stdin == null ? new byte[0] : stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                env, false);
        return new Cli(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    String out() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "exit " + code + "\nstdout: " + (stdout.length > 2000 ? stdout.length + " bytes" : out()) + "\nstderr: " + stderr;
    }
}
