/**
 * The dispatcher's options (design.md §7: `DispatcherOptions` → {@link compileDispatcherOptions} →
 * `CompiledDispatcherOptions`). The heartbeat period itself is the cluster's
 * (`Cluster.spec.dispatcher.heartbeatPeriodMs`), read from the store; these are the fixed rules around it.
 */
import { type Clock, type GrpcCaller, type Logger, nullLogger, type Rand } from '../../common/index.js';
import type { MemoryStore } from '../store/index.js';
import type { ManagerAddress } from './errors.js';

/** What an Authenticator receives: the parts of a server call that identify its peer. */
export type DispatcherCall = GrpcCaller;

/** The calling node, as its certificate names it. */
export interface NodeIdentity {
  nodeId: string;
  role: 'worker' | 'manager';
}

/**
 * Extracts the caller's identity (in production: the CN and OU of the peer's TLS certificate). Throws to
 * refuse the call, preferably an `UnauthenticatedError` (UNAUTHENTICATED).
 */
export type Authenticator = (call: DispatcherCall) => NodeIdentity;

export interface DispatcherOptions {
  store: MemoryStore;
  clock: Clock;
  /** Heartbeat jitter. */
  rand: Rand;
  authenticate: Authenticator;
  /** Every manager, sent to agents for failover (and with UNAVAILABLE when not running). */
  managers: () => readonly ManagerAddress[];
  /** @default nullLogger */
  logger?: Logger;
  /** Used when the store has no Cluster object. @default 1000 */
  defaultHeartbeatPeriodMs?: number;
  /** Missed periods before a node is marked down. @default 3 */
  heartbeatGraceMultiplier?: number;
  /**
   * How long a dispatcher that starts (a new leader) waits for each ready node to open a session before
   * marking it down, at least the heartbeat grace: agents of a leader that vanished notice it only when a
   * heartbeat goes unanswered, then fail over between managers with backoff, so a short grace would
   * mark healthy nodes down and move all their tasks at every leader change. @default 10000
   */
  reconnectGraceMs?: number;
  /**
   * Whether a node is known to be unreachable by other means (a manager whose Raft member has been
   * silent to this leader): a starting dispatcher marks such a node down at the heartbeat grace
   * instead of waiting the whole reconnect grace. @default never
   */
  unreachable?: (nodeId: string) => boolean;
  /** Periods sent to agents are the cluster's ± this fraction. @default 0.1 */
  heartbeatJitter?: number;
  /** Status updates per UpdateTaskStatus call. @default 10000 */
  maxUpdatesPerCall?: number;
  /** Status updates written per store batch. @default 10000 */
  maxStatusBatchItems?: number;
  /** Characters of a status `message` or `err`. @default 4096 */
  maxStatusTextLength?: number;
  /** How far in the future an agent's status timestamp may be (clock skew). @default 1 day */
  maxTimestampSkewMs?: number;
  /** The bound of the dispatcher's store watcher (one for all nodes). @default 1000000 */
  watchQueue?: number;
  /** Hooks for the dispatcher's counters. @default none */
  metrics?: DispatcherMetrics;
}

/**
 * What the dispatcher counts, for the composition root to export; the dispatcher only calls these hooks.
 */
export interface DispatcherMetrics {
  /** A heartbeat was taken. */
  heartbeat(): void;
  /** A node missed its heartbeats past the grace period and is marked down. */
  heartbeatsMissed(): void;
  /** A task reached RUNNING for the first time, this many seconds after it was created. */
  taskStarted(secondsSinceCreated: number): void;
}

const NO_METRICS: DispatcherMetrics = { heartbeat() {}, heartbeatsMissed() {}, taskStarted() {} };

export interface CompiledDispatcherOptions {
  readonly store: MemoryStore;
  readonly clock: Clock;
  readonly rand: Rand;
  readonly authenticate: Authenticator;
  readonly managers: () => readonly ManagerAddress[];
  readonly logger: Logger;
  readonly defaultHeartbeatPeriodMs: number;
  readonly heartbeatGraceMultiplier: number;
  readonly reconnectGraceMs: number;
  readonly unreachable: (nodeId: string) => boolean;
  readonly heartbeatJitter: number;
  readonly maxUpdatesPerCall: number;
  readonly maxStatusBatchItems: number;
  readonly maxStatusTextLength: number;
  readonly maxTimestampSkewMs: number;
  readonly watchQueue: number;
  readonly metrics: DispatcherMetrics;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isSafeInteger(x) || x < 1)
    throw new RangeError(`DispatcherOptions.${name}: must be a positive integer, got ${x}`);
  return x;
}

/**
 * Validates and fills the defaults.
 * @throws RangeError naming the option and the rule
 */
export function compileDispatcherOptions(o: DispatcherOptions): CompiledDispatcherOptions {
  const jitter = o.heartbeatJitter ?? 0.1;
  if (!(jitter >= 0 && jitter < 1))
    throw new RangeError(`DispatcherOptions.heartbeatJitter: must be in [0, 1), got ${jitter}`);
  const multiplier = o.heartbeatGraceMultiplier ?? 3;
  if (!(multiplier >= 1 && Number.isFinite(multiplier)))
    throw new RangeError(`DispatcherOptions.heartbeatGraceMultiplier: must be at least 1, got ${multiplier}`);
  return {
    store: o.store,
    clock: o.clock,
    rand: o.rand,
    authenticate: o.authenticate,
    managers: o.managers,
    logger: o.logger ?? nullLogger,
    defaultHeartbeatPeriodMs: positiveInt('defaultHeartbeatPeriodMs', o.defaultHeartbeatPeriodMs, 1000),
    heartbeatGraceMultiplier: multiplier,
    reconnectGraceMs: positiveInt('reconnectGraceMs', o.reconnectGraceMs, 10_000),
    unreachable: o.unreachable ?? (() => false),
    heartbeatJitter: jitter,
    maxUpdatesPerCall: positiveInt('maxUpdatesPerCall', o.maxUpdatesPerCall, 10_000),
    maxStatusBatchItems: positiveInt('maxStatusBatchItems', o.maxStatusBatchItems, 10_000),
    maxStatusTextLength: positiveInt('maxStatusTextLength', o.maxStatusTextLength, 4096),
    maxTimestampSkewMs: positiveInt('maxTimestampSkewMs', o.maxTimestampSkewMs, 86_400_000),
    watchQueue: positiveInt('watchQueue', o.watchQueue, 1_000_000),
    metrics: o.metrics ?? NO_METRICS,
  };
}
