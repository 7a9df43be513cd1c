/**
 * The secondary indexes of each table, declared as data: an index maps each object to zero or more
 * string keys, and the table keeps `key → ids` for it. Every kind has `name` and `label`; tasks and
 * services have more. The key functions are tolerant of malformed objects (they never throw), because
 * apply must not throw.
 */
import type { ObjectKind, StoreObject, Task } from '../../proto/index.js';

export type IndexName =
  | 'name'
  | 'label'
  | 'serviceId'
  | 'nodeId'
  | 'desiredState'
  | 'taskState'
  | 'slot'
  | 'serviceNode'
  | 'secret'
  | 'config';

/** One key, several keys, or none. */
export type IndexKeys = string | readonly string[] | null;

export interface IndexDef {
  readonly name: IndexName;
  /** The keys of `o` in this index. */
  keys(o: StoreObject): IndexKeys;
  /** True when `a` and `b` certainly have the same keys (a fast path for updates); optional. */
  same?(a: StoreObject, b: StoreObject): boolean;
}

/** Kinds whose names are unique (case-insensitively), as in swarmkit. */
export const UNIQUE_NAME_KINDS: ReadonlySet<ObjectKind> = new Set<ObjectKind>([
  'cluster',
  'service',
  'secret',
  'config',
  'network',
]);

/** Separates the parts of a compound key; no id, state or label key contains it. */
export const SEP = '\u0000';

type Loose = {
  id?: unknown;
  spec?: { annotations?: { name?: unknown; labels?: unknown }; task?: unknown; container?: unknown };
  description?: { hostname?: unknown } | null;
  serviceAnnotations?: { name?: unknown; labels?: unknown };
  serviceId?: unknown;
  nodeId?: unknown;
  slot?: unknown;
  desiredState?: unknown;
  status?: { state?: unknown } | null;
};

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * The display name of an object: `spec.annotations.name`; a node without one is named by its hostname;
 * a task is `<service>.<slot>.<id>` (`<service>.<node id>.<id>` for global tasks), as swarmkit names them.
 */
export function objectName(kind: ObjectKind, o: StoreObject): string {
  const l = o as unknown as Loose;
  switch (kind) {
    case 'task': {
      const slot = typeof l.slot === 'number' && l.slot !== 0 ? String(l.slot) : str(l.nodeId);
      return `${str(l.serviceAnnotations?.name)}.${slot}.${str(l.id)}`;
    }
    case 'node':
      return str(l.spec?.annotations?.name) || str(l.description?.hostname);
    default:
      return str(l.spec?.annotations?.name);
  }
}

/** The key of a name in the name index: lower case (names compare case-insensitively); null for ''. */
export function nameKey(kind: ObjectKind, o: StoreObject): string | null {
  const n = objectName(kind, o);
  return n === '' ? null : n.toLowerCase();
}

/** The labels the `label` index and `byLabels` look at: the task's service labels, else the object's. */
export function labelsOf(kind: ObjectKind, o: StoreObject): Readonly<Record<string, string>> | null {
  const l = o as unknown as Loose;
  const labels = kind === 'task' ? l.serviceAnnotations?.labels : l.spec?.annotations?.labels;
  return labels !== null && typeof labels === 'object' ? (labels as Record<string, string>) : null;
}

/** Label keys: `k` (the label is set) and `k\0v` (it has value v). */
export function labelKeys(labels: Readonly<Record<string, string>> | null): IndexKeys {
  if (labels === null) return null;
  const keys: string[] = [];
  for (const k of Object.keys(labels)) {
    keys.push(k, `${k}${SEP}${str(labels[k])}`);
  }
  return keys.length === 0 ? null : keys;
}

interface Refs {
  container?: { secrets?: unknown; configs?: unknown };
}

function refsOf(kind: ObjectKind, o: StoreObject, field: 'secrets' | 'configs'): unknown {
  const l = o as unknown as { spec?: { task?: Refs } & Refs };
  const container = kind === 'service' ? l.spec?.task?.container : l.spec?.container;
  return container?.[field];
}

function refKeys(refs: unknown, idField: 'secretId' | 'configId'): IndexKeys {
  if (!Array.isArray(refs) || refs.length === 0) return null;
  const keys: string[] = [];
  for (const r of refs) {
    const id = (r as Record<string, unknown> | null)?.[idField];
    if (typeof id === 'string' && !keys.includes(id)) keys.push(id);
  }
  return keys;
}

function task(o: StoreObject): Loose & Partial<Task> {
  return o as unknown as Loose & Partial<Task>;
}

function defsFor(kind: ObjectKind): IndexDef[] {
  const defs: IndexDef[] = [
    { name: 'name', keys: (o) => nameKey(kind, o) },
    {
      name: 'label',
      keys: (o) => labelKeys(labelsOf(kind, o)),
      same: (a, b) => labelsOf(kind, a) === labelsOf(kind, b),
    },
  ];
  if (kind === 'service' || kind === 'task') {
    defs.push(
      {
        name: 'secret',
        keys: (o) => refKeys(refsOf(kind, o, 'secrets'), 'secretId'),
        same: (a, b) => refsOf(kind, a, 'secrets') === refsOf(kind, b, 'secrets'),
      },
      {
        name: 'config',
        keys: (o) => refKeys(refsOf(kind, o, 'configs'), 'configId'),
        same: (a, b) => refsOf(kind, a, 'configs') === refsOf(kind, b, 'configs'),
      },
    );
  }
  if (kind === 'task') {
    defs.push(
      { name: 'serviceId', keys: (o) => str(task(o).serviceId) },
      { name: 'nodeId', keys: (o) => str(task(o).nodeId) },
      { name: 'desiredState', keys: (o) => str(task(o).desiredState) },
      { name: 'taskState', keys: (o) => str(task(o).status?.state) },
      { name: 'slot', keys: (o) => slotKey(str(task(o).serviceId), Number(task(o).slot)) },
      {
        name: 'serviceNode',
        keys: (o) => {
          const t = task(o);
          return t.nodeId === '' || typeof t.nodeId !== 'string'
            ? null
            : serviceNodeKey(str(t.serviceId), t.nodeId);
        },
      },
    );
  }
  return defs;
}

export function slotKey(serviceId: string, slot: number): string {
  return `${serviceId}${SEP}${slot}`;
}

export function serviceNodeKey(serviceId: string, nodeId: string): string {
  return `${serviceId}${SEP}${nodeId}`;
}

/** The indexes of each kind. */
export const INDEXES: { readonly [K in ObjectKind]: readonly IndexDef[] } = {
  cluster: defsFor('cluster'),
  node: defsFor('node'),
  service: defsFor('service'),
  task: defsFor('task'),
  secret: defsFor('secret'),
  config: defsFor('config'),
  network: defsFor('network'),
};

/** True when `keys` contains `key`. */
export function hasKey(keys: IndexKeys, key: string): boolean {
  if (keys === null) return false;
  return typeof keys === 'string' ? keys === key : keys.includes(key);
}
