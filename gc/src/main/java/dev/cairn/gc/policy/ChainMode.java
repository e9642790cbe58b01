package dev.cairn.gc.policy;

/**
 * What a trim does when it wants to remove a checkpoint that a surviving delta manifest names as its
 * parent. The mode of the policy of the series the parent belongs to decides: only a trimmed series
 * ever removes anything, so it is that series' policy that must say how its removals may affect
 * deltas built on them.
 */
public enum ChainMode {
    /**
     * Remove the parent and rebase each surviving child onto its nearest surviving ancestor, or
     * materialise it as a full manifest if none survives ({@link Rebase}). Frees the most space.
     */
    REBASE,
    /**
     * Keep the parent (reason "base of kept delta &lt;id&gt;"), transitively. No manifest is rewritten.
     */
    KEEP_BASE
}
