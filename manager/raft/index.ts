/**
 * @module manager/raft — Raft as a pure state machine (after etcd's raft): no I/O, no timers, no clock.
 * The replication driver owns a {@link RawNode}, feeds it ticks, peer messages and requests, and executes
 * each {@link Ready} (persist BEFORE send, apply, advance). See README.md for the state diagram and the
 * Ready contract.
 */

export { decodeConfChange, describeConfChange, encodeConfChange } from './conf-change.js';
export type { CompiledRaftOptions, RaftOptions } from './config.js';
export { compileRaftOptions } from './config.js';
export type { ProposalDropReason, RaftErrorOptions } from './errors.js';
export {
  CompactedError,
  InvariantViolationError,
  isRecoverableRaftError,
  NotLeaderError,
  ProposalDroppedError,
  RaftError,
  RaftIllegalStateError,
  RaftInoperableError,
  SnapshotOutOfDateError,
  SnapshotTemporarilyUnavailableError,
  StepLocalMessageError,
  StepPeerNotFoundError,
  UnavailableError,
} from './errors.js';
export type { RaftLogger } from './logger.js';
export { nullRaftLogger } from './logger.js';
export type { MemoryStorageOptions } from './memory-storage.js';
export { MemoryStorage } from './memory-storage.js';
export type {
  Message,
  MessageHeader,
  MessageType,
  MsgApp,
  MsgAppResp,
  MsgBeat,
  MsgCheckQuorum,
  MsgHeartbeat,
  MsgHeartbeatResp,
  MsgHup,
  MsgPreVote,
  MsgPreVoteResp,
  MsgProp,
  MsgReadIndex,
  MsgReadIndexResp,
  MsgSnap,
  MsgSnapStatus,
  MsgTimeoutNow,
  MsgTransferLeader,
  MsgUnreachable,
  MsgVote,
  MsgVoteResp,
} from './message.js';
export { isLocalMessage, isResponseMessage } from './message.js';
export type { ProgressState } from './progress.js';
export type { RaftRand } from './rand.js';
export type { SnapshotStatus } from './raw-node.js';
export { RawNode } from './raw-node.js';
export type { Ready } from './ready.js';
export type { BasicStatus, ProgressStatus, Status } from './status.js';
export type { InitialState, Storage } from './storage.js';
export type {
  ConfChange,
  ConfChangeType,
  ConfState,
  Entry,
  EntryType,
  HardState,
  ReadState,
  Snapshot,
  SnapshotMetadata,
  SoftState,
  StateType,
} from './types.js';
export {
  EMPTY_BYTES,
  EMPTY_HARD_STATE,
  ENTRY_OVERHEAD_BYTES,
  entrySize,
  hexId,
  isEmptyHardState,
  isEmptySnapshot,
  isHardStateEqual,
  limitSize,
  NONE,
  payloadsSize,
} from './types.js';
