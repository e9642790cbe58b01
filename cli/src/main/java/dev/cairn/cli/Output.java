package dev.cairn.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Map;

/**
 * Where a command writes: stdout for results (human text, or one JSON document with
 * {@code --json}), stderr for diagnostics and progress. Also carries stdin and the environment,
 * so the whole CLI runs in-process with captured streams.
 */
public final class Output {
    /**
     * Created on first use, for values {@link JsonText} does not render (a Jackson tree in
     * trim-log): Jackson takes ~0.1 s to set up, which other commands should not pay.
     */
    private static final class Mapper {
        static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private final Map<String, String> env;
    private final boolean terminal;

    public Output(PrintStream out, PrintStream err, InputStream in, Map<String, String> env, boolean terminal) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.env = env;
        this.terminal = terminal;
    }

    public PrintStream out() {
        return out;
    }

    public PrintStream err() {
        return err;
    }

    public InputStream in() {
        return in;
    }

    public String env(String name) {
        return env.get(name);
    }

    /** True if stderr is a terminal (progress bars are drawn only then). */
    public boolean terminal() {
        return terminal;
    }

    public void line(String s) {
        out.println(s);
    }

    /** Prints {@code value} as indented JSON (the same text Jackson's INDENT_OUTPUT prints). */
    public void json(Object value) {
        String text = JsonText.render(value);
        if (text != null) {
            out.println(text);
            return;
        }
        try {
            out.println(Mapper.JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON: " + e.getMessage(), e);
        }
    }
}
