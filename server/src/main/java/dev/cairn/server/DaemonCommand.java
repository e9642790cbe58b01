package dev.cairn.server;

import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.server.tenant.Tenant;
import dev.cairn.server.tenant.TenantRegistry;
import dev.cairn.store.RebuildReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The command line of {@code bin/cairnd}. Flags override cairn.yaml, which overrides the
 * defaults. Exit status: 0 after a clean shutdown (SIGTERM, SIGINT), 1 if the daemon could not
 * start or did not stop cleanly, 2 for a configuration error, 3 if a store is damaged and was not
 * opened (the message names the damage and what to run; nothing was changed).
 */
@Command(name = "cairnd", mixinStandardHelpOptions = true, versionProvider = DaemonCommand.Version.class,
        description = "The Cairn checkpoint store daemon. With no options it serves ./cairn-data on 127.0.0.1:7433.",
        sortOptions = false)
final class DaemonCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(DaemonCommand.class);
    /** Exit status: a store is damaged (CORRUPT at open) and was not opened. */
    static final int DAMAGED_STORE = 3;

    @Option(names = "--data", paramLabel = "DIR", description = "data directory (default: ./cairn-data, or 'data' in the config)")
    Path data;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "address to listen on (default: 127.0.0.1:7433)")
    String listen;

    @Option(names = "--socket", paramLabel = "PATH|off", description = "local Unix domain socket for same-machine"
            + " clients (default: <data>/cairnd.sock, or 'socket' in the config; off: none)")
    String socket;

    @Option(names = "--config", paramLabel = "FILE", description = "cairn.yaml: tokens, TLS, metrics, limits, store options, retention policies, GC schedule, s3")
    Path config;

    @Option(names = "--rebuild-index", description = "maintenance: restore every tenant's checkpoint metadata from its catalog and rebuild its chunk index from its"
            + " pack footers, print what was found, and exit (the daemon must not be running on the data directory)")
    boolean rebuildIndex;

    @Option(names = "--restore-from-bucket", description = "rebuild the metadata of a lost data directory from the"
            + " newest backup in the s3: bucket, then serve")
    boolean restoreFromBucket;

    @Option(names = "--take-over-prefix", description = "make this data directory's store the owner of its s3: prefix"
            + " although another store owns it, then serve. Only once the other store's daemon is stopped for good:"
            + " two daemons on one prefix destroy each other's data (docs/S3.md)")
    boolean takeOverPrefix;

    DaemonConfig resolveConfig() {
        DaemonConfig c = config == null ? DaemonConfig.defaults() : ConfigLoader.load(config);
        if (data != null) {
            c = c.withData(data);
        }
        if (listen != null) {
            c = c.withListen(DaemonConfig.hostPort("--listen", listen));
        }
        if (socket != null) {
            c = c.withSocket(ConfigLoader.socket(socket, Path.of("")));
        }
        return c;
    }

    @Override
    public Integer call() {
        if (rebuildIndex) {
            return rebuildIndexes();
        }
        // Registered before the start so that a SIGTERM arriving while stores open still gets a
        // clean stop once the start completes. The hook ends the process itself (halt) so that
        // the exit status says whether the shutdown was clean rather than which signal arrived.
        CompletableFuture<CairnDaemon> started = new CompletableFuture<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            CairnDaemon d = started.join();
            if (d == null) {
                return; // the start failed: keep the exit status main chose
            }
            boolean clean = d.stop();
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(clean ? 0 : 1);
        }, "cairnd-shutdown"));
        try {
            DaemonConfig c = resolveConfig();
            if (restoreFromBucket) {
                dev.cairn.server.tenant.BucketRestore.restoreAll(c);
            }
            if (takeOverPrefix) {
                dev.cairn.server.tenant.PrefixTakeOver.takeOverAll(c);
            }
            started.complete(CairnDaemon.start(c));
        } catch (ConfigException e) {
            started.complete(null);
            System.err.println("cairnd: " + e.getMessage());
            return 2;
        } catch (IOException | RuntimeException e) {
            started.complete(null);
            System.err.println("cairnd: cannot start: " + e.getMessage());
            log.debug("start failed", e);
            // A damaged store is not a failure a restart fixes: its own status, so that a service
            // manager can stop restarting and an operator is told to run the maintenance named.
            return e instanceof dev.cairn.protocol.CairnException ce && ce.status() == dev.cairn.protocol.Status.CORRUPT
                    ? DAMAGED_STORE : 1;
        }
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** Opens each tenant's store, rebuilds its chunk index, reports; exit 0 only if nothing is missing. */
    private int rebuildIndexes() {
        DaemonConfig c;
        try {
            c = resolveConfig();
        } catch (ConfigException e) {
            System.err.println("cairnd: " + e.getMessage());
            return 2;
        }
        int status = 0;
        // Checkpoints restored from the catalog whose chunks are in no pack are marked damaged
        // instead of keeping the store from opening (docs/FORMAT.md, "Catalog: recovery at open").
        c = c.withStore(c.store().withMarkDamagedOnOpen(true));
        try (TenantRegistry tenants = TenantRegistry.open(c)) {
            for (Tenant t : tenants.all()) {
                RebuildReport r = t.repo().rebuildIndex();
                System.out.printf("tenant %s: %d packs read (%d recovered), %d chunks indexed, %d duplicates, "
                        + "%d unreadable packs, %d referenced chunks still missing%n", t.name(), r.packs(), r.recovered(),
                        r.chunks(), r.duplicates(), r.unreadable().size(), r.missingReferenced());
                r.unreadable().forEach(u -> System.out.println("  unreadable: " + u));
                r.damaged().forEach(d -> System.out.println("  damaged (intact records indexed, file kept as it is): " + d));
                if (r.restored() > 0 || r.markedDamaged() > 0) {
                    System.out.printf("  %d changes restored from the catalog, %d checkpoints marked damaged%n",
                            r.restored(), r.markedDamaged());
                }
                if (!r.unreadable().isEmpty() || !r.damaged().isEmpty() || r.missingReferenced() > 0) {
                    status = 1;
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("cairnd: index rebuild failed: " + e.getMessage());
            return 1;
        }
        return status;
    }

    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {CairnDaemon.version()};
        }
    }
}
