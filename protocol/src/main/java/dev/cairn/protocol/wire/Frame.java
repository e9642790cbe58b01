package dev.cairn.protocol.wire;

/**
 * One frame as it travels, minus its length prefix: opcode, request id, flags and the payload
 * bytes (owned by the frame; decoded messages may point into it).
 *
 * @param opcode    u8, see {@link Opcode}
 * @param requestId u32 as a Java int (compare with {@link Integer#toUnsignedString(int)} for display)
 * @param flags     u8, see {@link Wire#FLAG_LAST}
 */
public record Frame(int opcode, int requestId, int flags, byte[] payload) {

    public boolean last() {
        return (flags & Wire.FLAG_LAST) != 0;
    }

    /** The value of the frame's length field. */
    public int length() {
        return Wire.HEADER + payload.length;
    }

    @Override
    public String toString() {
        return "Frame[" + Opcode.name(opcode) + " #" + Integer.toUnsignedString(requestId) + " flags=" + flags
                + " payload=" + payload.length + "]";
    }
}
