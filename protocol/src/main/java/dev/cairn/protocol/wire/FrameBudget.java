package dev.cairn.protocol.wire;

/**
 * Memory a {@link FrameDecoder} asks for before it accumulates a frame: the receiver's way of
 * putting partial frames inside its memory budgets. Called on the channel's event loop only.
 */
public interface FrameBudget {
    /**
     * Reserves {@code bytes} (the frame's length field plus the field itself) for the frame whose
     * header just arrived. On {@code false} the decoder keeps what it has buffered, decodes
     * nothing more and waits for {@link FrameDecoder#retry()}; the budget's owner stops reading
     * from the connection meanwhile, so the frame is never buffered past the budget.
     */
    boolean reserve(long bytes);

    /** Returns a reservation: the frame was handed on, or the connection closed with it unfinished. */
    void release(long bytes);
}
