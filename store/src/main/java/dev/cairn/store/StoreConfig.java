package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.codec.ByteReader;
import dev.cairn.protocol.codec.ByteWriter;
import dev.cairn.protocol.codec.MalformedDataException;

import java.time.Instant;
import java.util.HexFormat;

/**
 * What a store fixes at creation and checks at every open: its format version, its chunker
 * parameters (chunks cut differently would never dedup) and its identity.
 *
 * <p>Encoding (META family, key {@code config}): magic "CAIRNCFG", u16 format version, i32 min,
 * i32 avg, i32 max, i64 created-at millis, 16-byte store id.
 */
public record StoreConfig(int formatVersion, ChunkerParams chunker, Instant createdAt, byte[] storeId) {
    /**
     * The store format this code writes and the newest it reads. 2: the store has a catalog
     * ({@code <data>/catalog/}) that must exist and is checked at every open; a version-1 store
     * gets one at its first open by this code (docs/FORMAT.md, "Catalog").
     */
    public static final int FORMAT_VERSION = 2;
    /** The first format version with a catalog. */
    public static final int CATALOG_VERSION = 2;
    private static final byte[] MAGIC = "CAIRNCFG".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    public byte[] encode() {
        return new ByteWriter().bytes(MAGIC).u16(formatVersion).i32(chunker.minSize()).i32(chunker.avgSize())
                .i32(chunker.maxSize()).i64(createdAt.toEpochMilli()).bytes(storeId).toByteArray();
    }

    public static StoreConfig decode(byte[] v) throws CairnException {
        try {
            ByteReader r = new ByteReader(v);
            if (!java.util.Arrays.equals(r.bytes(8), MAGIC)) {
                throw new CairnException(Status.CORRUPT, "store config record has a wrong magic");
            }
            int version = r.u16();
            if (version > FORMAT_VERSION) {
                throw new CairnException(Status.UNSUPPORTED_VERSION, "this store has format version " + version
                        + ", written by a newer Cairn; this one reads up to " + FORMAT_VERSION + ": upgrade Cairn");
            }
            ChunkerParams p = new ChunkerParams(r.i32(), r.i32(), r.i32());
            return new StoreConfig(version, p, Instant.ofEpochMilli(r.i64()), r.bytes(16));
        } catch (MalformedDataException | IllegalArgumentException e) {
            throw new CairnException(Status.CORRUPT, "store config record is damaged: " + e.getMessage(), e);
        }
    }

    public StoreConfig withFormatVersion(int v) {
        return new StoreConfig(v, chunker, createdAt, storeId);
    }

    public String storeIdHex() {
        return HexFormat.of().formatHex(storeId);
    }
}
