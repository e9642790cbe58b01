package dev.cairn.store.manifest;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.codec.ByteReader;
import dev.cairn.protocol.codec.ByteWriter;
import dev.cairn.protocol.codec.MalformedDataException;
import dev.cairn.protocol.manifest.ManifestHeader;
import dev.cairn.protocol.manifest.ManifestId;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes the value of a {@code manifests} record (docs/FORMAT.md, "Manifest records"). Decoding
 * re-hashes the canonical header and compares it with the key, so a damaged or misplaced record
 * is reported as {@link Status#CORRUPT}, never used.
 */
public final class StoredManifestCodec {
    static final int VERSION = 1;
    private static final int KIND_FULL = 0;
    private static final int KIND_DELTA = 1;
    private static final int OP_COPY = 0;
    private static final int OP_NEW = 1;
    /** Most delta ops one manifest may carry; beyond it the store writes a full manifest. */
    public static final int MAX_OPS = 65_536;

    private StoredManifestCodec() {
    }

    public static byte[] encode(StoredManifest m) {
        ByteWriter w = new ByteWriter(64 + m.headerBytes().length + m.opCount() * 21);
        w.u8(VERSION);
        w.u8(m.isDelta() ? KIND_DELTA : KIND_FULL);
        w.blob(m.headerBytes());
        w.bytes(m.storageId());
        if (m.isDelta()) {
            w.bytes(m.parent().toBytes());
            w.u16(m.depth());
        }
        for (EntryBody b : m.bodies()) {
            if (b instanceof EntryBody.Full f) {
                w.i64(f.refs());
            } else {
                EntryBody.Delta d = (EntryBody.Delta) b;
                w.i64(d.newRefs());
                w.i32(d.ops().size());
                for (DeltaOp op : d.ops()) {
                    if (op instanceof DeltaOp.Copy c) {
                        w.u8(OP_COPY).i32(c.parentEntry()).i64(c.start()).i64(c.count());
                    } else {
                        w.u8(OP_NEW).i64(op.count());
                    }
                }
            }
        }
        return w.toByteArray();
    }

    public static StoredManifest decode(ManifestId expectedId, byte[] value) throws CairnException {
        try {
            ByteReader r = new ByteReader(value);
            int version = r.u8();
            if (version > VERSION) {
                throw new CairnException(Status.UNSUPPORTED_VERSION, "manifest " + expectedId.shortHex()
                        + " has format version " + version + "; this Cairn reads up to " + VERSION + ": upgrade Cairn");
            }
            int kind = r.u8();
            byte[] headerBytes = r.blob(64 << 20);
            ManifestId actual = ManifestId.ofHeader(headerBytes);
            if (!actual.equals(expectedId)) {
                throw new CairnException(Status.CORRUPT, "manifest record " + expectedId.shortHex()
                        + " is damaged: its header hashes to " + actual.shortHex());
            }
            ManifestHeader header = ManifestHeader.decode(headerBytes);
            byte[] storageId = r.bytes(16);
            ManifestId parent = null;
            int depth = 0;
            if (kind == KIND_DELTA) {
                parent = ManifestId.fromBytes(r.bytes(32));
                depth = r.u16();
            } else if (kind != KIND_FULL) {
                throw new MalformedDataException("unknown manifest kind " + kind);
            }
            List<EntryBody> bodies = new ArrayList<>(header.entries().size());
            for (int i = 0; i < header.entries().size(); i++) {
                long refs = r.i64();
                if (kind == KIND_FULL) {
                    bodies.add(new EntryBody.Full(refs));
                } else {
                    int n = r.count(MAX_OPS, "op count");
                    List<DeltaOp> ops = new ArrayList<>(n);
                    for (int k = 0; k < n; k++) {
                        int t = r.u8();
                        if (t == OP_COPY) {
                            ops.add(new DeltaOp.Copy(r.i32(), r.i64(), r.i64()));
                        } else if (t == OP_NEW) {
                            ops.add(new DeltaOp.New(r.i64()));
                        } else {
                            throw new MalformedDataException("unknown delta op " + t);
                        }
                    }
                    bodies.add(new EntryBody.Delta(refs, ops));
                }
            }
            r.expectEnd("manifest record");
            return new StoredManifest(expectedId, header, headerBytes, parent, depth, storageId, bodies);
        } catch (MalformedDataException | IllegalArgumentException e) {
            throw new CairnException(Status.CORRUPT, "manifest record " + expectedId.shortHex() + " is damaged: "
                    + e.getMessage(), e);
        }
    }

    /** True if two storage ids are equal. */
    static boolean sameStorage(byte[] a, byte[] b) {
        return Arrays.equals(a, b);
    }
}
