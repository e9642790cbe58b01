package dev.cairn.server.tenant;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.s3.S3Settings;
import dev.cairn.s3.S3Stores;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.store.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tokens → tenants, and each tenant's store, opened at startup (so a locked or mismatched store
 * fails the start, not the first request). Tenant {@value Tenant#DEFAULT} lives in the data
 * directory itself; every other tenant in {@code <data>/tenants/<name>/}.
 *
 * <p>Tokens are kept only as SHA-256 digests and compared with {@link MessageDigest#isEqual}
 * against every configured digest without stopping at a match, so neither the comparison nor the
 * position of the match shows in the timing. Tokens are never logged.
 */
public final class TenantRegistry implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(TenantRegistry.class);

    private record TokenDigest(byte[] digest, Tenant tenant) {
    }

    private final Map<String, Tenant> tenants;
    private final List<TokenDigest> digests;

    private TenantRegistry(Map<String, Tenant> tenants, List<TokenDigest> digests) {
        this.tenants = tenants;
        this.digests = digests;
    }

    /** Opens the store of every tenant named in {@code config} (or of "default" without tokens). */
    public static TenantRegistry open(DaemonConfig config) throws IOException {
        Map<String, Tenant> tenants = new LinkedHashMap<>();
        List<TokenDigest> digests = new ArrayList<>();
        try {
            if (config.tokens().isEmpty()) {
                tenants.put(Tenant.DEFAULT, new Tenant(Tenant.DEFAULT, openStore(config, Tenant.DEFAULT)));
            }
            for (Map.Entry<String, String> e : config.tokens().entrySet()) {
                String name = e.getValue();
                Tenant t = tenants.get(name);
                if (t == null) {
                    t = new Tenant(name, openStore(config, name));
                    tenants.put(name, t);
                }
                digests.add(new TokenDigest(sha256(e.getKey()), t));
            }
        } catch (IOException | RuntimeException e) {
            for (Tenant t : tenants.values()) {
                try {
                    t.repo().close();
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        log.info("tenants: {}{}", tenants.keySet(), digests.isEmpty() ? " (no tokens: authentication off)" : "");
        return new TenantRegistry(tenants, digests);
    }

    /**
     * Opens tenant {@code name}'s store: packs on the local disk, or with {@code s3:} in the
     * bucket under the tenant's prefix (the data directory then holds metadata and cache).
     */
    private static Repository openStore(DaemonConfig config, String name) throws IOException {
        Path dir = dirOf(config.data(), name);
        Repository repo = config.s3() == null ? Repository.open(dir, config.store())
                : S3Stores.open(dir, config.store(), s3Of(config, name));
        // Headroom for a GC on a full disk (gc.reserve_bytes); skipped while space is short.
        repo.reserve().ensure(config.gc().options().reserveBytes());
        return repo;
    }

    /** The S3 settings of tenant {@code name} (its own prefix), or null without {@code s3:}. */
    public static S3Settings s3Of(DaemonConfig config, String name) {
        return config.s3() == null ? null : config.s3().forTenant(name, name.equals(Tenant.DEFAULT));
    }

    /** The tenants {@code config} serves: "default" without tokens, else every tenant a token names. */
    public static java.util.Set<String> namesOf(DaemonConfig config) {
        java.util.Set<String> names = new java.util.LinkedHashSet<>();
        if (config.tokens().isEmpty()) {
            names.add(Tenant.DEFAULT);
        }
        names.addAll(config.tokens().values());
        return names;
    }

    /** Where tenant {@code name}'s store lives. */
    public static Path dirOf(Path data, String name) {
        return name.equals(Tenant.DEFAULT) ? data : data.resolve("tenants").resolve(name);
    }

    /**
     * The tenant {@code token} belongs to, or null. Without configured tokens every client is
     * tenant {@value Tenant#DEFAULT}, whatever token it sends.
     */
    public Tenant authenticate(String token) {
        if (digests.isEmpty()) {
            return tenants.get(Tenant.DEFAULT);
        }
        byte[] presented = sha256(token);
        Tenant match = null;
        for (TokenDigest d : digests) {
            // No early exit: every digest is compared, whichever one matches.
            if (MessageDigest.isEqual(presented, d.digest())) {
                match = d.tenant();
            }
        }
        return match;
    }

    public Collection<Tenant> all() {
        return tenants.values();
    }

    private static byte[] sha256(String s) {
        return ChunkId.newDigest().digest(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Closes every store (each aborts its open sessions and seals its pack first). */
    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Tenant t : tenants.values()) {
            try {
                t.repo().close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
