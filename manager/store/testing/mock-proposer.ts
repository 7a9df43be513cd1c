import type { Clock } from '../../../common/index.js';
import { decodeStoreActions, encodeStoreActions } from '../codec.js';
import type { MemoryStore } from '../memory-store.js';
import type { Proposer } from '../proposer.js';
import type { ApplyResult, StoreAction } from '../types.js';

/** Options of a {@link MockProposer}. */
export interface MockProposerOptions {
  /**
   * `sync`: a proposal commits inside `propose()`; `manual`: proposals wait for `commitNext()`,
   * `commitAll()` or `dropNext()`. Ignored when `delayMs` is set. @default 'sync'
   */
  mode?: 'sync' | 'manual';
  /** Each proposal commits `delayMs` after it was made, on `clock` (a FakeClock in tests). */
  delayMs?: number;
  /** The clock of `delayMs`; required with it. */
  clock?: Clock;
  /**
   * Sends every entry through {@link encodeStoreActions}/{@link decodeStoreActions} and has each store
   * apply the bytes, as replication does; false hands the same action objects to every store. @default true
   */
  encode?: boolean;
}

/** A committed entry. */
export interface MockLogEntry {
  readonly index: number;
  readonly actions: readonly StoreAction[];
  /** The encoded entry (when `encode`), as a follower would receive it. */
  readonly data: Uint8Array | null;
}

interface Pending {
  readonly actions: readonly StoreAction[];
  resolve(result: ApplyResult): void;
  reject(err: unknown): void;
}

/**
 * A {@link Proposer} without Raft: a log in memory that "commits" an entry by applying it to every
 * attached store in turn, the first attached store being the leader whose `apply` result `propose()`
 * resolves with. Indexes increase by one per entry (`skip()` leaves gaps, as raft's own entries do).
 * Proposals can commit at once, on demand, or after a delay on a fake clock, and can be failed.
 *
 * @example
 * ```ts
 * const proposer = new MockProposer();
 * const leader = new MemoryStore({ proposer, clock });
 * const follower = new MemoryStore({ clock });
 * proposer.attach(leader, follower);
 * await leader.update((tx) => tx.services.create(svc)); // applied on both
 * ```
 */
export class MockProposer implements Proposer {
  /** Every committed entry, in order. */
  readonly log: MockLogEntry[] = [];
  readonly #stores: MemoryStore[] = [];
  readonly #pending: Pending[] = [];
  readonly #failures: unknown[] = [];
  readonly #mode: 'sync' | 'manual' | 'delay';
  readonly #delayMs: number;
  readonly #clock: Clock | null;
  readonly #encode: boolean;
  #nextIndex = 1;
  /** Number of propose() calls, failed ones included. */
  proposals = 0;

  constructor(options: MockProposerOptions = {}) {
    if (options.delayMs !== undefined && options.clock === undefined)
      throw new TypeError('MockProposer: delayMs needs a clock');
    this.#mode = options.delayMs !== undefined ? 'delay' : (options.mode ?? 'sync');
    this.#delayMs = options.delayMs ?? 0;
    this.#clock = options.clock ?? null;
    this.#encode = options.encode ?? true;
  }

  /** Adds stores that apply every entry committed from now on; the first one ever attached is the leader. */
  attach(...stores: MemoryStore[]): void {
    this.#stores.push(...stores);
  }

  /** Stops applying entries to `store` (a member that left or crashed). */
  detach(store: MemoryStore): void {
    const i = this.#stores.indexOf(store);
    if (i >= 0) this.#stores.splice(i, 1);
  }

  /** Proposals waiting to commit. */
  get pending(): number {
    return this.#pending.length;
  }

  /** The index the next entry gets (at least). */
  get nextIndex(): number {
    return this.#nextIndex;
  }

  /** The next proposal is rejected with `error` at once, and nothing is applied. */
  failNext(error: unknown = new Error('MockProposer: proposal failed')): void {
    this.#failures.push(error);
  }

  /** Consumes `n` indexes without store entries (raft's empty and conf-change entries). */
  skip(n: number): void {
    this.#nextIndex += n;
  }

  propose(actions: readonly StoreAction[]): Promise<ApplyResult> {
    this.proposals++;
    if (this.#failures.length > 0) return Promise.reject(this.#failures.shift());
    return new Promise<ApplyResult>((resolve, reject) => {
      this.#pending.push({ actions, resolve, reject });
      if (this.#mode === 'sync') this.commitNext();
      else if (this.#mode === 'delay') this.#clock?.setTimeout(() => this.commitNext(), this.#delayMs);
    });
  }

  /** Commits the oldest pending proposal; returns the leader's apply result (undefined when none pends). */
  commitNext(): ApplyResult | undefined {
    const p = this.#pending.shift();
    if (p === undefined) return undefined;
    let result: ApplyResult;
    try {
      result = this.#commit(p.actions);
    } catch (err) {
      p.reject(err);
      return undefined;
    }
    p.resolve(result);
    return result;
  }

  /** Commits every pending proposal, in order. */
  commitAll(): void {
    while (this.#pending.length > 0) this.commitNext();
  }

  /** Rejects the oldest pending proposal with `error` without committing it (a lost leadership). */
  dropNext(error: unknown = new Error('MockProposer: proposal dropped')): void {
    this.#pending.shift()?.reject(error);
  }

  /**
   * Commits an entry that no attached store proposed (one from an earlier leader), at once; returns the
   * leader's result.
   */
  deliver(actions: readonly StoreAction[]): ApplyResult {
    return this.#commit(actions);
  }

  #commit(actions: readonly StoreAction[]): ApplyResult {
    if (this.#stores.length === 0) throw new Error('MockProposer: no store attached');
    let index = this.#nextIndex;
    for (const s of this.#stores) index = Math.max(index, s.version + 1);
    this.#nextIndex = index + 1;
    const data = this.#encode ? encodeStoreActions(actions) : null;
    let leader: ApplyResult | undefined;
    for (const s of this.#stores) {
      const r = data === null ? s.apply(actions, index) : s.applyEncoded(data, index);
      leader ??= r;
    }
    this.log.push({ index, actions: data === null ? actions : decodeStoreActions(data), data });
    return leader as ApplyResult;
  }
}
