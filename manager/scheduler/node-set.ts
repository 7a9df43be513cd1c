/**
 * The scheduler's picture of the nodes: each node with what its active tasks reserve, how many tasks it
 * runs (per service and in all) and the host ports they publish. The {@link Scheduler} keeps one current
 * from store events; {@link placeTasks} only reads it.
 */
import {
  isTerminalTaskState,
  type Node,
  type PortConfig,
  type Service,
  TASK_STATES,
  type Task,
} from '../../proto/index.js';

/** What one task takes from its node while it counts (see {@link taskUsage}). */
export interface TaskUsage {
  readonly nodeId: string;
  readonly serviceId: string;
  readonly nanoCpus: number;
  readonly memoryBytes: number;
  /** `tcp/8080`: host-mode published ports (see {@link hostPortKeys}). */
  readonly hostPorts: readonly string[];
}

/** A node as the placement function sees it. */
export interface NodeInfo {
  readonly node: Node;
  /** Reservations of the node's active tasks; what is free is the description's resources minus these. */
  readonly reservedNanoCpus: number;
  readonly reservedMemoryBytes: number;
  /** Active tasks on the node, in all. */
  readonly totalTasks: number;
  /** Active tasks on the node by service id (absent: none). */
  readonly tasksByService: ReadonlyMap<string, number>;
  /** Host ports in use on the node (`tcp/8080`), with how many active tasks publish each. */
  readonly usedHostPorts: ReadonlyMap<string, number>;
}

/**
 * The host-mode published ports of a service as `protocol/port` keys: its spec's ports and those the
 * allocator reserved (`service.endpoint`). Ports published through the ingress, or in host mode without a
 * fixed published port (the node picks one), never conflict.
 */
export function hostPortKeys(service: Pick<Service, 'spec' | 'endpoint'> | null | undefined): string[] {
  if (service === null || service === undefined) return [];
  const keys = new Set<string>();
  const add = (ports: readonly PortConfig[]): void => {
    for (const p of ports)
      if (p.publishMode === 'host' && p.publishedPort > 0) keys.add(`${p.protocol}/${p.publishedPort}`);
  };
  add(service.spec.endpoint.ports);
  if (service.endpoint !== null) add(service.endpoint.ports);
  return [...keys];
}

/**
 * What `task` takes from its node, or null when it takes nothing: a task counts against its node while it
 * is assigned (state ASSIGNED or later), not ended, and still wanted (desired state up to RUNNING).
 */
export function taskUsage(task: Task, hostPorts: readonly string[]): TaskUsage | null {
  if (task.nodeId === '') return null;
  const state = TASK_STATES[task.status.state];
  if (state < TASK_STATES.ASSIGNED || isTerminalTaskState(task.status.state)) return null;
  if (TASK_STATES[task.desiredState] > TASK_STATES.RUNNING) return null;
  const r = task.spec.resources.reservations;
  return {
    nodeId: task.nodeId,
    serviceId: task.serviceId,
    nanoCpus: r.nanoCpus,
    memoryBytes: r.memoryBytes,
    hostPorts,
  };
}

/** True when two usages take the same from the same node. */
export function sameUsage(a: TaskUsage | null, b: TaskUsage | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (
    a.nodeId !== b.nodeId ||
    a.serviceId !== b.serviceId ||
    a.nanoCpus !== b.nanoCpus ||
    a.memoryBytes !== b.memoryBytes ||
    a.hostPorts.length !== b.hostPorts.length
  )
    return false;
  return a.hostPorts.every((p, i) => p === b.hostPorts[i]);
}

class MutableNodeInfo implements NodeInfo {
  /** Null while only tasks name the node (its object was deleted, or its event has not come yet). */
  current: Node | null = null;
  reservedNanoCpus = 0;
  reservedMemoryBytes = 0;
  totalTasks = 0;
  readonly tasksByService = new Map<string, number>();
  readonly usedHostPorts = new Map<string, number>();

  get node(): Node {
    return this.current as Node;
  }

  get empty(): boolean {
    return this.current === null && this.totalTasks === 0;
  }
}

function bump(m: Map<string, number>, key: string, by: number): void {
  const n = (m.get(key) ?? 0) + by;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}

/**
 * Nodes with the usage of their tasks, kept by the caller (add and remove usages as tasks come and go).
 * Usage may name a node not known (yet): it is kept and counts once the node appears.
 */
export class NodeSet {
  readonly #all = new Map<string, MutableNodeInfo>();
  readonly #known = new Map<string, NodeInfo>();

  /** The known nodes by id, in the order they were first seen. A live view: do not keep across changes. */
  get nodes(): ReadonlyMap<string, NodeInfo> {
    return this.#known;
  }

  get(nodeId: string): NodeInfo | undefined {
    return this.#known.get(nodeId);
  }

  #info(nodeId: string): MutableNodeInfo {
    let info = this.#all.get(nodeId);
    if (info === undefined) {
      info = new MutableNodeInfo();
      this.#all.set(nodeId, info);
    }
    return info;
  }

  /** Adds a node or replaces its object (state, availability, labels, resources changed). */
  setNode(node: Node): void {
    const info = this.#info(node.id);
    info.current = node;
    this.#known.set(node.id, info);
  }

  deleteNode(nodeId: string): void {
    const info = this.#all.get(nodeId);
    if (info === undefined) return;
    info.current = null;
    this.#known.delete(nodeId);
    if (info.empty) this.#all.delete(nodeId);
  }

  addUsage(u: TaskUsage): void {
    const info = this.#info(u.nodeId);
    info.reservedNanoCpus += u.nanoCpus;
    info.reservedMemoryBytes += u.memoryBytes;
    info.totalTasks++;
    bump(info.tasksByService, u.serviceId, 1);
    for (const p of u.hostPorts) bump(info.usedHostPorts, p, 1);
  }

  removeUsage(u: TaskUsage): void {
    const info = this.#all.get(u.nodeId);
    if (info === undefined) return;
    info.reservedNanoCpus -= u.nanoCpus;
    info.reservedMemoryBytes -= u.memoryBytes;
    info.totalTasks--;
    bump(info.tasksByService, u.serviceId, -1);
    for (const p of u.hostPorts) bump(info.usedHostPorts, p, -1);
    if (info.empty) this.#all.delete(u.nodeId);
  }

  /** Forgets everything. */
  clear(): void {
    this.#all.clear();
    this.#known.clear();
  }
}
