/**
 * The part the replicated and global orchestrators share: a set of services marked dirty by events,
 * reconciled one store transaction per service (grouped by `store.batch`), per-service timers for delayed
 * restarts, and the restart supervisor fed with every task event.
 */
import { errorMessage, type Logger, type Timer } from '../../common/index.js';
import type { Service } from '../../proto/index.js';
import type { ObjectEvent, ReadTx, WriteTx } from '../store/index.js';
import type { OrchestratorDeps } from './deps.js';
import type { LoopHandler } from './reconcile-loop.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { RestartSupervisor } from './restart-supervisor.js';
import type { SlotContext } from './slot-reconciler.js';

export abstract class ServiceReconciler implements LoopHandler {
  protected readonly deps: OrchestratorDeps;
  protected readonly log: Logger;
  protected readonly supervisor = new RestartSupervisor();
  protected readonly dirty = new Set<string>();
  readonly #loop: ReconcileLoop;
  readonly #timers = new Map<string, { at: number; timer: Timer }>();

  constructor(deps: OrchestratorDeps, module: string) {
    this.deps = deps;
    this.log = deps.logger.child({ module });
    this.#loop = new ReconcileLoop(module, deps.store, deps.clock, this.log, this);
  }

  /** Runs until `signal` aborts (leadership lost); resolves once stopped. */
  run(signal: AbortSignal): Promise<void> {
    return this.#loop.run(signal);
  }

  /** Resolves once everything applied before the call was reconciled (see {@link ReconcileLoop.settled}). */
  settled(): Promise<void> {
    return this.#loop.settled();
  }

  /** Marks every service to reconcile (and the tasks of deleted ones). */
  protected abstract markAll(tx: ReadTx): void;
  /** Marks what an event changed (task events have already been shown to the supervisor). */
  protected abstract mark(e: ObjectEvent): void;
  /** Resolves marks that need a read (a node's services) before a pass. */
  protected resolveMarks(_tx: ReadTx): void {}
  /** Reconciles one service (or the tasks of a deleted one) in `tx`. */
  protected abstract reconcile(tx: WriteTx, serviceId: string, now: number): void;

  /** What the slot reconciler needs to act on one service's slots in this transaction. */
  protected slotContext(tx: WriteTx, service: Service, now: number): SlotContext {
    return {
      tx,
      service,
      now,
      ids: this.deps.ids,
      supervisor: this.supervisor,
      log: this.log,
      wakeAt: (at) => this.wakeAt(service.id, at),
    };
  }

  start(tx: ReadTx): void {
    this.supervisor.reset();
    for (const t of tx.tasks.find()) this.supervisor.observeTask(t);
    this.markAll(tx);
  }

  event(e: ObjectEvent): void {
    this.supervisor.observe(e);
    this.mark(e);
  }

  async pass(signal: AbortSignal): Promise<boolean> {
    this.deps.store.view((tx) => this.resolveMarks(tx));
    const ids = [...this.dirty].sort();
    this.dirty.clear();
    if (ids.length === 0) return false;
    const failed: string[] = [];
    try {
      await this.deps.store.batch(async (batch) => {
        for (const id of ids) {
          if (signal.aborted) return;
          await batch
            .update((tx) => this.reconcile(tx, id, this.deps.clock.now()))
            .catch((err: unknown) => {
              failed.push(id);
              this.log.warn('service reconcile failed; retrying', {
                'service.id': id,
                error: errorMessage(err),
              });
            });
        }
      });
    } catch (err) {
      // A commit failed (a conflict with a write in flight, a lost proposal): redo all of them.
      for (const id of ids) this.dirty.add(id);
      this.log.warn('reconcile commit failed; retrying', { error: errorMessage(err) });
      return true;
    }
    for (const id of failed) this.dirty.add(id);
    return failed.length > 0;
  }

  finish(): void {
    for (const { timer } of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }

  /** Asks for a pass over `serviceId` at `atMs` (keeps an earlier timer: that pass arms the next one). */
  protected wakeAt(serviceId: string, atMs: number): void {
    const current = this.#timers.get(serviceId);
    if (current !== undefined && current.at <= atMs) return;
    current?.timer.cancel();
    const timer = this.deps.clock.setTimeout(
      () => {
        this.#timers.delete(serviceId);
        this.dirty.add(serviceId);
        this.#loop.wake();
      },
      Math.max(0, atMs - this.deps.clock.now()),
    );
    this.#timers.set(serviceId, { at: atMs, timer });
  }
}
