/**
 * Waiting for a service to converge after `service create|update|scale` (unless `--detach`), as `docker
 * service create` does: progress lines (`web: 3/6 running`) on standard error whenever the count changes,
 * and once per task the reason it is not running yet (`web.2: failed: exit code 1`, `web.3: pending: no
 * suitable node (…)`). Returns when every wanted task runs; Ctrl-C stops the waiting, not the service.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { controlpb } from '../../../proto/index.js';
import type { CommandContext } from '../../context.js';
import { taskName, taskStateWord } from '../../format/task.js';

type Task = controlpb.Task__Output;
type Service = controlpb.Service__Output;

export interface ConvergeOptions {
  /** Between two looks at the tasks. @default 100 */
  pollMs?: number;
  /** A global service with no task after this long has no eligible node: stop waiting. @default 3000 */
  globalEmptyMs?: number;
}

export interface ConvergeCount {
  running: number;
  wanted: number;
}

const RUNNING = 'TASK_STATE_RUNNING';
const FAILED_STATES = new Set(['TASK_STATE_FAILED', 'TASK_STATE_REJECTED']);

/**
 * A task of the service's current spec: made from its spec version, or from an older version with the
 * same task spec (a scale bumps the version but replaces no task).
 */
function isCurrent(service: Service, task: Task): boolean {
  return (
    String(task.specVersion) === String(service.specVersion) ||
    JSON.stringify(task.spec) === JSON.stringify(service.spec?.task)
  );
}

/** The tasks of the service's current spec that should run, and how many of them do. */
export function countConverged(service: Service, tasks: readonly Task[]): ConvergeCount {
  const current = tasks.filter((t) => t.desiredState === RUNNING && isCurrent(service, t));
  const running = current.filter((t) => t.status?.state === RUNNING).length;
  const replicas = service.spec?.replicated?.replicas;
  const wanted = replicas !== undefined && replicas !== null ? Number(replicas) : current.length;
  return { running: Math.min(running, wanted), wanted };
}

/** Why a task of the service is not running, when there is something to say. */
function taskProblem(task: Task): string | null {
  const state = task.status?.state ?? '';
  if (FAILED_STATES.has(state))
    return `${taskStateWord(state)}: ${task.status?.err || task.status?.message || 'no reason given'}`;
  if (task.desiredState === RUNNING && task.schedulingMessage !== '')
    return `${taskStateWord(state)}: ${task.schedulingMessage}`;
  return null;
}

/** Waits until the service runs all its tasks, printing progress; resolves early when interrupted. */
export async function waitForConvergence(
  ctx: CommandContext,
  serviceId: string,
  options: ConvergeOptions = {},
): Promise<void> {
  const pollMs = options.pollMs ?? 100;
  const start = ctx.now();
  let last = '';
  const told = new Set<string>();
  while (!ctx.signal.aborted) {
    const { service } = await ctx.client.call('GetService', { serviceId });
    if (service === null) return;
    const { tasks } = await ctx.client.call('ListTasks', { serviceIds: [service.id] });
    const name = service.spec?.annotations?.name ?? serviceId;
    const count = countConverged(service, tasks);
    const line = `${name}: ${count.running}/${count.wanted} running`;
    if (line !== last) {
      ctx.notice(`${line}\n`);
      last = line;
    }
    for (const t of tasks) {
      if (!isCurrent(service, t)) continue;
      const problem = taskProblem(t);
      const key = `${t.id}\u0000${problem}`;
      if (problem !== null && !told.has(key)) {
        told.add(key);
        ctx.notice(`${taskName(t)}: ${problem}\n`);
      }
    }
    const global = service.spec?.replicated === null || service.spec?.replicated === undefined;
    if (count.running >= count.wanted && (count.wanted > 0 || !global)) {
      ctx.notice(`${name}: converged\n`);
      return;
    }
    if (global && count.wanted === 0 && ctx.now() - start >= (options.globalEmptyMs ?? 3000)) {
      ctx.notice(`${name}: no node is eligible for this global service\n`);
      return;
    }
    try {
      await sleep(pollMs, undefined, { signal: ctx.signal });
    } catch {
      return;
    }
  }
}
