package dev.cairn.protocol.manifest;

import dev.cairn.protocol.chunk.ChunkId;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The identity of a checkpoint: SHA-256 of the canonical header of its manifest (see
 * docs/FORMAT.md, "Manifest identity"). The canonical header covers the metadata and, per entry,
 * a digest of the fully resolved chunk list, so the id does not change when a delta manifest is
 * rebased or materialised as a full one, and restoring by id can be verified end to end.
 *
 * <p>Immutable and thread-safe. Text form: 64 lowercase hex characters.
 */
public final class ManifestId implements Comparable<ManifestId> {
    public static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;
    private final int hash;

    private ManifestId(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** Wraps a 32-byte digest (copied). */
    public static ManifestId fromBytes(byte[] digest) {
        if (digest.length != LENGTH) {
            throw new IllegalArgumentException("manifest id must be " + LENGTH + " bytes, got " + digest.length);
        }
        return new ManifestId(digest.clone());
    }

    /** The id of the manifest whose canonical header encoding is {@code headerBytes}: its SHA-256. */
    public static ManifestId ofHeader(byte[] headerBytes) {
        return new ManifestId(ChunkId.newDigest().digest(headerBytes));
    }

    /** Reads 32 bytes at {@code off} (copied). */
    public static ManifestId fromBytes(byte[] buf, int off) {
        return new ManifestId(Arrays.copyOfRange(buf, off, off + LENGTH));
    }

    /**
     * Parses the 64-hex-character text form.
     *
     * @throws IllegalArgumentException if {@code hex} is not exactly 64 hex characters
     */
    public static ManifestId parse(String hex) {
        if (hex == null || hex.length() != LENGTH * 2) {
            throw new IllegalArgumentException("a manifest id is 64 hex characters, got: " + hex);
        }
        try {
            return new ManifestId(HEX.parseHex(hex.toLowerCase(java.util.Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a manifest id is 64 hex characters, got: " + hex, e);
        }
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    public void writeTo(byte[] dst, int off) {
        System.arraycopy(bytes, 0, dst, off, LENGTH);
    }

    public String toHex() {
        return HEX.formatHex(bytes);
    }

    /** The first 12 hex characters, for logs and human-readable tables. */
    public String shortHex() {
        return toHex().substring(0, 12);
    }

    @Override
    public int compareTo(ManifestId o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ManifestId m && hash == m.hash && Arrays.equals(bytes, m.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return toHex();
    }
}
