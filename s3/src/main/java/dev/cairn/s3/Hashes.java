package dev.cairn.s3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** MD5 (what S3 ETags and Content-MD5 are made of) and SHA-256 over bytes and file ranges. Stateless. */
final class Hashes {
    private static final int BUFFER = 1 << 20;

    private Hashes() {
    }

    static MessageDigest digest(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(alg + " is missing from this JDK", e);
        }
    }

    static byte[] md5(byte[] data) {
        return digest("MD5").digest(data);
    }

    /** The digest {@code alg} of {@code length} bytes of {@code file} from {@code offset}. */
    static byte[] ofFile(String alg, Path file, long offset, long length) throws IOException {
        MessageDigest md = digest(alg);
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(BUFFER, Math.max(1, length)));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = offset;
            long end = offset + length;
            while (pos < end) {
                buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
                int n = ch.read(buf, pos);
                if (n < 0) {
                    throw new IOException(file + " ended at " + pos + " while hashing up to " + end);
                }
                buf.flip();
                md.update(buf);
                pos += n;
            }
        }
        return md.digest();
    }

    /** The ETag S3 gives a single-part upload: the MD5 in hex, quoted. */
    static String etagOf(byte[] md5) {
        return "\"" + HexFormat.of().formatHex(md5) + "\"";
    }

    /** The ETag S3 gives a multipart upload: MD5 of the parts' MD5s, a dash, the part count. */
    static String multipartEtagOf(List<byte[]> partMd5s) {
        MessageDigest md = digest("MD5");
        partMd5s.forEach(md::update);
        return "\"" + HexFormat.of().formatHex(md.digest()) + "-" + partMd5s.size() + "\"";
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
