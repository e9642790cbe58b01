package dev.cairn.client;

import java.util.Objects;

/**
 * Why a trim (or a simulated one) keeps a checkpoint.
 *
 * @param kind the rule or invariant, lower case: {@code last}, {@code within}, {@code hourly},
 *             {@code daily}, {@code weekly}, {@code monthly}, {@code yearly}, {@code tag},
 *             {@code best}, {@code every_n_steps}, {@code max_recompute},
 *             {@code newest_restorable}, {@code floor}, {@code hold}, {@code lineage},
 *             {@code chain_base}, {@code max_remove_brake}. Newer daemons may send kinds not
 *             listed here: show their {@code text}.
 * @param text what a person reads, e.g. "daily 2026-11-27", "held by eval-job (nightly eval)"
 */
public record KeepReason(String kind, String text) {
    public KeepReason {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(text, "text");
    }
}
