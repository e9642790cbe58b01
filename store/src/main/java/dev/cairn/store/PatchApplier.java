package dev.cairn.store;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.Chunker;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.manifest.Patch;
import dev.cairn.store.manifest.RefCursor;
import dev.cairn.store.manifest.StoredManifest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a checkpoint from a parent plus byte-range patches without touching the parent's
 * unchanged bytes. Untouched chunks are copied by reference. Around each patch the content is
 * re-chunked from the parent chunk boundary before it until a new cut lands on a parent boundary
 * past the patch: from such a point on, content and cut decisions equal the parent's (cuts depend
 * only on the bytes since the previous cut), so the result is exactly what chunking the whole
 * patched file would give, and dedups with it.
 */
final class PatchApplier {
    private final Repository repo;
    private final PutSession session;
    private final Chunker chunker;
    private final ChunkEncoder encoder;

    PatchApplier(Repository repo, PutSession session) {
        this.repo = repo;
        this.session = session;
        this.chunker = repo.chunker();
        this.encoder = new ChunkEncoder(repo.options().compression());
    }

    void apply(List<Patch> patches) throws IOException {
        StoredManifest parent = repo.manifests().get(session.parent());
        Map<String, List<Patch>> byEntry = new HashMap<>();
        for (Patch p : patches) {
            int i = parent.header().indexOf(p.entry());
            if (i < 0 || parent.header().entries().get(i).kind() != EntryKind.FILE) {
                throw new CairnException(Status.BAD_REQUEST, "patch names entry '" + p.entry()
                        + "', which is not a file of parent " + parent.id().shortHex());
            }
            long size = parent.header().entries().get(i).size();
            if (p.offset() > size) {
                throw new CairnException(Status.BAD_REQUEST, "patch at offset " + p.offset() + " is past the end ("
                        + size + ") of entry '" + p.entry() + "'");
            }
            byEntry.computeIfAbsent(p.entry(), k -> new ArrayList<>()).add(p);
        }
        for (List<Patch> ps : byEntry.values()) {
            ps.sort(Comparator.comparingLong(Patch::offset));
            for (int k = 1; k < ps.size(); k++) {
                if (ps.get(k).offset() < ps.get(k - 1).end()) {
                    throw new CairnException(Status.BAD_REQUEST, "patches overlap in entry '" + ps.get(k).entry()
                            + "' at offset " + ps.get(k).offset());
                }
            }
        }
        List<EntryHeader> entries = parent.header().entries();
        for (int i = 0; i < entries.size(); i++) {
            EntryHeader e = entries.get(i);
            if (e.kind() == EntryKind.DIRECTORY) {
                session.directory(e.name());
                continue;
            }
            EntryBuilder out = session.entry(e.name());
            RefCursor cur = repo.manifests().cursor(parent, i);
            List<Patch> ps = byEntry.getOrDefault(e.name(), List.of());
            if (ps.isEmpty()) {
                ChunkRef r;
                while ((r = cur.next()) != null) {
                    out.add(r);
                }
            } else {
                patchEntry(cur, e.size(), ps, out);
            }
            out.finish();
        }
    }

    private void patchEntry(RefCursor cur, long size, List<Patch> ps, EntryBuilder out) throws IOException {
        long off = 0;
        ChunkRef r = cur.next();
        int pi = 0;
        while (pi < ps.size()) {
            Patch first = ps.get(pi);
            while (r != null && off + r.length() <= first.offset()) {
                out.add(r);
                off += r.length();
                r = cur.next();
            }
            // Re-chunk from the parent boundary at `off`.
            Rechunk rc = new Rechunk(off);
            long patchedUpTo = 0;
            boolean synced = false;
            while (r != null) {
                // A private copy: the patches are written over it.
                byte[] data = repo.chunks().read(r.id(), false).clone();
                if (data.length != r.length()) {
                    throw new CairnException(Status.CORRUPT, "chunk " + r.id().shortHex() + " has " + data.length
                            + " bytes, expected " + r.length());
                }
                long end = off + data.length;
                while (pi < ps.size() && ps.get(pi).offset() < end) {
                    Patch p = ps.get(pi);
                    overlay(data, off, p);
                    patchedUpTo = Math.max(patchedUpTo, p.end());
                    if (p.end() > end) {
                        break; // continues into the next parent chunk (or past the end)
                    }
                    pi++;
                }
                rc.feed(data, r);
                off = end;
                r = cur.next();
                long cut = rc.drain(false, out, patchedUpTo);
                if (cut >= 0) {
                    synced = true;
                    break;
                }
            }
            if (!synced) {
                // Reached the end of the parent entry: append what patches add past it, then flush.
                while (pi < ps.size()) {
                    Patch p = ps.get(pi++);
                    if (p.end() > size) {
                        int from = (int) Math.max(0, size - p.offset());
                        rc.feedTail(p.data(), from, p.data().length - from);
                    }
                }
                rc.drain(true, out, Long.MAX_VALUE);
                return;
            }
        }
        while (r != null) {
            out.add(r);
            r = cur.next();
        }
    }

    private static void overlay(byte[] data, long dataOff, Patch p) {
        long from = Math.max(dataOff, p.offset());
        long to = Math.min(dataOff + data.length, p.end());
        if (from < to) {
            System.arraycopy(p.data(), (int) (from - p.offset()), data, (int) (from - dataOff), (int) (to - from));
        }
    }

    /** Re-chunking state: buffered new content and the parent refs fed since the last cut. */
    private final class Rechunk {
        private byte[] buf = new byte[2 * chunker.params().maxSize()];
        private int start;
        private int limit;
        private long bufOffset;
        private final List<ChunkRef> fed = new ArrayList<>();
        private final List<Long> fedEnds = new ArrayList<>();

        Rechunk(long offset) {
            this.bufOffset = offset;
        }

        void feed(byte[] data, ChunkRef parentRef) {
            append(data, 0, data.length);
            fed.add(parentRef);
            fedEnds.add(bufOffset + limit - start);
        }

        void feedTail(byte[] data, int off, int len) {
            append(data, off, len);
        }

        /**
         * Emits every chunk that can be decided. Returns the absolute offset where it resynced with
         * the parent (having added the remaining fed refs as copies), or -1.
         */
        long drain(boolean eof, EntryBuilder out, long patchedUpTo) throws IOException {
            while (limit > start) {
                int n = chunker.cut(buf, start, limit - start, eof);
                if (n < 0) {
                    return -1;
                }
                emit(buf, start, n, out);
                start += n;
                bufOffset += n;
                long cutAt = bufOffset;
                // Drop fed refs that end at or before the cut.
                while (!fedEnds.isEmpty() && fedEnds.get(0) <= cutAt) {
                    boolean boundary = fedEnds.get(0) == cutAt;
                    fed.remove(0);
                    fedEnds.remove(0);
                    if (boundary && cutAt >= patchedUpTo && !eof) {
                        // Resynchronised: the rest of what we fed is unmodified parent chunks.
                        for (ChunkRef x : fed) {
                            out.add(x);
                        }
                        return cutAt;
                    }
                }
            }
            return -1;
        }

        private void append(byte[] data, int off, int len) {
            if (limit + len > buf.length) {
                int live = limit - start;
                if (live + len > buf.length) {
                    buf = Arrays.copyOf(Arrays.copyOfRange(buf, start, limit), Math.max(buf.length * 2, live + len));
                } else {
                    System.arraycopy(buf, start, buf, 0, live);
                }
                start = 0;
                limit = live;
            }
            System.arraycopy(data, off, buf, limit, len);
            limit += len;
        }
    }

    private void emit(byte[] data, int off, int len, EntryBuilder out) throws IOException {
        ChunkId id = ChunkId.of(data, off, len);
        // The session's admission declares the chunk before the lookup, as for every put path.
        session.admit(List.of(id))
                .storeMissing(i -> encoder.encode(data, off, len));
        out.add(new ChunkRef(id, len));
    }
}
