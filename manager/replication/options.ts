import type { Clock, Logger, Rand } from '../../common/index.js';
import { nullLogger, randomSeededRand, systemClock } from '../../common/index.js';
import { NO_REPLICATION_METRICS, type ReplicationMetrics } from './metrics.js';
import type { StateMachine } from './state-machine.js';
import type { DiskStorageOptions } from './storage/index.js';
import type { RaftTransportOptions } from './transport/index.js';
import { parseHostPort } from './transport/index.js';

/** A member's raft id and the address its raft transport listens on (`host:port`). */
export interface MemberAddress {
  readonly id: bigint;
  readonly address: string;
}

/** Transport settings passed through to the {@link RaftTransport} (see its options for each). */
export type ReplicationTransportOptions = Omit<
  RaftTransportOptions,
  'id' | 'listenAddress' | 'handler' | 'logger' | 'clock' | 'rand'
>;

/** Storage settings passed through to the {@link DiskStorage}. */
export type ReplicationStorageOptions = Omit<DiskStorageOptions, 'logger'>;

/** Options of a {@link ReplicatedNode}. Timing of raft is in ticks of `tickMs` (design.md §5). */
export interface ReplicatedNodeOptions<R> {
  /** This member's raft id: non-zero, 64-bit, never reused after a removal. */
  id: bigint;
  /** The state directory: WAL under `<dir>/wal/`, snapshots under `<dir>/snap/`. */
  dir: string;
  /** `host:port` the raft transport listens on; port 0 lets the OS choose. */
  listenAddress: string;
  /** The application state machine. */
  stateMachine: StateMachine<R>;
  /**
   * The members this one knows the addresses of when it starts (it may be among them). A new member that
   * does not `join` bootstraps a cluster of exactly these ids, in this order (every founding member MUST
   * be given the same list), or of itself alone when the list is empty. A joining member is given the
   * current members, so that it can answer the leader. Addresses learnt later (from conf changes and
   * snapshots) take precedence. @default []
   */
  members?: readonly MemberAddress[];
  /**
   * A new member (empty state dir) waits to be added by the leader (`addMember`) instead of bootstrapping.
   * Ignored on restart. @default false
   */
  join?: boolean;
  /** The tick period. @default 100 */
  tickMs?: number;
  /** Ticks between heartbeats. @default 1 */
  heartbeatTicks?: number;
  /** Ticks without a leader before an election (randomised in [n, 2n)). @default 10 */
  electionTicks?: number;
  /** Take a snapshot of the state machine every this many applied entries. @default 10000 */
  snapshotEntries?: number;
  /** Entries kept in the log behind a snapshot, for slow followers (swarmkit's number). @default 500 */
  logTailEntries?: number;
  /** A proposal, read or membership change with no outcome after this long is rejected. @default 10000 */
  requestTimeoutMs?: number;
  /** How long a leadership transfer may take. @default 3 election timeouts */
  transferTimeoutMs?: number;
  /** How long `addMember` waits for a learner to catch up before promoting it. @default 60000 */
  catchUpTimeoutMs?: number;
  /** The largest proposal. @default 1.5 MiB (etcd's request limit) */
  maxProposalBytes?: number;
  /** Most MsgApps in flight to one follower. @default 256 */
  maxInflightMsgs?: number;
  /** Most bytes of entries in one MsgApp. @default 1 MiB */
  maxSizePerMsg?: number;
  /** Bytes of uncommitted entries past which the leader refuses proposals; 0: no limit. @default 64 MiB */
  maxUncommittedBytes?: number;
  storage?: ReplicationStorageOptions;
  transport?: ReplicationTransportOptions;
  /** @default a logger that drops everything */
  logger?: Logger;
  /** Ticks, timeouts and the transport's timers. @default the system clock */
  clock?: Clock;
  /** Election jitter and the transport's backoff jitter. @default seeded from the CSPRNG */
  rand?: Rand;
  /** Hooks for the node's counters (proposals, leader changes, WAL syncs, snapshots). @default none */
  metrics?: ReplicationMetrics;
}

/** {@link ReplicatedNodeOptions} validated, with every default filled in. */
export interface CompiledReplicatedNodeOptions<R> {
  readonly id: bigint;
  readonly dir: string;
  readonly listenAddress: string;
  readonly stateMachine: StateMachine<R>;
  readonly members: readonly MemberAddress[];
  readonly join: boolean;
  readonly tickMs: number;
  readonly heartbeatTicks: number;
  readonly electionTicks: number;
  readonly snapshotEntries: number;
  readonly logTailEntries: number;
  readonly requestTimeoutMs: number;
  readonly transferTimeoutMs: number;
  readonly catchUpTimeoutMs: number;
  readonly maxProposalBytes: number;
  readonly maxInflightMsgs: number;
  readonly maxSizePerMsg: number;
  readonly maxUncommittedBytes: number;
  readonly storage: ReplicationStorageOptions;
  readonly transport: ReplicationTransportOptions;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly rand: Rand;
  readonly metrics: ReplicationMetrics;
}

const MiB = 1024 * 1024;

function int(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

/** Checks a member id: non-zero and 64-bit. @throws RangeError */
export function checkMemberId(name: string, id: bigint): bigint {
  if (typeof id !== 'bigint' || id <= 0n || id >= 1n << 64n)
    throw new RangeError(`${name} must be a non-zero 64-bit bigint, got ${String(id)}`);
  return id;
}

/**
 * Validates the options and fills in the defaults, in one place.
 * @throws RangeError, TypeError naming the first invalid option
 */
export function compileReplicatedNodeOptions<R>(
  options: ReplicatedNodeOptions<R>,
): CompiledReplicatedNodeOptions<R> {
  const id = checkMemberId('id', options.id);
  if (typeof options.dir !== 'string' || options.dir === '')
    throw new TypeError('dir must be a non-empty path');
  parseHostPort(options.listenAddress, true);
  const sm = options.stateMachine;
  if (
    typeof sm?.apply !== 'function' ||
    typeof sm.snapshot !== 'function' ||
    typeof sm.restore !== 'function'
  )
    throw new TypeError('stateMachine must have apply, snapshot and restore methods');
  const members = options.members ?? [];
  const seen = new Set<bigint>();
  for (const m of members) {
    checkMemberId('members[].id', m.id);
    parseHostPort(m.address);
    if (seen.has(m.id)) throw new RangeError(`members lists ${m.id.toString(16)} twice`);
    seen.add(m.id);
  }
  const join = options.join ?? false;
  if (!join && members.length > 0 && !seen.has(id))
    throw new RangeError(`members must include this member (${id.toString(16)}) to bootstrap a cluster`);
  const tickMs = int('tickMs', options.tickMs ?? 100, 1, 60_000);
  const heartbeatTicks = int('heartbeatTicks', options.heartbeatTicks ?? 1, 1);
  const electionTicks = int('electionTicks', options.electionTicks ?? 10, 2);
  if (electionTicks <= heartbeatTicks)
    throw new RangeError(
      `electionTicks must be greater than heartbeatTicks, got ${electionTicks} <= ${heartbeatTicks}`,
    );
  const maxSizePerMsg = int('maxSizePerMsg', options.maxSizePerMsg ?? MiB, 1);
  const maxProposalBytes = int('maxProposalBytes', options.maxProposalBytes ?? 1.5 * MiB, 1, 64 * MiB);
  const transportMaxEntry = options.transport?.maxEntryBytes ?? 16 * MiB;
  if (maxProposalBytes > transportMaxEntry)
    throw new RangeError(
      `maxProposalBytes must not exceed transport.maxEntryBytes (${transportMaxEntry}), got ${maxProposalBytes}`,
    );
  return {
    id,
    dir: options.dir,
    listenAddress: options.listenAddress,
    stateMachine: sm,
    members,
    join,
    tickMs,
    heartbeatTicks,
    electionTicks,
    snapshotEntries: int('snapshotEntries', options.snapshotEntries ?? 10_000, 1),
    logTailEntries: int('logTailEntries', options.logTailEntries ?? 500, 0),
    requestTimeoutMs: int('requestTimeoutMs', options.requestTimeoutMs ?? 10_000, 1),
    transferTimeoutMs: int('transferTimeoutMs', options.transferTimeoutMs ?? 3 * electionTicks * tickMs, 1),
    catchUpTimeoutMs: int('catchUpTimeoutMs', options.catchUpTimeoutMs ?? 60_000, 1),
    maxProposalBytes,
    maxInflightMsgs: int('maxInflightMsgs', options.maxInflightMsgs ?? 256, 1),
    maxSizePerMsg,
    maxUncommittedBytes: int('maxUncommittedBytes', options.maxUncommittedBytes ?? 64 * MiB, 0),
    storage: options.storage ?? {},
    transport: options.transport ?? {},
    logger: options.logger ?? nullLogger,
    clock: options.clock ?? systemClock,
    rand: options.rand ?? randomSeededRand(),
    metrics: options.metrics ?? NO_REPLICATION_METRICS,
  };
}
