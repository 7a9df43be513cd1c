import type { ConfState, Entry, HardState, Snapshot } from './types.js';

/** What a node recovers at start: its hard state and the membership of its latest snapshot. */
export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

/**
 * The stable (persisted) part of the raft log, which raft only reads. The driver writes to it while
 * handling a `Ready`: snapshot, then entries, then hard state, all durable BEFORE the Ready's messages are
 * sent. {@link MemoryStorage} is the in-memory implementation; the driver's WAL-backed one mirrors it.
 *
 * The log holds the entries in [firstIndex(), lastIndex()]; the entry at firstIndex() - 1 was compacted
 * into the snapshot but its term stays readable through `term()`.
 *
 * Errors: {@link CompactedError} and {@link UnavailableError} (and {@link SnapshotTemporarilyUnavailableError}
 * from `snapshot()`) are part of the contract. Any other error thrown by a method makes the raft node
 * inoperable: the driver MUST stop it and recover from disk (etcd's Storage contract).
 */
export interface Storage {
  /** The persisted hard state and the membership of the latest snapshot. */
  initialState(): InitialState;
  /**
   * The entries in [lo, hi), at least one when lo < hi, and no more than fit in `maxSize` bytes as counted
   * by `entrySize()` (Infinity for no limit).
   * @throws CompactedError when lo <= the snapshot index
   * @throws UnavailableError when the range is past the last entry
   */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /**
   * The term of entry `index`, for index in [firstIndex() - 1, lastIndex()].
   * @throws CompactedError when index < firstIndex() - 1
   * @throws UnavailableError when index > lastIndex()
   */
  term(index: number): number;
  /** The index of the first entry still in the log (the snapshot index + 1). */
  firstIndex(): number;
  /** The index of the last entry (the snapshot index when the log is empty). */
  lastIndex(): number;
  /**
   * The latest snapshot, for a follower that fell behind the first index. Raft sends it only to a member
   * its configuration includes: a member added after it was taken needs a newer one, so an implementation
   * SHOULD throw {@link SnapshotTemporarilyUnavailableError} and take a fresh snapshot when the stored one
   * predates the current membership (etcd's server sends a fresh snapshot for the same reason).
   * @throws SnapshotTemporarilyUnavailableError while one is being prepared; raft retries at the next
   *   heartbeat response
   */
  snapshot(): Snapshot;
}
