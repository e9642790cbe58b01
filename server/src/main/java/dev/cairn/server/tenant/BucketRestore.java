package dev.cairn.server.tenant;

import dev.cairn.s3.BackupDescriptor;
import dev.cairn.s3.S3Stores;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.DaemonConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * {@code cairnd --restore-from-bucket}: rebuilds the metadata of every tenant's store from the
 * newest metadata backup in the bucket (docs/S3.md, "Restore"), before the daemon opens the
 * stores and serves. Refuses a store whose metadata directory already holds a database.
 */
public final class BucketRestore {
    private static final Logger log = LoggerFactory.getLogger(BucketRestore.class);

    private BucketRestore() {
    }

    /** Restores every tenant of {@code config}; needs {@code s3:}. */
    public static void restoreAll(DaemonConfig config) throws IOException {
        if (config.s3() == null) {
            throw new ConfigException("--restore-from-bucket needs an 's3:' section in the config: it says which"
                    + " bucket and prefix to restore from");
        }
        for (String name : TenantRegistry.namesOf(config)) {
            BackupDescriptor d = S3Stores.restore(TenantRegistry.dirOf(config.data(), name),
                    TenantRegistry.s3Of(config, name));
            log.info("tenant {}: restored metadata backup {} from {} (checkpoints committed after it are not part"
                    + " of it; packs they uploaded are collected by the next GC)", name, d.number(),
                    TenantRegistry.s3Of(config, name));
        }
    }
}
