package dev.cairn.protocol.manifest;

/**
 * What an entry of a checkpoint is. A single-stream checkpoint has one {@link #FILE} entry named
 * {@code ""}; a directory checkpoint has one entry per file and one {@link #DIRECTORY} entry per
 * directory that would otherwise not exist after a restore (an empty one).
 */
public enum EntryKind {
    FILE(0), DIRECTORY(1);

    private final int code;

    EntryKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static EntryKind ofCode(int code) {
        return switch (code) {
            case 0 -> FILE;
            case 1 -> DIRECTORY;
            default -> throw new IllegalArgumentException("unknown entry kind " + code);
        };
    }
}
