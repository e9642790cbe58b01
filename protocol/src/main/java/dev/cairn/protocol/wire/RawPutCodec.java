package dev.cairn.protocol.wire;

import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.codec.ByteReader;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;
import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * Byte layouts of the {@link RawPut} family (docs/PROTOCOL.md, "Raw-stream puts"). Reached from
 * {@link MessageCodec} for opcodes it does not know itself; shares its field encodings.
 */
final class RawPutCodec {
    private RawPutCodec() {
    }

    /** Appends the payload of {@code m}; false if {@code m} is not of this family. */
    static boolean encode(Message m, ByteBuf b) {
        if (m instanceof RawPut.Begin r) {
            MessageCodec.meta(b, r.meta());
            MessageCodec.strs(b, r.tags());
            MessageCodec.optManifestId(b, r.parent());
            MessageCodec.bool(b, r.autoDelta());
        } else if (m instanceof RawPut.EntryStart r) {
            b.writeInt(r.session());
            MessageCodec.str(b, r.name());
            b.writeByte(r.kind().code());
        } else if (m instanceof RawPut.Data r) {
            EncodedChunk p = r.payload();
            b.writeInt(r.session());
            b.writeByte(p.codec());
            b.writeInt(p.rawLength());
            b.writeInt(p.length());
            b.writeBytes(p.data(), p.offset(), p.length());
        } else if (m instanceof RawPut.EndEntry r) {
            b.writeInt(r.session());
            MessageCodec.optU64(b, r.size());
        } else if (m instanceof RawPut.Fd r) {
            b.writeInt(r.session());
        } else if (m instanceof RawPut.ReadFd r) {
            MessageCodec.manifestId(b, r.id());
            MessageCodec.str(b, r.entry());
        } else if (m instanceof RawPut.BeginOk r) {
            b.writeInt(r.session());
            MessageCodec.optManifestId(b, r.parent());
        } else if (m instanceof RawPut.DataOk r) {
            MessageCodec.u64(b, r.entryBytes());
        } else if (m instanceof RawPut.EndEntryOk r) {
            MessageCodec.entryHeader(b, r.header());
        } else if (m instanceof RawPut.FdOk r) {
            MessageCodec.u64(b, r.bytes());
        } else if (m instanceof RawPut.ReadFdOk r) {
            MessageCodec.u64(b, r.bytes());
        } else if (!(m instanceof RawPut.EntryOk) && !(m instanceof RawPut.FdReady)) {
            return false;
        }
        return true;
    }

    /** Decodes a payload of this family; null for an opcode it does not know. */
    static Message decode(int op, ByteReader r) {
        return switch (op) {
            case Opcode.RAW_BEGIN -> {
                CheckpointMeta meta = MessageCodec.meta(r);
                List<String> tags = MessageCodec.tags(r);
                ManifestId parent = MessageCodec.optManifestId(r);
                yield new RawPut.Begin(meta, tags, parent, r.bool());
            }
            case Opcode.RAW_ENTRY -> {
                int session = r.i32();
                String name = r.str("entry name");
                EntryHeader.validateName(name);
                yield new RawPut.EntryStart(session, name, EntryKind.ofCode(r.u8()));
            }
            case Opcode.RAW_DATA -> {
                int session = r.i32();
                int codec = r.u8();
                int raw = r.count(RawPut.MAX_RAW_LENGTH, "raw length");
                int len = r.count(r.remaining(), "payload length");
                int off = r.skip(len);
                yield new RawPut.Data(session, new EncodedChunk(codec, raw, r.array(), off, len));
            }
            case Opcode.RAW_END_ENTRY -> new RawPut.EndEntry(r.i32(), MessageCodec.optU64(r, "size"));
            case Opcode.RAW_FD -> new RawPut.Fd(r.i32());
            case Opcode.READ_FD -> {
                ManifestId id = MessageCodec.manifestId(r);
                String entry = r.str("entry name");
                if (!entry.isEmpty()) {
                    EntryHeader.validateName(entry);
                }
                yield new RawPut.ReadFd(id, entry);
            }
            case Opcode.RAW_BEGIN_OK -> new RawPut.BeginOk(r.i32(), MessageCodec.optManifestId(r));
            case Opcode.RAW_ENTRY_OK -> new RawPut.EntryOk();
            case Opcode.FD_READY -> new RawPut.FdReady();
            case Opcode.RAW_DATA_OK -> new RawPut.DataOk(MessageCodec.u64(r, "entry bytes"));
            case Opcode.RAW_END_ENTRY_OK -> new RawPut.EndEntryOk(MessageCodec.entryHeader(r));
            case Opcode.RAW_FD_OK -> new RawPut.FdOk(MessageCodec.u64(r, "bytes"));
            case Opcode.READ_FD_OK -> new RawPut.ReadFdOk(MessageCodec.u64(r, "bytes"));
            default -> null;
        };
    }
}
