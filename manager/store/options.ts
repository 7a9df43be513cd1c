import type { Clock, Logger } from '../../common/index.js';
import { nullLogger, systemClock } from '../../common/index.js';
import type { Proposer } from './proposer.js';

/** Options of a {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Replicates writes (manager/replication's Raft proposer). Without one, `update()` applies directly and
   * versions come from a local counter: single-node tests and tools. @default none
   */
  proposer?: Proposer;
  /** Stamps the writes of this manager's transactions (`meta.createdAt/updatedAt`). @default the system clock */
  clock?: Clock;
  /** @default a logger that drops everything */
  logger?: Logger;
  /** The most events a watcher may hold unread before it is closed with an error. @default 10000 */
  maxWatchQueue?: number;
  /**
   * `batch()` commits a transaction once it touched this many objects (swarmkit's
   * MaxChangesPerTransaction); keep entries well under the proposer's size limit. @default 200
   */
  maxChangesPerTransaction?: number;
}

/** {@link MemoryStoreOptions} validated, with every default filled in. */
export interface CompiledMemoryStoreOptions {
  readonly proposer: Proposer | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxWatchQueue: number;
  readonly maxChangesPerTransaction: number;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * Validates the options and fills in the defaults, in one place.
 * @throws RangeError, TypeError naming the first invalid option
 */
export function compileMemoryStoreOptions(options: MemoryStoreOptions = {}): CompiledMemoryStoreOptions {
  const proposer = options.proposer ?? null;
  if (proposer !== null && typeof proposer.propose !== 'function')
    throw new TypeError('proposer must have a propose(actions) method');
  return {
    proposer,
    clock: options.clock ?? systemClock,
    logger: (options.logger ?? nullLogger).child({ module: 'manager/store' }),
    maxWatchQueue: positiveInt('maxWatchQueue', options.maxWatchQueue ?? 10_000),
    maxChangesPerTransaction: positiveInt(
      'maxChangesPerTransaction',
      options.maxChangesPerTransaction ?? 200,
    ),
  };
}
