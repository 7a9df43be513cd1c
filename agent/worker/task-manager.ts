import type { Clock, Logger, Timer } from '../../common/index.js';
import { errorMessage } from '../../common/index.js';
import { isTerminalTaskState, type Task, type TaskStatus, taskStateValue } from '../../proto/index.js';
import { type Controller, doStep, type Executor, type StepResult } from '../exec/index.js';
import { attemptAllowed, conditionAllows, planRestart, type RestartHistory } from './restart-policy.js';
import type { TaskDb } from './task-db.js';

/**
 * A Controller that can restart its ended container in place, faster than remove + prepare + start
 * (agent/runtime's reuses the bundle). Optional: the worker falls back to a fresh controller otherwise.
 */
export interface RestartableController extends Controller {
  restart(): Promise<void>;
}

function canRestart(c: Controller): c is RestartableController {
  return typeof (c as Partial<RestartableController>).restart === 'function';
}

export interface TaskManagerOptions {
  task: Task;
  restart: RestartHistory;
  executor: Executor;
  db: TaskDb;
  clock: Clock;
  logger: Logger;
  /** Called with every status this manager persisted. */
  report: (taskId: string, status: TaskStatus) => void;
  /** Told of containers that ended and of restarts in place (the agent's metrics). @default none */
  events?: ContainerEvents;
}

/** What happens to a task's container, for counters; called after the fact, never awaited. */
export interface ContainerEvents {
  /** The running container ended (with this exit), whether it is restarted in place or not. */
  containerEnded(task: Task, exit: { exitCode: number; oomKilled: boolean }): void;
  /** The ended container was restarted in place. */
  restartedInPlace(task: Task): void;
}

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 10_000;
const PREPARING = taskStateValue('PREPARING');
const RUNNING = taskStateValue('RUNNING');

/**
 * Runs one task: calls doStep until nothing changes, persists and reports each new status, and sleeps
 * until the managers change the task (a changed desired state aborts a running wait, so that the next
 * step shuts the container down). A container that ends while its restart policy allows is restarted in
 * place: the task stays RUNNING and counts the restart.
 */
export class TaskManager {
  #task: Task;
  #restart: RestartHistory;
  #controller: Controller;
  readonly #o: TaskManagerOptions;
  readonly #log: Logger;
  #generation = 0;
  #closed = false;
  #step: AbortController | null = null;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;

  constructor(options: TaskManagerOptions) {
    this.#o = options;
    this.#task = options.task;
    this.#restart = options.restart;
    this.#controller = options.executor.controller(options.task);
    this.#log = options.logger.child({ 'task.id': options.task.id });
  }

  get task(): Task {
    return this.#task;
  }

  get restartHistory(): RestartHistory {
    return this.#restart;
  }

  start(): void {
    this.#loop ??= this.#run().catch((err: unknown) => {
      this.#log.error('task manager stopped on an unexpected error', { err });
    });
  }

  /** The managers sent the task again (desired state, spec); the status stays this agent's. */
  update(incoming: Task): Promise<void> {
    const current = this.#task;
    // The agent owns the status from ACCEPTED on: the managers' copy lags behind it.
    const status =
      taskStateValue(incoming.status.state) > taskStateValue(current.status.state)
        ? incoming.status
        : current.status;
    this.#task = { ...incoming, status };
    this.#generation++;
    if (incoming.desiredState !== current.desiredState) this.#step?.abort();
    this.#wake?.();
    return this.#persist();
  }

  /** Stops driving the task, leaving its container as it is (it outlives the agent). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#step?.abort();
    this.#wake?.();
    await this.#loop;
  }

  /** The task left the assignment set: stop its container if it still runs, remove it, forget it. */
  async remove(): Promise<void> {
    await this.close();
    const state = taskStateValue(this.#task.status.state);
    if (state >= PREPARING && state <= RUNNING)
      await this.#controller.shutdown().catch((err: unknown) => {
        this.#log.warn('cannot shut down a removed task', { err });
      });
    await this.#controller.remove().catch((err: unknown) => {
      this.#log.warn('cannot remove a removed task', { err });
    });
    await this.#o.db.delete(this.#task.id);
  }

  /** Resolves when the task changed since `generation`, the manager closed, or after `ms`. */
  #idle(generation: number, ms?: number): Promise<void> {
    if (this.#closed || this.#generation !== generation) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: Timer | null = null;
      const done = (): void => {
        timer?.cancel();
        this.#wake = null;
        resolve();
      };
      this.#wake = done;
      if (ms !== undefined) timer = this.#o.clock.setTimeout(done, ms);
    });
  }

  async #run(): Promise<void> {
    let retryMs = 0;
    while (!this.#closed) {
      const generation = this.#generation;
      const task = this.#task;
      if (isTerminalTaskState(task.status.state)) {
        await this.#idle(generation);
        continue;
      }
      const step = new AbortController();
      this.#step = step;
      let r: StepResult;
      try {
        r = await doStep(task, this.#controller, { now: () => this.#o.clock.now(), signal: step.signal });
      } finally {
        this.#step = null;
      }
      if (this.#closed) break;
      if (r.retry) {
        retryMs = retryMs === 0 ? RETRY_FIRST_MS : Math.min(retryMs * 2, RETRY_MAX_MS);
        this.#log.warn('task step failed for now, retrying', { err: r.retry, 'retry.ms': retryMs });
        await this.#idle(generation, retryMs);
        continue;
      }
      retryMs = 0;
      if (!r.changed) {
        await this.#idle(generation);
        continue;
      }
      const ended = r.status.state === 'COMPLETE' || r.status.state === 'FAILED';
      if (task.status.state === 'RUNNING' && ended) {
        this.#o.events?.containerEnded(task, {
          exitCode: r.status.container?.exitCode ?? 0,
          oomKilled: r.status.container?.oomKilled ?? false,
        });
        if (await this.#restartInPlace(r.status)) continue;
      }
      if (r.status.state === 'RUNNING') this.#restart = { ...this.#restart, startedAt: this.#o.clock.now() };
      await this.#setStatus(r.status);
    }
  }

  /** Restarts the ended container when the policy allows; false leaves the end to be reported. */
  async #restartInPlace(ended: TaskStatus): Promise<boolean> {
    const policy = this.#task.spec.restartPolicy;
    const exit = { exitCode: ended.container?.exitCode ?? 0, oomKilled: ended.container?.oomKilled ?? false };
    if (this.#task.desiredState !== 'RUNNING' || !conditionAllows(policy, exit)) return false;
    const clock = this.#o.clock;
    if (!attemptAllowed(policy, this.#restart, clock.now())) {
      this.#log.info('restart policy allows no more restarts in place', {
        'restart.max_attempts': policy.maxAttempts,
      });
      return false;
    }
    const plan = planRestart(policy, this.#restart, clock.now());
    const deadline = clock.now() + plan.delayMs;
    while (clock.now() < deadline) {
      await this.#idle(this.#generation, deadline - clock.now());
      // Stopped: the next agent finds the ended container and decides again. Desired state moved: the
      // next step shuts the (ended) container down.
      if (this.#closed || this.#task.desiredState !== 'RUNNING') return true;
    }
    const restarts = ended.restarts + 1;
    try {
      await this.#restartContainer();
    } catch (err) {
      this.#log.warn('cannot restart the container in place', { err });
      await this.#setStatus({ ...ended, err: `${ended.err}; restart in place failed: ${errorMessage(err)}` });
      return true;
    }
    const seen = await this.#controller.inspect().catch(() => null);
    const now = clock.now();
    this.#restart = { ...plan.next, startedAt: now };
    this.#o.events?.restartedInPlace(this.#task);
    const how = exit.oomKilled ? `an OOM kill (exit code ${exit.exitCode})` : `exit code ${exit.exitCode}`;
    this.#log.info('container restarted in place', { 'exit.code': exit.exitCode, 'task.restarts': restarts });
    await this.#setStatus({
      ...this.#task.status,
      state: 'RUNNING',
      timestamp: now,
      message: `restarted in place after ${how} (restart ${restarts})`,
      err: '',
      container: seen
        ? { containerId: seen.containerId, pid: seen.pid, exitCode: 0, oomKilled: false }
        : ended.container,
      restarts,
    });
    return true;
  }

  async #restartContainer(): Promise<void> {
    if (canRestart(this.#controller)) {
      await this.#controller.restart();
      return;
    }
    await this.#controller.remove();
    this.#controller = this.#o.executor.controller(this.#task);
    await this.#controller.prepare();
    await this.#controller.start();
  }

  async #setStatus(status: TaskStatus): Promise<void> {
    this.#task = { ...this.#task, status };
    await this.#persist();
    this.#o.report(this.#task.id, status);
  }

  async #persist(): Promise<void> {
    try {
      await this.#o.db.put({ v: 1, task: this.#task, restart: this.#restart });
    } catch (err) {
      this.#log.error('cannot write the task record', { err });
    }
  }
}
