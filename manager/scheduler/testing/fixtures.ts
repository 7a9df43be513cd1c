/**
 * Node sets and batches for tests of the placement function: nodes as `testNode` makes them, with the
 * resources, state and labels a test asks for, and tasks already on them as usages.
 */
import type { Node, NodeAvailability, NodeRole, NodeState, TaskSpec } from '../../../proto/index.js';
import { testNode, testTaskSpec } from '../../store/testing/index.js';
import { NodeSet, type TaskUsage } from '../node-set.js';
import type { TaskBatch } from '../place-tasks.js';

export interface NodeInit {
  id: string;
  hostname?: string;
  role?: NodeRole;
  availability?: NodeAvailability;
  state?: NodeState;
  labels?: Record<string, string>;
  /** @default 4e9 (4 CPUs) */
  nanoCpus?: number;
  /** @default 8 GiB */
  memoryBytes?: number;
}

export function node(init: NodeInit): Node {
  const base = testNode({
    id: init.id,
    hostname: init.hostname ?? init.id,
    ...(init.role === undefined ? {} : { role: init.role }),
    ...(init.availability === undefined ? {} : { availability: init.availability }),
    ...(init.labels === undefined ? {} : { labels: init.labels }),
  });
  const description = base.description;
  return {
    ...base,
    status: { ...base.status, state: init.state ?? 'ready' },
    description:
      description === null
        ? null
        : {
            ...description,
            resources: {
              nanoCpus: init.nanoCpus ?? description.resources.nanoCpus,
              memoryBytes: init.memoryBytes ?? description.resources.memoryBytes,
            },
          },
  };
}

/** A node set of `nodes` with `usages` counted. */
export function nodeSet(nodes: readonly Node[], usages: readonly TaskUsage[] = []): NodeSet {
  const set = new NodeSet();
  for (const n of nodes) set.setNode(n);
  for (const u of usages) set.addUsage(u);
  return set;
}

export interface SpecInit {
  constraints?: string[];
  preferences?: string[];
  maxReplicasPerNode?: number;
  nanoCpus?: number;
  memoryBytes?: number;
}

export function spec(init: SpecInit = {}): TaskSpec {
  const s = testTaskSpec();
  return {
    ...s,
    resources: {
      ...s.resources,
      reservations: { nanoCpus: init.nanoCpus ?? 0, memoryBytes: init.memoryBytes ?? 0 },
    },
    placement: {
      constraints: init.constraints ?? [],
      preferences: (init.preferences ?? []).map((spread) => ({ spread })),
      maxReplicasPerNode: init.maxReplicasPerNode ?? 0,
    },
  };
}

/** `count` tasks `t0…` of `serviceId` to be placed anywhere (or on `nodeIds[i]` where given). */
export function batch(
  serviceId: string,
  taskSpec: TaskSpec,
  count: number,
  options: { hostPorts?: string[]; nodeIds?: string[] } = {},
): TaskBatch {
  const tasks = [];
  for (let i = 0; i < count; i++)
    tasks.push({ id: `${serviceId}-t${i}`, nodeId: options.nodeIds?.[i] ?? '' });
  return { serviceId, spec: taskSpec, hostPorts: options.hostPorts ?? [], tasks };
}
