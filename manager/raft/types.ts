/**
 * The plain data types raft reads and produces. They hold only numbers, bigints, strings, booleans, arrays
 * and `Uint8Array`s, so the transport and the WAL can encode them (to protobuf) field by field.
 *
 * Indexes and terms are JS numbers: exact up to 2^53, which no log reaches. Member ids are non-zero 64-bit
 * `bigint`s, never reused; {@link NONE} (0n) means "no member".
 */

/** "No member": the value of `vote` before voting and of `lead` when the leader is unknown. */
export const NONE = 0n;

/** A normal entry carries application data; a conf-change entry carries an encoded {@link ConfChange}. */
export type EntryType = 'normal' | 'confChange';

/**
 * One log entry. Entries are immutable once created: raft shares them between its log, the `Ready` and
 * messages, and the caller MUST NOT modify them (nor their `data`).
 */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/**
 * What a node MUST persist BEFORE sending any message of the same `Ready`.
 * Invariant: `commit <= last index of the persisted log`.
 */
export interface HardState {
  readonly term: number;
  /** The member voted for in `term`, or {@link NONE}. */
  readonly vote: bigint;
  readonly commit: number;
}

/** The role of a node. */
export type StateType = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state, reported for information (who leads, which role); never persisted. */
export interface SoftState {
  /** The leader this node follows, itself when leading, or {@link NONE}. */
  readonly lead: bigint;
  readonly raftState: StateType;
}

/** A membership: the voters (counted in quorums) and the learners (replicated to, not counted). */
export interface ConfState {
  readonly voters: readonly bigint[];
  readonly learners: readonly bigint[];
}

/** Where a snapshot sits in the log, and the membership in force at that index. */
export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** The application state machine's state at `metadata.index`, opaque to raft. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

/**
 * The answer to a `readIndex(ctx)`: once the local state machine has applied `index`, a read served from it
 * is linearizable. `requestCtx` is the caller's `ctx`, unchanged.
 */
export interface ReadState {
  readonly index: number;
  readonly requestCtx: Uint8Array;
}

/**
 * One membership change, one server at a time: add a voter (or promote a learner), add a learner, or
 * remove a member. Demoting a voter to a learner is refused.
 */
export type ConfChangeType = 'addNode' | 'addLearnerNode' | 'removeNode';

/** A membership change, proposed with `proposeConfChange()` and applied with `applyConfChange()`. */
export interface ConfChange {
  readonly type: ConfChangeType;
  /** The member to change; non-zero, and never an id that was used before and removed. */
  readonly nodeId: bigint;
  /** Opaque bytes for the application (typically the member's address). */
  readonly context?: Uint8Array;
}

/** A zero-length byte array, shared (never written to). */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** The hard state of a node that never voted nor committed. */
export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };

/** True when `a` and `b` hold the same term, vote and commit. */
export function isHardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** True for the hard state of a node that never voted nor committed. */
export function isEmptyHardState(hs: HardState): boolean {
  return isHardStateEqual(hs, EMPTY_HARD_STATE);
}

/** True for the empty snapshot (index 0), which the storage of a fresh node holds. */
export function isEmptySnapshot(s: Snapshot): boolean {
  return s.metadata.index === 0;
}

/** Fixed per-entry overhead counted by {@link entrySize}: roughly the encoded term, index and type. */
export const ENTRY_OVERHEAD_BYTES = 12;

/** The size an entry counts for against `maxSizePerMsg` and `maxCommittedSizePerReady`. */
export function entrySize(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

/** The total payload (data only) of `ents`: what counts against `maxUncommittedEntriesSize`. */
export function payloadsSize(ents: readonly Entry[]): number {
  let n = 0;
  for (let i = 0; i < ents.length; i++) n += (ents[i] as Entry).data.byteLength;
  return n;
}

/**
 * The longest prefix of `ents` whose total {@link entrySize} is at most `maxSize`, but never fewer than one
 * entry. Returns `ents` itself when nothing is cut.
 */
export function limitSize<T extends Entry>(ents: T[], maxSize: number): T[] {
  if (ents.length <= 1 || maxSize === Number.POSITIVE_INFINITY) return ents;
  let size = entrySize(ents[0] as T);
  let limit = 1;
  for (; limit < ents.length; limit++) {
    size += entrySize(ents[limit] as T);
    if (size > maxSize) break;
  }
  return limit === ents.length ? ents : ents.slice(0, limit);
}

/** Member ids in logs and messages, lower-case hex as etcd prints them. */
export function hexId(id: bigint): string {
  return id.toString(16);
}
