/**
 * One node's assignment set as an agent last received it, and the diff against the store that produces
 * the next message. The set (design.md §4 step 3): the node's tasks whose status reached ASSIGNED, less
 * those with nothing left to do (desired state past RUNNING and status terminal), plus the secrets and
 * configs those tasks reference. Changes are computed from the store's current state for the ids marked
 * dirty, never from event payloads, so a stale or duplicate event can only cause a no-op re-read.
 */
import {
  type Config,
  type dispatcherpb,
  isTerminalTaskState,
  type Secret,
  TASK_STATES,
  type Task,
} from '../../proto/index.js';
import { byNodeId, type ReadTx } from '../store/index.js';

/** True when the agent of `nodeId` has something to do with `task`. */
export function inAssignmentSet(task: Task, nodeId: string): boolean {
  if (task.nodeId !== nodeId) return false;
  if (TASK_STATES[task.status.state] < TASK_STATES.ASSIGNED) return false;
  return !(TASK_STATES[task.desiredState] > TASK_STATES.RUNNING && isTerminalTaskState(task.status.state));
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * True when the agent's copy of a task is still good: everything but `meta` and `status` (the status is
 * the agent's own report; echoing it back would double the traffic of every status write). Frozen parts
 * a writer did not touch are shared, so the usual case is a few reference comparisons.
 */
export function sameForAgent(a: Task, b: Task): boolean {
  return (
    a.desiredState === b.desiredState &&
    a.specVersion === b.specVersion &&
    a.nodeId === b.nodeId &&
    a.serviceId === b.serviceId &&
    a.slot === b.slot &&
    a.schedulingMessage === b.schedulingMessage &&
    sameJson(a.spec, b.spec) &&
    sameJson(a.serviceAnnotations, b.serviceAnnotations)
  );
}

const encoder = new TextEncoder();

/** The JSON bytes of an object as agents receive it: secrets' and configs' `spec.data` in base64 (the store codec's shape). */
export function encodeObject(kind: 'task' | 'secret' | 'config', obj: Task | Secret | Config): Buffer {
  if (kind === 'task') return Buffer.from(encoder.encode(JSON.stringify(obj)));
  const o = obj as Secret | Config;
  const data = o.spec.data;
  const wire = {
    ...o,
    spec: { ...o.spec, data: Buffer.from(data.buffer, data.byteOffset, data.length).toString('base64') },
  };
  return Buffer.from(encoder.encode(JSON.stringify(wire)));
}

type RefKind = 'secret' | 'config';

function refsOf(task: Task, kind: RefKind): string[] {
  return kind === 'secret'
    ? task.spec.container.secrets.map((s) => s.secretId)
    : task.spec.container.configs.map((c) => c.configId);
}

/** Reference-counted secrets (or configs) of the set, with the version last sent. */
class RefSet {
  readonly counts = new Map<string, number>();
  /** id → meta.version sent. */
  readonly sent = new Map<string, number>();
  /** Ids whose count crossed zero, or whose object changed in the store. */
  readonly dirty = new Set<string>();

  add(ids: readonly string[]): void {
    for (const id of new Set(ids)) {
      const n = (this.counts.get(id) ?? 0) + 1;
      this.counts.set(id, n);
      if (n === 1) this.dirty.add(id);
    }
  }

  remove(ids: readonly string[]): void {
    for (const id of new Set(ids)) {
      const n = (this.counts.get(id) ?? 0) - 1;
      if (n <= 0) {
        this.counts.delete(id);
        this.dirty.add(id);
      } else this.counts.set(id, n);
    }
  }
}

type Change = dispatcherpb.AssignmentChange;

/** The changes of one message, in the order an agent can apply them one by one. */
export interface AssignmentDiff {
  changes: Change[];
}

export class AssignmentSet {
  readonly nodeId: string;
  /** Tasks in the set, as last compared (the agent's copy is equal to these but for meta and status). */
  readonly #tasks = new Map<string, Task>();
  readonly #secrets = new RefSet();
  readonly #configs = new RefSet();
  #dirtyTasks = new Set<string>();
  #resync = true;

  constructor(nodeId: string) {
    this.nodeId = nodeId;
  }

  /** Number of tasks in the set. */
  get size(): number {
    return this.#tasks.size;
  }

  /** True when {@link diff} may have something to send. */
  get dirty(): boolean {
    return (
      this.#resync ||
      this.#dirtyTasks.size > 0 ||
      this.#secrets.dirty.size > 0 ||
      this.#configs.dirty.size > 0
    );
  }

  markTask(id: string): void {
    this.#dirtyTasks.add(id);
  }

  /** A secret or config changed in the store: resend it if the set holds it. */
  markRef(kind: RefKind, id: string): void {
    const refs = kind === 'secret' ? this.#secrets : this.#configs;
    if (refs.counts.has(id) || refs.sent.has(id)) refs.dirty.add(id);
  }

  /** Compare everything with the store on the next diff (after a restore or a lost watch). */
  markAll(): void {
    this.#resync = true;
  }

  /** The changes from what was sent to the store's state in `tx`; afterwards the set is that state. */
  diff(tx: ReadTx): AssignmentDiff {
    let ids: Iterable<string>;
    if (this.#resync) {
      const all = new Set(this.#tasks.keys());
      for (const t of tx.tasks.find(byNodeId(this.nodeId))) all.add(t.id);
      ids = all;
    } else ids = this.#dirtyTasks;
    this.#resync = false;
    this.#dirtyTasks = new Set();

    const taskUpdates: Change[] = [];
    const taskRemoves: Change[] = [];
    for (const id of ids) {
      const cur = tx.tasks.get(id);
      const prev = this.#tasks.get(id);
      if (cur !== undefined && inAssignmentSet(cur, this.nodeId)) {
        if (prev === undefined || !sameForAgent(prev, cur))
          taskUpdates.push({ action: 'UPDATE', kind: 'task', id, object: encodeObject('task', cur) });
        if (prev !== undefined) {
          this.#secrets.remove(refsOf(prev, 'secret'));
          this.#configs.remove(refsOf(prev, 'config'));
        }
        this.#secrets.add(refsOf(cur, 'secret'));
        this.#configs.add(refsOf(cur, 'config'));
        this.#tasks.set(id, cur);
      } else if (prev !== undefined) {
        taskRemoves.push({ action: 'REMOVE', kind: 'task', id });
        this.#secrets.remove(refsOf(prev, 'secret'));
        this.#configs.remove(refsOf(prev, 'config'));
        this.#tasks.delete(id);
      }
    }
    const refUpdates: Change[] = [];
    const refRemoves: Change[] = [];
    this.#diffRefs(tx, 'secret', this.#secrets, refUpdates, refRemoves);
    this.#diffRefs(tx, 'config', this.#configs, refUpdates, refRemoves);
    // Secrets before the tasks that need them; tasks removed before the secrets they needed.
    return { changes: [...refUpdates, ...taskUpdates, ...taskRemoves, ...refRemoves] };
  }

  #diffRefs(tx: ReadTx, kind: RefKind, refs: RefSet, updates: Change[], removes: Change[]): void {
    for (const id of refs.dirty) {
      const obj = refs.counts.has(id)
        ? kind === 'secret'
          ? tx.secrets.get(id)
          : tx.configs.get(id)
        : undefined;
      if (obj !== undefined) {
        if (refs.sent.get(id) !== obj.meta.version) {
          updates.push({ action: 'UPDATE', kind, id, object: encodeObject(kind, obj) });
          refs.sent.set(id, obj.meta.version);
        }
      } else if (refs.sent.has(id)) {
        removes.push({ action: 'REMOVE', kind, id });
        refs.sent.delete(id);
      }
    }
    refs.dirty.clear();
  }
}
