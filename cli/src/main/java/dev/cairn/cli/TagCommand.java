package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "tag", description = {"Add and remove tags of a checkpoint (live or in the trash); prints its tags"
        + " afterwards.", "A tag in both lists ends up added; with neither, just prints the tags."}, sortOptions = false)
final class TagCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "checkpoint id or unique prefix")
    String id;

    @Option(names = "--add", paramLabel = "T", description = "a tag to add (repeatable), e.g. milestone")
    List<String> add = new ArrayList<>();

    @Option(names = "--remove", paramLabel = "T", description = "a tag to remove (repeatable)")
    List<String> remove = new ArrayList<>();

    @Override
    int run(CairnClient client, Output out) throws Exception {
        try {
            for (String t : add) {
                CheckpointMeta.validateTag(t);
            }
            for (String t : remove) {
                CheckpointMeta.validateTag(t);
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        ManifestId mid = resolve(client, id);
        List<String> tags = client.tag(mid, add, remove);
        if (json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", mid.toHex());
            m.put("tags", tags);
            out.json(m);
        } else {
            out.line(tags.isEmpty() ? "no tags" : "tags: " + String.join(", ", tags));
        }
        return ExitCodes.OK;
    }
}
