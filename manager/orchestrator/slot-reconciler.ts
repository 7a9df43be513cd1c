/**
 * One slot of a service brought to what the service wants, inside a store transaction: shared by the
 * replicated orchestrator (a slot is service + slot number) and the global one (service + node). A kept
 * slot ends with exactly one wanted task, or with a given-up marker when the restart policy said no more.
 */
import type { IdSource, Logger } from '../../common/index.js';
import { type Service, type Task, type TaskState, taskStateValue } from '../../proto/index.js';
import type { WriteTx } from '../store/index.js';
import type { RestartSupervisor } from './restart-supervisor.js';
import { byAge, hasEnded, isGivenUp, isOutdated, isRunnable, newTask } from './tasks.js';

export interface SlotContext {
  readonly tx: WriteTx;
  readonly service: Service;
  readonly now: number;
  readonly ids: IdSource;
  readonly supervisor: RestartSupervisor;
  readonly log: Logger;
  /** Asks for a pass over this service at `atMs` (a delayed restart comes due). */
  wakeAt(atMs: number): void;
}

export interface SlotTarget {
  /** Slot number of new tasks (0 for a global service). */
  readonly slot: number;
  /** Node of new tasks: '' lets the scheduler choose (replicated); a global task keeps its node. */
  readonly nodeId: string;
  /**
   * Whether a slot with no wanted task gets one. false for a global service's paused or disconnected
   * node: it keeps what runs there but gets nothing new.
   */
  readonly create: boolean;
}

function setDesired(ctx: SlotContext, t: Task, desiredState: TaskState): void {
  if (t.desiredState === desiredState) return;
  ctx.tx.tasks.update({ ...t, desiredState });
}

function create(ctx: SlotContext, target: SlotTarget, desiredState: TaskState): Task {
  return ctx.tx.tasks.create(
    newTask(ctx.service, {
      slot: target.slot,
      nodeId: target.nodeId,
      desiredState,
      ids: ctx.ids,
      now: ctx.now,
    }),
  );
}

/** Which of several live tasks of one slot to keep: up to date, furthest along, newest. */
function preference(service: Service, a: Task, b: Task): number {
  return (
    Number(isOutdated(service, a)) - Number(isOutdated(service, b)) ||
    taskStateValue(b.status.state) - taskStateValue(a.status.state) ||
    byAge(b, a)
  );
}

/** Shuts down every wanted task of a slot that is going away (scaled down, node lost for a global). */
export function removeSlot(ctx: SlotContext, tasks: readonly Task[]): void {
  for (const t of tasks) if (isRunnable(t) || isGivenUp(t)) setDesired(ctx, t, 'SHUTDOWN');
}

/**
 * Reconciles a kept slot whose tasks (live and dead, any order) are `tasks`; `lostNode(nodeId)` says
 * whether a live task's node lost it (replicated only: a global slot is removed instead).
 */
export function reconcileSlot(
  ctx: SlotContext,
  target: SlotTarget,
  tasks: readonly Task[],
  lostNode: (nodeId: string) => boolean,
): void {
  const history = [...tasks].sort(byAge);
  const wanted = history.filter(isRunnable);
  const alive = wanted.filter((t) => !hasEnded(t));
  const ended = wanted.filter(hasEnded);

  if (alive.length === 0) {
    const last = ended[ended.length - 1];
    if (last !== undefined) {
      for (const t of ended) if (t !== last) setDesired(ctx, t, 'SHUTDOWN');
      if (!target.create) {
        setDesired(ctx, last, 'SHUTDOWN');
        return;
      }
      restart(ctx, target, last, history);
      return;
    }
    const marker = history.filter(isGivenUp).pop();
    if (marker !== undefined && !isOutdated(ctx.service, marker)) return;
    if (!target.create) return;
    // A new spec gives a given-up slot a fresh start; an empty kept slot gets its task.
    if (marker !== undefined) setDesired(ctx, marker, 'SHUTDOWN');
    create(ctx, target, 'RUNNING');
    return;
  }

  // Another task already holds the slot: dead extras are simply let go.
  for (const t of ended) setDesired(ctx, t, 'SHUTDOWN');
  const [keep, ...extra] = [...alive].sort((a, b) => preference(ctx.service, a, b));
  for (const t of extra) setDesired(ctx, t, 'SHUTDOWN');
  if (keep === undefined) return;

  if (keep.nodeId !== '' && lostNode(keep.nodeId)) {
    // Not a failure: no attempt is counted and no delay applies beyond one already pending.
    setDesired(ctx, keep, 'SHUTDOWN');
    create(ctx, target, keep.desiredState);
    ctx.log.info('task replaced: its node is down or drained', {
      'task.id': keep.id,
      'node.id': keep.nodeId,
      'service.id': ctx.service.id,
    });
    return;
  }
  if (isOutdated(ctx.service, keep)) {
    // The update config is not honoured yet: every outdated task is replaced at once, stop-first.
    setDesired(ctx, keep, 'SHUTDOWN');
    create(ctx, target, 'RUNNING');
    return;
  }
  if (keep.desiredState === 'READY') {
    const due = ctx.supervisor.promotionDue(ctx.service, keep, history);
    if (due <= ctx.now) setDesired(ctx, keep, 'RUNNING');
    else ctx.wakeAt(due);
  }
}

function restart(ctx: SlotContext, target: SlotTarget, ended: Task, history: readonly Task[]): void {
  const decision = ctx.supervisor.decide(ctx.service, ended, history, ctx.now);
  const fields = {
    'task.id': ended.id,
    'service.id': ctx.service.id,
    slot: target.slot,
    'node.id': ended.nodeId,
    state: ended.status.state,
  };
  if (!decision.restart) {
    setDesired(ctx, ended, 'COMPLETE');
    ctx.log.info('task not restarted', { ...fields, reason: decision.reason });
    return;
  }
  setDesired(ctx, ended, 'SHUTDOWN');
  const delayed = decision.delayMs > 0;
  const next = create(ctx, target, delayed ? 'READY' : 'RUNNING');
  if (delayed) {
    ctx.supervisor.delayed(next.id, ctx.now + decision.delayMs);
    ctx.wakeAt(ctx.now + decision.delayMs);
  }
  ctx.log.info('task restarted', { ...fields, 'task.new': next.id, delayMs: decision.delayMs });
}
