package dev.cairn.server.net;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.wire.Message.ErrorReply;
import dev.cairn.store.MissingChunksException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;

/** Maps what a request's work threw to the ERROR the client gets. */
final class Errors {
    private static final Logger log = LoggerFactory.getLogger(Errors.class);
    /** Ids listed in one ERROR at most (32 bytes each: 3.2 MB, well within a frame). */
    static final int MAX_IDS = 100_000;

    private Errors() {
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static ErrorReply toReply(Throwable thrown, String what) {
        Throwable t = unwrap(thrown);
        if (t instanceof MissingChunksException m) {
            return new ErrorReply(Status.MISSING_CHUNKS.code(), m.getMessage(), cap(m.missing()));
        }
        if (t instanceof ChunkMismatchException c) {
            return new ErrorReply(Status.CHUNK_MISMATCH.code(), c.getMessage(), cap(c.ids()));
        }
        if (t instanceof CairnException c) {
            if (c.status() == Status.INTERNAL || c.status() == Status.CORRUPT || c.status() == Status.IO_ERROR) {
                log.warn("{} failed: {}", what, c.toString(), c);
            }
            return new ErrorReply(c.status(), message(c));
        }
        if (t instanceof dev.cairn.store.pack.CorruptPackException c) {
            // Damaged pack bytes met outside the read path (which maps them itself): data, not I/O.
            log.warn("{} failed: {}", what, c.toString(), c);
            return new ErrorReply(Status.CORRUPT, message(c));
        }
        if (t instanceof dev.cairn.gc.policy.PolicyException p) {
            return new ErrorReply(Status.INVALID_POLICY, message(p));
        }
        if (t instanceof IllegalArgumentException || t instanceof IllegalStateException) {
            return new ErrorReply(Status.BAD_REQUEST, message(t));
        }
        if (t instanceof RejectedExecutionException) {
            return new ErrorReply(Status.SHUTTING_DOWN, "the daemon is shutting down");
        }
        if ((t instanceof IOException || t instanceof UncheckedIOException) && dev.cairn.store.pack.FileIo.isNoSpace(t)) {
            log.warn("{} failed: the disk is full: {}", what, t.toString());
            return new ErrorReply(Status.NO_SPACE, "the disk is full on the daemon (" + message(t) + "); `cairn gc`"
                    + " frees space (dead packs first) when the trash has expired");
        }
        if (t instanceof IOException || t instanceof UncheckedIOException) {
            log.warn("{} failed with an I/O error", what, t);
            return new ErrorReply(Status.IO_ERROR, "I/O error on the daemon: " + message(t));
        }
        log.error("{} failed with an unexpected error", what, t);
        return new ErrorReply(Status.INTERNAL, "internal error in cairnd: " + t);
    }

    /** Errors after which a put session's state is unknown: the session is ended. */
    static boolean endsSession(Status s) {
        return s == Status.IO_ERROR || s == Status.NO_SPACE || s == Status.CORRUPT || s == Status.INTERNAL
                || s == Status.SHUTTING_DOWN;
    }

    private static List<ChunkId> cap(List<ChunkId> ids) {
        return ids.size() <= MAX_IDS ? ids : ids.subList(0, MAX_IDS);
    }

    private static String message(Throwable t) {
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
