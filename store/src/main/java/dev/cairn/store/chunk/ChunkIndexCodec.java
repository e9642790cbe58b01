package dev.cairn.store.chunk;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.pack.ChunkLocation;
import dev.cairn.store.pack.PackId;

/**
 * Value of a {@code chunks} record: where the chunk lives and the GC epoch in which it was
 * indexed. Layout (34 bytes, big-endian): u8 version=1, u64 pack id, u64 record offset,
 * u32 stored length, u32 raw length, u8 codec, u64 epoch.
 */
public final class ChunkIndexCodec {
    static final int VERSION = 1;
    static final int LENGTH = 34;

    private ChunkIndexCodec() {
    }

    /** An index value: location plus the epoch it was written in. */
    public record Entry(ChunkLocation location, long epoch) {
    }

    public static byte[] encode(ChunkLocation loc, long epoch) {
        byte[] v = new byte[LENGTH];
        v[0] = VERSION;
        Keys.putLong(v, 1, loc.pack().value());
        Keys.putLong(v, 9, loc.offset());
        Keys.putInt(v, 17, loc.storedLength());
        Keys.putInt(v, 21, loc.rawLength());
        v[25] = (byte) loc.codec();
        Keys.putLong(v, 26, epoch);
        return v;
    }

    public static Entry decode(byte[] v) throws CairnException {
        if (v.length != LENGTH || v[0] != VERSION) {
            throw new CairnException(Status.CORRUPT, "chunk index record damaged (length " + v.length + ", version "
                    + (v.length > 0 ? v[0] : -1) + "); rebuild the index with `cairnd --rebuild-index`");
        }
        ChunkLocation loc = new ChunkLocation(new PackId(Keys.getLong(v, 1)), Keys.getLong(v, 9), getInt(v, 17),
                getInt(v, 21), v[25] & 0xff);
        return new Entry(loc, Keys.getLong(v, 26));
    }

    private static int getInt(byte[] b, int o) {
        return (b[o] & 0xff) << 24 | (b[o + 1] & 0xff) << 16 | (b[o + 2] & 0xff) << 8 | (b[o + 3] & 0xff);
    }
}
