package dev.cairn.protocol.wire;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;

import java.util.List;
import java.util.Objects;

/**
 * The raw-stream put family and the descriptor messages of the local socket (docs/PROTOCOL.md,
 * "Raw-stream puts" and "The local socket"). A thin client streams the plain bytes of each entry
 * ({@link Data}, optionally LZ4 per frame) or, on the Unix domain socket, passes an open file or
 * pipe ({@link Fd}); the daemon cuts, hashes and deduplicates with the store's own ingest. The
 * session ends with the ordinary {@link Message.Commit} or {@link Message.Abort}. Byte layouts are
 * in {@link RawPutCodec}.
 */
public final class RawPut {
    /** Largest {@code rawLength} of one {@link Data} frame: the largest chunk a chunker allows. */
    public static final int MAX_RAW_LENGTH = 16 << 20;

    private RawPut() {
    }

    /** Requests of this family that are not session requests. */
    public sealed interface Request extends Message.Request permits Begin, ReadFd {
    }

    /** Requests of this family that act on a raw put session. */
    public sealed interface SessionRequest extends Message.SessionRequest permits EntryStart, Data, EndEntry, Fd {
    }

    /** Responses and parts of this family. */
    public sealed interface Response extends Message.Response permits BeginOk, EntryOk, DataOk, EndEntryOk, FdReady,
            FdOk, ReadFdOk {
    }

    // ------------------------------------------------------------ requests

    /** RAW_BEGIN: opens a raw put session (same fields as BEGIN_PUT without the mode). */
    public record Begin(CheckpointMeta meta, List<String> tags, ManifestId parent, boolean autoDelta) implements Request {
        public Begin {
            Objects.requireNonNull(meta, "meta");
            tags = List.copyOf(tags);
        }

        public int opcode() {
            return Opcode.RAW_BEGIN;
        }
    }

    /** RAW_ENTRY: starts the next entry (names ascending); a directory entry is complete at once. */
    public record EntryStart(int session, String name, EntryKind kind) implements SessionRequest {
        public EntryStart {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
        }

        public int opcode() {
            return Opcode.RAW_ENTRY;
        }
    }

    /** RAW_DATA: the next bytes of the open file entry, raw or as one LZ4 block. */
    public record Data(int session, EncodedChunk payload) implements SessionRequest {
        public Data {
            Objects.requireNonNull(payload, "payload");
            if (payload.codec() != ChunkCodec.RAW && payload.codec() != ChunkCodec.LZ4) {
                throw new IllegalArgumentException("RAW_DATA codec must be 0 (raw) or 1 (LZ4), not " + payload.codec());
            }
            if (payload.rawLength() > MAX_RAW_LENGTH) {
                throw new IllegalArgumentException("RAW_DATA rawLength " + payload.rawLength() + " is over "
                        + MAX_RAW_LENGTH);
            }
            if (payload.codec() == ChunkCodec.RAW && payload.length() != payload.rawLength()) {
                throw new IllegalArgumentException("raw RAW_DATA payload of " + payload.length()
                        + " bytes with rawLength " + payload.rawLength());
            }
        }

        /** Plain bytes. */
        public static Data raw(int session, byte[] b, int off, int len) {
            return new Data(session, new EncodedChunk(ChunkCodec.RAW, len, b, off, len));
        }

        public int opcode() {
            return Opcode.RAW_DATA;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Data d && session == d.session && payload.codec() == d.payload.codec()
                    && payload.rawLength() == d.payload.rawLength()
                    && java.util.Arrays.equals(payload.data(), payload.offset(), payload.offset() + payload.length(),
                    d.payload.data(), d.payload.offset(), d.payload.offset() + d.payload.length());
        }

        @Override
        public int hashCode() {
            return session * 31 + payload.rawLength();
        }

        @Override
        public String toString() {
            return "RawPut.Data[session=" + session + ", codec=" + payload.codec() + ", raw=" + payload.rawLength()
                    + ", payload=" + payload.length() + "]";
        }
    }

    /**
     * RAW_END_ENTRY: ends the open file entry.
     *
     * @param size the entry's length as the client knows it, or null if it does not (a pipe);
     *             the daemon refuses the entry if it received a different number of bytes
     */
    public record EndEntry(int session, Long size) implements SessionRequest {
        public int opcode() {
            return Opcode.RAW_END_ENTRY;
        }
    }

    /**
     * RAW_FD: the open file entry's bytes are those of a file descriptor the client passes over
     * the local socket once the daemon answers {@link FdReady}.
     */
    public record Fd(int session) implements SessionRequest {
        public int opcode() {
            return Opcode.RAW_FD;
        }
    }

    /**
     * READ_FD: write the bytes of file entry {@code entry} ("" for a single stream) of checkpoint
     * {@code id} into the descriptor the client passes once the daemon answers {@link FdReady}.
     */
    public record ReadFd(ManifestId id, String entry) implements Request {
        public ReadFd {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(entry, "entry");
        }

        public int opcode() {
            return Opcode.READ_FD;
        }
    }

    // ----------------------------------------------------------- responses

    public record BeginOk(int session, ManifestId parent) implements Response {
        public int opcode() {
            return Opcode.RAW_BEGIN_OK;
        }
    }

    public record EntryOk() implements Response {
        public int opcode() {
            return Opcode.RAW_ENTRY_OK;
        }
    }

    /** @param entryBytes raw bytes the open entry has received so far */
    public record DataOk(long entryBytes) implements Response {
        public int opcode() {
            return Opcode.RAW_DATA_OK;
        }
    }

    public record EndEntryOk(EntryHeader header) implements Response {
        public int opcode() {
            return Opcode.RAW_END_ENTRY_OK;
        }
    }

    /** Part of a RAW_FD or READ_FD: the daemon now reads the next byte with its descriptor. */
    public record FdReady() implements Response {
        public int opcode() {
            return Opcode.FD_READY;
        }
    }

    /** @param bytes bytes read from the descriptor and added to the open entry */
    public record FdOk(long bytes) implements Response {
        public int opcode() {
            return Opcode.RAW_FD_OK;
        }
    }

    /** @param bytes bytes written into the descriptor */
    public record ReadFdOk(long bytes) implements Response {
        public int opcode() {
            return Opcode.READ_FD_OK;
        }
    }
}
