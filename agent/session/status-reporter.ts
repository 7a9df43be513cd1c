import type { Clock, Logger, Rand, Timer } from '../../common/index.js';
import type { TaskStatus } from '../../proto/index.js';
import { Backoff } from './backoff.js';

/** One task's status, to report. */
export interface TaskStatusReport {
  taskId: string;
  status: TaskStatus;
}

export interface StatusReporterOptions {
  /** Sends one batch (`Session.updateTaskStatus`); rejects when it did not reach a dispatcher. */
  send: (reports: TaskStatusReport[]) => Promise<void>;
  clock: Clock;
  rand: Rand;
  logger: Logger;
  /** @default 10000, the dispatcher's limit per call */
  maxBatch?: number;
  /** Retry backoff. @default 100 ms doubling to 8 s */
  retryInitialMs?: number;
  retryMaxMs?: number;
}

/**
 * Reports task statuses: keeps the latest status per task (a newer one replaces an unsent older one),
 * sends at once when idle (a crash is not held back), batches what piled up while a call was in flight,
 * and retries failed batches with backoff, across sessions, without ever dropping a task's latest status.
 */
export class StatusReporter {
  readonly #o: StatusReporterOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #max: number;
  #pending = new Map<string, TaskStatusReport>();
  #inFlight = false;
  #scheduled = false;
  #timer: Timer | null = null;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: StatusReporterOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'agent/status-reporter' });
    this.#backoff = new Backoff({
      rand: options.rand,
      ...(options.retryInitialMs === undefined ? {} : { initialMs: options.retryInitialMs }),
      ...(options.retryMaxMs === undefined ? {} : { maxMs: options.retryMaxMs }),
    });
    this.#max = options.maxBatch ?? 10_000;
  }

  /** Queues a status (the latest per task wins) and sends it as soon as nothing else is in flight. */
  report(taskId: string, status: TaskStatus): void {
    if (this.#stopped) return;
    this.#pending.delete(taskId);
    this.#pending.set(taskId, { taskId, status });
    this.#schedule();
  }

  /** A new session opened: retry now instead of after the backoff. */
  kick(): void {
    this.#backoff.reset();
    if (this.#timer !== null) {
      this.#timer.cancel();
      this.#timer = null;
    }
    this.#schedule();
  }

  /** Statuses not yet acknowledged by a dispatcher (in flight not included). */
  get pending(): number {
    return this.#pending.size;
  }

  /** Resolves when nothing is pending or in flight. */
  idle(): Promise<void> {
    if (!this.#inFlight && this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops sending (what is pending is dropped: the next agent reports every task again). Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#stopped || this.#inFlight || this.#scheduled || this.#timer !== null) return;
    if (this.#pending.size === 0) {
      for (const w of this.#idleWaiters.splice(0)) w();
      return;
    }
    // A microtask, so that the statuses of one burst (a COMPLETE set's tasks) share a call.
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#stopped || this.#inFlight || this.#pending.size === 0) return;
    const batch: TaskStatusReport[] = [];
    for (const r of this.#pending.values()) {
      if (batch.length >= this.#max) break;
      batch.push(r);
    }
    for (const r of batch) this.#pending.delete(r.taskId);
    this.#inFlight = true;
    try {
      await this.#o.send(batch);
      this.#backoff.reset();
    } catch (err) {
      // Put back what no newer status replaced meanwhile, ahead of the rest.
      const merged = new Map<string, TaskStatusReport>();
      for (const r of batch) if (!this.#pending.has(r.taskId)) merged.set(r.taskId, r);
      for (const [id, r] of this.#pending) merged.set(id, r);
      this.#pending = merged;
      const delay = this.#backoff.next();
      this.#log.warn('cannot report task statuses, retrying', {
        err,
        'status.count': batch.length,
        'retry.ms': delay,
      });
      this.#timer = this.#o.clock.setTimeout(() => {
        this.#timer = null;
        this.#schedule();
      }, delay);
    } finally {
      this.#inFlight = false;
    }
    this.#schedule();
  }
}
