import type { Clock, Logger } from '../../common/index.js';
import { nullLogger } from '../../common/index.js';
import type { MemoryStore } from '../store/index.js';

/** Options of a {@link Scheduler}. */
export interface SchedulerOptions {
  store: MemoryStore;
  clock: Clock;
  /** @default a logger that drops everything */
  logger?: Logger;
  /**
   * A pass runs once no relevant change came for this long, so that the tasks of one reconcile are
   * placed as one batch. @default 5
   */
  debounceMs?: number;
  /** ...but no later than this after the first change it waits for. @default 50 */
  maxDelayMs?: number;
  /** After a failed pass (the store refused a write), the next one waits this long. @default 100 */
  retryDelayMs?: number;
  /**
   * Events the scheduler's watcher may hold unread (a full queue makes it rebuild its state from the
   * store). Placing N tasks produces about N events. @default 1 000 000
   */
  maxWatchQueue?: number;
  /** Called with the number of tasks each write assigned to nodes (for the placements counter). */
  onPlaced?: (tasks: number) => void;
}

/** {@link SchedulerOptions} validated, with every default filled in. */
export interface CompiledSchedulerOptions {
  readonly store: MemoryStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly debounceMs: number;
  readonly maxDelayMs: number;
  readonly retryDelayMs: number;
  readonly maxWatchQueue: number;
  readonly onPlaced: (tasks: number) => void;
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a number of ms ≥ 0, got ${v}`);
  return v;
}

/**
 * Validates the options and fills in the defaults.
 * @throws TypeError, RangeError naming the first invalid option
 */
export function compileSchedulerOptions(options: SchedulerOptions): CompiledSchedulerOptions {
  if (options.store === undefined || typeof options.store.viewAndWatch !== 'function')
    throw new TypeError('store must be a MemoryStore');
  if (options.clock === undefined || typeof options.clock.setTimeout !== 'function')
    throw new TypeError('clock must be a Clock');
  const debounceMs = nonNegative('debounceMs', options.debounceMs ?? 5);
  const maxDelayMs = nonNegative('maxDelayMs', options.maxDelayMs ?? 50);
  if (maxDelayMs < debounceMs)
    throw new RangeError(`maxDelayMs must be ≥ debounceMs (${debounceMs}), got ${maxDelayMs}`);
  const maxWatchQueue = options.maxWatchQueue ?? 1_000_000;
  if (!Number.isSafeInteger(maxWatchQueue) || maxWatchQueue < 1)
    throw new RangeError(`maxWatchQueue must be a positive integer, got ${maxWatchQueue}`);
  return {
    store: options.store,
    clock: options.clock,
    logger: (options.logger ?? nullLogger).child({ module: 'manager/scheduler' }),
    debounceMs,
    maxDelayMs,
    retryDelayMs: nonNegative('retryDelayMs', options.retryDelayMs ?? 100),
    maxWatchQueue,
    onPlaced: options.onPlaced ?? (() => {}),
  };
}
