package dev.cairn.protocol.manifest;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One entry of a checkpoint as it appears in the canonical header: its name, kind, size, number of
 * chunks, and the SHA-256 of its resolved chunk list (see {@link ChunkListDigest}). Two manifests
 * with equal headers describe the same bytes, whatever their storage form.
 *
 * @param name       {@code ""} for a single-stream checkpoint, else a relative path with '/' separators
 * @param listDigest 32 bytes
 */
public record EntryHeader(String name, EntryKind kind, long size, long chunkCount, byte[] listDigest) {

    /** Longest entry name in UTF-8 bytes. */
    public static final int MAX_NAME = 4096;

    public EntryHeader {
        validateName(name);
        if (size < 0 || chunkCount < 0) {
            throw new IllegalArgumentException("negative size or chunk count in entry '" + name + "'");
        }
        if (kind == EntryKind.DIRECTORY && (size != 0 || chunkCount != 0)) {
            throw new IllegalArgumentException("directory entry '" + name + "' cannot have data");
        }
        if (listDigest.length != 32) {
            throw new IllegalArgumentException("list digest must be 32 bytes");
        }
    }

    /**
     * Checks an entry name: empty (a single stream), or a relative path whose segments are neither
     * empty, "." nor "..", without NUL or backslash. Restores can then never write outside the target.
     */
    public static void validateName(String name) {
        if (name.isEmpty()) {
            return;
        }
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME) {
            throw new IllegalArgumentException("entry name longer than " + MAX_NAME + " bytes");
        }
        if (name.indexOf('\0') >= 0 || name.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("entry name contains NUL or backslash: " + name);
        }
        for (String seg : name.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new IllegalArgumentException("entry name must be a relative path without empty, '.' or '..' segments: '"
                        + name + "'");
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EntryHeader e && name.equals(e.name) && kind == e.kind && size == e.size
                && chunkCount == e.chunkCount && Arrays.equals(listDigest, e.listDigest);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(listDigest);
    }

    @Override
    public String toString() {
        return "EntryHeader[" + name + ", " + kind + ", size=" + size + ", chunks=" + chunkCount + ", digest="
                + HexFormat.of().formatHex(listDigest, 0, 6) + "]";
    }
}
