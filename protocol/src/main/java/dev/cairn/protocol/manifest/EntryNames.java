package dev.cairn.protocol.manifest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The one rule for which entry names a new checkpoint may have: what a restore needs to create
 * every entry on a POSIX file system (docs/FORMAT.md, "Entry names"). The store applies it as each
 * entry is added to a put session and again to the whole set at commit; the client and the CLI
 * apply it before they upload anything, so a checkpoint that could never restore is refused
 * up front instead of failing every restore later.
 *
 * <p>Per name ({@link #checkName}): {@link EntryHeader#validateName}'s safety rules (no empty,
 * {@code .} or {@code ..} segment, no NUL or backslash), every '/'-separated segment at most
 * {@value #MAX_SEGMENT_BYTES} UTF-8 bytes (NAME_MAX) and the whole name at most {@value
 * #MAX_PATH_BYTES} bytes. That leaves {@value #TARGET_PATH_BUDGET} bytes of PATH_MAX (4096 with its
 * NUL) for the absolute path of the restore target and the temporary sibling a restore writes
 * into, so any name a commit accepts restores under a target whose absolute path is at most
 * {@value #TARGET_PATH_BUDGET} bytes.
 *
 * <p>Per set ({@link Checker}): names strictly ascending in UTF-8 byte order (no duplicates), a
 * single-stream entry ({@code ""}) only alone, and no leaf entry (a {@link EntryKind#FILE}) that
 * is a directory of a later entry: {@code d} as a file beside {@code d/x} cannot both exist. A
 * {@link EntryKind#DIRECTORY} entry above others is allowed (restore creates it once). A new entry
 * kind (a symbolic link is a leaf like a file) is one more case in {@link #isLeaf}; a rule of its
 * own (e.g. on a link target) is one more check in {@link Checker#add}.
 *
 * <p>Names stored by earlier builds are not re-judged when read: {@link EntryHeader} keeps only
 * the safety rules, so such checkpoints still decode and list. Stateless and thread-safe; a
 * {@link Checker} is for one thread.
 */
public final class EntryNames {
    /** Longest segment (file or directory name) in UTF-8 bytes: NAME_MAX of Linux file systems. */
    public static final int MAX_SEGMENT_BYTES = 255;
    /** Longest entry name (relative path) in UTF-8 bytes that a commit accepts. */
    public static final int MAX_PATH_BYTES = 3072;
    /**
     * What a restore adds to the target's absolute path before an entry name: it writes into the
     * temporary sibling {@code PARENT/.NAME.cairn-tmp-HEX/} (HEX at most 16 digits), 29 bytes more
     * than {@code PARENT/NAME}, rounded up.
     */
    public static final int TEMP_OVERHEAD = 33;

    /**
     * Bytes of PATH_MAX left for the restore target's absolute path:
     * {@code 4095 - MAX_PATH_BYTES - TEMP_OVERHEAD}.
     */
    public static final int TARGET_PATH_BUDGET = 4095 - MAX_PATH_BYTES - TEMP_OVERHEAD;

    private EntryNames() {
    }

    /**
     * Checks one name against the per-name rules.
     *
     * @throws IllegalArgumentException naming the entry and the rule it breaks
     */
    public static void checkName(String name) {
        EntryHeader.validateName(name);
        if (name.isEmpty()) {
            return;
        }
        int total = name.getBytes(StandardCharsets.UTF_8).length;
        if (total > MAX_PATH_BYTES) {
            throw new IllegalArgumentException("entry name '" + abbreviate(name) + "' is " + total
                    + " bytes long; the limit is " + MAX_PATH_BYTES + " bytes (UTF-8), so that a restore can create it");
        }
        for (String seg : name.split("/", -1)) {
            int n = seg.getBytes(StandardCharsets.UTF_8).length;
            if (n > MAX_SEGMENT_BYTES) {
                throw new IllegalArgumentException("entry name '" + abbreviate(name) + "' has a segment of " + n
                        + " bytes ('" + abbreviate(seg) + "'); a file or directory name is at most "
                        + MAX_SEGMENT_BYTES + " bytes (UTF-8)");
            }
        }
    }

    /**
     * Checks a whole set of entries, in the order given (a checkpoint's order: ascending UTF-8
     * bytes).
     *
     * @throws IllegalArgumentException at the first entry that breaks a rule, naming it
     */
    public static void checkAll(List<EntryHeader> entries) {
        Checker c = new Checker();
        for (EntryHeader e : entries) {
            c.add(e.name(), e.kind());
        }
    }

    /** True for the kinds that cannot have entries below them. */
    static boolean isLeaf(EntryKind kind) {
        return kind == EntryKind.FILE;
    }

    /**
     * Checks the entries of one checkpoint as they are added, in order. Memory: the previous name
     * and the leaf entries that are byte prefixes of it (at most one per segment).
     */
    public static final class Checker {
        private byte[] previous;
        private String previousName;
        private boolean stream;
        /** Leaf entries that are prefixes of the previous name, outermost first. */
        private final List<String> leaves = new ArrayList<>();

        /**
         * Adds the next entry.
         *
         * @throws IllegalArgumentException if the name is invalid, not after the previous one,
         *                                  or lies below a leaf entry; the checker is then
         *                                  unchanged
         */
        public void add(String name, EntryKind kind) {
            checkName(name);
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            if (previous != null) {
                if (stream || name.isEmpty()) {
                    throw new IllegalArgumentException("a single-stream entry (empty name) must be the only entry");
                }
                int c = Arrays.compareUnsigned(previous, bytes);
                if (c == 0) {
                    throw new IllegalArgumentException("duplicate entry name '" + abbreviate(name) + "'");
                }
                if (c > 0) {
                    throw new IllegalArgumentException("entries must be added in ascending name order (UTF-8 bytes):"
                            + " '" + abbreviate(name) + "' after '" + abbreviate(previousName) + "'");
                }
            }
            // The names that start with a leaf's name form one contiguous run in byte order; once
            // a name is past the run, so is every later one. The leaves kept are a chain of
            // prefixes, so those still prefixes of this name are the first {@code keep}.
            int keep = 0;
            while (keep < leaves.size() && name.startsWith(leaves.get(keep))) {
                keep++;
            }
            for (int i = 0; i < keep; i++) {
                String leaf = leaves.get(i);
                if (name.length() > leaf.length() && name.charAt(leaf.length()) == '/') {
                    throw new IllegalArgumentException("entry '" + abbreviate(name) + "' lies below entry '"
                            + abbreviate(leaf) + "', which is a file: a restore cannot create both");
                }
            }
            leaves.subList(keep, leaves.size()).clear();
            if (isLeaf(kind)) {
                leaves.add(name);
            }
            previous = bytes;
            previousName = name;
            stream = name.isEmpty();
        }
    }

    /** A name short enough for a message: long names are what some of these rules are about. */
    static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 60) + "…" + s.substring(s.length() - 40) + " (" + s.length()
                + " characters)";
    }
}
