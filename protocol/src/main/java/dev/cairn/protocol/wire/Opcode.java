package dev.cairn.protocol.wire;

/**
 * Message type numbers (docs/PROTOCOL.md, "Opcodes"). Never renumber one; retired numbers stay
 * retired.
 *
 * <p>Ranges: requests {@code 0x01..0x6F}; the final response to request {@code op} is
 * {@code op | 0x80} (so {@code 0x81..0xEF}); intermediate frames of a streamed response ("parts")
 * are {@code 0xF0..0xFE}; {@code 0xFF} is {@link #ERROR}. {@code 0x00} and {@code 0x70..0x7F} are
 * never valid.
 */
public final class Opcode {
    private Opcode() {
    }

    // -------------------------------------------------- connection 0x01..0x0F
    public static final int HELLO = 0x01;
    public static final int PING = 0x02;
    /** Asks the server to stop a streamed response early; has no response of its own. */
    public static final int CANCEL = 0x03;

    // ---------------------------------------------------- queries 0x10..0x1F
    public static final int HAVE = 0x10;
    public static final int SHOW = 0x11;
    public static final int READ = 0x12;
    public static final int LIST = 0x13;
    public static final int STATS = 0x14;
    public static final int VERIFY = 0x15;
    public static final int RESOLVE = 0x16;
    /** Writes one entry into a file descriptor passed over the local socket ({@link RawPut}). */
    public static final int READ_FD = 0x17;

    // ----------------------------------------------------- put path 0x20..0x3F
    public static final int BEGIN_PUT = 0x20;
    public static final int UPLOAD = 0x21;
    public static final int ENTRY = 0x22;
    public static final int REFS = 0x23;
    public static final int END_ENTRY = 0x24;
    public static final int PATCH = 0x25;
    public static final int COMMIT = 0x26;
    public static final int ABORT = 0x27;
    /** Raw-stream put family ({@link RawPut}): the daemon cuts, hashes and deduplicates. */
    public static final int RAW_BEGIN = 0x28;
    public static final int RAW_ENTRY = 0x29;
    public static final int RAW_DATA = 0x2A;
    public static final int RAW_END_ENTRY = 0x2B;
    /** The open raw entry's bytes come from a file descriptor passed over the local socket. */
    public static final int RAW_FD = 0x2C;

    // -------------------------------------------------- maintenance 0x40..0x5F
    /** Applies (or dry-runs) retention policies. */
    public static final int TRIM = 0x40;
    public static final int TRASH_LS = 0x41;
    public static final int TRASH_RESTORE = 0x42;
    public static final int HOLD_ADD = 0x43;
    public static final int HOLD_RM = 0x44;
    /** Garbage collection; CANCEL stops it at its next safe point. */
    public static final int GC = 0x45;
    public static final int POLICY_SIMULATE = 0x46;
    public static final int TRIM_LOG = 0x47;
    /** Adds and removes tags of a checkpoint. */
    public static final int TAG = 0x48;
    // 0x49..0x5F: further maintenance messages. 0x60..0x6F: reserved for administration.

    // ---------------------------------------------------------- responses
    public static final int HELLO_OK = HELLO | 0x80;
    public static final int PONG = PING | 0x80;
    public static final int HAVE_OK = HAVE | 0x80;
    public static final int SHOW_OK = SHOW | 0x80;
    public static final int READ_OK = READ | 0x80;
    public static final int LIST_OK = LIST | 0x80;
    public static final int STATS_OK = STATS | 0x80;
    public static final int VERIFY_OK = VERIFY | 0x80;
    public static final int RESOLVE_OK = RESOLVE | 0x80;
    public static final int BEGIN_PUT_OK = BEGIN_PUT | 0x80;
    public static final int UPLOAD_OK = UPLOAD | 0x80;
    public static final int ENTRY_OK = ENTRY | 0x80;
    public static final int REFS_OK = REFS | 0x80;
    public static final int END_ENTRY_OK = END_ENTRY | 0x80;
    public static final int PATCH_OK = PATCH | 0x80;
    public static final int COMMIT_OK = COMMIT | 0x80;
    public static final int ABORT_OK = ABORT | 0x80;
    public static final int TRIM_OK = TRIM | 0x80;
    public static final int TRASH_LS_OK = TRASH_LS | 0x80;
    public static final int TRASH_RESTORE_OK = TRASH_RESTORE | 0x80;
    public static final int HOLD_ADD_OK = HOLD_ADD | 0x80;
    public static final int HOLD_RM_OK = HOLD_RM | 0x80;
    public static final int GC_OK = GC | 0x80;
    public static final int POLICY_SIMULATE_OK = POLICY_SIMULATE | 0x80;
    public static final int TRIM_LOG_OK = TRIM_LOG | 0x80;
    public static final int TAG_OK = TAG | 0x80;
    public static final int READ_FD_OK = READ_FD | 0x80;
    public static final int RAW_BEGIN_OK = RAW_BEGIN | 0x80;
    public static final int RAW_ENTRY_OK = RAW_ENTRY | 0x80;
    public static final int RAW_DATA_OK = RAW_DATA | 0x80;
    public static final int RAW_END_ENTRY_OK = RAW_END_ENTRY | 0x80;
    public static final int RAW_FD_OK = RAW_FD | 0x80;

    // ----------------------------------------------- stream parts 0xF0..0xFE
    /** Chunks of a {@link #READ}. */
    public static final int READ_DATA = 0xF0;
    /** Entry headers of a {@link #SHOW}. */
    public static final int ENTRY_PAGE = 0xF1;
    /** Checkpoint summaries of a {@link #LIST}. */
    public static final int LIST_PAGE = 0xF2;
    /**
     * Heartbeat of a long request: {@link #VERIFY}, {@link #TRIM}, {@link #GC},
     * {@link #POLICY_SIMULATE} (the name predates the others).
     */
    public static final int VERIFY_PROGRESS = 0xF3;
    /** One trimmed series of a {@link #TRIM} report (a large series spans several). */
    public static final int TRIM_SERIES = 0xF4;
    /** Rebases of a {@link #TRIM} report. */
    public static final int TRIM_REBASES = 0xF5;
    /** Trash entries of a {@link #TRASH_LS}. */
    public static final int TRASH_PAGE = 0xF6;
    /** Checkpoints of a {@link #POLICY_SIMULATE} timeline. */
    public static final int SIMULATION_TIMELINE = 0xF7;
    /** One audit record of a {@link #TRIM_LOG}. */
    public static final int TRIM_LOG_ENTRY = 0xF8;
    /** A fragment of a long text announced by the frame before it (an SVG, a report as JSON). */
    public static final int TEXT_PART = 0xF9;
    /** The daemon is ready for the descriptor of a {@link #RAW_FD} or {@link #READ_FD}: send it now. */
    public static final int FD_READY = 0xFA;

    public static final int ERROR = 0xFF;

    /** First opcode of the range reserved for trim, trash, holds and GC. */
    public static final int MAINTENANCE_FIRST = 0x40;
    /** Last opcode of the range reserved for trim, trash, holds and GC. */
    public static final int MAINTENANCE_LAST = 0x5F;

    /** True for opcodes in the request range (whether or not this version knows them). */
    public static boolean isRequest(int op) {
        return op >= 0x01 && op <= 0x6F;
    }

    /** True for opcodes of stream parts (never the last frame of a response). */
    public static boolean isPart(int op) {
        return op >= 0xF0 && op <= 0xFE;
    }

    /** The final-response opcode for request {@code op}. */
    public static int responseTo(int op) {
        return op | 0x80;
    }

    /** A name for logs and messages: "HAVE", "READ_DATA", or "0x5a". */
    public static String name(int op) {
        return switch (op) {
            case HELLO -> "HELLO";
            case PING -> "PING";
            case CANCEL -> "CANCEL";
            case HAVE -> "HAVE";
            case SHOW -> "SHOW";
            case READ -> "READ";
            case LIST -> "LIST";
            case STATS -> "STATS";
            case VERIFY -> "VERIFY";
            case RESOLVE -> "RESOLVE";
            case BEGIN_PUT -> "BEGIN_PUT";
            case UPLOAD -> "UPLOAD";
            case ENTRY -> "ENTRY";
            case REFS -> "REFS";
            case END_ENTRY -> "END_ENTRY";
            case PATCH -> "PATCH";
            case COMMIT -> "COMMIT";
            case ABORT -> "ABORT";
            case TRIM -> "TRIM";
            case TRASH_LS -> "TRASH_LS";
            case TRASH_RESTORE -> "TRASH_RESTORE";
            case HOLD_ADD -> "HOLD_ADD";
            case HOLD_RM -> "HOLD_RM";
            case GC -> "GC";
            case POLICY_SIMULATE -> "POLICY_SIMULATE";
            case TRIM_LOG -> "TRIM_LOG";
            case TAG -> "TAG";
            case HELLO_OK -> "HELLO_OK";
            case PONG -> "PONG";
            case HAVE_OK -> "HAVE_OK";
            case SHOW_OK -> "SHOW_OK";
            case READ_OK -> "READ_OK";
            case LIST_OK -> "LIST_OK";
            case STATS_OK -> "STATS_OK";
            case VERIFY_OK -> "VERIFY_OK";
            case RESOLVE_OK -> "RESOLVE_OK";
            case BEGIN_PUT_OK -> "BEGIN_PUT_OK";
            case UPLOAD_OK -> "UPLOAD_OK";
            case ENTRY_OK -> "ENTRY_OK";
            case REFS_OK -> "REFS_OK";
            case END_ENTRY_OK -> "END_ENTRY_OK";
            case PATCH_OK -> "PATCH_OK";
            case COMMIT_OK -> "COMMIT_OK";
            case ABORT_OK -> "ABORT_OK";
            case TRIM_OK -> "TRIM_OK";
            case TRASH_LS_OK -> "TRASH_LS_OK";
            case TRASH_RESTORE_OK -> "TRASH_RESTORE_OK";
            case HOLD_ADD_OK -> "HOLD_ADD_OK";
            case HOLD_RM_OK -> "HOLD_RM_OK";
            case GC_OK -> "GC_OK";
            case POLICY_SIMULATE_OK -> "POLICY_SIMULATE_OK";
            case TRIM_LOG_OK -> "TRIM_LOG_OK";
            case TAG_OK -> "TAG_OK";
            case READ_DATA -> "READ_DATA";
            case ENTRY_PAGE -> "ENTRY_PAGE";
            case LIST_PAGE -> "LIST_PAGE";
            case VERIFY_PROGRESS -> "VERIFY_PROGRESS";
            case TRIM_SERIES -> "TRIM_SERIES";
            case TRIM_REBASES -> "TRIM_REBASES";
            case TRASH_PAGE -> "TRASH_PAGE";
            case SIMULATION_TIMELINE -> "SIMULATION_TIMELINE";
            case TRIM_LOG_ENTRY -> "TRIM_LOG_ENTRY";
            case TEXT_PART -> "TEXT_PART";
            case READ_FD -> "READ_FD";
            case READ_FD_OK -> "READ_FD_OK";
            case RAW_BEGIN -> "RAW_BEGIN";
            case RAW_BEGIN_OK -> "RAW_BEGIN_OK";
            case RAW_ENTRY -> "RAW_ENTRY";
            case RAW_ENTRY_OK -> "RAW_ENTRY_OK";
            case RAW_DATA -> "RAW_DATA";
            case RAW_DATA_OK -> "RAW_DATA_OK";
            case RAW_END_ENTRY -> "RAW_END_ENTRY";
            case RAW_END_ENTRY_OK -> "RAW_END_ENTRY_OK";
            case RAW_FD -> "RAW_FD";
            case RAW_FD_OK -> "RAW_FD_OK";
            case FD_READY -> "FD_READY";
            case ERROR -> "ERROR";
            default -> String.format("0x%02x", op);
        };
    }
}
