package dev.cairn.server.net;

import dev.cairn.protocol.manifest.ManifestHeader;
import dev.cairn.protocol.wire.Message.BeginPut;
import dev.cairn.server.tenant.Tenant;
import dev.cairn.store.CheckpointWriter;
import dev.cairn.store.EntryBuilder;
import dev.cairn.protocol.manifest.Patch;
import dev.cairn.store.PutSession;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A put session opened over the wire: the store's {@link PutSession} plus what the protocol adds
 * (mode, open entry, buffered patches). Its requests run one at a time through {@link #queue}, so
 * the fields need no locking: each task happens-after the previous one.
 */
final class ServerSession {
    /** Internal mode of a raw-stream session (RAW_BEGIN); not a BEGIN_PUT mode on the wire. */
    static final int MODE_RAW = 2;
    final int id;
    final int mode;
    final Tenant tenant;
    final PutSession put;
    /** The parent's header in a delta (mode 1) session, to check patches as they arrive. */
    final ManifestHeader parentHeader;
    final long startNanos = System.nanoTime();
    final SerialQueue queue;
    private final AtomicBoolean ended = new AtomicBoolean();
    /** A raw-stream session's writer (the store's ingest cuts, hashes and dedups); null otherwise. */
    final CheckpointWriter raw;

    EntryBuilder entry;
    String entryName;
    long entryChunks;
    long entryBytes;
    final List<Patch> patches = new ArrayList<>();
    long patchBytes;

    ServerSession(int id, int mode, Tenant tenant, PutSession put, ManifestHeader parentHeader, Executor pool) {
        this.id = id;
        this.mode = mode;
        this.tenant = tenant;
        this.put = put;
        this.parentHeader = parentHeader;
        this.queue = new SerialQueue(pool);
        this.raw = null;
    }

    /** A raw-stream session. */
    ServerSession(int id, Tenant tenant, CheckpointWriter raw, Executor pool) {
        this.id = id;
        this.mode = MODE_RAW;
        this.tenant = tenant;
        this.put = raw.session();
        this.parentHeader = null;
        this.queue = new SerialQueue(pool);
        this.raw = raw;
    }

    boolean isRaw() {
        return raw != null;
    }

    boolean isDelta() {
        return mode == BeginPut.MODE_PATCHES;
    }

    boolean ended() {
        return ended.get();
    }

    /** Marks the session ended; true for the one caller that does it. */
    boolean end() {
        return ended.compareAndSet(false, true);
    }
}
