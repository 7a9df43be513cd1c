/**
 * @module manager/replication — turns the pure raft core (`manager/raft`) into a replicated state machine:
 * the Ready loop ({@link ReplicatedNode}) over the durable storage (`storage/`: WAL, snapshots) and the gRPC
 * transport (`transport/`). The store implements {@link StateMachine} and proposes through
 * {@link ReplicatedNode.propose}. See README.md for the loop, the request lifecycle and membership.
 */

export type { DataKeyFileOptions, DataKeyState } from './encryption/index.js';
export {
  DataKeyFileError,
  generateUnlockKey,
  InvalidUnlockKeyError,
  LockedError,
  loadOrCreateDataKey,
  parseUnlockKey,
  readDataKeyState,
  rewrapDataKey,
  WrongUnlockKeyError,
} from './encryption/index.js';
export type { DropReason, MembershipProblem, TimedOperation } from './errors.js';
export {
  MembershipError,
  NotLeaderError,
  ProposalDroppedError,
  ReplicationError,
  ReplicationTimeoutError,
  SnapshotDecodeError,
  StoppedError,
} from './errors.js';
export type { ReplicationMetrics } from './metrics.js';
export { NO_REPLICATION_METRICS } from './metrics.js';
export type {
  CompiledReplicatedNodeOptions,
  MemberAddress,
  ReplicatedNodeOptions,
  ReplicationStorageOptions,
  ReplicationTransportOptions,
} from './options.js';
export { compileReplicatedNodeOptions } from './options.js';
export type {
  LeaderInfo,
  MemberStatus,
  ReplicatedNodeState,
  ReplicatedNodeStatus,
  ReplicationEvent,
} from './replicated-node.js';
export { ReplicatedNode } from './replicated-node.js';
export type { StateMachine } from './state-machine.js';
export { WalCorruptError, WalFailedError, WrongDataKeyError } from './storage/index.js';
