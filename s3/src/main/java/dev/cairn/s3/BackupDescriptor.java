package dev.cairn.s3;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * What one metadata backup consists of: the object that completes it, written after every file
 * it names is in the bucket (docs/S3.md, "Metadata backup"). Text, so an operator can read it:
 * <pre>
 *   CAIRN-BACKUP 1
 *   number 42                      backup number, increasing per prefix
 *   sequence 123456                RocksDB sequence number the backup includes (at least)
 *   store 0f3a...                  store id (hex), from the store's config record
 *   files 7
 *   &lt;sha-256 hex&gt; &lt;size&gt; &lt;name&gt;     one line per file of the RocksDB checkpoint
 *   crc32c 1a2b3c4d                CRC32C of all bytes before this line
 * </pre>
 *
 * @param number   backup number
 * @param sequence RocksDB sequence number read before the checkpoint was taken
 * @param storeId  the store's id (hex)
 * @param files    the checkpoint's files
 */
public record BackupDescriptor(long number, long sequence, String storeId, List<FileEntry> files) {
    static final String MAGIC = "CAIRN-BACKUP 1";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");

    /** One file of the checkpoint, stored as object {@code meta/files/<sha256>}. */
    public record FileEntry(String name, long size, String sha256) {
        public FileEntry {
            if (!NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
                throw new IllegalArgumentException("not a plain RocksDB file name: " + name);
            }
            if (!SHA.matcher(sha256).matches() || size < 0) {
                throw new IllegalArgumentException("bad file entry for " + name);
            }
        }
    }

    public BackupDescriptor {
        files = List.copyOf(files);
    }

    /** Total bytes of the files. */
    public long bytes() {
        return files.stream().mapToLong(FileEntry::size).sum();
    }

    byte[] encode() {
        StringBuilder b = new StringBuilder();
        b.append(MAGIC).append('\n');
        b.append("number ").append(number).append('\n');
        b.append("sequence ").append(sequence).append('\n');
        b.append("store ").append(storeId).append('\n');
        b.append("files ").append(files.size()).append('\n');
        for (FileEntry f : files) {
            b.append(f.sha256()).append(' ').append(f.size()).append(' ').append(f.name()).append('\n');
        }
        byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
        String crc = "crc32c " + HexFormat.of().toHexDigits(crc(body, body.length)) + "\n";
        byte[] out = new byte[body.length + crc.length()];
        System.arraycopy(body, 0, out, 0, body.length);
        System.arraycopy(crc.getBytes(StandardCharsets.US_ASCII), 0, out, body.length, crc.length());
        return out;
    }

    /**
     * Parses and checks a descriptor.
     *
     * @throws IllegalArgumentException naming what is wrong (not a descriptor, a newer version,
     *                                  a checksum mismatch, a malformed line)
     */
    static BackupDescriptor decode(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        if (!text.startsWith("CAIRN-BACKUP ")) {
            throw new IllegalArgumentException("not a Cairn backup descriptor");
        }
        if (!text.startsWith(MAGIC + "\n")) {
            throw new IllegalArgumentException("backup descriptor of an unsupported version: "
                    + text.substring(0, Math.min(text.length(), 20)).split("\n")[0] + " (this Cairn reads " + MAGIC + ")");
        }
        int crcLine = text.lastIndexOf("crc32c ");
        if (crcLine < 0 || !text.endsWith("\n")) {
            throw new IllegalArgumentException("backup descriptor is truncated (no crc32c line)");
        }
        byte[] body = text.substring(0, crcLine).getBytes(StandardCharsets.UTF_8);
        String expected = text.substring(crcLine + 7, text.length() - 1);
        String actual = HexFormat.of().toHexDigits(crc(body, body.length));
        if (!actual.equals(expected)) {
            throw new IllegalArgumentException("backup descriptor checksum mismatch: expected " + expected
                    + ", computed " + actual);
        }
        String[] lines = text.substring(0, crcLine).split("\n");
        try {
            long number = Long.parseLong(field(lines, 1, "number"));
            long sequence = Long.parseLong(field(lines, 2, "sequence"));
            String store = field(lines, 3, "store");
            int n = Integer.parseInt(field(lines, 4, "files"));
            if (lines.length != 5 + n) {
                throw new IllegalArgumentException("backup descriptor says " + n + " files but lists " + (lines.length - 5));
            }
            List<FileEntry> files = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String[] p = lines[5 + i].split(" ", 3);
                if (p.length != 3) {
                    throw new IllegalArgumentException("malformed file line: " + lines[5 + i]);
                }
                files.add(new FileEntry(p[2], Long.parseLong(p[1]), p[0]));
            }
            return new BackupDescriptor(number, sequence, store, files);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed backup descriptor: " + e.getMessage(), e);
        }
    }

    private static String field(String[] lines, int i, String name) {
        if (lines.length <= i || !lines[i].startsWith(name + " ")) {
            throw new IllegalArgumentException("backup descriptor line " + (i + 1) + " should be '" + name + " ...'");
        }
        return lines[i].substring(name.length() + 1);
    }

    private static int crc(byte[] b, int len) {
        CRC32C c = new CRC32C();
        c.update(b, 0, len);
        return (int) c.getValue();
    }
}
