import { isTaskState, type Task } from '../../proto/index.js';
import { TaskRecordInvalidError } from './errors.js';
import type { RestartHistory } from './restart-policy.js';

/** What `<stateDir>/tasks/<task id>.json` holds. */
export interface TaskRecord {
  /** The format's version. */
  v: 1;
  /** The task as last assigned by the managers, with the last status this agent gave it. */
  task: Task;
  restart: RestartHistory;
}

/** Task ids become file names: no separators, no dot first. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * What is wrong with a task from outside (the dispatcher, a task file) for this agent to run it, or null.
 * Checks the fields the worker and the executor rely on, not every field of the model.
 */
export function taskProblem(v: unknown): string | null {
  if (!isObject(v)) return 'the task is not a JSON object';
  if (typeof v.id !== 'string' || !TASK_ID_PATTERN.test(v.id))
    return 'id: must be 1 to 128 letters, digits, "_", "." or "-"';
  if (typeof v.desiredState !== 'string' || !isTaskState(v.desiredState))
    return `desiredState: must be a task state, got ${JSON.stringify(v.desiredState)}`;
  const status = v.status;
  if (!isObject(status)) return 'status: must be an object';
  if (typeof status.state !== 'string' || !isTaskState(status.state))
    return `status.state: must be a task state, got ${JSON.stringify(status.state)}`;
  if (status.restarts !== undefined && (typeof status.restarts !== 'number' || status.restarts < 0))
    return 'status.restarts: must be a number ≥ 0';
  const spec = v.spec;
  if (!isObject(spec)) return 'spec: must be an object';
  if (!isObject(spec.container)) return 'spec.container: must be an object';
  const rp = spec.restartPolicy;
  if (!isObject(rp)) return 'spec.restartPolicy: must be an object';
  if (rp.condition !== 'none' && rp.condition !== 'on-failure' && rp.condition !== 'any')
    return `spec.restartPolicy.condition: must be none, on-failure or any, got ${JSON.stringify(rp.condition)}`;
  if (rp.delayMs !== null && (typeof rp.delayMs !== 'number' || rp.delayMs < 0))
    return 'spec.restartPolicy.delayMs: must be null or a number ≥ 0';
  for (const f of ['maxAttempts', 'windowMs'] as const)
    if (typeof rp[f] !== 'number' || (rp[f] as number) < 0)
      return `spec.restartPolicy.${f}: must be a number ≥ 0`;
  return null;
}

/** A task that passed {@link taskProblem}, with the defaults older senders may leave out. */
export function normalizeTask(v: Task): Task {
  return v.status.restarts === undefined ? { ...v, status: { ...v.status, restarts: 0 } } : v;
}

function isTimes(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((t) => typeof t === 'number' && Number.isFinite(t));
}

/**
 * Parses one task file.
 * @throws TaskRecordInvalidError naming the file and the broken rule
 */
export function parseTaskRecord(file: string, text: string): TaskRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new TaskRecordInvalidError(file, 'it is not JSON', { cause: err });
  }
  if (!isObject(parsed)) throw new TaskRecordInvalidError(file, 'it is not a JSON object');
  if (parsed.v !== 1)
    throw new TaskRecordInvalidError(
      file,
      `v: must be 1 (this agent's format), got ${JSON.stringify(parsed.v)}`,
    );
  const problem = taskProblem(parsed.task);
  if (problem !== null) throw new TaskRecordInvalidError(file, `task.${problem}`);
  const r = parsed.restart;
  if (!isObject(r) || !isTimes(r.at) || typeof r.nextDelayMs !== 'number' || typeof r.startedAt !== 'number')
    throw new TaskRecordInvalidError(file, 'restart: must be {at: number[], nextDelayMs, startedAt}');
  return {
    v: 1,
    task: normalizeTask(parsed.task as Task),
    restart: { at: r.at, nextDelayMs: r.nextDelayMs, startedAt: r.startedAt },
  };
}
