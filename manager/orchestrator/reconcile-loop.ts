/**
 * The event loop every orchestrator component runs (swarmkit's orchestrators all have this shape): start
 * from a view of the store and a watch opened atomically with it, let the component mark what changed
 * as events arrive, and run one reconcile pass per `commit` (coalescing whatever arrived meanwhile). A
 * pass that could not write everything (a version conflict with a write in flight, a failed proposal)
 * keeps its work marked and is retried on the next commit or after a short retry delay, never crashing
 * the loop. A `restore` (the state was replaced from a snapshot) or an overflowing watcher starts over
 * from a fresh view.
 */
import { type Clock, errorMessage, IllegalStateError, type Logger, type Timer } from '../../common/index.js';
import type { MemoryStore, ObjectEvent, ReadTx, StoreEvent, Watcher } from '../store/index.js';

/** What a component plugs into the loop. */
export interface LoopHandler {
  /** Reads the state the loop starts from (again after a restore) and marks everything for a pass. */
  start(tx: ReadTx): void;
  /** Marks what an event changed; synchronous and cheap. */
  event(e: ObjectEvent): void;
  /** Reconciles what was marked. Resolves true when something failed and should be retried. */
  pass(signal: AbortSignal): Promise<boolean>;
  /** The loop ended: cancel timers. */
  finish(): void;
}

/** Retry delay for a pass that failed without a commit to trigger the next one. */
export const RETRY_MS = 100;

export class ReconcileLoop {
  readonly #name: string;
  readonly #store: MemoryStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #handler: LoopHandler;
  #running = false;
  #idle = false;
  #woken = false;
  /** The store version the handler has seen every event up to. */
  #seen = 0;
  #poke: (() => void) | null = null;
  #retry: Timer | null = null;
  #settledWaiters: { target: number; resolve: () => void }[] = [];

  constructor(name: string, store: MemoryStore, clock: Clock, log: Logger, handler: LoopHandler) {
    this.#name = name;
    this.#store = store;
    this.#clock = clock;
    this.#log = log;
    this.#handler = handler;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Requests a pass (a timer the component armed came due). */
  wake(): void {
    this.#woken = true;
    this.#idle = false;
    this.#kick();
  }

  /**
   * Resolves once the loop has handled every entry applied before the call and has nothing left to do
   * until the store or the clock moves (at once when it does not run). For tests and diagnostics.
   */
  settled(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    const target = this.#store.version;
    if (this.#isSettled(target)) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push({ target, resolve }));
  }

  #isSettled(target: number): boolean {
    return !this.#running || (this.#idle && !this.#woken && this.#seen >= target);
  }

  #notifySettled(): void {
    const keep: { target: number; resolve: () => void }[] = [];
    for (const w of this.#settledWaiters) {
      if (this.#isSettled(w.target)) w.resolve();
      else keep.push(w);
    }
    this.#settledWaiters = keep;
  }

  #kick(): void {
    const p = this.#poke;
    this.#poke = null;
    p?.();
  }

  #subscribe(): Watcher {
    const { watcher } = this.#store.viewAndWatch((tx) => {
      this.#seen = tx.version;
      this.#handler.start(tx);
    });
    return watcher;
  }

  /** Runs until `signal` aborts; resolves when the loop has exited. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new IllegalStateError(`Cannot run the ${this.#name}: it is already running`);
    if (signal.aborted) return;
    this.#running = true;
    this.#idle = false;
    let watcher = this.#subscribe();
    let ready: Promise<void> | null = null;
    let dirty = true;
    const onAbort = (): void => {
      watcher.close();
      this.#kick();
    };
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        let events: StoreEvent[];
        try {
          events = watcher.take();
        } catch (err) {
          this.#log.warn('store watch lost, starting over from a fresh view', { error: errorMessage(err) });
          watcher = this.#subscribe();
          ready = null;
          dirty = true;
          continue;
        }
        for (const e of events) {
          if (e.action === 'commit') {
            dirty = true;
            this.#seen = e.version;
          } else if (e.action === 'restore') {
            watcher.close();
            watcher = this.#subscribe();
            ready = null;
            dirty = true;
            break;
          } else this.#handler.event(e);
        }
        if (this.#woken) {
          this.#woken = false;
          dirty = true;
        }
        if (dirty) {
          dirty = false;
          let retry: boolean;
          try {
            retry = await this.#handler.pass(signal);
          } catch (err) {
            this.#log.error('reconcile pass failed', { error: errorMessage(err) });
            retry = true;
          }
          if (retry && !signal.aborted) this.#armRetry();
          continue;
        }
        if (watcher.size > 0) continue;
        this.#idle = true;
        this.#notifySettled();
        // One outstanding ready() per watcher: a second would steal the first one's wait.
        const w = watcher;
        ready ??= w.ready().then(() => {
          if (watcher === w) ready = null;
        });
        await Promise.race([ready, new Promise<void>((resolve) => (this.#poke = resolve))]);
        this.#poke = null;
        this.#idle = false;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      watcher.close();
      this.#retry?.cancel();
      this.#retry = null;
      this.#handler.finish();
      this.#running = false;
      this.#woken = false;
      this.#notifySettled();
    }
  }

  #armRetry(): void {
    if (this.#retry !== null) return;
    this.#retry = this.#clock.setTimeout(() => {
      this.#retry = null;
      this.wake();
    }, RETRY_MS);
  }
}
