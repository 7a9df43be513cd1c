/**
 * The data the store exchanges with the rest of the manager: the actions it replicates, the events it
 * publishes, and what applying an entry returns.
 */
import type { Meta, ObjectKind, ObjectsByKind } from '../../proto/index.js';
import type { StoreError } from './errors.js';

/** The object type of a kind: `ObjectOf<'task'>` is `Task`. */
export type ObjectOf<K extends ObjectKind> = ObjectsByKind[K];

/**
 * What `create` takes: an object without `meta` (or with one, which is ignored). The store sets
 * `meta.version` to the Raft index of the write and the times to the transaction's timestamp.
 */
export type NewObject<T> = Omit<T, 'meta'> & { meta?: Meta };

/** The three writes. */
export type WriteAction = 'create' | 'update' | 'delete';

/**
 * One write in a replicated store entry. A transaction becomes a list of these, one per object it touched,
 * in the order it first touched them; the list is one Raft entry and applies atomically.
 *
 * - `create`: `object` is the whole object; its `meta` is ignored and set from `timestamp` and the index.
 * - `update`: `object` is the whole new object; `object.meta.version` is the version its writer read, and
 *   apply refuses the entry when the stored object is at another version.
 * - `delete`: the object with `id`, whatever its version.
 *
 * `timestamp` (ms since the epoch, from the proposing manager's clock) becomes `meta.updatedAt` (and
 * `meta.createdAt` for a create), so that every manager stores the same times. Objects are JSON-safe
 * except the `Uint8Array` data of secrets and configs; {@link encodeStoreActions} handles those.
 */
export type StoreAction = {
  [K in ObjectKind]:
    | {
        readonly action: 'create';
        readonly kind: K;
        readonly object: ObjectsByKind[K];
        readonly timestamp: number;
      }
    | {
        readonly action: 'update';
        readonly kind: K;
        readonly object: ObjectsByKind[K];
        readonly timestamp: number;
      }
    | { readonly action: 'delete'; readonly kind: K; readonly id: string; readonly timestamp: number };
}[ObjectKind];

/**
 * A change of one object, published to watchers after its transaction applied. `object` is the object as
 * stored after the write (for a delete: as it was when deleted); `old` is the object before an update
 * (null for create and delete). Both are frozen and shared with the store.
 */
export type ObjectEvent = {
  [K in ObjectKind]:
    | { readonly kind: K; readonly action: 'create'; readonly object: ObjectsByKind[K]; readonly old: null }
    | {
        readonly kind: K;
        readonly action: 'update';
        readonly object: ObjectsByKind[K];
        readonly old: ObjectsByKind[K];
      }
    | { readonly kind: K; readonly action: 'delete'; readonly object: ObjectsByKind[K]; readonly old: null };
}[ObjectKind];

/** Ends the events of one applied transaction; `version` is its Raft index (the store's new version). */
export interface CommitEvent {
  readonly action: 'commit';
  readonly version: number;
  /** Absent: lets `switch (event.kind)` narrow a {@link StoreEvent} directly. */
  readonly kind?: undefined;
}

/**
 * The store's whole state was replaced from a snapshot (a follower caught up from the leader's snapshot):
 * what a watcher built from earlier events is void; read the store again.
 */
export interface RestoreEvent {
  readonly action: 'restore';
  readonly version: number;
  /** Absent, as in {@link CommitEvent}. */
  readonly kind?: undefined;
}

export type StoreEvent = ObjectEvent | CommitEvent | RestoreEvent;

/**
 * What {@link MemoryStore.apply} returns for an entry: applied, or refused as a whole (a version, name or
 * id conflict with what was applied before it, a missing object, a malformed action). Either way the
 * store is now at `version`. Every manager returns the same result for the same entry.
 */
export type ApplyResult =
  | { readonly ok: true; readonly version: number }
  | { readonly ok: false; readonly version: number; readonly error: StoreError };
