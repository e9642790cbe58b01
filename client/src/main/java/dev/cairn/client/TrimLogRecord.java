package dev.cairn.client;

import java.time.Instant;

/**
 * One audit record of an applied trim ({@link CairnClient#trimLog}); dry runs leave none.
 *
 * @param id          the audit id (as in {@link TrimReport#auditId()} and {@link TrashEntry#auditId()})
 * @param requestedBy {@code tenant (clientName)}, or {@code scheduler} for the daemon's scheduled trims
 * @param reportJson  the whole record as JSON ({@code {id, at, requestedBy, policySource, policyText,
 *                    report}}; fields may grow), or null unless asked for
 */
public record TrimLogRecord(String id, Instant at, String requestedBy, String policySource, int seriesCount,
                            long kept, long removed, long rebases, long freedBytes, String reportJson) {
}
