package dev.cairn.s3;

import dev.cairn.store.pack.PackId;

import java.util.HexFormat;

/**
 * The key layout of one prefix in a bucket (docs/S3.md, "Objects"). Everything lives under the
 * prefix, so stores of several daemons (or tenants) on distinct prefixes never see each other's
 * objects:
 * <pre>
 *   &lt;prefix&gt;/owner                                   the store that owns the prefix ({@link OwnerRecord})
 *   &lt;prefix&gt;/packs/&lt;32 hex store&gt;/&lt;16 hex epoch&gt;/&lt;2 hex&gt;/&lt;16 hex&gt;.pack  sealed packs, named by the
 *                                                   store and lease epoch that wrote them
 *   &lt;prefix&gt;/packs/&lt;32 hex store&gt;/&lt;2 hex&gt;/&lt;16 hex&gt;.pack  packs written before keys carried an epoch (epoch 0)
 *   &lt;prefix&gt;/packs/&lt;2 hex&gt;/&lt;16 hex&gt;.pack             packs written before packs carried a store id
 *   &lt;prefix&gt;/meta/files/&lt;sha-256 hex&gt;                metadata backup files, content-addressed
 *   &lt;prefix&gt;/meta/backups/&lt;20 digits&gt;.backup          backup descriptors, numbered, written last
 * </pre>
 * The store id in a pack key is what lets a store tell its own packs from another store's by a
 * listing alone (GC deletes only its own; multipart clean-up aborts only its own); the epoch is
 * what keeps a former holder of the store's lease from deleting what a newer holder wrote (it
 * deletes only keys of epochs up to its own, docs/S3.md "Leases"). {@link #parsePack} returns
 * null for any other form, and such keys are never deleted. Immutable and thread-safe.
 */
public final class ObjectKeys {
    private static final String OWNER = "owner";
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

    /** The owner object of the prefix. */
    public String owner() {
        return root + OWNER;
    }

    /** Where the packs of store {@code storeId} (32 hex) live. */
    public String packsPrefix(String storeId) {
        checkStoreId(storeId);
        return root + PACKS + storeId + "/";
    }

    /** The key of pack {@code id} written by store {@code storeId} (32 hex) holding lease epoch {@code epoch} (positive). */
    public String pack(PackId id, String storeId, long epoch) {
        if (epoch <= 0) {
            throw new IllegalArgumentException("a pack key's epoch must be positive: " + epoch);
        }
        String hex = id.toHex();
        return packsPrefix(storeId) + String.format("%016x", epoch) + "/" + hex.substring(0, 2) + "/" + hex + ".pack";
    }

    /** The key pack {@code id} of store {@code storeId} had before pack keys carried an epoch (read and deleted, never written). */
    public String packWithoutEpoch(PackId id, String storeId) {
        String hex = id.toHex();
        return packsPrefix(storeId) + hex.substring(0, 2) + "/" + hex + ".pack";
    }

    /** The key pack {@code id} had before pack keys carried the store id (read, never written). */
    public String legacyPack(PackId id) {
        String hex = id.toHex();
        return root + PACKS + hex.substring(0, 2) + "/" + hex + ".pack";
    }

    /**
     * A pack key: the pack and the store and epoch that wrote it.
     *
     * @param storeId 32 hex characters, or null for a key without a store id (written before pack
     *                keys carried one)
     * @param epoch   the lease epoch in the key; 0 for keys written before keys carried one
     */
    public record PackKey(PackId id, String storeId, long epoch) {
        public boolean legacy() {
            return storeId == null;
        }
    }

    /** The pack a key names, or null if the key is not a well-formed pack key under this prefix. */
    public PackKey parsePack(String key) {
        String p = packsPrefix();
        if (!key.startsWith(p) || !key.endsWith(".pack")) {
            return null;
        }
        String rest = key.substring(p.length());
        String store = null;
        long epoch = 0;
        if (rest.length() == 32 + 1 + 16 + 1 + 2 + 1 + 16 + 5 || rest.length() == 32 + 1 + 2 + 1 + 16 + 5) {
            store = rest.substring(0, 32);
            if (rest.charAt(32) != '/' || !isStoreId(store)) {
                return null;
            }
            rest = rest.substring(33);
            if (rest.length() == 16 + 1 + 2 + 1 + 16 + 5) {
                String e = rest.substring(0, 16);
                if (rest.charAt(16) != '/' || !e.matches("[0-9a-f]{16}")) {
                    return null;
                }
                epoch = HexFormat.fromHexDigitsToLong(e);
                if (epoch <= 0) {
                    return null;
                }
                rest = rest.substring(17);
            }
        }
        if (rest.length() != 2 + 1 + 16 + 5 || rest.charAt(2) != '/') {
            return null;
        }
        String hex = rest.substring(3, 19);
        if (!hex.startsWith(rest.substring(0, 2)) || !hex.matches("[0-9a-f]{16}")) {
            return null;
        }
        return new PackKey(PackId.parse(hex), store, epoch);
    }

    /** True for a store id as keys and records spell it: 32 lowercase hex characters. */
    public static boolean isStoreId(String s) {
        return s != null && s.length() == 32 && s.matches("[0-9a-f]{32}");
    }

    private static void checkStoreId(String s) {
        if (!isStoreId(s)) {
            throw new IllegalArgumentException("not a store id (32 lowercase hex characters): " + s);
        }
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
