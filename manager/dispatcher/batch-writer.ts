/**
 * Group commit for the dispatcher's writes (task status, node status): items submitted while the store is
 * idle are written at once (in the next turn of the event loop, so that the items of one tick share a
 * transaction); items submitted while a write is in flight wait for it and then go together. So a burst
 * of calls costs a few store batches, not one entry each, and no item waits longer than one write.
 * Writes are serial: each item's callback sees every earlier item, so "only forward" checks are exact.
 */
import type { Batch, MemoryStore, WriteTx } from '../store/index.js';

interface Submission {
  remaining: number;
  done: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

interface Entry<T> {
  item: T;
  sub: Submission;
}

export interface BatchWriterOptions<T> {
  store: MemoryStore;
  /** Writes one item (synchronously, in a store transaction); a throw fails that item's submission only. */
  write(tx: WriteTx, item: T): void;
  /** Items per store batch. */
  maxItems: number;
}

export class BatchWriter<T> {
  readonly #store: MemoryStore;
  readonly #write: (tx: WriteTx, item: T) => void;
  readonly #maxItems: number;
  #queue: Entry<T>[] = [];
  #flushing = false;
  #scheduled = false;
  #closed: unknown = null;
  #idle: Array<() => void> = [];

  constructor(options: BatchWriterOptions<T>) {
    this.#store = options.store;
    this.#write = options.write;
    this.#maxItems = options.maxItems;
  }

  /** Items queued and not written yet. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Queues `items`; resolves once all are written, rejects with the first item's error or the store's
   * (then some of them may have been written).
   */
  submit(items: readonly T[]): Promise<void> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const sub: Submission = { remaining: items.length, done: false, resolve, reject };
      for (const item of items) this.#queue.push({ item, sub });
      this.#schedule();
    });
  }

  /** Refuses queued and future items with `err`; a write in flight completes. Idempotent. */
  close(err: unknown): void {
    if (this.#closed !== null) return;
    this.#closed = err;
    const queue = this.#queue;
    this.#queue = [];
    for (const e of queue) fail(e.sub, err);
    this.#notifyIdle();
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (!this.#flushing && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #notifyIdle(): void {
    if (this.#flushing || this.#queue.length > 0) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const w of waiters) w();
  }

  #schedule(): void {
    if (this.#flushing || this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#queue.length === 0) return;
    this.#flushing = true;
    const entries = this.#queue.splice(0, this.#maxItems);
    const written = new Map<Submission, number>();
    try {
      await this.#store.batch(async (b: Batch) => {
        for (const e of entries) {
          if (e.sub.done) continue;
          try {
            await b.update((tx) => this.#write(tx, e.item));
            written.set(e.sub, (written.get(e.sub) ?? 0) + 1);
          } catch (err) {
            fail(e.sub, err);
          }
        }
      });
      for (const [sub, n] of written) {
        sub.remaining -= n;
        if (sub.remaining === 0 && !sub.done) {
          sub.done = true;
          sub.resolve();
        }
      }
    } catch (err) {
      for (const e of entries) fail(e.sub, err);
    } finally {
      this.#flushing = false;
      this.#schedule();
      this.#notifyIdle();
    }
  }
}

function fail(sub: Submission, err: unknown): void {
  if (sub.done) return;
  sub.done = true;
  sub.reject(err);
}
