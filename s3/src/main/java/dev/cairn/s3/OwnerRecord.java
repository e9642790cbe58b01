package dev.cairn.s3;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * The owner object of a prefix ({@code <prefix>/owner}, docs/S3.md "Ownership"): which store
 * the prefix belongs to. Text, so an operator can read it:
 * <pre>
 *   CAIRN-OWNER 1
 *   store 0f3a...                  the owning store's id (32 hex), from its config record
 *   host build-7                   informational: the host that claimed it
 *   claimed 2026-12-04T18:40:00Z   informational: when (never read for any decision)
 *   crc32c 1a2b3c4d                CRC32C of all bytes before this line
 * </pre>
 * Only {@code store} decides anything. A later version adds a lease (epoch) as further lines
 * under a new magic; this one refuses a record of another version rather than guess.
 *
 * @param storeId the owning store's id (32 lowercase hex)
 * @param host    the host name of the daemon that claimed the prefix (informational)
 * @param claimed when it claimed it, by that host's clock (informational)
 */
public record OwnerRecord(String storeId, String host, Instant claimed) {
    static final String MAGIC = "CAIRN-OWNER 1";

    public OwnerRecord {
        if (!ObjectKeys.isStoreId(storeId)) {
            throw new IllegalArgumentException("not a store id: " + storeId);
        }
        host = host == null || host.isBlank() ? "unknown" : host.replaceAll("[^A-Za-z0-9._:-]", "_");
        if (host.length() > 255) {
            host = host.substring(0, 255);
        }
    }

    /** A record for store {@code storeId}, claimed now by this host. */
    static OwnerRecord ofThisHost(String storeId) {
        return new OwnerRecord(storeId, hostName(), Instant.now());
    }

    byte[] encode() {
        String body = MAGIC + "\nstore " + storeId + "\nhost " + host + "\nclaimed " + claimed + "\n";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return (body + "crc32c " + HexFormat.of().toHexDigits(crc(b)) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses and checks an owner object.
     *
     * @throws IllegalArgumentException naming what is wrong (not an owner object, another
     *                                  version, a checksum mismatch, a malformed line)
     */
    static OwnerRecord decode(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        if (!text.startsWith("CAIRN-OWNER ")) {
            throw new IllegalArgumentException("not a Cairn owner object");
        }
        if (!text.startsWith(MAGIC + "\n")) {
            throw new IllegalArgumentException("owner object of an unsupported version: " + text.split("\n", 2)[0]
                    + " (this Cairn reads " + MAGIC + "; a newer Cairn owns this prefix)");
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
        if (lines.length != 4) {
            throw new IllegalArgumentException("owner object has " + lines.length + " lines before its checksum, not 4");
        }
        try {
            return new OwnerRecord(field(lines, 1, "store"), field(lines, 2, "host"),
                    Instant.parse(field(lines, 3, "claimed")));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("owner object: malformed claimed time: " + e.getMessage(), e);
        }
    }

    /** For messages: the store, and where and when it claimed the prefix. */
    String describe() {
        return "store " + storeId + " (claimed by host " + host + " at " + claimed + ")";
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
