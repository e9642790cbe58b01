package dev.cairn.s3;

import dev.cairn.store.pack.PackId;

/**
 * The key layout of one store in a bucket (docs/S3.md, "Objects"). Everything lives under the
 * store's prefix, so stores of several daemons (or tenants) never see each other's objects:
 * <pre>
 *   &lt;prefix&gt;/packs/&lt;2 hex&gt;/&lt;16 hex&gt;.pack     sealed packs, byte-identical to local pack files
 *   &lt;prefix&gt;/meta/files/&lt;sha-256 hex&gt;        metadata backup files, content-addressed
 *   &lt;prefix&gt;/meta/backups/&lt;20 digits&gt;.backup   backup descriptors, numbered, written last
 * </pre>
 * Immutable and thread-safe.
 */
public final class ObjectKeys {
    private static final String PACKS = "packs/";
    private static final String FILES = "meta/files/";
    private static final String BACKUPS = "meta/backups/";
    private static final String BACKUP_SUFFIX = ".backup";

    private final String root;

    /** {@code prefix} as normalised by {@link S3Settings}: no leading or trailing slash. */
    public ObjectKeys(String prefix) {
        this.root = prefix.isEmpty() ? "" : prefix + "/";
    }

    public String packsPrefix() {
        return root + PACKS;
    }

    public String pack(PackId id) {
        String hex = id.toHex();
        return root + PACKS + hex.substring(0, 2) + "/" + hex + ".pack";
    }

    /** The pack a key names, or null if the key is not a well-formed pack key under this prefix. */
    public PackId packOf(String key) {
        String p = packsPrefix();
        if (!key.startsWith(p) || key.length() != p.length() + 3 + 16 + 5 || !key.endsWith(".pack")) {
            return null;
        }
        String fan = key.substring(p.length(), p.length() + 2);
        String hex = key.substring(p.length() + 3, p.length() + 19);
        if (key.charAt(p.length() + 2) != '/' || !hex.startsWith(fan) || !hex.matches("[0-9a-f]{16}")) {
            return null;
        }
        return PackId.parse(hex);
    }

    public String filesPrefix() {
        return root + FILES;
    }

    public String file(String sha256Hex) {
        return root + FILES + sha256Hex;
    }

    public String backupsPrefix() {
        return root + BACKUPS;
    }

    public String backup(long number) {
        return root + BACKUPS + String.format("%020d", number) + BACKUP_SUFFIX;
    }

    /** The number of a backup descriptor key, or -1 if it is not one. */
    public long backupNumberOf(String key) {
        String p = backupsPrefix();
        if (!key.startsWith(p) || !key.endsWith(BACKUP_SUFFIX) || key.length() != p.length() + 20 + BACKUP_SUFFIX.length()) {
            return -1;
        }
        String digits = key.substring(p.length(), p.length() + 20);
        return digits.matches("[0-9]{20}") ? Long.parseLong(digits) : -1;
    }

    @Override
    public String toString() {
        return root.isEmpty() ? "(bucket root)" : root;
    }
}
