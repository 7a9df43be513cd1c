/**
 * The scheduler (leader only): keeps a node set current from store events, takes the PENDING tasks,
 * places them in batches with {@link placeTasks} and writes the decisions. See README.md.
 */
import { IllegalStateError, type Logger, type Timer } from '../../common/index.js';
import { TASK_STATES, type Task } from '../../proto/index.js';
import type { StoreEvent, Watcher, WriteTx } from '../store/index.js';
import { hostPortKeys, NodeSet, sameUsage, type TaskUsage, taskUsage } from './node-set.js';
import { type CompiledSchedulerOptions, compileSchedulerOptions, type SchedulerOptions } from './options.js';
import { placeTasks } from './place-tasks.js';

/** What the scheduler knows of a task that uses a node or waits for one. */
interface TaskRecord {
  /** `meta.version` of the task object this record reflects: older events are ignored. */
  readonly version: number;
  readonly usage: TaskUsage | null;
}

interface Assignment {
  readonly task: Task;
  readonly nodeId: string;
  readonly record: TaskRecord;
}

/** Counters, for tests, benchmarks and metrics. */
export interface SchedulerStats {
  /** Passes run (including those that found nothing to do). */
  passes: number;
  /** Tasks written ASSIGNED. */
  assigned: number;
  /** `schedulingMessage` writes for tasks left pending. */
  messages: number;
  /** Times the state was rebuilt from the store (start, watch overflow, snapshot restore, failed pass). */
  resyncs: number;
  /** Tasks waiting for a node now. */
  pending: number;
}

const ASSIGNED_MESSAGE = 'scheduler assigned task to node';

/**
 * Task writes per `batch.update` call. Small against the store's transaction size (200 objects by
 * default), which a transaction may exceed by up to this much.
 */
const WRITES_PER_ITEM = 32;

/** A task the scheduler should place: PENDING and still wanted (a delayed restart is placed in advance). */
function isPending(t: Task): boolean {
  return t.status.state === 'PENDING' && TASK_STATES[t.desiredState] <= TASK_STATES.RUNNING;
}

/**
 * Places PENDING tasks on nodes. `run(signal)` runs until the signal aborts, `stop()` is called or the
 * store closes; it is meant to run on the leader only. A task no node can take stays PENDING with its
 * `schedulingMessage`, and is placed as soon as a node fits (a node joins or changes, a task ends).
 */
export class Scheduler {
  readonly #o: CompiledSchedulerOptions;
  readonly #log: Logger;
  readonly #nodes = new NodeSet();
  readonly #records = new Map<string, TaskRecord>();
  readonly #pending = new Map<string, Task>();
  readonly #hostPorts = new Map<string, readonly string[]>();
  readonly #stats: Omit<SchedulerStats, 'pending'> = { passes: 0, assigned: 0, messages: 0, resyncs: 0 };
  #watcher: Watcher | null = null;
  #started = false;
  #stopping = false;
  #done: Promise<void> = Promise.resolve();
  #timer: Timer | null = null;
  /** Monotonic times of the first and the last change since the last pass began (debounce). */
  #firstDirty: number | null = null;
  #lastDirty = 0;
  #woken = false;
  #wake: (() => void) | null = null;

  /** @throws TypeError, RangeError naming an invalid option */
  constructor(options: SchedulerOptions) {
    this.#o = compileSchedulerOptions(options);
    this.#log = this.#o.logger;
  }

  get stats(): SchedulerStats {
    return { ...this.#stats, pending: this.#pending.size };
  }

  /**
   * Runs the scheduler; resolves once it stopped (the signal aborted, {@link stop}, or the store closed).
   * @throws IllegalStateError when called a second time
   */
  run(signal?: AbortSignal): Promise<void> {
    if (this.#started) throw new IllegalStateError('Cannot run the scheduler: it was started before');
    this.#started = true;
    if (this.#stopping || signal?.aborted === true) return Promise.resolve();
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.#done = this.#loop();
    return this.#done;
  }

  /** Stops the scheduler; resolves once its loop exited. Idempotent. */
  stop(): Promise<void> {
    this.#stopping = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.#watcher?.close();
    this.#signal();
    return this.#done;
  }

  async #loop(): Promise<void> {
    this.#log.info('scheduler starting');
    this.#resync();
    const reader = this.#read();
    try {
      while (!this.#stopping) {
        await this.#sleep();
        if (this.#stopping) break;
        this.#firstDirty = null;
        try {
          await this.#pass();
        } catch (err) {
          if (this.#stopping) break;
          // Some of the pass's writes may have landed and some not: start again from the store.
          this.#log.warn('scheduling pass failed; retrying', { err });
          this.#resync();
          this.#retryLater();
        }
      }
    } finally {
      this.#stopping = true;
      this.#timer?.cancel();
      this.#timer = null;
      this.#watcher?.close();
      await reader;
      this.#log.info('scheduler stopped');
    }
  }

  // ---------------------------------------------------------------- waking up

  #sleep(): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#woken = false;
        resolve();
      };
    });
  }

  #signal(): void {
    this.#woken = true;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Something may let a pending task be placed: run a pass once changes pause (bounded). */
  #markDirty(): void {
    if (this.#pending.size === 0 || this.#stopping) return;
    const now = this.#o.clock.monotonic();
    this.#lastDirty = now;
    if (this.#firstDirty === null) this.#firstDirty = now;
    if (this.#timer === null)
      this.#timer = this.#o.clock.setTimeout(() => this.#onTimer(), this.#o.debounceMs);
  }

  #onTimer(): void {
    this.#timer = null;
    const now = this.#o.clock.monotonic();
    const first = this.#firstDirty ?? now;
    const due = Math.min(this.#lastDirty + this.#o.debounceMs, first + this.#o.maxDelayMs);
    if (due > now) this.#timer = this.#o.clock.setTimeout(() => this.#onTimer(), due - now);
    else this.#signal();
  }

  #retryLater(): void {
    this.#timer?.cancel();
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = null;
      this.#signal();
    }, this.#o.retryDelayMs);
  }

  // ---------------------------------------------------------------- following the store

  /** Rebuilds the whole state from the store and watches from there. */
  #resync(): void {
    this.#stats.resyncs++;
    this.#watcher?.close();
    this.#nodes.clear();
    this.#records.clear();
    this.#pending.clear();
    this.#hostPorts.clear();
    const { result, watcher } = this.#o.store.viewAndWatch(
      (tx) => ({ nodes: tx.nodes.find(), services: tx.services.find(), tasks: tx.tasks.find() }),
      { kinds: ['node', 'service', 'task'], maxQueue: this.#o.maxWatchQueue },
    );
    this.#watcher = watcher;
    for (const s of result.services) this.#hostPorts.set(s.id, hostPortKeys(s));
    for (const n of result.nodes) this.#nodes.setNode(n);
    for (const t of result.tasks) this.#applyTask(t);
  }

  async #read(): Promise<void> {
    while (!this.#stopping) {
      const w = this.#watcher as Watcher;
      await w.ready();
      if (this.#stopping) return;
      if (w !== this.#watcher) continue;
      let events: StoreEvent[];
      try {
        events = w.take();
      } catch (err) {
        this.#log.warn('store watch overflowed; rebuilding the scheduler state', { err });
        this.#resync();
        continue;
      }
      if (events.length === 0 && w.closed) {
        this.#log.info('store closed; scheduler stopping');
        this.#stopping = true;
        this.#signal();
        return;
      }
      for (const e of events) {
        this.#handle(e);
        if (w !== this.#watcher) break;
      }
    }
  }

  #handle(e: StoreEvent): void {
    switch (e.kind) {
      case 'task':
        if (e.action === 'delete') this.#forget(e.object.id);
        else this.#applyTask(e.object);
        return;
      case 'node':
        if (e.action === 'delete') this.#nodes.deleteNode(e.object.id);
        else {
          this.#nodes.setNode(e.object);
          this.#markDirty();
        }
        return;
      case 'service':
        if (e.action === 'delete') this.#hostPorts.delete(e.object.id);
        else this.#hostPorts.set(e.object.id, hostPortKeys(e.object));
        return;
      case undefined:
        if (e.action === 'restore') {
          this.#log.info('store restored from a snapshot; rebuilding the scheduler state');
          this.#resync();
        }
        return;
      default:
        return;
    }
  }

  /** Brings the node set and the pending set in line with `task` as stored. */
  #applyTask(task: Task): void {
    const rec = this.#records.get(task.id);
    if (rec !== undefined && rec.version > task.meta.version) return;
    const old = rec?.usage ?? null;
    // A task keeps the host ports it was placed with, even when its service's change later.
    const ports =
      old !== null && old.serviceId === task.serviceId
        ? old.hostPorts
        : (this.#hostPorts.get(task.serviceId) ?? []);
    const usage = taskUsage(task, ports);
    let dirty = false;
    if (!sameUsage(old, usage)) {
      if (old !== null) {
        this.#nodes.removeUsage(old);
        dirty = true;
      }
      if (usage !== null) this.#nodes.addUsage(usage);
    }
    const pending = isPending(task);
    if (usage !== null || pending) this.#records.set(task.id, { version: task.meta.version, usage });
    else this.#records.delete(task.id);
    if (pending) {
      if (!this.#pending.has(task.id)) dirty = true;
      this.#pending.set(task.id, task);
    } else this.#pending.delete(task.id);
    if (dirty) this.#markDirty();
  }

  #forget(taskId: string): void {
    const rec = this.#records.get(taskId);
    this.#records.delete(taskId);
    this.#pending.delete(taskId);
    if (rec?.usage != null) {
      this.#nodes.removeUsage(rec.usage);
      this.#markDirty();
    }
  }

  // ---------------------------------------------------------------- placing

  async #pass(): Promise<void> {
    this.#stats.passes++;
    if (this.#pending.size === 0) return;
    const clock = this.#o.clock;
    const t0 = clock.monotonic();
    const groups = new Map<string, Task[]>();
    for (const t of this.#pending.values()) {
      const key = `${t.serviceId}\0${t.specVersion}`;
      const g = groups.get(key);
      if (g === undefined) groups.set(key, [t]);
      else g.push(t);
    }
    const assignments: Assignment[] = [];
    const messages: { task: Task; reason: string }[] = [];
    for (const group of groups.values()) {
      const first = group[0] as Task;
      const hostPorts = this.#hostPorts.get(first.serviceId) ?? [];
      const decisions = placeTasks(this.#nodes.nodes, {
        serviceId: first.serviceId,
        spec: first.spec,
        hostPorts,
        tasks: group,
      });
      const { nanoCpus, memoryBytes } = first.spec.resources.reservations;
      for (let i = 0; i < group.length; i++) {
        const task = group[i] as Task;
        const d = decisions[i];
        if (d === undefined) continue;
        if (!d.placed) {
          if (task.schedulingMessage !== d.reason) messages.push({ task, reason: d.reason });
          continue;
        }
        // Counted at once, so that the next batches see it; undone if the write does not happen.
        const usage: TaskUsage = {
          nodeId: d.nodeId,
          serviceId: task.serviceId,
          nanoCpus,
          memoryBytes,
          hostPorts,
        };
        const record: TaskRecord = { version: task.meta.version, usage };
        this.#records.set(task.id, record);
        this.#nodes.addUsage(usage);
        this.#pending.delete(task.id);
        assignments.push({ task, nodeId: d.nodeId, record });
      }
    }
    const t1 = clock.monotonic();
    if (assignments.length > 0 || messages.length > 0) await this.#write(assignments, messages);
    this.#log.debug('scheduling pass', {
      'tasks.placed': assignments.length,
      'tasks.unplaced': messages.length,
      groups: groups.size,
      'place.ms': t1 - t0,
      'write.ms': clock.monotonic() - t1,
    });
  }

  #write(
    assignments: readonly Assignment[],
    messages: readonly { task: Task; reason: string }[],
  ): Promise<void> {
    const now = this.#o.clock.now();
    /** The task as we read it, unless it changed meanwhile (then the next pass sees the change). */
    const unchanged = (tx: WriteTx, task: Task): Task | null => {
      if (this.#stopping) return null;
      const cur = tx.tasks.get(task.id);
      return cur !== undefined && cur.meta.version === task.meta.version ? cur : null;
    };
    return this.#o.store.batch(async (batch) => {
      const items: Promise<void>[] = [];
      // Several writes per batch item: one promise per item is most of the cost of a large pass.
      for (let i = 0; i < assignments.length; i += WRITES_PER_ITEM) {
        const chunk = assignments.slice(i, i + WRITES_PER_ITEM);
        items.push(
          batch
            .update((tx) =>
              chunk.filter((a) => {
                const cur = unchanged(tx, a.task);
                if (cur === null) return true;
                tx.tasks.update({
                  ...cur,
                  nodeId: a.nodeId,
                  status: { ...cur.status, state: 'ASSIGNED', message: ASSIGNED_MESSAGE, timestamp: now },
                  schedulingMessage: '',
                });
                return false;
              }),
            )
            .then(
              (skipped) => {
                this.#stats.assigned += chunk.length - skipped.length;
                this.#o.onPlaced(chunk.length - skipped.length);
                for (const a of skipped) this.#undo(a);
              },
              (err: unknown) => {
                for (const a of chunk) this.#undo(a);
                throw err;
              },
            ),
        );
      }
      for (let i = 0; i < messages.length; i += WRITES_PER_ITEM) {
        const chunk = messages.slice(i, i + WRITES_PER_ITEM);
        items.push(
          batch
            .update((tx) => {
              let written = 0;
              for (const m of chunk) {
                const cur = unchanged(tx, m.task);
                if (cur === null) continue;
                tx.tasks.update({ ...cur, schedulingMessage: m.reason });
                written++;
              }
              return written;
            })
            .then((written) => {
              this.#stats.messages += written;
            }),
        );
      }
      await Promise.all(items);
    });
  }

  /** Takes back an assignment that was not written, unless an event already replaced it. */
  #undo(a: Assignment): void {
    if (this.#records.get(a.task.id) !== a.record) return;
    if (a.record.usage !== null) this.#nodes.removeUsage(a.record.usage);
    this.#records.delete(a.task.id);
    this.#applyTask(a.task);
  }
}
