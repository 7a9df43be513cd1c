/**
 * One orchestrator test's world: a real MemoryStore without a proposer, a FakeClock, seeded ids, the
 * fake scheduler and agents, and an {@link Orchestrators} instance that can be stopped and replaced (a
 * leader change) on the same store.
 */
import { nullLogger } from '../../../common/index.js';
import { FakeClock } from '../../../common/testing/index.js';
import type { Node, Service, Task, TaskState } from '../../../proto/index.js';
import { byServiceId, MemoryStore, type MemoryStoreOptions } from '../../store/index.js';
import { SeededIdSource, testCluster, testNode, testService } from '../../store/testing/index.js';
import { Orchestrators } from '../orchestrators.js';
import { converge, FakeCluster } from './fake-cluster.js';

export class Harness {
  readonly clock = new FakeClock();
  readonly store: MemoryStore;
  readonly ids = new SeededIdSource(7);
  readonly cluster: FakeCluster;
  orchestrators: Orchestrators;
  #abort: AbortController | null = null;
  #done: Promise<void> = Promise.resolve();

  constructor(storeOptions: MemoryStoreOptions = {}) {
    this.store = new MemoryStore({ clock: this.clock, ...storeOptions });
    this.cluster = new FakeCluster(this.store, this.clock);
    this.orchestrators = this.#newOrchestrators();
  }

  #newOrchestrators(): Orchestrators {
    return new Orchestrators({ store: this.store, clock: this.clock, logger: nullLogger, ids: this.ids });
  }

  /** Starts the orchestrators (a new instance when `fresh`: a new leader). */
  start(fresh = false): void {
    if (fresh) this.orchestrators = this.#newOrchestrators();
    this.#abort = new AbortController();
    this.#done = this.orchestrators.run(this.#abort.signal);
  }

  /** Stops them (leadership lost) and waits until they exited. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    this.#abort = null;
    await this.#done;
  }

  settled(): Promise<void> {
    return this.orchestrators.settled();
  }

  /** Settles and lets the fake scheduler and agents run until nothing moves. */
  converge(): Promise<void> {
    return converge(() => this.settled(), this.cluster);
  }

  async addCluster(historyLimit = 5): Promise<void> {
    const c = testCluster('cluster0000000000000000001');
    await this.store.update((tx) =>
      tx.clusters.create({ ...c, spec: { ...c.spec, taskHistoryRetentionLimit: historyLimit } }),
    );
  }

  async addNodes(...ids: string[]): Promise<void> {
    await this.store.update((tx) => {
      for (const id of ids) tx.nodes.create(testNode({ id, hostname: id }));
    });
  }

  async updateNode(id: string, change: (n: Node) => Node): Promise<void> {
    await this.store.update((tx) => {
      const n = tx.nodes.get(id);
      if (n === undefined) throw new RangeError(`no node ${id}`);
      tx.nodes.update(change(n));
    });
  }

  async addService(
    init: Parameters<typeof testService>[0],
    change: (s: Service) => Service = (s) => s,
  ): Promise<Service> {
    return this.store.update((tx) => tx.services.create(change(testService(init))));
  }

  /** What the Control API's UpdateService does: a new spec, specVersion + 1. */
  async updateService(id: string, change: (s: Service) => Service): Promise<void> {
    await this.store.update((tx) => {
      const s = tx.services.get(id);
      if (s === undefined) throw new RangeError(`no service ${id}`);
      const next = change(s);
      tx.services.update({ ...next, previousSpec: s.spec, specVersion: s.specVersion + 1 });
    });
  }

  async scale(id: string, replicas: number): Promise<void> {
    await this.updateService(id, (s) => ({ ...s, spec: { ...s.spec, mode: { replicated: { replicas } } } }));
  }

  tasks(serviceId: string): Task[] {
    return this.store.view((tx) => tx.tasks.find(byServiceId(serviceId)));
  }

  /** Tasks still wanted (desired READY or RUNNING). */
  wanted(serviceId: string): Task[] {
    return this.tasks(serviceId)
      .filter((t) => t.desiredState === 'RUNNING' || t.desiredState === 'READY')
      .sort((a, b) => a.slot - b.slot || (a.nodeId < b.nodeId ? -1 : 1));
  }

  task(id: string): Task {
    const t = this.store.view((tx) => tx.tasks.get(id));
    if (t === undefined) throw new RangeError(`no task ${id}`);
    return t;
  }

  /** The one wanted task of a slot. */
  inSlot(serviceId: string, slot: number): Task {
    const ts = this.wanted(serviceId).filter((t) => t.slot === slot);
    if (ts.length !== 1) throw new RangeError(`slot ${slot} has ${ts.length} wanted tasks`);
    return ts[0] as Task;
  }

  /** An agent reports the task ended in `state` after `restarts` in-place restarts; then settles. */
  async end(taskId: string, state: TaskState, restarts?: number): Promise<void> {
    await this.cluster.report(taskId, state, restarts);
    await this.settled();
  }
}
