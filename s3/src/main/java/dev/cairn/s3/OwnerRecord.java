package dev.cairn.s3;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * The owner object of a prefix ({@code <prefix>/owner}, docs/S3.md "Ownership" and "Leases"):
 * which store the prefix belongs to and, from version 2 on, the lease its daemon holds. Text, so
 * an operator can read it:
 * <pre>
 *   CAIRN-OWNER 2
 *   store 0f3a...                  the owning store's id (32 hex), from its config record
 *   epoch 7                        fencing epoch: one more at every acquisition of the lease
 *   holder 5be1...                 the data directory holding the lease (32 hex, a local file of it)
 *   lease_ms 30000                 how long the lease lasts after a renewal, by the holder's clock
 *   renewal 42                     renewals within this epoch (every renewal is a new object, so a new ETag)
 *   state held                     held, or released (a clean shutdown: a taker need not wait)
 *   host build-7                   informational: the host of the holder
 *   claimed 2026-12-04T18:40:00Z   informational: when, by that host's clock (never read for a decision)
 *   crc32c 1a2b3c4d                CRC32C of all bytes before this line
 * </pre>
 * Version 1 (written by the previous build) has only {@code store}, {@code host} and
 * {@code claimed}; it decodes with epoch 0 and no holder, and is still written by tests that
 * forge an old owner. Any other version, or a wrong checksum, is refused rather than guessed at.
 *
 * @param storeId     the owning store's id (32 lowercase hex)
 * @param epoch       the lease's fencing epoch, 0 for a version-1 record (no lease)
 * @param holder      the holder's id (32 lowercase hex), null for a version-1 record
 * @param leaseMillis how long the lease lasts after each renewal (0 for version 1)
 * @param renewal     renewals within the epoch
 * @param released    the holder released the lease at a clean shutdown (a taker need not wait)
 * @param host        the host name of the daemon that claimed the prefix (informational)
 * @param claimed     when it claimed it, by that host's clock (informational)
 */
public record OwnerRecord(String storeId, long epoch, String holder, long leaseMillis, long renewal,
                          boolean released, String host, Instant claimed) {
    static final String MAGIC_V1 = "CAIRN-OWNER 1";
    static final String MAGIC = "CAIRN-OWNER 2";
    /** The longest lease a record may declare: a waiting taker never waits longer than this (plus margin). */
    static final long MAX_LEASE_MILLIS = 3_600_000;

    public OwnerRecord {
        if (!ObjectKeys.isStoreId(storeId)) {
            throw new IllegalArgumentException("not a store id: " + storeId);
        }
        if (epoch < 0 || renewal < 0) {
            throw new IllegalArgumentException("negative epoch or renewal");
        }
        if (epoch > 0 && (!ObjectKeys.isStoreId(holder) || leaseMillis <= 0 || leaseMillis > MAX_LEASE_MILLIS)) {
            throw new IllegalArgumentException("a lease needs a holder id (32 hex) and a duration within 1 ms..1 h");
        }
        host = host == null || host.isBlank() ? "unknown" : host.replaceAll("[^A-Za-z0-9._:-]", "_");
        if (host.length() > 255) {
            host = host.substring(0, 255);
        }
    }

    /** A version-1 record (no lease), as the previous build wrote it. */
    public OwnerRecord(String storeId, String host, Instant claimed) {
        this(storeId, 0, null, 0, 0, false, host, claimed);
    }

    /** A version-1 record for store {@code storeId}, claimed now by this host. */
    static OwnerRecord ofThisHost(String storeId) {
        return new OwnerRecord(storeId, hostName(), Instant.now());
    }

    /** A lease of {@code storeId} at {@code epoch} held by {@code holder}, claimed now by this host. */
    static OwnerRecord lease(String storeId, long epoch, String holder, long leaseMillis) {
        return new OwnerRecord(storeId, epoch, holder, leaseMillis, 0, false, hostName(), Instant.now());
    }

    /** This record renewed once more (same epoch and holder). */
    OwnerRecord renewed() {
        return new OwnerRecord(storeId, epoch, holder, leaseMillis, renewal + 1, false, host, claimed);
    }

    /** This record released by its holder (a clean shutdown). */
    OwnerRecord releasedNow() {
        return new OwnerRecord(storeId, epoch, holder, leaseMillis, renewal + 1, true, host, claimed);
    }

    /** Whether this record carries a lease (version 2). */
    boolean isLease() {
        return epoch > 0;
    }

    byte[] encode() {
        String body = isLease()
                ? MAGIC + "\nstore " + storeId + "\nepoch " + epoch + "\nholder " + holder + "\nlease_ms " + leaseMillis
                        + "\nrenewal " + renewal + "\nstate " + (released ? "released" : "held") + "\nhost " + host
                        + "\nclaimed " + claimed + "\n"
                : MAGIC_V1 + "\nstore " + storeId + "\nhost " + host + "\nclaimed " + claimed + "\n";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return (body + "crc32c " + HexFormat.of().toHexDigits(crc(b)) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses and checks an owner object (version 1 or 2).
     *
     * @throws IllegalArgumentException naming what is wrong (not an owner object, another
     *                                  version, a checksum mismatch, a malformed line)
     */
    static OwnerRecord decode(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        if (!text.startsWith("CAIRN-OWNER ")) {
            throw new IllegalArgumentException("not a Cairn owner object");
        }
        boolean v2 = text.startsWith(MAGIC + "\n");
        if (!v2 && !text.startsWith(MAGIC_V1 + "\n")) {
            throw new IllegalArgumentException("owner object of an unsupported version: " + text.split("\n", 2)[0]
                    + " (this Cairn reads " + MAGIC_V1 + " and " + MAGIC + "; a newer Cairn owns this prefix)");
        }
        int crcLine = text.lastIndexOf("crc32c ");
        if (crcLine < 0 || !text.endsWith("\n")) {
            throw new IllegalArgumentException("owner object is truncated (no crc32c line)");
        }
        byte[] body = text.substring(0, crcLine).getBytes(StandardCharsets.UTF_8);
        String expected = text.substring(crcLine + 7, text.length() - 1);
        String actual = HexFormat.of().toHexDigits(crc(body));
        if (!actual.equals(expected)) {
            throw new IllegalArgumentException("owner object checksum mismatch: expected " + expected + ", computed "
                    + actual);
        }
        String[] lines = text.substring(0, crcLine).split("\n");
        int want = v2 ? 9 : 4;
        if (lines.length != want) {
            throw new IllegalArgumentException("owner object has " + lines.length + " lines before its checksum, not "
                    + want);
        }
        try {
            if (!v2) {
                return new OwnerRecord(field(lines, 1, "store"), field(lines, 2, "host"),
                        Instant.parse(field(lines, 3, "claimed")));
            }
            long epoch = Long.parseLong(field(lines, 2, "epoch"));
            if (epoch <= 0) {
                throw new IllegalArgumentException("owner object: epoch must be positive, is " + epoch);
            }
            String state = field(lines, 6, "state");
            if (!state.equals("held") && !state.equals("released")) {
                throw new IllegalArgumentException("owner object: state must be held or released, is " + state);
            }
            return new OwnerRecord(field(lines, 1, "store"), epoch, field(lines, 3, "holder"),
                    Long.parseLong(field(lines, 4, "lease_ms")), Long.parseLong(field(lines, 5, "renewal")),
                    state.equals("released"), field(lines, 7, "host"), Instant.parse(field(lines, 8, "claimed")));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("owner object: malformed claimed time: " + e.getMessage(), e);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("owner object: malformed number: " + e.getMessage(), e);
        }
    }

    /** For messages: the store, and where and when it claimed the prefix. */
    String describe() {
        return "store " + storeId + " (claimed by host " + host + " at " + claimed
                + (isLease() ? ", lease epoch " + epoch + (released ? " released by " : " held by ") + holder : "") + ")";
    }

    private static String field(String[] lines, int i, String name) {
        if (!lines[i].startsWith(name + " ")) {
            throw new IllegalArgumentException("owner object line " + (i + 1) + " should be '" + name + " ...'");
        }
        return lines[i].substring(name.length() + 1);
    }

    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b, 0, b.length);
        return (int) c.getValue();
    }

    private static String hostName() {
        String h = System.getenv("HOSTNAME");
        if (h != null && !h.isBlank()) {
            return h;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
