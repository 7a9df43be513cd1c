/**
 * Every leader-only orchestrator component in one: the replicated and global orchestrators (with their
 * restart supervisors), the task reaper and the constraint enforcer. The composition root starts it when
 * this manager becomes leader and aborts the signal when leadership is lost; a new leader's instance
 * starts from the store, which is already current, and converges without duplicating tasks.
 *
 * ```ts
 * const orchestrators = new Orchestrators({ store, clock, logger, ids });
 * leadership.add('orchestrators', (signal) => orchestrators.run(signal));
 * ```
 */
import { IllegalStateError } from '../../common/index.js';
import { ConstraintEnforcer } from './constraint-enforcer.js';
import type { OrchestratorDeps } from './deps.js';
import { GlobalOrchestrator } from './global-orchestrator.js';
import { ReplicatedOrchestrator } from './replicated-orchestrator.js';
import { TaskReaper } from './task-reaper.js';

/** The most rounds {@link Orchestrators.settled} waits for the components to stop feeding each other. */
const MAX_SETTLE_ROUNDS = 1000;

export class Orchestrators {
  readonly replicated: ReplicatedOrchestrator;
  readonly global: GlobalOrchestrator;
  readonly reaper: TaskReaper;
  readonly constraints: ConstraintEnforcer;
  readonly #deps: OrchestratorDeps;
  #running = false;

  constructor(deps: OrchestratorDeps) {
    this.#deps = deps;
    this.replicated = new ReplicatedOrchestrator(deps);
    this.global = new GlobalOrchestrator(deps);
    this.reaper = new TaskReaper(deps);
    this.constraints = new ConstraintEnforcer(deps);
  }

  /**
   * Runs every component until `signal` aborts; resolves once all of them stopped.
   * @throws IllegalStateError when already running
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new IllegalStateError('Cannot run the orchestrators: they are already running');
    this.#running = true;
    try {
      await Promise.all([
        this.replicated.run(signal),
        this.global.run(signal),
        this.reaper.run(signal),
        this.constraints.run(signal),
      ]);
    } finally {
      this.#running = false;
    }
  }

  /**
   * Resolves once every component has handled everything applied to the store and none has more to
   * do until the store or the clock moves. For tests and diagnostics (with a store without a proposer).
   * @throws IllegalStateError when the components keep writing for {@link MAX_SETTLE_ROUNDS} rounds
   */
  async settled(): Promise<void> {
    for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
      const before = this.#deps.store.version;
      await this.replicated.settled();
      await this.global.settled();
      await this.reaper.settled();
      await this.constraints.settled();
      if (this.#deps.store.version === before) return;
    }
    throw new IllegalStateError(
      `Cannot settle the orchestrators: still writing after ${MAX_SETTLE_ROUNDS} rounds`,
    );
  }
}
