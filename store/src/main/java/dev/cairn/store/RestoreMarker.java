package dev.cairn.store;

import dev.cairn.store.pack.FileIo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * The file {@code <data>/meta-restored}: says that {@code meta/} was just restored from a metadata
 * backup (docs/S3.md "Restore") and that the missing catalog is therefore expected, not damage.
 * The restore writes it (synced) before it moves the restored {@code meta/} into place; the first
 * open writes the catalog from the restored database and then deletes it.
 *
 * <p>Text, UTF-8: {@code CAIRN-RESTORED 1}, a line saying what was restored (informational), and
 * {@code crc32c <8 hex>} of the bytes before that line. A file that does not parse is not a
 * marker (the missing catalog is then reported as damage). Stateless, thread-safe.
 */
public final class RestoreMarker {
    public static final String FILE = "meta-restored";
    private static final String MAGIC = "CAIRN-RESTORED 1\n";

    private RestoreMarker() {
    }

    /** Writes the marker into {@code storeDir}, synced (file and directory). */
    public static void write(Path storeDir, String what) throws IOException {
        String body = MAGIC + what.replace('\n', ' ') + "\n";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(b);
        byte[] all = (body + "crc32c " + String.format("%08x", (int) crc.getValue()) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        Files.createDirectories(storeDir);
        Path f = storeDir.resolve(FILE);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            FileIo.writeFully(ch, ByteBuffer.wrap(all), 0);
            ch.force(true);
        }
        FileIo.fsyncDirectory(storeDir);
    }

    /** What the marker in {@code storeDir} says was restored, or null if there is none (or it does not parse). */
    static String read(Path storeDir) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(storeDir.resolve(FILE));
        } catch (NoSuchFileException e) {
            return null;
        }
        String s = new String(all, StandardCharsets.UTF_8);
        int crcAt = s.lastIndexOf("crc32c ");
        if (!s.startsWith(MAGIC) || crcAt < MAGIC.length() || !s.endsWith("\n") || s.length() - crcAt != 16) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(s.substring(0, crcAt).getBytes(StandardCharsets.UTF_8));
        try {
            if ((int) crc.getValue() != (int) HexFormat.fromHexDigits(s, crcAt + 7, crcAt + 15)) {
                return null;
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        return s.substring(MAGIC.length(), crcAt).strip();
    }

    /** Removes the marker (the catalog is written); synced. */
    static void delete(Path storeDir) throws IOException {
        if (Files.deleteIfExists(storeDir.resolve(FILE))) {
            FileIo.fsyncDirectory(storeDir);
        }
    }
}
