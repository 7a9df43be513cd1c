/** Tasks for people: the `service ps` / `task ls` table and the `task inspect` summary. */
import type { controlpb } from '../../proto/index.js';
import { capitalized, enumWord, shortId, truncated } from './names.js';
import { nodeName } from './node.js';
import { Summary } from './summary.js';
import { renderTable } from './table.js';
import { ago, timeAndAgo } from './time.js';

type Task = controlpb.Task__Output;
type Node = controlpb.Node__Output;

/** The width the ERROR column is cut to without `--no-trunc`. */
const ERROR_WIDTH = 50;

/** `running`, `shutdown`, … */
export function taskStateWord(state: string | number | null | undefined): string {
  return enumWord(state, 'TASK_STATE_');
}

/** `web.3` for a replicated task, `web.<node id>` for a global one (slot 0). */
export function taskName(task: Task, noTrunc = false): string {
  const service = task.serviceAnnotations?.name || shortId(task.serviceId, noTrunc);
  const slot = Number(task.slot);
  return slot > 0 ? `${service}.${slot}` : `${service}.${shortId(task.nodeId, noTrunc)}`;
}

/** The slot a task fills: its service and slot number, or its node for a global service. */
function slotKey(t: Task): string {
  return `${t.serviceId}\u0000${Number(t.slot) > 0 ? String(t.slot) : `node:${t.nodeId}`}`;
}

/** By service name, then slot (node for global services), then newest first. */
export function compareTasks(a: Task, b: Task): number {
  const sa = a.serviceAnnotations?.name ?? '';
  const sb = b.serviceAnnotations?.name ?? '';
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (a.serviceId !== b.serviceId) return a.serviceId < b.serviceId ? -1 : 1;
  const slotA = Number(a.slot);
  const slotB = Number(b.slot);
  if (slotA !== slotB) return slotA - slotB;
  if (slotA === 0 && a.nodeId !== b.nodeId) return a.nodeId < b.nodeId ? -1 : 1;
  const ca = Number(a.meta?.createdAt ?? 0);
  const cb = Number(b.meta?.createdAt ?? 0);
  if (ca !== cb) return cb - ca;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * `Running 3 seconds ago`: the task's state and when it reached it, with the crashes its agent repaired
 * in place (`Running 2 minutes ago (3 restarts)`).
 */
export function currentState(task: Task, now: number): string {
  const word = capitalized(taskStateWord(task.status?.state ?? 'TASK_STATE_NEW'));
  const at = Number(task.status?.timestamp ?? 0) || Number(task.meta?.createdAt ?? 0);
  const restarts = Number(task.status?.restarts ?? 0);
  const suffix = restarts > 0 ? ` (${restarts} restart${restarts === 1 ? '' : 's'})` : '';
  return `${at > 0 ? `${word} ${ago(now, at)}` : word}${suffix}`;
}

/** What went wrong: the task's error, or why the scheduler could not place it yet. */
export function taskError(task: Task): string {
  return task.status?.err || task.schedulingMessage || '';
}

export interface TaskTableOptions {
  nodes: ReadonlyMap<string, Node>;
  now: number;
  noTrunc: boolean;
}

/**
 * ID NAME IMAGE NODE DESIRED STATE CURRENT STATE ERROR, sorted by slot then newest; the older tasks of a
 * slot are shown as ` \_ web.1` under the newest.
 */
export function renderTaskTable(tasks: readonly Task[], options: TaskTableOptions): string {
  const sorted = [...tasks].sort(compareTasks);
  const rows = sorted.map((t, i) => {
    const older = i > 0 && slotKey(sorted[i - 1] as Task) === slotKey(t);
    const node = options.nodes.get(t.nodeId);
    return [
      shortId(t.id, options.noTrunc),
      `${older ? ' \\_ ' : ''}${taskName(t, options.noTrunc)}`,
      t.spec?.container?.image ?? '',
      node === undefined ? shortId(t.nodeId, options.noTrunc) : nodeName(node),
      capitalized(taskStateWord(t.desiredState)),
      currentState(t, options.now),
      truncated(taskError(t), ERROR_WIDTH, options.noTrunc),
    ];
  });
  return renderTable(['ID', 'NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR'], rows);
}

export function taskSummary(task: Task, node: Node | undefined, now: number): string {
  const c = task.spec?.container;
  const st = task.status;
  return new Summary()
    .field('ID', task.id)
    .field('Name', taskName(task, true))
    .field('Service', `${task.serviceAnnotations?.name ?? ''} (${task.serviceId})`)
    .field('Slot', Number(task.slot) > 0 ? String(task.slot) : '')
    .field('Node', task.nodeId === '' ? '' : node ? `${nodeName(node)} (${task.nodeId})` : task.nodeId)
    .field('Created', timeAndAgo(now, task.meta?.createdAt ?? 0))
    .field('Updated', timeAndAgo(now, task.meta?.updatedAt ?? 0))
    .field('Spec version', String(task.specVersion))
    .field('Desired state', capitalized(taskStateWord(task.desiredState)))
    .section('Status', (x) =>
      x
        .field('State', currentState(task, now))
        .field('Message', st?.message)
        .field('Error', st?.err)
        .field('Container ID', st?.container?.containerId)
        .field('PID', st?.container && Number(st.container.pid) > 0 ? String(st.container.pid) : '')
        .field(
          'Exit code',
          st?.container && st.container.containerId !== '' ? String(st.container.exitCode) : '',
        )
        .field('OOM killed', st?.container?.oomKilled ? 'yes' : ''),
    )
    .field('Scheduling', task.schedulingMessage)
    .section('Container', (x) =>
      x
        .field('Image', c?.image)
        .field('Command', (c?.command ?? []).join(' '))
        .field('Args', (c?.args ?? []).join(' ')),
    )
    .render();
}
