/**
 * A subscription to the store's events: a bounded queue read as an async iterator (`for await`) or
 * drained in batches with {@link Watcher.take}. The store pushes into it synchronously while applying an
 * entry; the consumer reads at its own pace. When the queue reaches its bound, the store closes the
 * watcher with a {@link WatcherOverflowError} and drops what it held, so a stuck consumer costs bounded
 * memory and never slows the store or the other watchers.
 */
import type { ObjectKind } from '../../proto/index.js';
import { WatcherOverflowError } from './errors.js';
import type { ObjectEvent, StoreEvent, WriteAction } from './types.js';

/** Which events a watcher receives. */
export interface WatchOptions {
  /** Only events of these kinds. @default every kind */
  kinds?: readonly ObjectKind[];
  /** Only these writes. @default create, update and delete */
  actions?: readonly WriteAction[];
  /** Only events this returns true for (called synchronously while the store applies; keep it cheap). */
  filter?: (event: ObjectEvent) => boolean;
  /**
   * The most events the watcher may hold unread; reaching it closes the watcher with a
   * {@link WatcherOverflowError}. @default the store's `maxWatchQueue` (10 000)
   */
  maxQueue?: number;
}

interface Waiter {
  resolve(r: IteratorResult<StoreEvent>): void;
  reject(err: unknown): void;
}

const DONE: IteratorResult<StoreEvent> = Object.freeze({ done: true, value: undefined });

/**
 * Events arrive in the order the store applied them: each transaction's object events, then its
 * `commit`. A filtered watcher gets a `commit` only after a transaction that had events for it. A
 * `restore` event (the state was replaced from a snapshot) reaches every watcher.
 */
export class Watcher implements AsyncIterableIterator<StoreEvent> {
  readonly #kinds: ReadonlySet<ObjectKind> | null;
  readonly #actions: ReadonlySet<WriteAction> | null;
  readonly #filter: ((event: ObjectEvent) => boolean) | null;
  readonly #max: number;
  readonly #onClose: (w: Watcher, error: unknown) => void;
  #queue: StoreEvent[] = [];
  #head = 0;
  #waiter: Waiter | null = null;
  #closed = false;
  /** The error to report once, then done. */
  #error: unknown = null;

  /** @internal — made by `MemoryStore.watch()`. */
  constructor(options: WatchOptions, defaultMax: number, onClose: (w: Watcher, error: unknown) => void) {
    this.#kinds = options.kinds === undefined ? null : new Set(options.kinds);
    this.#actions = options.actions === undefined ? null : new Set(options.actions);
    this.#filter = options.filter ?? null;
    const max = options.maxQueue ?? defaultMax;
    if (!Number.isSafeInteger(max) || max < 1)
      throw new RangeError(`maxQueue must be a positive integer, got ${max}`);
    this.#max = max;
    this.#onClose = onClose;
  }

  /** True when every event is wanted (no filter). */
  get unfiltered(): boolean {
    return this.#kinds === null && this.#actions === null && this.#filter === null;
  }

  /** Events queued and not read yet. */
  get size(): number {
    return this.#queue.length - this.#head;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** @internal True when this watcher wants `e`. */
  wants(e: ObjectEvent): boolean {
    return (
      (this.#kinds === null || this.#kinds.has(e.kind)) &&
      (this.#actions === null || this.#actions.has(e.action)) &&
      (this.#filter === null || this.#filter(e))
    );
  }

  /** @internal Delivers an event; closes the watcher when its queue is full. */
  push(e: StoreEvent): void {
    if (this.#closed) return;
    const w = this.#waiter;
    if (w !== null) {
      this.#waiter = null;
      w.resolve({ done: false, value: e });
      return;
    }
    if (this.size >= this.#max) {
      this.fail(new WatcherOverflowError(this.#max));
      return;
    }
    this.#queue.push(e);
  }

  /** @internal Closes the watcher with `err`, which its reader gets once. */
  fail(err: unknown): void {
    if (this.#closed) return;
    this.#error = err;
    this.#end();
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.#onClose(this, this.#error);
    const w = this.#waiter;
    this.#waiter = null;
    if (w === null) return;
    const err = this.#error;
    this.#error = null;
    if (err === null) w.resolve(DONE);
    else w.reject(err);
  }

  /**
   * Stops the subscription: queued events are dropped, a pending `next()` resolves done. Idempotent.
   */
  close(): void {
    this.#end();
  }

  #shift(): StoreEvent {
    const e = this.#queue[this.#head] as StoreEvent;
    this.#queue[this.#head] = undefined as unknown as StoreEvent;
    this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return e;
  }

  /**
   * The next event; resolves done after `close()`; rejects once with the {@link WatcherOverflowError}
   * that closed it, then resolves done.
   */
  next(): Promise<IteratorResult<StoreEvent>> {
    if (this.size > 0) return Promise.resolve({ done: false, value: this.#shift() });
    if (this.#closed) {
      const err = this.#error;
      if (err === null) return Promise.resolve(DONE);
      this.#error = null;
      return Promise.reject(err);
    }
    if (this.#waiter !== null)
      return Promise.reject(new TypeError('Cannot call next() on a watcher while another next() waits'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /**
   * Removes and returns up to `max` queued events without waiting (an empty list when none): for
   * consumers that handle events in batches. Throws the overflow error once when that closed it.
   */
  take(max = Number.POSITIVE_INFINITY): StoreEvent[] {
    if (this.#closed && this.#error !== null) {
      const err = this.#error;
      this.#error = null;
      throw err;
    }
    const n = Math.min(max, this.size);
    const out = this.#queue.slice(this.#head, this.#head + n);
    this.#head += n;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    return out;
  }

  /** Resolves when an event is queued or the watcher closed (without consuming anything). */
  async ready(): Promise<void> {
    if (this.size > 0 || this.#closed) return;
    const e = await this.next().catch((err: unknown) => {
      this.#error = err;
      return DONE;
    });
    // Put the event back at the head of the queue.
    if (e.done !== true) {
      this.#queue.splice(this.#head, 0, e.value);
    }
  }

  return(): Promise<IteratorResult<StoreEvent>> {
    this.close();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StoreEvent> {
    return this;
  }
}
