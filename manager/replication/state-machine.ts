/**
 * The application state a {@link ReplicatedNode} replicates: the store implements it (next issue), the
 * key-value machine in `testing/` implements it for tests and benchmarks.
 *
 * The driver calls it from its Ready loop only, one call at a time, in log order:
 * - on start, {@link restore} from the latest snapshot (if any), then {@link apply} for every committed
 *   entry after it (the log is replayed: apply MUST NOT have effects outside the machine);
 * - while running, {@link apply} for each committed entry, and {@link restore} when the leader sends a
 *   snapshot (this member fell behind the leader's compacted log);
 * - every `snapshotEntries` applied entries, {@link snapshot}.
 *
 * `R` is what {@link apply} returns: the proposer's `propose()` resolves with it on the member that proposed.
 */
export interface StateMachine<R = unknown> {
  /**
   * Applies the data of the committed entry at `index` and returns the result for its proposer.
   * MUST be deterministic (the same data on the same state gives the same state and result on every
   * member) and MUST NOT throw: a refusal (a failed compare-and-set, a version conflict) is a result. A
   * throw is taken as a broken state machine: the node fails with it.
   */
  apply(data: Uint8Array, index: number): R;
  /** The whole state as of the last applied entry, for a snapshot. */
  snapshot(): Uint8Array;
  /**
   * Replaces the whole state with `data` from {@link snapshot} (taken at `index` on some member).
   * @throws when `data` does not decode (the node fails with it)
   */
  restore(data: Uint8Array, index: number): void;
}
