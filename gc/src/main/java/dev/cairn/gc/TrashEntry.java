package dev.cairn.gc;

import java.time.Instant;

/**
 * A checkpoint in the trash.
 *
 * @param reason why it is there (the audit id of the trim that removed it)
 */
public record TrashEntry(String id, String series, Instant createdAt, long logicalBytes, Instant trashedAt,
                         Instant expiresAt, String reason) {
}
