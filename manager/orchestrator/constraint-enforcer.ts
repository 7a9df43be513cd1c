/**
 * The constraint enforcer (swarmkit's `orchestrator/constraintenforcer`): when a node changes (labels,
 * role, resources), the tasks placed on it that it no longer satisfies lose it: desired SHUTDOWN, and the
 * orchestrators replace them where they fit. A task no longer fits when its placement constraints stop
 * matching the node, or when the node's resources no longer cover the reservations of the tasks placed
 * on it (the newest go first). Only placed tasks are judged (ASSIGNED and later): unplaced ones are the
 * scheduler's.
 */
import { errorMessage, type Logger } from '../../common/index.js';
import {
  matchesConstraints,
  type Node,
  parseConstraints,
  type Task,
  taskStateValue,
} from '../../proto/index.js';
import { byNodeId, type ObjectEvent, type ReadTx } from '../store/index.js';
import type { OrchestratorDeps } from './deps.js';
import { type LoopHandler, ReconcileLoop } from './reconcile-loop.js';
import { byAge, hasEnded, isRunnable } from './tasks.js';

/** The ids of the tasks on `node` (live, wanted, placed) that must leave it. */
export function tasksToEvict(node: Node, tasks: readonly Task[]): string[] {
  const placed = tasks
    .filter(
      (t) => isRunnable(t) && !hasEnded(t) && taskStateValue(t.status.state) >= taskStateValue('ASSIGNED'),
    )
    .sort(byAge);
  const evict: string[] = [];
  const fitting: Task[] = [];
  for (const t of placed) {
    let ok: boolean;
    try {
      ok = matchesConstraints(parseConstraints(t.spec.placement.constraints), node);
    } catch {
      ok = true; // validated by the Control API; the enforcer does not judge what it cannot read
    }
    if (ok) fitting.push(t);
    else evict.push(t.id);
  }
  const resources = node.description?.resources;
  if (resources !== undefined) {
    let cpu = 0;
    let mem = 0;
    for (const t of fitting) {
      const r = t.spec.resources.reservations;
      if (
        (r.nanoCpus > 0 && cpu + r.nanoCpus > resources.nanoCpus) ||
        (r.memoryBytes > 0 && mem + r.memoryBytes > resources.memoryBytes)
      ) {
        evict.push(t.id);
        continue;
      }
      cpu += r.nanoCpus;
      mem += r.memoryBytes;
    }
  }
  return evict;
}

export class ConstraintEnforcer implements LoopHandler {
  readonly #deps: OrchestratorDeps;
  readonly #log: Logger;
  readonly #loop: ReconcileLoop;
  readonly #dirty = new Set<string>();

  constructor(deps: OrchestratorDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ module: 'orchestrator/constraint-enforcer' });
    this.#loop = new ReconcileLoop('constraint enforcer', deps.store, deps.clock, this.#log, this);
  }

  run(signal: AbortSignal): Promise<void> {
    return this.#loop.run(signal);
  }

  settled(): Promise<void> {
    return this.#loop.settled();
  }

  start(tx: ReadTx): void {
    for (const n of tx.nodes.find()) this.#dirty.add(n.id);
  }

  event(e: ObjectEvent): void {
    if (e.kind !== 'node' || e.action === 'delete') return;
    const n = e.object;
    if (
      e.action === 'create' ||
      e.old.role !== n.role ||
      e.old.spec.annotations !== n.spec.annotations ||
      e.old.description !== n.description
    )
      this.#dirty.add(n.id);
  }

  finish(): void {}

  async pass(signal: AbortSignal): Promise<boolean> {
    const ids = [...this.#dirty];
    this.#dirty.clear();
    let failed = false;
    try {
      await this.#deps.store.batch(async (batch) => {
        for (const nodeId of ids) {
          if (signal.aborted) return;
          await batch
            .update((tx) => {
              const node = tx.nodes.get(nodeId);
              if (node === undefined) return;
              for (const id of tasksToEvict(node, tx.tasks.find(byNodeId(nodeId)))) {
                const t = tx.tasks.get(id);
                if (t === undefined) continue;
                tx.tasks.update({ ...t, desiredState: 'SHUTDOWN' });
                this.#log.info('task shut down: its node no longer satisfies it', {
                  'task.id': id,
                  'node.id': nodeId,
                  'service.id': t.serviceId,
                });
              }
            })
            .catch((err: unknown) => {
              failed = true;
              this.#dirty.add(nodeId);
              this.#log.warn('constraint check failed; retrying', {
                'node.id': nodeId,
                error: errorMessage(err),
              });
            });
        }
      });
    } catch (err) {
      failed = true;
      for (const id of ids) this.#dirty.add(id);
      this.#log.warn('constraint enforcer commit failed; retrying', { error: errorMessage(err) });
    }
    return failed;
  }
}
