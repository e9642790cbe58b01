/**
 * The retention decision, and nothing else: which checkpoints a trim keeps (with every reason) and
 * which it removes, as a pure function of the checkpoints' facts, the policies and {@code now}.
 *
 * <p>Nothing here reads a clock, touches storage or files, or depends on {@code dev.cairn.store}
 * or RocksDB (a test enforces it): the trim executor in {@code dev.cairn.gc} reads
 * {@link dev.cairn.gc.policy.CheckpointFacts} from the store, calls
 * {@link dev.cairn.gc.policy.RetentionEngine#plan}, and applies the
 * {@link dev.cairn.gc.policy.RetentionPlan}: removals to the trash and
 * {@link dev.cairn.gc.policy.Rebase}s in one atomic step. A dry run prints the same plan.
 *
 * <ul>
 *   <li>{@link dev.cairn.gc.policy.PolicyParser}: YAML ({@code policies:}) to a
 *       {@link dev.cairn.gc.policy.PolicySet}, rejecting bad input before anything happens.</li>
 *   <li>{@link dev.cairn.gc.policy.RetentionEngine}: the evaluation; its Javadoc is the precise
 *       semantics, docs/GC.md ("Retention policies") the user-facing version.</li>
 *   <li>{@link dev.cairn.gc.policy.PolicySimulator} and {@link dev.cairn.gc.policy.SimulationSvg}:
 *       replay a policy over a series' history, for {@code cairn policy simulate}.</li>
 * </ul>
 */
package dev.cairn.gc.policy;
