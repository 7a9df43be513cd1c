/**
 * When a node renews its certificate: at a random point between 50 % and 80 % of its lifetime (swarmkit's
 * `calculateRandomExpiry`), so that the nodes of a cluster made at once do not all renew at once; after a
 * failed renewal, again after a backoff that doubles up to a cap. The renewal itself (a call to the CA,
 * writing the files, swapping the TLS credentials) is the caller's `renew` function.
 */
import type { Clock, Logger, Rand, Timer } from '../common/index.js';
import { errorMessage, IllegalStateError, nullLogger } from '../common/index.js';

/** A certificate's validity, ms since the epoch. */
export interface Validity {
  notBefore: number;
  notAfter: number;
}

export interface RenewalScheduleOptions {
  clock: Clock;
  rand: Rand;
  /** Gets and installs a new certificate; resolves with its validity. */
  renew: () => Promise<Validity>;
  logger?: Logger;
  /** The first retry delay after a failure. @default 1000 */
  minRetryMs?: number;
  /** The longest retry delay. @default 300000 (5 min) */
  maxRetryMs?: number;
}

/** The time to renew a certificate: `notBefore + lifetime × u`, u uniform in [0.5, 0.8). */
export function nextRenewalTime(validity: Validity, rand: Rand): number {
  const lifetime = Math.max(0, validity.notAfter - validity.notBefore);
  return validity.notBefore + Math.floor(lifetime * (0.5 + 0.3 * rand.next()));
}

/** The longest single timer wait: a day. */
const MAX_TIMER_MS = 24 * 3600 * 1000;

export class RenewalSchedule {
  readonly #clock: Clock;
  readonly #rand: Rand;
  readonly #renew: () => Promise<Validity>;
  readonly #log: Logger;
  readonly #minRetryMs: number;
  readonly #maxRetryMs: number;
  #timer: Timer | null = null;
  #nextAt: number | null = null;
  #failures = 0;
  #running: Promise<void> | null = null;
  #again = false;
  #started = false;
  #stopped = false;

  constructor(options: RenewalScheduleOptions) {
    this.#clock = options.clock;
    this.#rand = options.rand;
    this.#renew = options.renew;
    this.#log = (options.logger ?? nullLogger).child({ module: 'pki/renewal' });
    this.#minRetryMs = options.minRetryMs ?? 1000;
    this.#maxRetryMs = options.maxRetryMs ?? 300_000;
    if (!(this.#minRetryMs > 0 && this.#maxRetryMs >= this.#minRetryMs))
      throw new RangeError(`need 0 < minRetryMs ≤ maxRetryMs, got ${this.#minRetryMs}, ${this.#maxRetryMs}`);
  }

  /** When the next renewal is due (ms since the epoch), or null while one runs or after stop(). */
  get nextAt(): number | null {
    return this.#nextAt;
  }

  /** Renewals that failed in a row. */
  get failures(): number {
    return this.#failures;
  }

  /** Starts the schedule for the current certificate. */
  start(current: Validity): void {
    if (this.#started) throw new IllegalStateError('RenewalSchedule.start: already started');
    this.#started = true;
    this.#schedule(nextRenewalTime(current, this.#rand));
  }

  /** Renews as soon as possible (the node's role changed); a renewal under way is followed by another. */
  renewNow(): void {
    if (this.#stopped || !this.#started) return;
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#schedule(this.#clock.now());
  }

  /** Stops the schedule; resolves when a renewal under way has ended. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.#nextAt = null;
    await this.#running;
  }

  #schedule(at: number): void {
    this.#timer?.cancel();
    if (this.#stopped) return;
    this.#nextAt = at;
    // Renewals are weeks away, beyond what a timer can wait (2^31 - 1 ms, about 24.8 days: a longer delay
    // fires at once): wait at most a day, then look again.
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, at - this.#clock.now()));
    this.#timer = this.#clock.setTimeout(() => this.#fire(), wait);
  }

  #fire(): void {
    this.#timer = null;
    if (this.#stopped) return;
    const at = this.#nextAt;
    if (at !== null && this.#clock.now() < at) {
      this.#schedule(at);
      return;
    }
    this.#nextAt = null;
    this.#running = this.#attempt().finally(() => {
      this.#running = null;
    });
  }

  async #attempt(): Promise<void> {
    let validity: Validity;
    try {
      validity = await this.#renew();
    } catch (err) {
      this.#failures++;
      const delay = Math.min(this.#maxRetryMs, this.#minRetryMs * 2 ** Math.min(30, this.#failures - 1));
      this.#log.warn('certificate renewal failed', {
        err: errorMessage(err),
        failures: this.#failures,
        'retry.ms': delay,
      });
      this.#again = false;
      this.#schedule(this.#clock.now() + delay);
      return;
    }
    this.#failures = 0;
    this.#log.info('certificate renewed', { 'cert.not_after': new Date(validity.notAfter).toISOString() });
    if (this.#again) {
      this.#again = false;
      this.#schedule(this.#clock.now());
    } else this.#schedule(nextRenewalTime(validity, this.#rand));
  }
}
