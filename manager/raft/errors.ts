/**
 * The errors of the raft core. Raft may not import `common`, so {@link RaftError} re-creates the shape of
 * common's `SwarmError` locally: a stable, greppable `code`, an optional `cause` and structured `fields`.
 *
 * Two families:
 * - errors a caller is expected to handle ({@link ProposalDroppedError}, {@link NotLeaderError}, the
 *   `Step*` errors, the storage lookups {@link CompactedError} and {@link UnavailableError});
 * - errors that make the node inoperable ({@link InvariantViolationError}, {@link RaftInoperableError}):
 *   after one of them every later call on the `RawNode` throws {@link RaftInoperableError}. The driver MUST
 *   stop the node; a storage failure is never swallowed (design.md §7, code-style E6).
 */

/** Options shared by every raft error. */
export interface RaftErrorOptions {
  cause?: unknown;
  /** Structured context (`{ 'raft.id': '1' }`), logged with the error. */
  fields?: Record<string, unknown>;
}

/** The base of every raft error: same fields as common's `SwarmError`, so the driver can treat both alike. */
export class RaftError extends Error {
  readonly code: string;
  readonly fields: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: RaftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fields = options.fields ?? {};
  }

  /** Same serialisation as common's `SwarmError.toJSON()`. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.fields };
  }
}

/** Why a proposal (or read request) was dropped. */
export type ProposalDropReason =
  | 'no-leader'
  | 'transferring-leadership'
  | 'not-a-member'
  | 'uncommitted-size-limit'
  | 'conf-change-pending'
  | 'invalid-conf-change';

/**
 * Thrown by `propose()`, `proposeConfChange()` and `readIndex()` when raft drops the request before it
 * entered the log: nothing was appended, so retrying later (on the new leader) is safe.
 */
export class ProposalDroppedError extends RaftError {
  readonly reason: ProposalDropReason;

  constructor(reason: ProposalDropReason, message: string, options: RaftErrorOptions = {}) {
    super('ERR_RAFT_PROPOSAL_DROPPED', message, { ...options, fields: { ...options.fields, reason } });
    this.reason = reason;
  }
}

/**
 * Thrown by `propose()` on a follower when proposal forwarding is disabled: the caller should send the
 * request to `leader` (a member id; never 0n — with no known leader {@link ProposalDroppedError} is thrown).
 */
export class NotLeaderError extends RaftError {
  readonly leader: bigint;

  constructor(leader: bigint, message: string, options: RaftErrorOptions = {}) {
    super('ERR_RAFT_NOT_LEADER', message, {
      ...options,
      fields: { ...options.fields, 'raft.leader': leader.toString(16) },
    });
    this.leader = leader;
  }
}

/** Thrown by `RawNode.step()` when handed a message that only raft itself may generate (MsgHup, MsgBeat…). */
export class StepLocalMessageError extends RaftError {
  constructor(type: string) {
    super('ERR_RAFT_STEP_LOCAL_MSG', `Cannot step message ${type}: it is local to raft`);
  }
}

/** Thrown by `RawNode.step()` for a response from a peer that is not in the configuration. */
export class StepPeerNotFoundError extends RaftError {
  readonly peer: bigint;

  constructor(type: string, peer: bigint) {
    super('ERR_RAFT_STEP_PEER_NOT_FOUND', `Cannot step ${type} from ${peer.toString(16)}: not a member`);
    this.peer = peer;
  }
}

/** Thrown by a {@link Storage} when the requested index precedes its snapshot (the entry was compacted). */
export class CompactedError extends RaftError {
  constructor(index: number, firstIndex: number) {
    super('ERR_RAFT_COMPACTED', `Cannot read index ${index}: compacted, the log starts at ${firstIndex}`, {
      fields: { index, firstIndex },
    });
  }
}

/** Thrown by a {@link Storage} when the requested index is past its last entry. */
export class UnavailableError extends RaftError {
  constructor(index: number, lastIndex: number) {
    super('ERR_RAFT_UNAVAILABLE', `Cannot read index ${index}: unavailable, the log ends at ${lastIndex}`, {
      fields: { index, lastIndex },
    });
  }
}

/** Thrown by `MemoryStorage.applySnapshot()`/`createSnapshot()` for a snapshot older than the current one. */
export class SnapshotOutOfDateError extends RaftError {
  constructor(index: number, current: number) {
    super(
      'ERR_RAFT_SNAP_OUT_OF_DATE',
      `Cannot use snapshot at index ${index}: out of date, the storage has one at ${current}`,
      { fields: { index, current } },
    );
  }
}

/**
 * Thrown by `Storage.snapshot()` when a snapshot is being prepared and is not ready yet; the leader retries
 * later (the follower stays paused until then).
 */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  constructor() {
    super('ERR_RAFT_SNAPSHOT_TEMPORARILY_UNAVAILABLE', 'Cannot send snapshot: temporarily unavailable');
  }
}

/**
 * A raft invariant does not hold: the log was corrupted, truncated or lost under raft (commit index past
 * the last entry, a committed entry conflicting…), or the caller broke the Ready contract. The node is
 * inoperable from then on.
 */
export class InvariantViolationError extends RaftError {
  constructor(message: string, options: RaftErrorOptions = {}) {
    super('ERR_RAFT_INVARIANT_VIOLATED', message, options);
  }
}

/** Thrown on lifecycle misuse: `ready()` twice without `advance()`, `bootstrap()` on a non-empty log… */
export class RaftIllegalStateError extends RaftError {
  constructor(message: string, options: RaftErrorOptions = {}) {
    super('ERR_RAFT_ILLEGAL_STATE', message, options);
  }
}

/**
 * Thrown by every `RawNode` call after a fatal error (a storage failure or an invariant violation); `cause`
 * holds the first fatal error. The driver MUST stop the node and recover from its persisted state.
 */
export class RaftInoperableError extends RaftError {
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('ERR_RAFT_INOPERABLE', `Cannot use raft node: inoperable after a fatal error: ${reason}`, {
      cause,
    });
  }
}

/** True for the errors a caller handles and keeps going; false for those that make the node inoperable. */
export function isRecoverableRaftError(err: unknown): boolean {
  return (
    err instanceof ProposalDroppedError ||
    err instanceof NotLeaderError ||
    err instanceof StepLocalMessageError ||
    err instanceof StepPeerNotFoundError ||
    err instanceof RaftIllegalStateError
  );
}
