import type { Entry, Snapshot } from './types.js';

/**
 * Raft messages, a discriminated union on `type` with etcd's vocabulary. Every message carries `to`,
 * `from` and `term`; `term: 0` marks a message local to the node (MsgHup, MsgBeat…) or one forwarded to the
 * leader without a term (MsgProp, MsgReadIndex).
 *
 * Local messages (never sent over the network; `RawNode.step()` refuses them): MsgHup, MsgBeat,
 * MsgCheckQuorum, MsgUnreachable, MsgSnapStatus. The driver produces MsgUnreachable and MsgSnapStatus
 * through `reportUnreachable()`/`reportSnapshot()`.
 */
export type Message =
  | MsgHup
  | MsgBeat
  | MsgCheckQuorum
  | MsgProp
  | MsgApp
  | MsgAppResp
  | MsgVote
  | MsgVoteResp
  | MsgPreVote
  | MsgPreVoteResp
  | MsgSnap
  | MsgHeartbeat
  | MsgHeartbeatResp
  | MsgUnreachable
  | MsgSnapStatus
  | MsgTransferLeader
  | MsgTimeoutNow
  | MsgReadIndex
  | MsgReadIndexResp;

/** The `type` tag of a {@link Message}. */
export type MessageType = Message['type'];

/** The fields every message has. */
export interface MessageHeader {
  readonly to: bigint;
  readonly from: bigint;
  /** The sender's term; 0 for local and term-less forwarded messages. */
  readonly term: number;
}

/** Local: start an election (the election timer fired, or `campaign()`). */
export interface MsgHup extends MessageHeader {
  readonly type: 'MsgHup';
}

/** Local: the leader's heartbeat timer fired. */
export interface MsgBeat extends MessageHeader {
  readonly type: 'MsgBeat';
}

/** Local: the leader checks it heard from a quorum within the last election timeout. */
export interface MsgCheckQuorum extends MessageHeader {
  readonly type: 'MsgCheckQuorum';
}

/** A proposal: local, or forwarded by a follower to its leader (term 0). Entries have term and index 0. */
export interface MsgProp extends MessageHeader {
  readonly type: 'MsgProp';
  readonly entries: readonly Entry[];
}

/** Leader → follower: append `entries` after (`index`, `logTerm`); the leader has committed `commit`. */
export interface MsgApp extends MessageHeader {
  readonly type: 'MsgApp';
  /** The index of the entry preceding `entries`. */
  readonly index: number;
  /** The term of the entry at `index`. */
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * Follower → leader: on success `index` is the last index known to match; on rejection `index` is the
 * rejected MsgApp's `index`, and (`rejectHint`, `logTerm`) the follower's guess of the last matching entry.
 */
export interface MsgAppResp extends MessageHeader {
  readonly type: 'MsgAppResp';
  readonly index: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly logTerm: number;
}

/** Candidate → voter: vote for me at `term`; my last entry is (`index`, `logTerm`). */
export interface MsgVote extends MessageHeader {
  readonly type: 'MsgVote';
  readonly index: number;
  readonly logTerm: number;
  /** Sent for a leadership transfer: the voter ignores its leader lease. */
  readonly transfer: boolean;
}

/** Voter → candidate. */
export interface MsgVoteResp extends MessageHeader {
  readonly type: 'MsgVoteResp';
  readonly reject: boolean;
}

/** Pre-candidate → voter: would you vote for me at `term` (one past the sender's)? Changes no state. */
export interface MsgPreVote extends MessageHeader {
  readonly type: 'MsgPreVote';
  readonly index: number;
  readonly logTerm: number;
  readonly transfer: boolean;
}

/** Voter → pre-candidate. */
export interface MsgPreVoteResp extends MessageHeader {
  readonly type: 'MsgPreVoteResp';
  readonly reject: boolean;
}

/** Leader → follower that fell behind the leader's first index: install this snapshot. */
export interface MsgSnap extends MessageHeader {
  readonly type: 'MsgSnap';
  readonly snapshot: Snapshot;
}

/** Leader → follower: I am still leader; commit up to `commit` (never past what the follower matches). */
export interface MsgHeartbeat extends MessageHeader {
  readonly type: 'MsgHeartbeat';
  readonly commit: number;
  /** The ReadIndex request this round confirms, or null. */
  readonly context: Uint8Array | null;
}

/** Follower → leader, echoing the heartbeat's `context`. */
export interface MsgHeartbeatResp extends MessageHeader {
  readonly type: 'MsgHeartbeatResp';
  readonly context: Uint8Array | null;
}

/** Local (from the driver): a message to `from` could not be delivered. */
export interface MsgUnreachable extends MessageHeader {
  readonly type: 'MsgUnreachable';
}

/** Local (from the driver): the snapshot sent to `from` was delivered (`reject: false`) or failed. */
export interface MsgSnapStatus extends MessageHeader {
  readonly type: 'MsgSnapStatus';
  readonly reject: boolean;
}

/** Ask the leader to hand leadership to `from` (the transferee), as etcd does. */
export interface MsgTransferLeader extends MessageHeader {
  readonly type: 'MsgTransferLeader';
}

/** Leader → transferee: start an election now, ignoring leases and pre-vote. */
export interface MsgTimeoutNow extends MessageHeader {
  readonly type: 'MsgTimeoutNow';
}

/** A linearizable read request, local or forwarded to the leader (term 0). `context` MUST be unique. */
export interface MsgReadIndex extends MessageHeader {
  readonly type: 'MsgReadIndex';
  readonly context: Uint8Array;
}

/** Leader → follower: the read `context` may be served once `index` is applied. */
export interface MsgReadIndexResp extends MessageHeader {
  readonly type: 'MsgReadIndexResp';
  readonly index: number;
  readonly context: Uint8Array;
}

/** True for the message types only raft itself (or the driver through `report*()`) may produce. */
export function isLocalMessage(type: MessageType): boolean {
  return (
    type === 'MsgHup' ||
    type === 'MsgBeat' ||
    type === 'MsgCheckQuorum' ||
    type === 'MsgUnreachable' ||
    type === 'MsgSnapStatus'
  );
}

/** True for responses: `RawNode.step()` drops those from peers outside the configuration. */
export function isResponseMessage(type: MessageType): boolean {
  return (
    type === 'MsgAppResp' ||
    type === 'MsgVoteResp' ||
    type === 'MsgHeartbeatResp' ||
    type === 'MsgPreVoteResp' ||
    type === 'MsgReadIndexResp' ||
    type === 'MsgUnreachable'
  );
}
