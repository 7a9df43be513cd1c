/**
 * The task reaper (swarmkit's `orchestrator/taskreaper`): keeps the newest
 * `cluster.spec.taskHistoryRetentionLimit` dead tasks of each slot (of each node for a global service)
 * and deletes older ones; deletes the tasks of deleted services once they are over (or never reached a
 * node). A slot's given-up marker is never deleted: it is what keeps the slot counted. Deletes are
 * batched (`store.batch`).
 */
import { errorMessage, type Logger } from '../../common/index.js';
import { type Task, taskStateValue } from '../../proto/index.js';
import { byServiceId, byServiceNode, bySlot, type ObjectEvent, type ReadTx } from '../store/index.js';
import type { OrchestratorDeps } from './deps.js';
import { type LoopHandler, ReconcileLoop } from './reconcile-loop.js';
import { byAge, groupBy, hasEnded, isGivenUp, isRunnable } from './tasks.js';

/** swarmkit's default history (`manager/manager.go`), used when the cluster object is missing. */
export const DEFAULT_TASK_HISTORY = 5;

/** A task that will not run again and may go into history. */
function isDead(t: Task): boolean {
  if (isRunnable(t)) return false;
  // Never placed: nothing to wait for. Placed: wait until the agent reports it over.
  return hasEnded(t) || (t.nodeId === '' && taskStateValue(t.status.state) < taskStateValue('ASSIGNED'));
}

const SEP = '\u0000';

export class TaskReaper implements LoopHandler {
  readonly #deps: OrchestratorDeps;
  readonly #log: Logger;
  readonly #loop: ReconcileLoop;
  /** `serviceId SEP slot` or `serviceId SEP SEP nodeId` (global). */
  readonly #dirtySlots = new Set<string>();
  readonly #dirtyServices = new Set<string>();
  #all = false;

  constructor(deps: OrchestratorDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ module: 'orchestrator/task-reaper' });
    this.#loop = new ReconcileLoop('task reaper', deps.store, deps.clock, this.#log, this);
  }

  run(signal: AbortSignal): Promise<void> {
    return this.#loop.run(signal);
  }

  settled(): Promise<void> {
    return this.#loop.settled();
  }

  start(_tx: ReadTx): void {
    this.#all = true;
  }

  event(e: ObjectEvent): void {
    if (e.kind === 'task' && e.action !== 'delete') {
      if (isDead(e.object)) this.#dirtySlots.add(slotKey(e.object));
    } else if (e.kind === 'service' && e.action === 'delete') this.#dirtyServices.add(e.object.id);
    else if (e.kind === 'cluster' && e.action !== 'delete') this.#all = true;
  }

  finish(): void {}

  async pass(signal: AbortSignal): Promise<boolean> {
    const doomed = this.#deps.store.view((tx) => this.#collect(tx));
    if (doomed.length === 0) return false;
    let failed = false;
    try {
      await this.#deps.store.batch(async (batch) => {
        for (const id of doomed) {
          if (signal.aborted) return;
          // Re-checked in the transaction: the task may have been deleted meanwhile.
          await batch
            .update((tx) => {
              if (tx.tasks.get(id) !== undefined) tx.tasks.delete(id);
            })
            .catch((err: unknown) => {
              failed = true;
              this.#log.warn('task delete failed; retrying', { 'task.id': id, error: errorMessage(err) });
            });
        }
      });
    } catch (err) {
      failed = true;
      this.#log.warn('task reaper commit failed; retrying', { error: errorMessage(err) });
    }
    if (failed) this.#all = true;
    else this.#log.debug('tasks reaped', { count: doomed.length });
    return failed;
  }

  #collect(tx: ReadTx): string[] {
    const cluster = tx.clusters.find()[0];
    const limit = cluster?.spec.taskHistoryRetentionLimit ?? DEFAULT_TASK_HISTORY;
    const doomed: string[] = [];
    const slots = new Map<string, Task[]>();
    const services = new Set(this.#dirtyServices);
    if (this.#all) {
      for (const [k, ts] of groupBy(tx.tasks.find(), slotKey)) slots.set(k, ts);
    } else {
      for (const key of this.#dirtySlots) slots.set(key, tasksOfSlot(tx, key));
      for (const id of services)
        for (const [k, ts] of groupBy(tx.tasks.find(byServiceId(id)), slotKey)) slots.set(k, ts);
    }
    this.#all = false;
    this.#dirtySlots.clear();
    this.#dirtyServices.clear();
    for (const ts of slots.values()) {
      const first = ts[0];
      if (first === undefined) continue;
      if (tx.services.get(first.serviceId) === undefined) {
        for (const t of ts) if (isOver(tx, t)) doomed.push(t.id);
        continue;
      }
      if (limit < 0) continue;
      const dead = ts.filter(isDead).sort(byAge).reverse();
      for (const t of dead.slice(limit)) if (!isGivenUp(t) || t !== dead[0]) doomed.push(t.id);
    }
    return doomed;
  }
}

function slotKey(t: Task): string {
  return t.slot === 0 ? `${t.serviceId}${SEP}${SEP}${t.nodeId}` : `${t.serviceId}${SEP}${t.slot}`;
}

function tasksOfSlot(tx: ReadTx, key: string): Task[] {
  const [serviceId = '', slot = '', nodeId = ''] = key.split(SEP);
  return slot === ''
    ? tx.tasks.find(byServiceNode(serviceId, nodeId)).filter((t) => t.slot === 0)
    : tx.tasks.find(bySlot(serviceId, Number(slot)));
}

/** A task of a deleted service that no agent will act on any more. */
function isOver(tx: ReadTx, t: Task): boolean {
  return (
    hasEnded(t) ||
    t.nodeId === '' ||
    taskStateValue(t.status.state) < taskStateValue('ASSIGNED') ||
    tx.nodes.get(t.nodeId) === undefined
  );
}
