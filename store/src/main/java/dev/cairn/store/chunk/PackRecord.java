package dev.cairn.store.chunk;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.pack.PackFiles;
import dev.cairn.store.pack.PackIndex;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Value of a {@code packs} record (docs/FORMAT.md, "Pack records"): what the store knows about a
 * pack independently of the file's own bytes, so that a sealed pack whose end was damaged is never
 * mistaken for a crash leftover. Written when a pack's seal becomes durable, backfilled at open for
 * packs sealed by a build that wrote no records, and removed after GC deleted the file.
 *
 * <p>Layout (big-endian like every RocksDB value): u8 version 1, u8 state, u32 record count,
 * u64 footer start, u64 sealed length, u32 footer CRC32C, i64 time (sealed, or found damaged),
 * u16 length + UTF-8 reason (damaged only, at most {@value #MAX_REASON} bytes).
 *
 * @param state       {@link State#SEALED} or {@link State#DAMAGED}
 * @param count       records in the footer (0 if the pack was never seen sealed)
 * @param footerStart end of the last record (0 if never seen sealed)
 * @param sealedLength file length when sealed (0 if never seen sealed)
 * @param footerCrc   the trailer's footer CRC32C
 * @param atMillis    when it was sealed, or found damaged
 * @param reason      what was found damaged ("" for a sealed pack)
 */
public record PackRecord(State state, int count, long footerStart, long sealedLength, int footerCrc, long atMillis,
                         String reason) {
    static final int VERSION = 1;
    static final int FIXED_LENGTH = 1 + 1 + 4 + 8 + 8 + 4 + 8 + 2;
    static final int MAX_REASON = 1000;

    /** Never renumber: the byte is on disk. */
    public enum State {
        /** Sealed and durable: never cut, rewritten or recovered; an end that does not check out is damage. */
        SEALED(1),
        /** Found damaged (sealed or indexed, and its bytes no longer check out); kept exactly as it is. */
        DAMAGED(2);

        final int code;

        State(int code) {
            this.code = code;
        }
    }

    /** The record of a pack whose seal produced {@code index}. */
    public static PackRecord sealed(PackIndex index, long atMillis) {
        return new PackRecord(State.SEALED, index.entries().size(), index.recordsEnd(), index.size(),
                PackFiles.footerCrc(index), atMillis, "");
    }

    /** This record marked damaged, keeping what was known of the seal. */
    public PackRecord damaged(String why, long atMillis) {
        return new PackRecord(State.DAMAGED, count, footerStart, sealedLength, footerCrc, atMillis, why);
    }

    /** A damaged pack the store never saw sealed. */
    public static PackRecord damagedUnsealed(String why, long atMillis) {
        return new PackRecord(State.DAMAGED, 0, 0, 0, 0, atMillis, why);
    }

    public boolean isDamaged() {
        return state == State.DAMAGED;
    }

    public byte[] encode() {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        if (r.length > MAX_REASON) {
            r = Arrays.copyOf(r, MAX_REASON);
            // do not end inside a multi-byte character
            int n = r.length;
            while (n > 0 && (r[n - 1] & 0xc0) == 0x80) {
                n--;
            }
            if (n > 0 && (r[n - 1] & 0x80) != 0) {
                n--;
            }
            r = Arrays.copyOf(r, n);
        }
        byte[] v = new byte[FIXED_LENGTH + r.length];
        v[0] = VERSION;
        v[1] = (byte) state.code;
        Keys.putInt(v, 2, count);
        Keys.putLong(v, 6, footerStart);
        Keys.putLong(v, 14, sealedLength);
        Keys.putInt(v, 22, footerCrc);
        Keys.putLong(v, 26, atMillis);
        v[34] = (byte) (r.length >>> 8);
        v[35] = (byte) r.length;
        System.arraycopy(r, 0, v, FIXED_LENGTH, r.length);
        return v;
    }

    public static PackRecord decode(byte[] v) throws CairnException {
        if (v.length < FIXED_LENGTH || v[0] != VERSION) {
            throw damagedRecord(v);
        }
        State state = switch (v[1]) {
            case 1 -> State.SEALED;
            case 2 -> State.DAMAGED;
            default -> throw damagedRecord(v);
        };
        int reasonLength = (v[34] & 0xff) << 8 | (v[35] & 0xff);
        if (v.length != FIXED_LENGTH + reasonLength) {
            throw damagedRecord(v);
        }
        return new PackRecord(state, getInt(v, 2), Keys.getLong(v, 6), Keys.getLong(v, 14), getInt(v, 22),
                Keys.getLong(v, 26), new String(v, FIXED_LENGTH, reasonLength, StandardCharsets.UTF_8));
    }

    private static CairnException damagedRecord(byte[] v) {
        return new CairnException(Status.CORRUPT, "pack record damaged (length " + v.length + ", version "
                + (v.length > 0 ? v[0] : -1) + ")");
    }

    private static int getInt(byte[] b, int o) {
        return (b[o] & 0xff) << 24 | (b[o + 1] & 0xff) << 16 | (b[o + 2] & 0xff) << 8 | (b[o + 3] & 0xff);
    }
}
