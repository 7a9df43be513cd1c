/**
 * The replicated orchestrator (swarmkit's `orchestrator/replicated`): keeps slots 1..N of every
 * replicated service filled with one wanted task each. It creates tasks for missing slots, scales down
 * (slots whose task is not running first, then from the nodes with the most tasks of the service, then
 * the highest slots), restarts tasks that ended under the restart policy (see {@link RestartSupervisor}),
 * replaces tasks whose node is DOWN, drained or gone, replaces tasks of an outdated spec, promotes delayed
 * restarts when due, and marks the tasks of a deleted service REMOVE.
 */
import { type Node, type Task, taskStateValue } from '../../proto/index.js';
import { byNodeId, byServiceId, type ObjectEvent, type ReadTx, type WriteTx } from '../store/index.js';
import type { OrchestratorDeps } from './deps.js';
import { ServiceReconciler } from './service-reconciler.js';
import { reconcileSlot, removeSlot } from './slot-reconciler.js';
import { byAge, groupBy, hasEnded, isGivenUp, isGlobal, isLostNode, isRunnable } from './tasks.js';

export class ReplicatedOrchestrator extends ServiceReconciler {
  /** Nodes whose liveness changed: their services are marked at the next pass. */
  readonly #dirtyNodes = new Set<string>();

  constructor(deps: OrchestratorDeps) {
    super(deps, 'orchestrator/replicated');
  }

  protected markAll(tx: ReadTx): void {
    for (const s of tx.services.find()) if (!isGlobal(s)) this.dirty.add(s.id);
    // Tasks of services deleted while no orchestrator ran.
    for (const t of tx.tasks.find())
      if (t.slot !== 0 && t.desiredState !== 'REMOVE' && !tx.services.get(t.serviceId))
        this.dirty.add(t.serviceId);
  }

  protected mark(e: ObjectEvent): void {
    switch (e.kind) {
      case 'service':
        if (e.action === 'delete' || !isGlobal(e.object)) this.dirty.add(e.object.id);
        break;
      case 'task': {
        const t = e.object;
        if (t.slot === 0) break;
        if (
          e.action !== 'update' ||
          e.old.desiredState !== t.desiredState ||
          e.old.status.state !== t.status.state ||
          e.old.nodeId !== t.nodeId
        )
          this.dirty.add(t.serviceId);
        break;
      }
      case 'node':
        if (e.action !== 'update' || isLostNode(e.old) !== isLostNode(e.object))
          this.#dirtyNodes.add(e.object.id);
        break;
    }
  }

  protected override resolveMarks(tx: ReadTx): void {
    for (const nodeId of this.#dirtyNodes)
      for (const t of tx.tasks.find(byNodeId(nodeId)))
        if (isRunnable(t) && t.slot !== 0) this.dirty.add(t.serviceId);
    this.#dirtyNodes.clear();
  }

  protected reconcile(tx: WriteTx, serviceId: string, now: number): void {
    const service = tx.services.get(serviceId);
    const tasks = tx.tasks.find(byServiceId(serviceId));
    if (service === undefined) {
      for (const t of tasks)
        if (t.slot !== 0 && taskStateValue(t.desiredState) < taskStateValue('REMOVE'))
          tx.tasks.update({ ...t, desiredState: 'REMOVE' });
      return;
    }
    if (!('replicated' in service.spec.mode)) return;
    const replicas = service.spec.mode.replicated.replicas;
    const ctx = this.slotContext(tx, service, now);
    const slots = groupBy(tasks, (t) => t.slot);
    const occupied = [...slots.entries()].filter(([, ts]) => ts.some((t) => isRunnable(t) || isGivenUp(t)));
    const removed = new Set(pickSlotsToRemove(occupied, occupied.length - replicas));
    const nodes = new Map<string, Node | undefined>();
    const lost = (nodeId: string): boolean => {
      if (!nodes.has(nodeId)) nodes.set(nodeId, tx.nodes.get(nodeId));
      return isLostNode(nodes.get(nodeId));
    };
    for (const [slot, ts] of occupied) {
      if (removed.has(slot)) removeSlot(ctx, ts);
      else reconcileSlot(ctx, { slot, nodeId: '', create: true }, ts, lost);
    }
    let missing = replicas - (occupied.length - removed.size);
    const taken = new Set(occupied.map(([slot]) => slot));
    for (let slot = 1; missing > 0; slot++) {
      if (taken.has(slot)) continue;
      reconcileSlot(ctx, { slot, nodeId: '', create: true }, slots.get(slot) ?? [], lost);
      missing--;
    }
  }
}

/**
 * The `count` slots a scale-down removes: slots whose task is not running first (pending, starting,
 * ended, given up), then those on the nodes with the most tasks of the service (recounted after each
 * pick), then the highest slot numbers.
 */
export function pickSlotsToRemove(
  occupied: readonly (readonly [number, readonly Task[]])[],
  count: number,
): number[] {
  if (count <= 0) return [];
  const current = occupied.map(([slot, ts]) => {
    const live = ts.filter((t) => isRunnable(t) && !hasEnded(t)).sort(byAge);
    const task = live[live.length - 1];
    return { slot, nodeId: task?.nodeId ?? '', running: task?.status.state === 'RUNNING' };
  });
  const perNode = new Map<string, number>();
  for (const c of current) if (c.nodeId !== '') perNode.set(c.nodeId, (perNode.get(c.nodeId) ?? 0) + 1);
  const picked: number[] = [];
  const left = [...current];
  while (picked.length < count && left.length > 0) {
    let best = 0;
    for (let i = 1; i < left.length; i++) {
      const a = left[i];
      const b = left[best];
      if (a === undefined || b === undefined) continue;
      const d =
        Number(b.running) - Number(a.running) ||
        (perNode.get(a.nodeId) ?? 0) - (perNode.get(b.nodeId) ?? 0) ||
        a.slot - b.slot;
      if (d > 0) best = i;
    }
    const [choice] = left.splice(best, 1);
    if (choice === undefined) break;
    picked.push(choice.slot);
    if (choice.nodeId !== '') perNode.set(choice.nodeId, (perNode.get(choice.nodeId) ?? 1) - 1);
  }
  return picked;
}
