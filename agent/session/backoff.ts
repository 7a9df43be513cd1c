import type { Rand } from '../../common/index.js';

export interface BackoffOptions {
  /** @default 100 */
  initialMs?: number;
  /** @default 8000 */
  maxMs?: number;
  rand: Rand;
}

/**
 * Exponential backoff with jitter (each delay drawn in [d/2, d), d doubling from `initialMs` to `maxMs`),
 * after swarmkit's agent (100 ms → 8 s). Never zero, so a loop built on it cannot spin.
 */
export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #rand: Rand;
  #current: number;

  constructor(options: BackoffOptions) {
    this.#initial = options.initialMs ?? 100;
    this.#max = options.maxMs ?? 8000;
    if (!(this.#initial > 0) || !(this.#max >= this.#initial))
      throw new RangeError(`backoff: need 0 < initialMs ≤ maxMs, got ${this.#initial} and ${this.#max}`);
    this.#rand = options.rand;
    this.#current = this.#initial;
  }

  /** The next delay; the one after doubles. */
  next(): number {
    const d = this.#current;
    this.#current = Math.min(d * 2, this.#max);
    return Math.max(1, Math.round(d / 2 + (this.#rand.next() * d) / 2));
  }

  reset(): void {
    this.#current = this.#initial;
  }
}
