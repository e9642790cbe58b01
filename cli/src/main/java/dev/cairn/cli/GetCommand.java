package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CheckpointInfo;
import dev.cairn.protocol.manifest.ManifestId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

@Command(name = "get", description = {"Restore a checkpoint: a file, or a directory for a directory checkpoint.",
        "The target must not exist; a failed restore leaves nothing behind. '-o -' writes a single-stream"
                + " checkpoint to standard output."},
        sortOptions = false)
final class GetCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "checkpoint id or unique prefix (at least 6 hex characters)")
    String id;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "PATH|-", description = "where to restore it")
    String output;

    @Override
    int run(CairnClient client, Output out) throws Exception {
        ManifestId m = resolve(client, id);
        CheckpointInfo info = client.show(m);
        long total = info.summary().logicalBytes();
        if (output.equals("-")) {
            if (json()) {
                throw new ParameterException(spec.commandLine(), "--json cannot be combined with -o - (the data goes to stdout)");
            }
            if (!info.isStream()) {
                throw new ParameterException(spec.commandLine(), "checkpoint " + m.shortHex() + " is a directory of "
                        + info.entries().size() + " entries; restore it with -o DIR");
            }
            java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
            try (Progress p = Progress.start(out, "get", total)) {
                client.copyTo(info, out.out(), n -> {
                    written.addAndGet(n);
                    p.add(n);
                });
                out.out().flush();
            } catch (java.io.IOException | RuntimeException e) {
                // Verified bytes go out as they arrive; a reader of stdout must learn that what it
                // got is a prefix, not the checkpoint.
                if (written.get() > 0) {
                    out.out().flush();
                    out.err().println("cairn: " + written.get() + " bytes were written to standard output before the"
                            + " error; the output is incomplete");
                }
                throw e;
            }
            return ExitCodes.OK;
        }
        Path target = Path.of(output);
        if (client.isLocal() && CairnClient.canPassDescriptors()) {
            // The daemon writes the files this process creates; the bytes never pass through here.
            client.restoreLocal(info, target, null);
        } else {
            try (Progress p = Progress.start(out, "get", total)) {
                client.restore(info, target, p::add);
            }
        }
        if (json()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("id", m.toHex());
            j.put("path", target.toAbsolutePath().toString());
            j.put("kind", info.isStream() ? "file" : "directory");
            j.put("logicalBytes", total);
            j.put("entries", info.entries().size());
            out.json(j);
        } else {
            out.line("restored " + m.shortHex() + " (" + Sizes.human(total) + (info.isStream() ? "" : ", "
                    + info.entries().size() + " entries") + ") to " + target);
        }
        return ExitCodes.OK;
    }
}
