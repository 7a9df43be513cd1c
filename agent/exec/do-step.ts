import { errorMessage, isTemporary } from '../../common/index.js';
import { type Task, type TaskState, type TaskStatus, taskStateValue } from '../../proto/index.js';
import type { Controller } from './controller.js';
import { ExitError } from './errors.js';

export interface StepOptions {
  /** ms since the epoch, for the status timestamp. */
  now: () => number;
  /** Aborts a wait (the desired state changed, or the agent stops). */
  signal: AbortSignal;
}

export interface StepResult {
  /** The new status (the same object when nothing changed). */
  status: TaskStatus;
  /** Whether the status moved. */
  changed: boolean;
  /** A temporary error: the same step should be retried later (with backoff). */
  retry: unknown;
}

const RUNNING = taskStateValue('RUNNING');

function moved(
  task: Task,
  state: TaskState,
  message: string,
  options: StepOptions,
  extra: Partial<TaskStatus> = {},
): StepResult {
  return {
    status: { ...task.status, ...extra, state, message, timestamp: options.now() },
    changed: true,
    retry: null,
  };
}

/** A failure before the container ran rejects the task; after, it fails it. */
function fatal(task: Task, err: unknown, options: StepOptions): StepResult {
  const state: TaskState =
    taskStateValue(task.status.state) < taskStateValue('STARTING') ? 'REJECTED' : 'FAILED';
  return moved(task, state, state === 'REJECTED' ? 'rejected' : 'failed', options, {
    err: errorMessage(err),
  });
}

/**
 * Advances a task by one step of its lifecycle, after swarmkit's exec.Do:
 *
 *   NEW/PENDING/ASSIGNED → ACCEPTED → PREPARING → (prepare) → READY → [desired ≥ RUNNING] → STARTING
 *   → (start) → RUNNING → (wait) → COMPLETE | FAILED;  desired > RUNNING at any point before the end →
 *   (shutdown) → SHUTDOWN;  a failure before STARTING → REJECTED, from STARTING on → FAILED.
 *
 * States only move forward; a task already past RUNNING is left alone. The caller persists and reports
 * each changed status, then calls doStep again until nothing changes (or retries after `retry`).
 */
export async function doStep(task: Task, controller: Controller, options: StepOptions): Promise<StepResult> {
  const state = task.status.state;
  const unchanged: StepResult = { status: task.status, changed: false, retry: null };
  if (taskStateValue(state) > RUNNING) return unchanged;
  try {
    if (taskStateValue(task.desiredState) > RUNNING) {
      // The managers want it gone: stop it wherever it is in its life.
      if (taskStateValue(state) >= taskStateValue('PREPARING')) await controller.shutdown();
      return moved(task, 'SHUTDOWN', 'shutdown', options);
    }
    switch (state) {
      case 'NEW':
      case 'PENDING':
      case 'ASSIGNED':
        return moved(task, 'ACCEPTED', 'accepted', options);
      case 'ACCEPTED':
        return moved(task, 'PREPARING', 'preparing', options);
      case 'PREPARING':
        await controller.prepare();
        return moved(task, 'READY', 'prepared', options);
      case 'READY':
        // Held at READY until the managers want it running (a delayed restart).
        if (taskStateValue(task.desiredState) < RUNNING) return unchanged;
        return moved(task, 'STARTING', 'starting', options);
      case 'STARTING': {
        await controller.start();
        const seen = await controller.inspect();
        return moved(task, 'RUNNING', 'started', options, {
          container: seen
            ? { containerId: seen.containerId, pid: seen.pid, exitCode: 0, oomKilled: false }
            : task.status.container,
        });
      }
      case 'RUNNING': {
        const exit = await controller.wait(options.signal);
        const container = {
          containerId: task.status.container?.containerId ?? '',
          pid: task.status.container?.pid ?? 0,
          exitCode: exit.exitCode,
          oomKilled: exit.oomKilled,
        };
        if (exit.exitCode === 0 && !exit.oomKilled)
          return moved(task, 'COMPLETE', 'finished', options, { container });
        return moved(task, 'FAILED', 'failed', options, {
          container,
          err: new ExitError(exit.exitCode, exit.signal, exit.oomKilled).message,
        });
      }
      default:
        return unchanged;
    }
  } catch (err) {
    if (options.signal.aborted) return unchanged;
    if (isTemporary(err)) return { ...unchanged, retry: err };
    return fatal(task, err, options);
  }
}
