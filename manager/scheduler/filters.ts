/**
 * The filter pipeline, in swarmkit's order: ready → resources (memory, then CPU) → constraints → host
 * ports → max replicas per node. Each filter says how many more tasks of a batch a node can take by its
 * rule (0: the node fails it; Infinity: no limit), so one evaluation per node serves a whole batch, and
 * explains its failures for the task's "no suitable node (…)" message.
 */
import { type Constraint, matchesConstraints } from '../../proto/index.js';
import type { NodeInfo } from './node-set.js';

/** What every task of a batch asks of a node. */
export interface BatchRules {
  readonly serviceId: string;
  readonly nanoCpus: number;
  readonly memoryBytes: number;
  readonly constraints: readonly Constraint[];
  readonly hostPorts: readonly string[];
  /** 0 = unlimited. */
  readonly maxReplicasPerNode: number;
}

/** A node while one batch is placed: its info plus what the batch put on it so far. */
export interface Candidate {
  readonly info: NodeInfo;
  readonly id: string;
  freeNanoCpus: number;
  freeMemoryBytes: number;
  serviceTasks: number;
  totalTasks: number;
  /** The batch placed a task publishing host ports here. */
  hostPortsTaken: boolean;
  /** How many more tasks of the batch fit. */
  capacity: number;
  /** The index in {@link FILTERS} of the first filter the node fails, or -1. */
  failed: number;
}

export interface Filter {
  readonly name: string;
  capacity(rules: BatchRules, c: Candidate): number;
  /** Why `nodes` nodes failed, as a phrase of the message: `2 nodes have insufficient memory`. */
  explain(nodes: number, rules: BatchRules): string;
}

function nodes(n: number, singular: string, plural: string): string {
  return n === 1 ? `1 node ${singular}` : `${n} nodes ${plural}`;
}

const ALL = Number.POSITIVE_INFINITY;

export const FILTERS: readonly Filter[] = [
  {
    name: 'ready',
    capacity: (_r, c) =>
      c.info.node.status.state === 'ready' && c.info.node.spec.availability === 'active' ? ALL : 0,
    explain: (n) => nodes(n, 'not available for new tasks', 'not available for new tasks'),
  },
  {
    name: 'memory',
    capacity: (r, c) =>
      r.memoryBytes > 0 ? Math.max(0, Math.floor(c.freeMemoryBytes / r.memoryBytes)) : ALL,
    explain: (n) => nodes(n, 'has insufficient memory', 'have insufficient memory'),
  },
  {
    name: 'cpu',
    capacity: (r, c) => (r.nanoCpus > 0 ? Math.max(0, Math.floor(c.freeNanoCpus / r.nanoCpus)) : ALL),
    explain: (n) => nodes(n, 'has insufficient CPU', 'have insufficient CPU'),
  },
  {
    name: 'constraints',
    capacity: (r, c) =>
      r.constraints.length === 0 || matchesConstraints(r.constraints, c.info.node) ? ALL : 0,
    explain: (n) => nodes(n, 'does not satisfy the constraints', 'do not satisfy the constraints'),
  },
  {
    name: 'host-ports',
    capacity: (r, c) => {
      if (r.hostPorts.length === 0) return ALL;
      if (c.hostPortsTaken) return 0;
      for (const p of r.hostPorts) if (c.info.usedHostPorts.has(p)) return 0;
      return 1;
    },
    explain: (n, r) => `${nodes(n, 'has', 'have')} a conflicting host port (${r.hostPorts.join(', ')})`,
  },
  {
    name: 'max-replicas',
    capacity: (r, c) => (r.maxReplicasPerNode > 0 ? Math.max(0, r.maxReplicasPerNode - c.serviceTasks) : ALL),
    explain: (n, r) =>
      `${nodes(n, 'has', 'have')} reached the max replicas per node (${r.maxReplicasPerNode})`,
  },
];

/** A fresh candidate for `info` with its capacity for the batch evaluated. */
export function newCandidate(info: NodeInfo, rules: BatchRules): Candidate {
  const resources = info.node.description?.resources;
  const c: Candidate = {
    info,
    id: info.node.id,
    freeNanoCpus: (resources?.nanoCpus ?? 0) - info.reservedNanoCpus,
    freeMemoryBytes: (resources?.memoryBytes ?? 0) - info.reservedMemoryBytes,
    serviceTasks: info.tasksByService.get(rules.serviceId) ?? 0,
    totalTasks: info.totalTasks,
    hostPortsTaken: false,
    capacity: 0,
    failed: -1,
  };
  evaluate(c, rules);
  return c;
}

/** Runs the pipeline on `c`: sets its capacity and the first filter it fails. */
export function evaluate(c: Candidate, rules: BatchRules): void {
  let capacity = ALL;
  for (let i = 0; i < FILTERS.length; i++) {
    const n = (FILTERS[i] as Filter).capacity(rules, c);
    if (n <= 0) {
      c.capacity = 0;
      c.failed = i;
      return;
    }
    if (n < capacity) capacity = n;
  }
  c.capacity = capacity;
  c.failed = -1;
}

/** Records one task of the batch placed on `c`. */
export function placeOn(c: Candidate, rules: BatchRules): void {
  c.freeNanoCpus -= rules.nanoCpus;
  c.freeMemoryBytes -= rules.memoryBytes;
  c.serviceTasks++;
  c.totalTasks++;
  if (rules.hostPorts.length > 0) c.hostPortsTaken = true;
  c.capacity--;
}

/**
 * swarmkit's message for a task no node can take: `no suitable node (1 node not available for new
 * tasks; 2 nodes have insufficient memory)`, the failures counted per filter (each node under the first
 * filter it fails) and listed in pipeline order.
 */
export function noSuitableNodeMessage(failures: readonly number[], rules: BatchRules): string {
  const parts: string[] = [];
  for (let i = 0; i < FILTERS.length; i++) {
    const n = failures[i] ?? 0;
    if (n > 0) parts.push((FILTERS[i] as Filter).explain(n, rules));
  }
  return parts.length === 0
    ? 'no suitable node (the cluster has no nodes)'
    : `no suitable node (${parts.join('; ')})`;
}
