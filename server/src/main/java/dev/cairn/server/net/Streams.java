package dev.cairn.server.net;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.ChunkRef;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Message.CheckpointSummary;
import dev.cairn.protocol.wire.Message.HoldInfo;
import dev.cairn.protocol.wire.Message.LabelInfo;
import dev.cairn.protocol.wire.Message.TrashInfo;
import dev.cairn.protocol.wire.Message.WireChunk;
import dev.cairn.protocol.wire.MessageCodec;
import dev.cairn.server.metrics.Metrics;
import dev.cairn.store.CheckpointInfo;
import dev.cairn.store.Repository;
import dev.cairn.store.manifest.Labels;
import dev.cairn.store.manifest.RefCursor;
import dev.cairn.store.manifest.StoredManifest;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;

/** The streamed responses: READ's chunks, SHOW's entries, LIST's summaries. */
final class Streams {
    /** Payload bytes per part frame the streams aim for: large enough to amortise, small enough to interleave. */
    static final int PART_BYTES = 1 << 20;

    private Streams() {
    }

    /** READ: the entry's chunks as stored, in order, from {@code startChunk}. */
    static final class ReadStream extends ResponseStream {
        private final Message.Read req;
        private final Metrics metrics;
        private final long start = System.nanoTime();
        private Repository repo;
        private RefCursor cursor;
        private ChunkRef heldRef;
        private EncodedChunk heldChunk;
        private long chunks;
        private long bytes;

        ReadStream(Connection conn, int requestId, Message.Read req, Metrics metrics) {
            super(conn, requestId);
            this.req = req;
            this.metrics = metrics;
        }

        private void open() throws CairnException {
            repo = conn.tenant().repo();
            StoredManifest m = repo.manifests().get(req.id());
            int i = m.header().indexOf(req.entry());
            if (i < 0 || m.header().entries().get(i).kind() != EntryKind.FILE) {
                throw new CairnException(Status.NOT_FOUND, "checkpoint " + req.id().shortHex() + " has no file entry '"
                        + req.entry() + "'");
            }
            long count = m.header().entries().get(i).chunkCount();
            if (req.startChunk() > count) {
                throw new CairnException(Status.BAD_REQUEST, "start chunk " + req.startChunk() + " is past the end of"
                        + " entry '" + req.entry() + "' (" + count + " chunks)");
            }
            cursor = repo.manifests().cursor(m, i);
            cursor.seek(req.startChunk());
        }

        @Override
        protected Message nextPart() throws Exception {
            if (cursor == null) {
                open();
            }
            // Never more than the client's frame limit; one chunk always fits (Wire.MIN_MAX_FRAME).
            long limit = Math.min(PART_BYTES, conn.clientMaxFrame() - 64L);
            List<WireChunk> batch = new ArrayList<>();
            long size = MessageCodec.PAGE_OVERHEAD;
            while (true) {
                ChunkRef r;
                EncodedChunk e;
                if (heldRef != null) {
                    r = heldRef;
                    e = heldChunk;
                    heldRef = null;
                    heldChunk = null;
                } else {
                    r = cursor.next();
                    if (r == null) {
                        break;
                    }
                    e = repo.chunks().readEncoded(r.id());
                    if (e.rawLength() != r.length()) {
                        throw new CairnException(Status.CORRUPT, "chunk " + r.id().shortHex() + " is stored with "
                                + e.rawLength() + " bytes, the manifest says " + r.length());
                    }
                }
                long add = MessageCodec.WIRE_CHUNK_OVERHEAD + (long) e.length();
                if (!batch.isEmpty() && size + add > limit) {
                    heldRef = r;
                    heldChunk = e;
                    break;
                }
                batch.add(new WireChunk(r.id(), e));
                size += add;
                chunks++;
                bytes += r.length();
                metrics.readPayloadBytes.add(e.length());
            }
            if (batch.isEmpty()) {
                return null;
            }
            metrics.readChunks.add(batch.size());
            return new Message.ReadData(batch);
        }

        @Override
        protected Message finalMessage() {
            metrics.getLatency.record(System.nanoTime() - start);
            return new Message.ReadOk(chunks, bytes);
        }
    }

    /** Items produced lazily, packed into pages of about {@link #PART_BYTES}. */
    static final class PageStream<T> extends ResponseStream {
        interface Source<T> {
            /** Opens the items (on the pool); throwing ends the response with an error. */
            Iterator<T> open() throws Exception;
        }

        private final Source<T> source;
        private final Function<T, Integer> sizeOf;
        private final Function<List<T>, Message> page;
        private final Function<Long, Message> finish;
        private Pager<T> pager;
        private long sent;
        private boolean sentPage;
        private final boolean atLeastOnePage;

        PageStream(Connection conn, int requestId, Source<T> source, Function<T, Integer> sizeOf,
                   Function<List<T>, Message> page, Function<Long, Message> finish, boolean atLeastOnePage) {
            super(conn, requestId);
            this.source = source;
            this.sizeOf = sizeOf;
            this.page = page;
            this.finish = finish;
            this.atLeastOnePage = atLeastOnePage;
        }

        @Override
        protected Message nextPart() throws Exception {
            if (pager == null) {
                pager = new Pager<>(source.open(), sizeOf::apply);
            }
            List<T> batch = pager.nextPage();
            if (batch.isEmpty() && (sentPage || !atLeastOnePage)) {
                return null;
            }
            sentPage = true;
            sent += batch.size();
            return page.apply(batch);
        }

        @Override
        protected Message finalMessage() {
            return finish.apply(sent);
        }
    }

    static ResponseStream show(Connection conn, int id, Message.Show req) {
        CheckpointInfo[] info = new CheckpointInfo[1];
        return new PageStream<EntryHeader>(conn, id, () -> {
            info[0] = conn.tenant().repo().show(req.id());
            return info[0].header().entries().iterator();
        }, MessageCodec::sizeOf, Message.EntryPage::new, n -> new Message.ShowOk(summary(info[0])), true);
    }

    static ResponseStream list(Connection conn, int id, Message.ListCheckpoints req) {
        return new PageStream<CheckpointSummary>(conn, id, () -> {
            List<CheckpointInfo> all = conn.tenant().repo().list(req.series());
            return all.stream().map(Streams::summary).iterator();
        }, MessageCodec::sizeOf, Message.ListPage::new, Message.ListOk::new, false);
    }

    static CheckpointSummary summary(CheckpointInfo i) {
        Labels l = i.labels();
        List<HoldInfo> holds = new ArrayList<>();
        for (Labels.Hold h : l.holds()) {
            holds.add(new HoldInfo(h.owner(), h.reason(), h.createdAt(), h.expiresAt()));
        }
        TrashInfo trash = l.trash() == null ? null
                : new TrashInfo(l.trash().trashedAt(), l.trash().expiresAt(), l.trash().reason());
        return new CheckpointSummary(i.id(), i.header().meta(), i.kind(), i.parent(), i.depth(), i.logicalBytes(),
                i.header().entries().size(), new LabelInfo(new ArrayList<>(l.tags()), holds, trash));
    }
}
