package dev.cairn.protocol.manifest;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * How a checkpoint maps to files, the one definition the embedded store and the client share, so
 * a directory stored through either restores the same through either.
 *
 * <ul>
 *   <li>{@link #scan}: every regular file below the root is an entry named by its '/'-separated
 *       relative path, every empty directory a directory entry, sorted by the UTF-8 bytes of the
 *       names. Symbolic links and special files are refused: a checkpoint that silently lost
 *       them would not restore what was there.</li>
 *   <li>{@link #restore}: data goes to a temporary sibling of the target ({@code
 *       .NAME.cairn-tmp-*}) and is renamed into place when complete, so a failed restore leaves
 *       no partial result; an entry name that would land outside the target is refused.</li>
 * </ul>
 *
 * <p>Errors are made by the caller's {@link Errors}, so each side throws its own exception type.
 * Stateless and thread-safe.
 */
public final class DirectoryLayout {
    private DirectoryLayout() {
    }

    /** Makes the exception for a refused input or a corrupt entry name. */
    @FunctionalInterface
    public interface Errors {
        CairnException of(Status status, String message);
    }

    /** Writes the data of entry {@code index} to {@code file}, which does not exist yet. */
    @FunctionalInterface
    public interface EntryWriter {
        void write(int index, EntryHeader entry, Path file) throws IOException;
    }

    /** One entry of a directory to put: its entry name and the file (or empty directory) it comes from. */
    public record Item(String name, Path path, boolean directory) {
    }

    /**
     * Lists what a directory checkpoint of {@code root} holds, in entry order.
     *
     * @throws CairnException ({@link Status#BAD_REQUEST}, made by {@code errors}) if {@code root} is
     *                        not a directory, is empty, holds a symbolic link or special file,
     *                        or has a name that breaks the {@link EntryNames} rules
     */
    public static List<Item> scan(Path root, Errors errors) throws IOException {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            throw errors.of(Status.BAD_REQUEST, root + " is not a directory");
        }
        List<Item> items = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (p.equals(root)) {
                    continue;
                }
                String name = root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                if (Files.isSymbolicLink(p)) {
                    throw errors.of(Status.BAD_REQUEST, "symbolic link " + p + " is not supported in a"
                            + " checkpoint directory; replace it with the file it points to");
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    items.add(new Item(name, p, false));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    try (Stream<Path> inside = Files.list(p)) {
                        if (inside.findAny().isEmpty()) {
                            items.add(new Item(name, p, true));
                        }
                    }
                } else {
                    throw errors.of(Status.BAD_REQUEST, p + " is neither a regular file nor a directory");
                }
            }
        }
        items.sort(Comparator.comparing((Item a) -> a.name().getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
        if (items.isEmpty()) {
            throw errors.of(Status.BAD_REQUEST, root + " is empty; there is nothing to checkpoint");
        }
        checkNames(items, errors);
        return items;
    }

    /**
     * Applies the commit rule on entry names ({@link EntryNames}) to a directory's items, so that
     * a put is refused before anything is uploaded.
     *
     * @throws CairnException ({@link Status#BAD_REQUEST}, made by {@code errors}) naming the entry
     */
    public static void checkNames(List<Item> items, Errors errors) throws CairnException {
        EntryNames.Checker c = new EntryNames.Checker();
        for (Item it : items) {
            try {
                c.add(it.name(), it.directory() ? EntryKind.DIRECTORY : EntryKind.FILE);
            } catch (IllegalArgumentException e) {
                throw errors.of(Status.BAD_REQUEST, "cannot checkpoint " + it.path() + ": " + e.getMessage());
            }
        }
    }

    /**
     * Restores a checkpoint to {@code target}: a file for a single stream (entry 0), a directory
     * of {@code entries} otherwise. {@code target} must not exist.
     *
     * @throws FileAlreadyExistsException if {@code target} exists
     * @throws CairnException             ({@link Status#CORRUPT}, made by {@code errors}) if an entry
     *                                    name escapes the target; ({@link Status#BAD_REQUEST}) if the
     *                                    target's path is too long for the longest entry name
     */
    public static void restore(Path target, boolean stream, List<EntryHeader> entries, EntryWriter writer,
                               Errors errors) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null, "restore target exists; choose a new path");
        }
        if (!stream) {
            checkTargetLength(target, entries, errors);
        }
        Path parentDir = target.toAbsolutePath().getParent();
        Files.createDirectories(parentDir);
        Path tmp = parentDir.resolve("." + target.getFileName() + ".cairn-tmp-" + Long.toHexString(System.nanoTime()));
        try {
            if (stream) {
                writer.write(0, entries.get(0), tmp);
            } else {
                Files.createDirectory(tmp);
                for (int i = 0; i < entries.size(); i++) {
                    EntryHeader e = entries.get(i);
                    // EntryHeader already refuses '..' and empty segments; this is the last line of
                    // defence should that rule ever change.
                    Path p = tmp.resolve(e.name()).normalize();
                    if (!p.startsWith(tmp) || p.equals(tmp)) {
                        throw errors.of(Status.CORRUPT, "entry name escapes the target: " + e.name());
                    }
                    if (e.kind() == EntryKind.DIRECTORY) {
                        Files.createDirectories(p);
                    } else {
                        Files.createDirectories(p.getParent());
                        writer.write(i, e, p);
                    }
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /**
     * Refuses, before anything is written, a target under which the longest entry would exceed
     * PATH_MAX (4096 with its NUL), instead of failing midway with ENAMETOOLONG.
     */
    private static void checkTargetLength(Path target, List<EntryHeader> entries, Errors errors) throws CairnException {
        int longest = 0;
        String name = null;
        for (EntryHeader e : entries) {
            int n = e.name().getBytes(StandardCharsets.UTF_8).length;
            if (n > longest) {
                longest = n;
                name = e.name();
            }
        }
        int targetBytes = target.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length;
        if (targetBytes + EntryNames.TEMP_OVERHEAD + longest > 4095) {
            throw errors.of(Status.BAD_REQUEST, "restore target " + target + " is too long for entry '"
                    + EntryNames.abbreviate(name) + "' (" + longest + " bytes): the paths would exceed the"
                    + " system's limit of 4095 bytes; choose a target whose absolute path is at most "
                    + Math.max(0, 4095 - EntryNames.TEMP_OVERHEAD - longest) + " bytes");
        }
    }

    private static void deleteQuietly(Path p) {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            walk.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort: a leftover is named .*.cairn-tmp-* and says what it is
        }
    }
}
