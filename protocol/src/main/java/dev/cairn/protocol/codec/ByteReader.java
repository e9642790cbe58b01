package dev.cairn.protocol.codec;

import java.util.Arrays;

/**
 * Reads what {@link ByteWriter} wrote. Every read checks bounds and throws
 * {@link MalformedDataException} (never an index exception) on truncated input, so decoders of
 * untrusted bytes fail with a typed error. Not thread-safe.
 */
public final class ByteReader {
    private final byte[] buf;
    private final int end;
    private int pos;

    public ByteReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    public ByteReader(byte[] buf, int off, int len) {
        this.buf = buf;
        this.pos = off;
        this.end = off + len;
    }

    public int u8() {
        need(1);
        return buf[pos++] & 0xff;
    }

    public int u16() {
        need(2);
        int v = (buf[pos] & 0xff) << 8 | (buf[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    public int i32() {
        need(4);
        int v = (buf[pos] & 0xff) << 24 | (buf[pos + 1] & 0xff) << 16 | (buf[pos + 2] & 0xff) << 8 | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    /** An i32 that must lie in {@code [0, max]}. */
    public int count(int max, String what) {
        int v = i32();
        if (v < 0 || v > max) {
            throw new MalformedDataException(what + " out of range: " + v + " (max " + max + ")");
        }
        return v;
    }

    public long i64() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (buf[pos++] & 0xff);
        }
        return v;
    }

    public double f64() {
        return Double.longBitsToDouble(i64());
    }

    public boolean bool() {
        int v = u8();
        if (v > 1) {
            throw new MalformedDataException("bad boolean byte " + v);
        }
        return v == 1;
    }

    public byte[] bytes(int n) {
        need(n);
        byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return b;
    }

    /** Skips {@code n} bytes and returns the offset where they start in {@link #array()}. */
    public int skip(int n) {
        need(n);
        int at = pos;
        pos += n;
        return at;
    }

    /** A u16-length string, strictly UTF-8 (see {@link Utf8}). */
    public String str() {
        return str("string");
    }

    /**
     * A u16-length string, strictly UTF-8.
     *
     * @param field named in the error if the bytes are not well-formed UTF-8
     */
    public String str(String field) {
        int n = u16();
        need(n);
        String s = Utf8.decode(buf, pos, n, field);
        pos += n;
        return s;
    }

    public byte[] blob(int max) {
        int n = count(max, "blob length");
        return bytes(n);
    }

    public int remaining() {
        return end - pos;
    }

    public int position() {
        return pos;
    }

    public byte[] array() {
        return buf;
    }

    /** @throws MalformedDataException if bytes are left over */
    public void expectEnd(String what) {
        if (pos != end) {
            throw new MalformedDataException(what + ": " + (end - pos) + " unexpected trailing bytes");
        }
    }

    private void need(int n) {
        if (n < 0 || end - pos < n) {
            throw new MalformedDataException("truncated: need " + n + " bytes, " + (end - pos) + " left");
        }
    }
}
