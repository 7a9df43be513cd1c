/**
 * The store as replication's state machine (manager/store README "wiring"), plus what forwarding needs: a
 * follower whose write the leader applied at index i waits here until its own store applied i, and gets
 * its own apply result for that entry (the same on every manager: apply is deterministic), so that
 * `store.update()` on a follower resolves or rejects exactly as on the leader and reads its own write.
 */
import type { Clock, Timer } from '../common/index.js';
import type { StateMachine } from './replication/index.js';
import { StoppedError } from './replication/index.js';
import type { ApplyResult, MemoryStore } from './store/index.js';

interface Waiter {
  readonly index: number;
  resolve(result: ApplyResult | null): void;
  reject(err: unknown): void;
}

/** How many refused results are kept for waiters that come after their entry was applied. */
const KEEP_REFUSALS = 1024;

export class StoreStateMachine implements StateMachine<ApplyResult> {
  readonly #store: MemoryStore;
  readonly #clock: Clock;
  /** The raft index of the last entry (or snapshot) applied to the store. */
  #applied = 0;
  /** Indexes at or below it were skipped by a snapshot: their results are unknown here. */
  #restoredAt = 0;
  readonly #refusals = new Map<number, ApplyResult>();
  readonly #waiters = new Set<Waiter>();
  #closed = false;

  constructor(store: MemoryStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  get applied(): number {
    return this.#applied;
  }

  apply(data: Uint8Array, index: number): ApplyResult {
    const result = this.#store.applyEncoded(data, index);
    this.#applied = index;
    if (!result.ok) {
      this.#refusals.set(index, result);
      if (this.#refusals.size > KEEP_REFUSALS) {
        const oldest = this.#refusals.keys().next().value as number;
        this.#refusals.delete(oldest);
      }
    }
    if (this.#waiters.size > 0) this.#settle();
    return result;
  }

  snapshot(): Uint8Array {
    return this.#store.snapshot();
  }

  restore(data: Uint8Array, index: number): void {
    this.#store.restore(data);
    this.#applied = index;
    this.#restoredAt = index;
    this.#refusals.clear();
    if (this.#waiters.size > 0) this.#settle();
  }

  /**
   * Resolves once the store applied the entry at `index`, with this manager's apply result for it, or
   * null when it is unknown here (a snapshot skipped the entry, or `timeoutMs` passed first: the caller
   * falls back on the leader's answer).
   * @throws (rejects) StoppedError once closed
   */
  waitApplied(index: number, timeoutMs: number): Promise<ApplyResult | null> {
    if (this.#closed) return Promise.reject(new StoppedError('wait for the entry to apply'));
    if (index <= this.#applied) return Promise.resolve(this.#resultOf(index));
    return new Promise((resolve, reject) => {
      let timer: Timer | null = null;
      const w: Waiter = {
        index,
        resolve: (r) => {
          timer?.cancel();
          resolve(r);
        },
        reject: (err) => {
          timer?.cancel();
          reject(err);
        },
      };
      this.#waiters.add(w);
      timer = this.#clock.setTimeout(() => {
        if (this.#waiters.delete(w)) resolve(null);
      }, timeoutMs);
    });
  }

  #resultOf(index: number): ApplyResult | null {
    const refused = this.#refusals.get(index);
    if (refused !== undefined) return refused;
    if (index <= this.#restoredAt) return null;
    return { ok: true, version: index };
  }

  #settle(): void {
    for (const w of [...this.#waiters])
      if (w.index <= this.#applied) {
        this.#waiters.delete(w);
        w.resolve(this.#resultOf(w.index));
      }
  }

  /** Rejects every waiter with StoppedError. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const w of [...this.#waiters]) w.reject(new StoppedError('wait for the entry to apply'));
    this.#waiters.clear();
  }
}
