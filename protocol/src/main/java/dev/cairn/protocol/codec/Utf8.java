package dev.cairn.protocol.codec;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding: the one place bytes from the wire (or from a stored record) become a
 * {@link String}. {@code new String(bytes, UTF_8)} would replace a malformed sequence with U+FFFD,
 * so a name sent as {@code ff fe} would be stored, listed and restored as two replacement
 * characters: a different name from the one the client sent. Here malformed input (invalid bytes,
 * overlong forms, encoded surrogates, truncated sequences) is an error that names the field.
 *
 * <p>Thread-safe (a decoder per call; the all-ASCII common case needs none).
 */
public final class Utf8 {
    private Utf8() {
    }

    /**
     * Decodes {@code len} bytes of {@code b} from {@code off}.
     *
     * @param field what the bytes are, for the error ("entry name", "series")
     * @throws MalformedDataException if the bytes are not well-formed UTF-8; the message names
     *                                {@code field}, the byte offset and the offending byte
     */
    public static String decode(byte[] b, int off, int len, String field) {
        int end = off + len;
        int i = off;
        while (i < end && b[i] >= 0) {
            i++;
        }
        if (i == end) {
            return new String(b, off, len, StandardCharsets.ISO_8859_1); // all ASCII: the same chars
        }
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, off, len);
        CharBuffer out = CharBuffer.allocate(len); // UTF-8 never has fewer bytes than UTF-16 chars
        CoderResult r = dec.decode(in, out, true);
        if (!r.isError()) {
            r = dec.flush(out);
        }
        if (r.isError()) {
            int at = in.position() - off;
            throw new MalformedDataException(field + " is not valid UTF-8: malformed byte 0x"
                    + String.format("%02x", b[in.position()] & 0xff) + " at byte " + at + " of " + len);
        }
        out.flip();
        return out.toString();
    }

    /** Decodes all of {@code b}, as by {@link #decode(byte[], int, int, String)}. */
    public static String decode(byte[] b, String field) {
        return decode(b, 0, b.length, field);
    }
}
