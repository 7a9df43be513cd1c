/**
 * @module manager/store — the managers' cluster store: in-memory tables of the seven object kinds with
 * their indexes, `view`/`update`/`batch` transactions with optimistic concurrency on `meta.version`,
 * watch streams that end each applied entry with a `commit` event, snapshots, and the {@link Proposer}
 * interface through which writes are replicated (implemented by manager/replication). See README.md.
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ proposer, clock, logger });
 * await store.update((tx) => tx.services.create(service));
 * const tasks = store.view((tx) => tx.tasks.find(byServiceId(service.id)));
 * for await (const e of store.watch({ kinds: ['task'] })) if (e.action === 'commit') reconcile();
 * ```
 */

export type { By, Selector } from './by.js';
export {
  allOf,
  anyOf,
  byAll,
  byDesiredState,
  byIdPrefix,
  byLabels,
  byName,
  byNamePrefix,
  byNodeId,
  byReferencedConfig,
  byReferencedSecret,
  byServiceId,
  byServiceNode,
  bySlot,
  byTaskState,
} from './by.js';
export { decodeStoreActions, encodeStoreActions } from './codec.js';
export type { WriteOp } from './errors.js';
export {
  AmbiguousReferenceError,
  IdConflictError,
  InvalidActionError,
  NameConflictError,
  NotFoundError,
  SnapshotDecodeError,
  StoreError,
  VersionConflictError,
  WatcherOverflowError,
} from './errors.js';
export { objectName, UNIQUE_NAME_KINDS } from './indexes.js';
export type { Batch } from './memory-store.js';
export { MemoryStore } from './memory-store.js';
export type { CompiledMemoryStoreOptions, MemoryStoreOptions } from './options.js';
export { compileMemoryStoreOptions } from './options.js';
export type { Proposer } from './proposer.js';
export type { ReadTable, ReadTx, WriteTable, WriteTx } from './tx.js';
export type {
  ApplyResult,
  CommitEvent,
  NewObject,
  ObjectEvent,
  ObjectOf,
  RestoreEvent,
  StoreAction,
  StoreEvent,
  WriteAction,
} from './types.js';
export type { WatchOptions } from './watcher.js';
export { Watcher } from './watcher.js';
