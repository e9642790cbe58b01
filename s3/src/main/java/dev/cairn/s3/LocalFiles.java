package dev.cairn.s3;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Local scratch directories of the S3 layer (partial packs, metadata checkpoints, restores). */
final class LocalFiles {
    private LocalFiles() {
    }

    /** Deletes {@code p} and everything below it, if it exists; a failure to delete is an error. */
    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(x);
            }
        }
    }
}
