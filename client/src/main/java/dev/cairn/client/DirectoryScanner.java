package dev.cairn.client;

import dev.cairn.protocol.Status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Lists what a directory checkpoint holds, with the store's semantics ({@code
 * Repository.putDirectory}): every regular file is an entry named by its '/'-separated relative
 * path, every empty directory a directory entry, sorted by the UTF-8 bytes of the names; symbolic
 * links and special files are refused.
 */
final class DirectoryScanner {
    private DirectoryScanner() {
    }

    record Item(String name, Path path, boolean directory) {
    }

    static List<Item> scan(Path root) throws IOException {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            throw CairnClientException.local(Status.BAD_REQUEST, root + " is not a directory", null);
        }
        List<Item> items = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (p.equals(root)) {
                    continue;
                }
                String name = root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                if (Files.isSymbolicLink(p)) {
                    throw CairnClientException.local(Status.BAD_REQUEST, "symbolic link " + p + " is not supported in a"
                            + " checkpoint directory; replace it with the file it points to", null);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    items.add(new Item(name, p, false));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    try (Stream<Path> inside = Files.list(p)) {
                        if (inside.findAny().isEmpty()) {
                            items.add(new Item(name, p, true));
                        }
                    }
                } else {
                    throw CairnClientException.local(Status.BAD_REQUEST, p + " is neither a regular file nor a directory",
                            null);
                }
            }
        }
        items.sort(Comparator.comparing((Item a) -> a.name().getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
        if (items.isEmpty()) {
            throw CairnClientException.local(Status.BAD_REQUEST, root + " is empty; there is nothing to checkpoint", null);
        }
        return items;
    }
}
