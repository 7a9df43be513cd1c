import type { Clock, Logger } from '../../common/index.js';
import { errorMessage } from '../../common/index.js';
import { type dispatcherpb, type Task, type TaskStatus, taskStateValue } from '../../proto/index.js';
import type { Executor } from '../exec/index.js';
import { AssignmentInvalidError } from './errors.js';
import { emptyRestartHistory } from './restart-policy.js';
import { TaskDb } from './task-db.js';
import { type ContainerEvents, TaskManager } from './task-manager.js';
import { normalizeTask, taskProblem } from './task-record.js';

export interface WorkerOptions {
  /** The task DB lives in `<stateDir>/tasks/`. */
  stateDir: string;
  executor: Executor;
  clock: Clock;
  logger: Logger;
  /** Receives every status a task moved to (after it was persisted): the status reporter's input. */
  report: (taskId: string, status: TaskStatus) => void;
  /** Told of containers that ended and of restarts in place. @default none */
  events?: ContainerEvents;
}

/** What became of an assignments message. */
export type ApplyResult = 'applied' | 'resync';

/** One task as the worker sees it. */
export interface WorkerTask {
  id: string;
  serviceId: string;
  /** The service's name when the task was made. */
  serviceName: string;
  desiredState: Task['desiredState'];
  state: TaskStatus['state'];
  restarts: number;
  pid: number;
}

const ACCEPTED = taskStateValue('ACCEPTED');

/**
 * Reconciles the node's assignment set into one {@link TaskManager} per task, after swarmkit's
 * agent/worker: a COMPLETE set replaces everything (tasks missing from it are shut down and removed), an
 * INCREMENTAL one applies its changes when it follows the last set seen, else asks for a new stream
 * (`'resync'`). Tasks are persisted in the local task DB; {@link load} brings a restarted agent's tasks
 * back, so their containers are re-adopted (the next step of a RUNNING task waits on it) instead of killed.
 */
export class Worker {
  readonly #o: WorkerOptions;
  readonly #log: Logger;
  readonly #db: TaskDb;
  readonly #managers = new Map<string, TaskManager>();
  readonly #removing = new Set<Promise<void>>();
  readonly #secrets = new Map<string, unknown>();
  readonly #configs = new Map<string, unknown>();
  #sequence: string | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(options: WorkerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'agent/worker' });
    this.#db = new TaskDb(options.stateDir);
  }

  /** Loads the task DB and resumes its tasks, before any assignment arrives: running ones keep running. */
  async load(): Promise<void> {
    const { records, invalid } = await this.#db.load();
    for (const err of invalid) this.#log.error('ignoring a task record that cannot be used', { err });
    for (const r of records) {
      if (this.#managers.has(r.task.id)) continue;
      const m = this.#manager(r.task, r.restart);
      m.start();
    }
    this.#log.info('task db loaded', { 'task.count': records.length });
  }

  /** Applies one assignments message (messages are applied one at a time, in call order). */
  apply(message: dispatcherpb.AssignmentsMessage__Output): Promise<ApplyResult> {
    const next = this.#queue.then(() => this.#apply(message));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Forgets the sequence: the next stream starts with a COMPLETE set. */
  resetSequence(): void {
    this.#sequence = null;
  }

  tasks(): WorkerTask[] {
    return [...this.#managers.values()].map(({ task }) => ({
      id: task.id,
      serviceId: task.serviceId,
      serviceName: task.serviceAnnotations.name,
      desiredState: task.desiredState,
      state: task.status.state,
      restarts: task.status.restarts,
      pid: task.status.container?.pid ?? 0,
    }));
  }

  /** The full task, or undefined. */
  task(id: string): Task | undefined {
    return this.#managers.get(id)?.task;
  }

  /** Every status this agent set (ACCEPTED and later), for a new session to report again. */
  statuses(): { taskId: string; status: TaskStatus }[] {
    return [...this.#managers.values()]
      .filter(({ task }) => taskStateValue(task.status.state) >= ACCEPTED)
      .map(({ task }) => ({ taskId: task.id, status: task.status }));
  }

  /** The secrets and configs the assigned tasks reference (decoded JSON), by id. */
  secret(id: string): unknown {
    return this.#secrets.get(id);
  }
  config(id: string): unknown {
    return this.#configs.get(id);
  }

  /** Resolves once the removals under way have finished. */
  async settled(): Promise<void> {
    await this.#queue;
    while (this.#removing.size > 0) await Promise.all(this.#removing);
  }

  /** Stops every task manager, leaving containers running (they outlive the agent). Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#queue;
    await Promise.all([...this.#managers.values()].map((m) => m.close()));
    await Promise.all(this.#removing);
  }

  #manager(task: Task, restart = emptyRestartHistory()): TaskManager {
    const m = new TaskManager({
      task,
      restart,
      executor: this.#o.executor,
      db: this.#db,
      clock: this.#o.clock,
      logger: this.#log,
      report: this.#o.report,
      ...(this.#o.events === undefined ? {} : { events: this.#o.events }),
    });
    this.#managers.set(task.id, m);
    return m;
  }

  async #apply(message: dispatcherpb.AssignmentsMessage__Output): Promise<ApplyResult> {
    if (this.#stopped) return 'applied';
    const complete = message.type === 'COMPLETE';
    if (!complete && (this.#sequence === null || message.appliesTo !== this.#sequence)) {
      this.#log.info('assignments out of sequence, asking for a new stream', {
        'assignments.applies_to': message.appliesTo,
        'assignments.expected': this.#sequence,
      });
      return 'resync';
    }
    const tasks = new Map<string, Task>();
    const removed = new Set<string>();
    if (complete) {
      this.#secrets.clear();
      this.#configs.clear();
    }
    for (const change of message.changes) {
      try {
        this.#decode(change, tasks, removed);
      } catch (err) {
        this.#log.error('ignoring an assignment that cannot be applied', { err });
      }
    }
    if (complete) for (const id of this.#managers.keys()) if (!tasks.has(id)) removed.add(id);
    for (const id of removed) this.#remove(id);
    const writes: Promise<void>[] = [];
    for (const task of tasks.values()) {
      const m = this.#managers.get(task.id);
      if (m) {
        writes.push(m.update(task));
        continue;
      }
      const fresh = this.#manager(task);
      writes.push(
        this.#db.put({ v: 1, task, restart: fresh.restartHistory }).catch((err: unknown) => {
          this.#log.error('cannot write the task record', { err, 'task.id': task.id });
        }),
      );
      fresh.start();
    }
    await Promise.all(writes);
    this.#sequence = message.resultsIn;
    return 'applied';
  }

  #decode(
    change: dispatcherpb.AssignmentChange__Output,
    tasks: Map<string, Task>,
    removed: Set<string>,
  ): void {
    const { kind, id } = change;
    if (change.action === 'REMOVE') {
      if (kind === 'task') removed.add(id);
      else if (kind === 'secret') this.#secrets.delete(id);
      else if (kind === 'config') this.#configs.delete(id);
      return;
    }
    if (kind !== 'task' && kind !== 'secret' && kind !== 'config')
      throw new AssignmentInvalidError(kind, id, 'kind: must be task, secret or config');
    let object: unknown;
    try {
      object = JSON.parse(change.object.toString('utf8'));
    } catch (err) {
      throw new AssignmentInvalidError(kind, id, `object: is not JSON (${errorMessage(err)})`, {
        cause: err,
      });
    }
    if (kind === 'secret') {
      this.#secrets.set(id, object);
      return;
    }
    if (kind === 'config') {
      this.#configs.set(id, object);
      return;
    }
    const problem = taskProblem(object);
    if (problem !== null) throw new AssignmentInvalidError(kind, id, problem);
    const task = normalizeTask(object as Task);
    if (task.id !== id) throw new AssignmentInvalidError(kind, id, `id: the object's id is "${task.id}"`);
    removed.delete(id);
    tasks.set(id, task);
  }

  #remove(id: string): void {
    const m = this.#managers.get(id);
    if (!m) return;
    this.#managers.delete(id);
    const p = m
      .remove()
      .catch((err: unknown) => this.#log.error('cannot remove a task', { err, 'task.id': id }))
      .finally(() => this.#removing.delete(p));
    this.#removing.add(p);
  }
}
