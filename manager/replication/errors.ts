/**
 * The errors of the replication driver ({@link ReplicatedNode}). Each has a stable `code` and structured
 * fields; callers branch on `code` or `instanceof`, never on the message. Every promise the driver hands
 * out settles with a value or one of these (or, once the node failed, with {@link StoppedError} whose
 * `cause` is the fatal error): none is left hanging.
 *
 * Misuse (bad options, an empty proposal, an id of 0) throws the built-in `TypeError`/`RangeError`;
 * lifecycle misuse (`run()` twice) throws common's `IllegalStateError`.
 */
import { SwarmError, type SwarmErrorOptions } from '../../common/index.js';

/** The base of every replication error. */
export class ReplicationError extends SwarmError {}

/**
 * This member is not the leader: send the request to `leaderId` at `leaderAddress` (its raft address, as
 * recorded in the membership), or, when both are null, retry once a leader is elected. Nothing was
 * proposed. Temporary.
 */
export class NotLeaderError extends ReplicationError {
  /** The leader this member follows, or null when it knows none. */
  readonly leaderId: bigint | null;
  /** The leader's raft address, or null when unknown. */
  readonly leaderAddress: string | null;

  constructor(
    what: string,
    leaderId: bigint | null,
    leaderAddress: string | null,
    options: SwarmErrorOptions = {},
  ) {
    const where =
      leaderId === null
        ? 'no leader is known'
        : `the leader is ${leaderId.toString(16)}${leaderAddress === null ? '' : ` at ${leaderAddress}`}`;
    super('ERR_REPLICATION_NOT_LEADER', `Cannot ${what}: this member is not the leader, ${where}`, {
      ...options,
      temporary: true,
      fields: {
        ...options.fields,
        ...(leaderId === null ? {} : { 'raft.leader': leaderId.toString(16) }),
        ...(leaderAddress === null ? {} : { 'leader.address': leaderAddress }),
      },
    });
    this.leaderId = leaderId;
    this.leaderAddress = leaderAddress;
  }
}

/**
 * Why a request was refused or lost without taking effect:
 * - `transferring-leadership`, `uncommitted-size-limit`, `conf-change-pending`, `invalid-conf-change`,
 *   `not-a-member`: raft refused it before it entered the log;
 * - `superseded`: it entered the leader's log, but a new leader overwrote that index with another entry,
 *   so it will never be applied.
 */
export type DropReason =
  | 'transferring-leadership'
  | 'uncommitted-size-limit'
  | 'conf-change-pending'
  | 'invalid-conf-change'
  | 'not-a-member'
  | 'superseded';

/** The request was certainly NOT applied (see {@link DropReason}); retrying it is safe. Temporary. */
export class ProposalDroppedError extends ReplicationError {
  readonly reason: DropReason;

  constructor(what: string, reason: DropReason, detail: string, options: SwarmErrorOptions = {}) {
    super('ERR_REPLICATION_PROPOSAL_DROPPED', `Cannot ${what}: ${detail}`, {
      ...options,
      temporary: true,
      fields: { ...options.fields, reason },
    });
    this.reason = reason;
  }
}

/**
 * The node stopped (or failed: then `cause` holds the fatal error) before the request completed. A
 * proposal may or may not have been applied.
 */
export class StoppedError extends ReplicationError {
  constructor(what: string, options: SwarmErrorOptions = {}) {
    const why = options.cause === undefined ? 'the node is stopped' : 'the node failed';
    super('ERR_REPLICATION_STOPPED', `Cannot ${what}: ${why}`, options);
  }
}

/** What timed out. */
export type TimedOperation = 'propose' | 'read' | 'conf-change' | 'transfer-leadership' | 'catch-up';

/**
 * The request did not complete within its timeout. For a proposal or a membership change the outcome is
 * unknown: it may still be applied later. Temporary.
 */
export class ReplicationTimeoutError extends ReplicationError {
  readonly operation: TimedOperation;
  readonly timeoutMs: number;

  constructor(operation: TimedOperation, timeoutMs: number, detail = '', options: SwarmErrorOptions = {}) {
    super(
      'ERR_REPLICATION_TIMEOUT',
      `Cannot ${operation.replaceAll('-', ' ')}: no outcome within ${timeoutMs} ms${detail === '' ? '' : `, ${detail}`}`,
      { ...options, temporary: true, fields: { ...options.fields, operation, 'timeout.ms': timeoutMs } },
    );
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/** Why a membership request is invalid against the current membership. */
export type MembershipProblem = 'removed-id' | 'already-member' | 'not-member' | 'not-learner' | 'self';

/**
 * A membership request that the current membership refuses: adding an id that was removed (ids are never
 * reused) or that is already a member, promoting a non-learner, removing or transferring to a non-member.
 */
export class MembershipError extends ReplicationError {
  readonly problem: MembershipProblem;
  readonly memberId: bigint;

  constructor(what: string, memberId: bigint, problem: MembershipProblem, detail: string) {
    super('ERR_REPLICATION_MEMBERSHIP', `Cannot ${what} ${memberId.toString(16)}: ${detail}`, {
      fields: { 'raft.member': memberId.toString(16), problem },
    });
    this.problem = problem;
    this.memberId = memberId;
  }
}

/** A snapshot's data does not decode as the driver's snapshot envelope (damaged or foreign). */
export class SnapshotDecodeError extends ReplicationError {
  constructor(index: number, problem: string) {
    super('ERR_REPLICATION_SNAPSHOT_DECODE', `Cannot restore snapshot ${index}: ${problem}`, {
      fields: { 'raft.index': index },
    });
  }
}
