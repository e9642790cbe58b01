package dev.cairn.client;

import dev.cairn.protocol.manifest.ManifestId;

import java.time.Instant;

/**
 * A checkpoint in the trash ({@link CairnClient#trashList()}): restorable until {@code expiresAt},
 * after which a GC deletes it for good.
 *
 * @param auditId the audit record of the trim that removed it ({@link CairnClient#trimLog})
 */
public record TrashEntry(ManifestId id, String series, Instant createdAt, long logicalBytes, Instant trashedAt,
                         Instant expiresAt, String auditId) {
}
