package dev.cairn.client;

import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.RawPut;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The client half of the raw-stream put and of descriptor passing (docs/PROTOCOL.md, "Raw-stream
 * puts", "The local socket"): the daemon cuts, hashes and deduplicates, the client only moves
 * plain bytes, or just hands over an open file.
 */
final class RawPuts {
    /** Plain bytes per RAW_DATA frame. */
    static final int FRAME_BYTES = 1 << 20;
    private static final Field FD_FIELD = fdField();

    private RawPuts() {
    }

    /** Streams {@code in} to its end as a single-stream checkpoint. */
    static PutResult stream(ClientConnection c, PutOptions o, InputStream in, boolean lz4, LongConsumer progress)
            throws IOException {
        int session = begin(c, o);
        long total = 0;
        long sent = 0;
        try {
            int window = Math.max(1, Math.min(16, c.limits().maxInFlight() / 2));
            ArrayDeque<CompletableFuture<Message.Response>> acks = new ArrayDeque<>();
            acks.add(c.call(new RawPut.EntryStart(session, "", EntryKind.FILE)));
            byte[] buf = new byte[FRAME_BYTES];
            byte[] dst = lz4 ? new byte[ChunkCodec.maxEncodedLength(FRAME_BYTES)] : null;
            int n;
            while ((n = in.readNBytes(buf, 0, FRAME_BYTES)) > 0) {
                // Encoded by call() before it returns, so both buffers are free again afterwards.
                EncodedChunk p = lz4 ? ChunkCodec.shared().encode(buf, 0, n, dst, 0)
                        : new EncodedChunk(ChunkCodec.RAW, n, buf, 0, n);
                acks.add(c.call(new RawPut.Data(session, p)));
                total += n;
                sent += p.length();
                if (progress != null) {
                    progress.accept(n);
                }
                while (acks.size() >= window) {
                    CairnClient.await(acks.removeFirst());
                }
            }
            while (!acks.isEmpty()) {
                CairnClient.await(acks.removeFirst());
            }
            CairnClient.await(c.call(new RawPut.EndEntry(session, total)));
            return commit(c, session, sent);
        } catch (IOException | RuntimeException e) {
            abort(c, session);
            throw e;
        }
    }

    /**
     * Puts the bytes of descriptor {@code fd} (a regular file from its offset, or a pipe) as a
     * single-stream checkpoint; {@code size}: the bytes the caller expects, null if unknown.
     */
    static PutResult descriptor(ClientConnection c, PutOptions o, int fd, Long size) throws IOException {
        int session = begin(c, o);
        try {
            CairnClient.await(c.call(new RawPut.EntryStart(session, "", EntryKind.FILE)));
            CairnClient.await(c.callWithFd(new RawPut.Fd(session), fd));
            CairnClient.await(c.call(new RawPut.EndEntry(session, size)));
            return commit(c, session, 0);
        } catch (IOException | RuntimeException e) {
            abort(c, session);
            throw e;
        }
    }

    /** Has the daemon write file entry {@code entry} of {@code id} into {@code fd}; returns the bytes written. */
    static long restore(ClientConnection c, ManifestId id, String entry, int fd) throws IOException {
        RawPut.ReadFdOk ok = (RawPut.ReadFdOk) CairnClient.await(c.callWithFd(new RawPut.ReadFd(id, entry), fd));
        return ok.bytes();
    }

    private static int begin(ClientConnection c, PutOptions o) throws IOException {
        RawPut.BeginOk ok = (RawPut.BeginOk) CairnClient.await(c.call(new RawPut.Begin(o.meta(), List.copyOf(o.tags()),
                o.parent(), o.autoDelta())));
        return ok.session();
    }

    private static PutResult commit(ClientConnection c, int session, long sent) throws IOException {
        Message.CommitOk ok = (Message.CommitOk) CairnClient.await(c.call(new Message.Commit(session)));
        return new PutResult(ok.id(), ok.kind(), ok.logicalBytes(), ok.newBytes(), ok.storedBytes(), ok.chunks(),
                ok.newChunks(), ok.parent(), ok.existed(), 0, sent);
    }

    private static void abort(ClientConnection c, int session) {
        try {
            c.call(new Message.Abort(session)).get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // A failed raw request already ended the session; closing the connection does too.
        }
    }

    /** True if this JVM lets the client read a {@link java.io.FileDescriptor}'s number (see {@link #fd}). */
    static boolean canPassDescriptors() {
        return FD_FIELD != null;
    }

    /**
     * The number of an open descriptor. Java has no public accessor; the field is read
     * reflectively, which needs {@code --add-opens java.base/java.io=ALL-UNNAMED} (bin/cairn
     * passes it). Standard input is 0 without reflection.
     */
    static int fd(java.io.FileDescriptor d) throws CairnClientException {
        if (d == java.io.FileDescriptor.in) {
            return 0;
        }
        if (FD_FIELD == null) {
            throw CairnClientException.local(Status.BAD_REQUEST, "this JVM does not let the client pass file"
                    + " descriptors: run it with --add-opens java.base/java.io=ALL-UNNAMED, or use putStream", null);
        }
        try {
            int n = FD_FIELD.getInt(d);
            if (n < 0) {
                throw CairnClientException.local(Status.BAD_REQUEST, "the file descriptor is closed", null);
            }
            return n;
        } catch (IllegalAccessException e) {
            throw CairnClientException.local(Status.INTERNAL, "cannot read a file descriptor: " + e, e);
        }
    }

    private static Field fdField() {
        try {
            Field f = java.io.FileDescriptor.class.getDeclaredField("fd");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // java.io not opened to us: descriptor passing is off, raw streams still work
        }
    }
}
