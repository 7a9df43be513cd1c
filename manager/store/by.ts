/**
 * Selectors for `find` and `count` (swarmkit's `store.ByServiceID(...)`): each names an index and a key,
 * so a query costs O(result), not a scan of the table. `By<K>` says which kinds a selector applies to:
 * `byServiceId` is `By<'task'>`, so `tx.services.find(byServiceId(x))` does not compile.
 */
import type { ObjectKind, TaskState } from '../../proto/index.js';
import { type IndexName, SEP, serviceNodeKey, slotKey } from './indexes.js';

/** The plain description of a selector, as the tables evaluate it. */
export type Selector =
  | { readonly t: 'all' }
  | { readonly t: 'index'; readonly index: IndexName; readonly key: string }
  | { readonly t: 'idPrefix'; readonly prefix: string }
  | { readonly t: 'namePrefix'; readonly prefix: string }
  | { readonly t: 'anyOf'; readonly of: readonly Selector[] }
  | { readonly t: 'allOf'; readonly of: readonly Selector[] };

/** A selector of objects of the kinds `K`. */
export interface By<K extends ObjectKind> {
  readonly selector: Selector;
  /** Type-level only: makes `By<'task'>` unusable on other tables (never set). */
  readonly kinds?: (kind: K) => void;
}

function by<K extends ObjectKind>(selector: Selector): By<K> {
  return { selector };
}

/** Every object of the table (what `find()` without a selector does). */
export function byAll(): By<ObjectKind> {
  return by({ t: 'all' });
}

/** Objects whose id starts with `prefix` (the empty prefix matches everything). */
export function byIdPrefix(prefix: string): By<ObjectKind> {
  return by({ t: 'idPrefix', prefix });
}

/**
 * Objects named `name`, compared case-insensitively: `spec.annotations.name`; for nodes without one,
 * the hostname; for tasks `<service name>.<slot or node id>.<task id>`.
 */
export function byName(name: string): By<ObjectKind> {
  return name === ''
    ? by({ t: 'anyOf', of: [] })
    : by({ t: 'index', index: 'name', key: name.toLowerCase() });
}

/** Objects whose name (as {@link byName}) starts with `prefix`, case-insensitively. */
export function byNamePrefix(prefix: string): By<ObjectKind> {
  return by({ t: 'namePrefix', prefix: prefix.toLowerCase() });
}

/**
 * Objects whose labels match all of `labels`: a string value must be equal, null means "set, to any
 * value" (swarmctl's `label=k` and `label=k=v` filters). Tasks match on their service's labels
 * (`serviceAnnotations.labels`), other kinds on `spec.annotations.labels`.
 */
export function byLabels(labels: Readonly<Record<string, string | null>>): By<ObjectKind> {
  const of: Selector[] = Object.keys(labels).map((k) => {
    const v = labels[k];
    return { t: 'index', index: 'label', key: v === null || v === undefined ? k : `${k}${SEP}${v}` };
  });
  return by(of.length === 0 ? { t: 'all' } : of.length === 1 ? (of[0] as Selector) : { t: 'allOf', of });
}

/** Tasks of a service. */
export function byServiceId(serviceId: string): By<'task'> {
  return by({ t: 'index', index: 'serviceId', key: serviceId });
}

/** Tasks on a node; `byNodeId('')` finds the tasks not assigned yet. */
export function byNodeId(nodeId: string): By<'task'> {
  return by({ t: 'index', index: 'nodeId', key: nodeId });
}

/** Tasks with this desired state. */
export function byDesiredState(state: TaskState): By<'task'> {
  return by({ t: 'index', index: 'desiredState', key: state });
}

/** Tasks in this observed state (`status.state`): the scheduler's PENDING tasks. */
export function byTaskState(state: TaskState): By<'task'> {
  return by({ t: 'index', index: 'taskState', key: state });
}

/** The tasks of one slot of a replicated service (the current one and its dead predecessors). */
export function bySlot(serviceId: string, slot: number): By<'task'> {
  return by({ t: 'index', index: 'slot', key: slotKey(serviceId, slot) });
}

/** The tasks of a service on a node (a global service's "slot"). */
export function byServiceNode(serviceId: string, nodeId: string): By<'task'> {
  return by({ t: 'index', index: 'serviceNode', key: serviceNodeKey(serviceId, nodeId) });
}

/** Services (their task spec) and tasks that mount the secret with this id. */
export function byReferencedSecret(secretId: string): By<'service' | 'task'> {
  return by({ t: 'index', index: 'secret', key: secretId });
}

/** Services (their task spec) and tasks that mount the config with this id. */
export function byReferencedConfig(configId: string): By<'service' | 'task'> {
  return by({ t: 'index', index: 'config', key: configId });
}

/** Objects that match any of `selectors` (each once); no selector matches nothing. */
export function anyOf<K extends ObjectKind>(...selectors: readonly By<K>[]): By<K> {
  return by({ t: 'anyOf', of: selectors.map((s) => s.selector) });
}

/** Objects that match all of `selectors`; evaluated from the smallest. No selector matches everything. */
export function allOf<K extends ObjectKind>(...selectors: readonly By<K>[]): By<K> {
  return by(selectors.length === 0 ? { t: 'all' } : { t: 'allOf', of: selectors.map((s) => s.selector) });
}
