import type { RaftLogger } from './logger.js';
import { nullRaftLogger } from './logger.js';
import type { RaftRand } from './rand.js';
import type { Storage } from './storage.js';

/** What a raft node is built from. Timing is in ticks; the driver calls `tick()` every tick period. */
export interface RaftOptions {
  /** This member's id: non-zero, never reused. */
  id: bigint;
  /** The persisted log (raft only reads it). */
  storage: Storage;
  /** Election jitter; a seeded generator in tests. */
  rand: RaftRand;
  /** @default a logger that drops everything */
  logger?: RaftLogger;
  /**
   * Ticks without hearing from a leader before a follower campaigns; each follower waits a random number
   * of ticks in [electionTicks, 2 × electionTicks). Also the CheckQuorum period and leader lease.
   * @default 10
   */
  electionTicks?: number;
  /** Ticks between heartbeats; MUST be less than `electionTicks`. @default 1 */
  heartbeatTicks?: number;
  /**
   * The index the state machine has already applied (the index of the snapshot it was restored from, on
   * restart). Committed entries after it come out in `Ready.committedEntries`. @default 0
   */
  applied?: number;
  /** Most bytes of entries (see `entrySize`) in one MsgApp; at least one entry is always sent. @default 1 MiB */
  maxSizePerMsg?: number;
  /** Most bytes of entries in one `Ready.committedEntries`. @default `maxSizePerMsg` */
  maxCommittedSizePerReady?: number;
  /**
   * Most payload bytes the leader keeps appended but uncommitted; proposals past it are dropped
   * (`uncommitted-size-limit`). 0 means no limit. @default 0
   */
  maxUncommittedEntriesSize?: number;
  /** Most MsgApps in flight to one follower in the replicate state. @default 256 */
  maxInflightMsgs?: number;
  /** Most payload bytes in flight to one follower; 0 means no limit. @default 0 */
  maxInflightBytes?: number;
  /** Run a pre-vote round before each election, so a node that cannot win does not raise terms. @default true */
  preVote?: boolean;
  /**
   * The leader steps down when it has not heard from a quorum within an election timeout, and followers
   * honour a leader lease (they ignore votes while they heard from a leader recently). @default true
   */
  checkQuorum?: boolean;
  /**
   * Followers refuse proposals with {@link NotLeaderError} instead of forwarding them to the leader.
   * @default false
   */
  disableProposalForwarding?: boolean;
  /** A leader removed from the configuration steps down (after asking the most caught-up voter to take over). @default true */
  stepDownOnRemoval?: boolean;
}

/** {@link RaftOptions} validated, with every default filled in. */
export interface CompiledRaftOptions {
  readonly id: bigint;
  readonly storage: Storage;
  readonly rand: RaftRand;
  readonly logger: RaftLogger;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly applied: number;
  readonly maxSizePerMsg: number;
  readonly maxCommittedSizePerReady: number;
  readonly maxUncommittedEntriesSize: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly disableProposalForwarding: boolean;
  readonly stepDownOnRemoval: boolean;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!(v >= 0)) throw new RangeError(`${name} must be a non-negative number, got ${v}`);
  return v;
}

/**
 * Checks every option and fills in the defaults, in one place (etcd's `Config.validate`).
 * @throws RangeError naming the first invalid option
 */
export function compileRaftOptions(options: RaftOptions): CompiledRaftOptions {
  if (typeof options.id !== 'bigint' || options.id <= 0n || options.id >= 1n << 64n)
    throw new RangeError(`id must be a non-zero 64-bit bigint, got ${String(options.id)}`);
  const electionTicks = positiveInt('electionTicks', options.electionTicks ?? 10);
  const heartbeatTicks = positiveInt('heartbeatTicks', options.heartbeatTicks ?? 1);
  if (electionTicks <= heartbeatTicks)
    throw new RangeError(
      `electionTicks must be greater than heartbeatTicks, got ${electionTicks} <= ${heartbeatTicks}`,
    );
  const applied = options.applied ?? 0;
  if (!Number.isSafeInteger(applied) || applied < 0)
    throw new RangeError(`applied must be a non-negative integer, got ${applied}`);
  const maxSizePerMsg = nonNegative('maxSizePerMsg', options.maxSizePerMsg ?? 1024 * 1024);
  const maxCommittedSizePerReady = nonNegative(
    'maxCommittedSizePerReady',
    options.maxCommittedSizePerReady ?? maxSizePerMsg,
  );
  const maxUncommittedEntriesSize = nonNegative(
    'maxUncommittedEntriesSize',
    options.maxUncommittedEntriesSize ?? 0,
  );
  const maxInflightMsgs = positiveInt('maxInflightMsgs', options.maxInflightMsgs ?? 256);
  const maxInflightBytes = nonNegative('maxInflightBytes', options.maxInflightBytes ?? 0);
  if (maxInflightBytes > 0 && maxInflightBytes < maxSizePerMsg)
    throw new RangeError(
      `maxInflightBytes must be at least maxSizePerMsg, got ${maxInflightBytes} < ${maxSizePerMsg}`,
    );
  if (typeof options.rand?.int !== 'function') throw new TypeError('rand must have an int(n) method');
  return {
    id: options.id,
    storage: options.storage,
    rand: options.rand,
    logger: options.logger ?? nullRaftLogger,
    electionTicks,
    heartbeatTicks,
    applied,
    maxSizePerMsg,
    maxCommittedSizePerReady,
    maxUncommittedEntriesSize,
    maxInflightMsgs,
    maxInflightBytes,
    preVote: options.preVote ?? true,
    checkQuorum: options.checkQuorum ?? true,
    disableProposalForwarding: options.disableProposalForwarding ?? false,
    stepDownOnRemoval: options.stepDownOnRemoval ?? true,
  };
}
