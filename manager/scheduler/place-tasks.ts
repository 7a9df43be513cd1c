/**
 * The placement function: pure (no I/O, no clock, no store), it decides a node for each task of a batch,
 * or why none fits. See README.md for the filters, the scoring and the message format.
 */
import { errorMessage } from '../../common/index.js';
import { nodeValue, parseConstraints, type TaskSpec } from '../../proto/index.js';
import {
  type BatchRules,
  type Candidate,
  evaluate,
  FILTERS,
  newCandidate,
  noSuitableNodeMessage,
  placeOn,
} from './filters.js';
import { Heap } from './heap.js';
import type { NodeInfo } from './node-set.js';

/**
 * Tasks of one service and one spec version, placed together. A task with `nodeId` set (a global
 * service's) is only checked against that node; the others are spread over all nodes.
 */
export interface TaskBatch {
  readonly serviceId: string;
  /** The spec every task of the batch shares. */
  readonly spec: TaskSpec;
  /** The service's host-mode published ports, `tcp/8080` (see `hostPortKeys`). */
  readonly hostPorts: readonly string[];
  readonly tasks: readonly { readonly id: string; readonly nodeId: string }[];
}

/** The decision for one task: the node it goes to, or why it stays pending. */
export type Decision =
  | { readonly placed: true; readonly taskId: string; readonly nodeId: string }
  | { readonly placed: false; readonly taskId: string; readonly reason: string };

/** One level of the placement tree: a label value's nodes (a leaf), or its sub-branches. */
interface Branch {
  readonly key: string;
  /** Tasks of the batch's service on the branch's nodes. */
  serviceTasks: number;
  readonly leaf: Heap<Candidate> | null;
  readonly children: Heap<Branch> | null;
}

const FAMILIES = ['node.labels.', 'engine.labels.'];

/** The spread keys of the preferences in the form `nodeValue` takes; keys it cannot read are dropped. */
function spreadKeys(spec: TaskSpec): string[] {
  const keys: string[] = [];
  for (const p of spec.placement.preferences) {
    const lower = p.spread.toLowerCase();
    const family = FAMILIES.find((f) => lower.startsWith(f) && p.spread.length > f.length);
    if (family !== undefined) keys.push(family + p.spread.slice(family.length));
  }
  return keys;
}

function rulesOf(batch: TaskBatch): BatchRules {
  const { spec } = batch;
  return {
    serviceId: batch.serviceId,
    nanoCpus: spec.resources.reservations.nanoCpus,
    memoryBytes: spec.resources.reservations.memoryBytes,
    constraints: parseConstraints(spec.placement.constraints),
    hostPorts: batch.hostPorts,
    maxReplicasPerNode: spec.placement.maxReplicasPerNode,
  };
}

// Spread: fewest tasks of this service, then fewest tasks in all; the id keeps the order total.
const lessNode = (a: Candidate, b: Candidate): boolean =>
  a.serviceTasks !== b.serviceTasks
    ? a.serviceTasks < b.serviceTasks
    : a.totalTasks !== b.totalTasks
      ? a.totalTasks < b.totalTasks
      : a.id < b.id;

const lessBranch = (a: Branch, b: Branch): boolean =>
  a.serviceTasks !== b.serviceTasks ? a.serviceTasks < b.serviceTasks : a.key < b.key;

function buildBranch(key: string, cands: Candidate[], keys: readonly string[], depth: number): Branch {
  let serviceTasks = 0;
  for (const c of cands) serviceTasks += c.serviceTasks;
  if (depth === keys.length) return { key, serviceTasks, leaf: new Heap(lessNode, cands), children: null };
  const spreadKey = keys[depth] as string;
  const groups = new Map<string, Candidate[]>();
  for (const c of cands) {
    // Nodes without the label form one group of their own (swarmkit's behaviour).
    const value = nodeValue(c.info.node, spreadKey) ?? '';
    const g = groups.get(value);
    if (g === undefined) groups.set(value, [c]);
    else g.push(c);
  }
  const children: Branch[] = [];
  for (const [value, group] of groups) children.push(buildBranch(value, group, keys, depth + 1));
  return { key, serviceTasks, leaf: null, children: new Heap(lessBranch, children) };
}

function isEmpty(b: Branch): boolean {
  return (b.leaf ?? b.children)?.size === 0;
}

/** Places one task in the branch (which must not be empty): the least loaded way down. */
function pick(b: Branch, rules: BatchRules): Candidate {
  b.serviceTasks++;
  if (b.leaf !== null) {
    const c = b.leaf.peek() as Candidate;
    placeOn(c, rules);
    if (c.capacity <= 0) b.leaf.pop();
    else b.leaf.fixTop();
    return c;
  }
  const children = b.children as Heap<Branch>;
  const child = children.peek() as Branch;
  const c = pick(child, rules);
  if (isEmpty(child)) children.pop();
  else children.fixTop();
  return c;
}

/**
 * Decides a node for each task of `batch` (the result is in the order of `batch.tasks`), given the nodes
 * with what their active tasks use. Reads `nodes` and changes nothing: the caller applies the decisions
 * to its node set before placing the next batch.
 *
 * A task with a preset node goes there when the node passes every filter, else stays pending with the
 * reason. The others are spread: each goes to the branch of its placement preferences with the fewest
 * tasks of the service, down to the node with the fewest tasks of the service, then the fewest tasks in
 * all. Costs O(nodes + tasks · log nodes).
 */
export function placeTasks(nodes: ReadonlyMap<string, NodeInfo>, batch: TaskBatch): Decision[] {
  const out: Decision[] = [];
  let rules: BatchRules;
  try {
    rules = rulesOf(batch);
  } catch (err) {
    const reason = `cannot place the task: ${errorMessage(err)}`;
    for (const t of batch.tasks) out.push({ placed: false, taskId: t.id, reason });
    return out;
  }
  const cands = new Map<string, Candidate>();
  const candidate = (info: NodeInfo): Candidate => {
    let c = cands.get(info.node.id);
    if (c === undefined) {
      c = newCandidate(info, rules);
      cands.set(c.id, c);
    }
    return c;
  };

  const free: number[] = [];
  for (let i = 0; i < batch.tasks.length; i++) {
    const t = batch.tasks[i] as TaskBatch['tasks'][number];
    out.push({ placed: false, taskId: t.id, reason: '' });
    if (t.nodeId === '') {
      free.push(i);
      continue;
    }
    const info = nodes.get(t.nodeId);
    if (info === undefined) {
      out[i] = { placed: false, taskId: t.id, reason: noSuitableNodeMessage([1], rules) };
      continue;
    }
    const c = candidate(info);
    if (c.capacity > 0) {
      placeOn(c, rules);
      out[i] = { placed: true, taskId: t.id, nodeId: c.id };
    } else {
      if (c.failed < 0) evaluate(c, rules);
      const failures = FILTERS.map((_, f) => (f === c.failed ? 1 : 0));
      out[i] = { placed: false, taskId: t.id, reason: noSuitableNodeMessage(failures, rules) };
    }
  }
  if (free.length === 0) return out;

  const fitting: Candidate[] = [];
  for (const info of nodes.values()) {
    const c = candidate(info);
    if (c.capacity > 0) fitting.push(c);
  }
  const root = buildBranch('', fitting, spreadKeys(batch.spec), 0);
  let next = 0;
  for (; next < free.length && !isEmpty(root); next++) {
    const i = free[next] as number;
    const c = pick(root, rules);
    out[i] = { placed: true, taskId: (batch.tasks[i] as TaskBatch['tasks'][number]).id, nodeId: c.id };
  }
  if (next < free.length) {
    const failures = FILTERS.map(() => 0);
    for (const c of cands.values()) {
      evaluate(c, rules);
      if (c.failed >= 0) failures[c.failed] = (failures[c.failed] ?? 0) + 1;
    }
    const reason = noSuitableNodeMessage(failures, rules);
    for (; next < free.length; next++) {
      const i = free[next] as number;
      out[i] = { placed: false, taskId: (batch.tasks[i] as TaskBatch['tasks'][number]).id, reason };
    }
  }
  return out;
}
