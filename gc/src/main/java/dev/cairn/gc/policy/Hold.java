package dev.cairn.gc.policy;

import java.time.Instant;
import java.util.Objects;

/**
 * A lease on a checkpoint by a named owner. While a hold is active the checkpoint is kept, whatever
 * the policy says.
 *
 * @param owner     who holds it ({@code eval-job}, {@code deploy/prod})
 * @param reason    why, for humans
 * @param expiresAt when the hold lapses without renewal, or {@code null} for never
 */
public record Hold(String owner, String reason, Instant expiresAt) {

    public Hold {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(reason, "reason");
    }

    /** Active iff it never expires or expires strictly after {@code now}. */
    public boolean activeAt(Instant now) {
        return expiresAt == null || expiresAt.isAfter(now);
    }
}
