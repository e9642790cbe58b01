package dev.cairn.server.tenant;

import dev.cairn.s3.OwnerRecord;
import dev.cairn.s3.S3Stores;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.DaemonConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * {@code cairnd --take-over-prefix}: makes every tenant's store the owner of its S3 prefix,
 * whichever store owned it (docs/S3.md, "Taking over a prefix"), before the daemon opens the
 * stores. For an operator who made sure the old owner is gone; each replaced owner is logged.
 */
public final class PrefixTakeOver {
    private static final Logger log = LoggerFactory.getLogger(PrefixTakeOver.class);

    private PrefixTakeOver() {
    }

    /** Takes over the prefix of every tenant of {@code config}; needs {@code s3:}. */
    public static void takeOverAll(DaemonConfig config) throws IOException {
        if (config.s3() == null) {
            throw new ConfigException("--take-over-prefix needs an 's3:' section in the config: it says which bucket"
                    + " and prefix to take over");
        }
        for (String name : TenantRegistry.namesOf(config)) {
            OwnerRecord old = S3Stores.takeOver(TenantRegistry.dirOf(config.data(), name), config.store(),
                    TenantRegistry.s3Of(config, name));
            if (old != null) {
                log.warn("tenant {}: took over {} from {}", name, TenantRegistry.s3Of(config, name), old.storeId());
            }
        }
    }
}
