import type { ApplyResult, StoreAction } from './types.js';

/**
 * How the store replicates its writes. The store declares it; `manager/replication` implements it over
 * Raft; `testing/MockProposer` fakes it. The store does not know Raft exists (swarmkit's design).
 *
 * The contract, for a store built with a proposer:
 * 1. `MemoryStore.update()` runs its callback, checks the writes against the current state and turns them
 *    into `actions`, then calls `propose(actions)`. Local writes are serialized: the next update runs
 *    only after this one settled.
 * 2. The implementation replicates the actions as ONE log entry (encode them with
 *    {@link encodeStoreActions}; decode with {@link decodeStoreActions}).
 * 3. When the entry commits, EVERY manager (the proposer included) calls `store.apply(actions, index)`
 *    (or `store.applyEncoded(bytes, index)`) in log order, from its apply loop. Apply is deterministic:
 *    it re-checks versions, names and ids against the state at that index and applies the whole entry
 *    or refuses the whole entry, identically everywhere.
 * 4. On the proposing manager, the promise resolves AFTER that local apply, with what `apply` returned;
 *    the store then resolves `update()` (or rejects it with `result.error` when the entry was refused).
 *
 * Rejecting means the entry was not applied here, and the store passes the error through unchanged to
 * the caller of `update()` (mark it temporary when a retry may succeed, such as "not the leader"). An
 * outcome can be ambiguous (a timeout after the entry entered the log): the entry may still apply later,
 * which is safe because a retry re-reads and its version check refuses a double write.
 */
export interface Proposer {
  /**
   * Replicates `actions` as one entry; resolves with the local {@link MemoryStore.apply} result once the
   * entry was applied on this manager. `actions` is never empty and MUST NOT be modified.
   */
  propose(actions: readonly StoreAction[]): Promise<ApplyResult>;
}
