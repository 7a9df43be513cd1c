/**
 * A stand-in for the parts around the orchestrators in tests: a scheduler that places PENDING tasks and
 * agents that run and stop them, both writing the store as the real ones would (status only moves
 * forward, timestamps from the clock). Nodes whose state is 'down' do nothing, like a dead host.
 */
import type { Clock } from '../../../common/index.js';
import { isTerminalTaskState, type Task, type TaskState, taskStateValue } from '../../../proto/index.js';
import type { MemoryStore } from '../../store/index.js';

const v = taskStateValue;

export class FakeCluster {
  readonly #store: MemoryStore;
  readonly #clock: Clock;

  constructor(store: MemoryStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** Places wanted PENDING tasks: unassigned ones on the live active node with the fewest live tasks. */
  async schedule(): Promise<number> {
    return this.#store.update((tx) => {
      const nodes = tx.nodes
        .find()
        .filter((n) => n.status.state === 'ready' && n.spec.availability === 'active');
      const load = new Map(nodes.map((n) => [n.id, 0]));
      for (const t of tx.tasks.find())
        if (load.has(t.nodeId) && !isTerminalTaskState(t.status.state) && v(t.desiredState) <= v('RUNNING'))
          load.set(t.nodeId, (load.get(t.nodeId) ?? 0) + 1);
      let n = 0;
      const pending = tx.tasks
        .find()
        .filter((t) => t.status.state === 'PENDING' && v(t.desiredState) <= v('RUNNING'))
        .sort((a, b) => a.slot - b.slot || (a.id < b.id ? -1 : 1));
      for (const t of pending) {
        let nodeId = t.nodeId;
        if (nodeId === '') {
          const best = [...load.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))[0];
          if (best === undefined) continue;
          nodeId = best[0];
        } else if (!load.has(nodeId)) continue;
        load.set(nodeId, (load.get(nodeId) ?? 0) + 1);
        tx.tasks.update({
          ...t,
          nodeId,
          status: { ...t.status, state: 'ASSIGNED', timestamp: this.#clock.now() },
        });
        n++;
      }
      return n;
    });
  }

  /** Every live agent moves its tasks toward their desired state: start them, or shut them down. */
  async agents(): Promise<number> {
    return this.#store.update((tx) => {
      let n = 0;
      for (const t of tx.tasks.find()) {
        if (t.nodeId === '' || isTerminalTaskState(t.status.state) || v(t.status.state) < v('ASSIGNED'))
          continue;
        const node = tx.nodes.get(t.nodeId);
        if (node === undefined || node.status.state === 'down') continue;
        let state: TaskState | null = null;
        if (v(t.desiredState) > v('RUNNING')) state = 'SHUTDOWN';
        else if (t.desiredState === 'RUNNING' && t.status.state !== 'RUNNING') state = 'RUNNING';
        else if (t.desiredState === 'READY' && v(t.status.state) < v('READY')) state = 'READY';
        if (state === null) continue;
        tx.tasks.update({ ...t, status: { ...t.status, state, timestamp: this.#clock.now() } });
        n++;
      }
      return n;
    });
  }

  /** One round of both; the number of tasks moved. */
  async step(): Promise<number> {
    return (await this.schedule()) + (await this.agents());
  }

  /** What an agent reports for one task: `state` (FAILED, COMPLETE, REJECTED...), in-place restarts. */
  async report(taskId: string, state: TaskState, restarts?: number): Promise<Task> {
    return this.#store.update((tx) => {
      const t = tx.tasks.get(taskId);
      if (t === undefined) throw new RangeError(`no task ${taskId}`);
      return tx.tasks.update({
        ...t,
        status: { ...t.status, state, timestamp: this.#clock.now(), restarts: restarts ?? t.status.restarts },
      });
    });
  }
}

/** Waits until `settle()` and the fake cluster stop moving anything (bounded). */
export async function converge(
  settle: () => Promise<void>,
  cluster: FakeCluster,
  maxRounds = 100,
): Promise<void> {
  for (let i = 0; i < maxRounds; i++) {
    await settle();
    if ((await cluster.step()) === 0) {
      await settle();
      return;
    }
  }
  throw new Error(`the orchestrators and the fake cluster did not converge in ${maxRounds} rounds`);
}
