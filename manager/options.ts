import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { networkInterfaces, hostname as osHostname } from 'node:os';
import { Registry } from 'prom-client';
import type { Clock, IdSource, Logger, Rand } from '../common/index.js';
import { nullLogger, randomIdSource, randomSeededRand, systemClock } from '../common/index.js';
import { parseAddress } from './address.js';
import type { ManagerService } from './context.js';
import { isJoinToken } from './join-token.js';

/**
 * What a manager does with its state dir: `init` creates a cluster when the dir holds no node (and resumes
 * otherwise), `join` joins the cluster at `joinAddr` (refused when the dir already holds a node), `run`
 * resumes (refused when the dir holds none).
 */
export type ManagerMode = 'init' | 'join' | 'run';

/** Raft timing and limits of the manager's replicated node (manager/replication options). */
export interface ManagerRaftOptions {
  /** @default 100 */
  tickMs?: number;
  /** @default 1 */
  heartbeatTicks?: number;
  /** @default 10 */
  electionTicks?: number;
  /** @default 10000 */
  snapshotEntries?: number;
  /** @default 500 */
  logTailEntries?: number;
  /** A proposal or read with no outcome after this long is rejected. @default 10000 */
  requestTimeoutMs?: number;
}

export interface ManagerOptions {
  /** The state dir: `node.json`, `raft/`, `swarmd.sock`. Created (mode 0700) by `init` and `join`. */
  stateDir: string;
  mode: ManagerMode;
  /** `join`: a manager of the cluster to join (`host:port`). */
  joinAddr?: string;
  /** `join`: the cluster's manager join token. */
  joinToken?: string;
  /**
   * The cluster's unlock key (`SWMKEY-1-…`), needed to start a manager whose data key is sealed (autolock);
   * without it such a manager refuses to start with LockedError. @default none
   */
  unlockKey?: string;
  /**
   * Where the cluster port (raft, managers' services, the Control API) listens: `host:port`, `:port` for
   * every interface, port 0 for any (then recorded). @default '0.0.0.0:4242' for a new node, the recorded
   * one on resume
   */
  listenAddr?: string;
  /**
   * Where other managers reach this one, recorded in the cluster membership at creation (it cannot change
   * later). @default the listen address, or, when it listens on every interface, the first non-loopback
   * IPv4 address of the host, with the listen port
   */
  advertiseAddr?: string;
  /** Serve the same services on `<stateDir>/swarmd.sock` (mode 0600). @default true */
  socket?: boolean;
  /** This host's name, for its Node object. @default os.hostname() */
  hostname?: string;
  /** Services to register (the Control API, later the dispatcher): each is called once at start. */
  services?: readonly ManagerService[];
  /** The longest a request waits for a leader (election) before NoLeaderError. @default 5000 */
  leaderWaitMs?: number;
  /** How long a manager being joined is waited for when calling it. @default 10000 */
  connectTimeoutMs?: number;
  raft?: ManagerRaftOptions;
  /** @default a logger that drops everything */
  logger?: Logger;
  /** @default the system clock */
  clock?: Clock;
  /** Raft's election jitter. @default seeded from the CSPRNG */
  rand?: Rand;
  /** Node and cluster ids. @default random */
  ids?: IdSource;
  /** Raft member ids and join-token secrets. @default the CSPRNG */
  randomBytes?: (n: number) => Uint8Array;
  /** Where the advertise address comes from when the listen host is unspecified. @default the host's interfaces */
  defaultAdvertiseHost?: () => string | null;
  /** The Prometheus registry the manager's metrics are registered in. @default a registry of its own */
  registry?: Registry;
}

export interface CompiledManagerOptions {
  readonly stateDir: string;
  readonly mode: ManagerMode;
  readonly joinAddr: string | null;
  readonly joinToken: string | null;
  readonly unlockKey: string | null;
  readonly listenAddr: string | null;
  readonly advertiseAddr: string | null;
  readonly socket: boolean;
  readonly hostname: string;
  readonly services: readonly ManagerService[];
  readonly leaderWaitMs: number;
  readonly connectTimeoutMs: number;
  readonly raft: Required<ManagerRaftOptions>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly rand: Rand;
  readonly ids: IdSource;
  readonly randomBytes: (n: number) => Uint8Array;
  readonly defaultAdvertiseHost: () => string | null;
  readonly registry: Registry;
}

/** The first non-internal IPv4 address of the host's interfaces, or null. */
export function firstNonLoopbackIPv4(): string | null {
  for (const addrs of Object.values(networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return null;
}

function int(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

function address(name: string, v: string | undefined, o: Parameters<typeof parseAddress>[1]): string | null {
  if (v === undefined) return null;
  try {
    parseAddress(v, o);
  } catch (err) {
    throw new TypeError(`${name}: ${(err as Error).message}`);
  }
  return v;
}

/**
 * Validates the options and fills in the defaults, in one place.
 * @throws RangeError, TypeError naming the first invalid option
 */
export function compileManagerOptions(options: ManagerOptions): CompiledManagerOptions {
  if (typeof options.stateDir !== 'string' || !options.stateDir.startsWith('/'))
    throw new TypeError(`stateDir must be an absolute path, got "${String(options.stateDir)}"`);
  if (!['init', 'join', 'run'].includes(options.mode))
    throw new TypeError(`mode must be init, join or run, got "${String(options.mode)}"`);
  const joinAddr = address('joinAddr', options.joinAddr, {});
  const joinToken = options.joinToken ?? null;
  if (options.mode === 'join') {
    if (joinAddr === null) throw new TypeError('joinAddr is required to join');
    if (joinToken === null || !isJoinToken(joinToken))
      throw new TypeError('joinToken must be a join token (SWMTKN-1-<50 chars>-<25 chars>)');
  }
  const raft = options.raft ?? {};
  return {
    stateDir: options.stateDir,
    mode: options.mode,
    joinAddr,
    joinToken,
    unlockKey: options.unlockKey ?? null,
    listenAddr: address('listenAddr', options.listenAddr, { allowEmptyHost: true, allowPortZero: true }),
    advertiseAddr: address('advertiseAddr', options.advertiseAddr, {}),
    socket: options.socket ?? true,
    hostname: options.hostname ?? osHostname(),
    services: options.services ?? [],
    leaderWaitMs: int('leaderWaitMs', options.leaderWaitMs ?? 5000, 1),
    connectTimeoutMs: int('connectTimeoutMs', options.connectTimeoutMs ?? 10_000, 1),
    raft: {
      tickMs: int('raft.tickMs', raft.tickMs ?? 100, 1, 60_000),
      heartbeatTicks: int('raft.heartbeatTicks', raft.heartbeatTicks ?? 1, 1),
      electionTicks: int('raft.electionTicks', raft.electionTicks ?? 10, 2),
      snapshotEntries: int('raft.snapshotEntries', raft.snapshotEntries ?? 10_000, 1),
      logTailEntries: int('raft.logTailEntries', raft.logTailEntries ?? 500, 0),
      requestTimeoutMs: int('raft.requestTimeoutMs', raft.requestTimeoutMs ?? 10_000, 1),
    },
    logger: options.logger ?? nullLogger,
    clock: options.clock ?? systemClock,
    rand: options.rand ?? randomSeededRand(),
    ids: options.ids ?? randomIdSource,
    randomBytes: options.randomBytes ?? ((n) => new Uint8Array(cryptoRandomBytes(n))),
    defaultAdvertiseHost: options.defaultAdvertiseHost ?? firstNonLoopbackIPv4,
    registry: options.registry ?? new Registry(),
  };
}
