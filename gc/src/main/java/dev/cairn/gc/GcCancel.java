package dev.cairn.gc;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;

/** Asks a running GC to stop at its next safe point. Thread-safe. */
public final class GcCancel {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    void check() throws CairnException {
        if (cancelled) {
            throw new CairnException(Status.CANCELLED, "GC cancelled");
        }
    }
}
