/**
 * What the orchestrators share about tasks: making a new one from a service, and the predicates that
 * every component must agree on (runnable, dead, ended on its own, out of date).
 */
import type { IdSource } from '../../common/index.js';
import {
  isTerminalTaskState,
  type Node,
  type Service,
  type Task,
  type TaskState,
  taskStateValue,
} from '../../proto/index.js';
import type { NewObject } from '../store/index.js';

/**
 * A new task of `service` in `slot` (0 for a global service) on `nodeId` ('' = for the scheduler). There
 * is no allocator yet, so the task is born PENDING, which is what the scheduler picks up.
 */
export function newTask(
  service: Service,
  init: { slot: number; nodeId: string; desiredState: TaskState; ids: IdSource; now: number },
): NewObject<Task> {
  return {
    id: init.ids.newId(),
    serviceId: service.id,
    slot: init.slot,
    nodeId: init.nodeId,
    spec: service.spec.task,
    specVersion: service.specVersion,
    desiredState: init.desiredState,
    status: {
      state: 'PENDING',
      timestamp: init.now,
      message: 'created',
      err: '',
      container: null,
      portStatus: [],
      restarts: 0,
    },
    serviceAnnotations: service.spec.annotations,
    schedulingMessage: '',
  };
}

/** The task is wanted: desired READY (a delayed restart) or RUNNING. */
export function isRunnable(t: Task): boolean {
  return taskStateValue(t.desiredState) <= taskStateValue('RUNNING');
}

/** The task's process is over (or it never got one): it will not move on its own any more. */
export function hasEnded(t: Task): boolean {
  return isTerminalTaskState(t.status.state);
}

/**
 * The task ended by itself rather than because a manager asked it to stop: what restart attempts and the
 * backoff count. A task stopped on request reports SHUTDOWN; one given up on keeps desired COMPLETE.
 */
export function endedOnItsOwn(t: Task): boolean {
  if (!hasEnded(t)) return false;
  const s = t.status.state;
  return (
    s === 'COMPLETE' || s === 'FAILED' || s === 'REJECTED' || isRunnable(t) || t.desiredState === 'COMPLETE'
  );
}

/**
 * The marker of a slot whose task ended and whose restart policy said no more: the slot keeps counting as
 * a replica (scaling does not refill it) until the spec changes or the slot is scaled away.
 */
export function isGivenUp(t: Task): boolean {
  return t.desiredState === 'COMPLETE';
}

/**
 * The task runs an older spec than its service. Versions differ on every update (a scale too), so the
 * specs are compared as well: only a real change replaces tasks.
 */
export function isOutdated(service: Service, t: Task): boolean {
  return t.specVersion !== service.specVersion && !deepEqual(t.spec, service.spec.task);
}

/** Structural equality of JSON-like values (the store's objects). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ob = b as Record<string, unknown>;
  const oa = a as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(ob, k) && deepEqual(oa[k], ob[k]));
}

/**
 * Oldest first: by creation time; within one millisecond, tasks still wanted after dead ones, then by
 * last write (a predecessor's last write is the transaction that created its replacement, or earlier).
 */
export function byAge(a: Task, b: Task): number {
  return (
    a.meta.createdAt - b.meta.createdAt ||
    Number(isRunnable(a)) - Number(isRunnable(b)) ||
    a.meta.version - b.meta.version ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** A node whose tasks must move elsewhere: gone, DOWN or drained ('pause' keeps its tasks). */
export function isLostNode(node: Node | undefined): boolean {
  return node === undefined || node.status.state === 'down' || node.spec.availability === 'drain';
}

/** Groups `items` by `key`, keeping their order. */
export function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list === undefined) m.set(k, [it]);
    else list.push(it);
  }
  return m;
}

export function isGlobal(service: Service): boolean {
  return 'global' in service.spec.mode;
}
