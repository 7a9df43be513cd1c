/**
 * The global orchestrator (swarmkit's `orchestrator/global`): one task of every global service on every
 * eligible node. A node is eligible while it is not drained, its state is ready or unknown and it
 * matches the service's placement constraints; a task is born with its node set (the scheduler only
 * checks it). Nodes are followed as they join, leave (deleted), drain, go down or change labels and role:
 * a node that is no longer eligible loses its task (desired SHUTDOWN). A paused or disconnected node keeps
 * its task but gets no new one. Restarts, delayed restarts and spec updates happen on the same node.
 */
import {
  matchesConstraints,
  type Node,
  parseConstraints,
  type Service,
  taskStateValue,
} from '../../proto/index.js';
import { byServiceId, type ObjectEvent, type ReadTx, type WriteTx } from '../store/index.js';
import type { OrchestratorDeps } from './deps.js';
import { ServiceReconciler } from './service-reconciler.js';
import { reconcileSlot, removeSlot } from './slot-reconciler.js';
import { groupBy, isGlobal, isLostNode } from './tasks.js';

/** How a node stands for a global service. */
export type GlobalNodeFit = 'run' | 'keep' | 'remove';

/**
 * 'run': the node gets a task; 'keep': it keeps a task it has but gets none (paused, disconnected);
 * 'remove': its task is shut down (gone, drained, down, or the constraints no longer match).
 */
export function globalNodeFit(service: Service, node: Node | undefined): GlobalNodeFit {
  if (node === undefined || isLostNode(node)) return 'remove';
  let constraints: ReturnType<typeof parseConstraints>;
  try {
    constraints = parseConstraints(service.spec.task.placement.constraints);
  } catch {
    // The Control API validated them; an unparsable one matches no node rather than every node.
    return 'remove';
  }
  if (!matchesConstraints(constraints, node)) return 'remove';
  const live = node.status.state === 'ready' || node.status.state === 'unknown';
  return live && node.spec.availability === 'active' ? 'run' : 'keep';
}

export class GlobalOrchestrator extends ServiceReconciler {
  #allDirty = false;

  constructor(deps: OrchestratorDeps) {
    super(deps, 'orchestrator/global');
  }

  protected markAll(tx: ReadTx): void {
    this.#allDirty = true;
    for (const t of tx.tasks.find())
      if (t.slot === 0 && t.desiredState !== 'REMOVE' && !tx.services.get(t.serviceId))
        this.dirty.add(t.serviceId);
  }

  protected mark(e: ObjectEvent): void {
    switch (e.kind) {
      case 'service':
        if (e.action === 'delete' || isGlobal(e.object)) this.dirty.add(e.object.id);
        break;
      case 'task': {
        const t = e.object;
        if (t.slot !== 0) break;
        if (
          e.action !== 'update' ||
          e.old.desiredState !== t.desiredState ||
          e.old.status.state !== t.status.state
        )
          this.dirty.add(t.serviceId);
        break;
      }
      case 'node':
        // Any change of a node may change where global services run (state, availability, labels, role).
        if (e.action !== 'update' || nodeFitMayDiffer(e.old, e.object)) this.#allDirty = true;
        break;
    }
  }

  protected override resolveMarks(tx: ReadTx): void {
    if (!this.#allDirty) return;
    this.#allDirty = false;
    for (const s of tx.services.find()) if (isGlobal(s)) this.dirty.add(s.id);
  }

  protected reconcile(tx: WriteTx, serviceId: string, now: number): void {
    const service = tx.services.get(serviceId);
    const tasks = tx.tasks.find(byServiceId(serviceId)).filter((t) => t.slot === 0);
    if (service === undefined) {
      for (const t of tasks)
        if (taskStateValue(t.desiredState) < taskStateValue('REMOVE'))
          tx.tasks.update({ ...t, desiredState: 'REMOVE' });
      return;
    }
    if (!isGlobal(service)) return;
    const ctx = this.slotContext(tx, service, now);
    const byNode = groupBy(tasks, (t) => t.nodeId);
    const nodes = new Map(tx.nodes.find().map((n) => [n.id, n]));
    for (const [nodeId, ts] of byNode) {
      const node = nodes.get(nodeId);
      const fit = globalNodeFit(service, node);
      if (fit === 'remove') removeSlot(ctx, ts);
      else reconcileSlot(ctx, { slot: 0, nodeId, create: fit === 'run' }, ts, () => false);
    }
    for (const node of nodes.values())
      if (!byNode.has(node.id) && globalNodeFit(service, node) === 'run')
        reconcileSlot(ctx, { slot: 0, nodeId: node.id, create: true }, [], () => false);
  }
}

function nodeFitMayDiffer(a: Node, b: Node): boolean {
  return (
    a.status.state !== b.status.state ||
    a.spec.availability !== b.spec.availability ||
    a.role !== b.role ||
    a.spec.annotations !== b.spec.annotations ||
    a.description !== b.description
  );
}
