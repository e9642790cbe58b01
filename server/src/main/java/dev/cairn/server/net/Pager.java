package dev.cairn.server.net;

import dev.cairn.protocol.wire.MessageCodec;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Cuts a sequence of items into reply pages that fit {@link Streams#PART_BYTES} with the page's
 * own overhead: as many items as fit, and at least one (an item larger than a part goes alone).
 * The item that did not fit is held for the next page, so the source is read once, in order.
 * Not thread-safe: one response stream drives it.
 */
final class Pager<T> {
    private final Iterator<T> items;
    private final ToIntFunction<T> size;
    private T held;

    Pager(Iterator<T> items, ToIntFunction<T> size) {
        this.items = items;
        this.size = size;
    }

    boolean hasMore() {
        return held != null || items.hasNext();
    }

    /** The next page; empty only when there are no more items. */
    List<T> nextPage() {
        List<T> page = new ArrayList<>();
        long bytes = MessageCodec.PAGE_OVERHEAD;
        while (hasMore()) {
            T t = held != null ? held : items.next();
            held = null;
            int s = size.applyAsInt(t);
            if (!page.isEmpty() && bytes + s > Streams.PART_BYTES) {
                held = t;
                break;
            }
            page.add(t);
            bytes += s;
        }
        return page;
    }
}
