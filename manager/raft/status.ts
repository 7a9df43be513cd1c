import type { ProgressState } from './progress.js';
import type { ConfState, StateType } from './types.js';

/** A cheap snapshot of a node's raft state. */
export interface BasicStatus {
  readonly id: bigint;
  readonly term: number;
  readonly vote: bigint;
  readonly commit: number;
  /** The leader this node follows, itself when leading, or 0n. */
  readonly lead: bigint;
  readonly raftState: StateType;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** The member leadership is being transferred to (leader only), or 0n. */
  readonly leadTransferee: bigint;
  readonly isLearner: boolean;
}

/** The leader's view of one member's replication. */
export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
  readonly paused: boolean;
  readonly pendingSnapshot: number;
  /** MsgApps in flight. */
  readonly inflight: number;
}

/** {@link BasicStatus} plus the membership and, on the leader, each member's progress. */
export interface Status extends BasicStatus {
  readonly config: ConfState;
  /** Per member (the leader included), only on the leader; null elsewhere. */
  readonly progress: ReadonlyMap<bigint, ProgressStatus> | null;
}
