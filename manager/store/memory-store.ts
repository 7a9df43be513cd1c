/**
 * The managers' cluster store: seven in-memory tables with their indexes, read in {@link MemoryStore.view}
 * transactions, written in {@link MemoryStore.update} and {@link MemoryStore.batch} transactions that go
 * through the {@link Proposer} (Raft) and come back through {@link MemoryStore.apply} on every manager, and
 * watched as a stream of events that ends each applied entry with a `commit`. See README.md.
 */
import { errorMessage, IllegalStateError, type Logger } from '../../common/index.js';
import { OBJECT_KINDS, type ObjectKind, type StoreObject } from '../../proto/index.js';
import {
  actionProblem,
  decodeSnapshot,
  decodeStoreActions,
  encodeSnapshot,
  encodeSnapshotSliced,
} from './codec.js';
import {
  IdConflictError,
  InvalidActionError,
  NameConflictError,
  NotFoundError,
  SnapshotDecodeError,
  type StoreError,
  VersionConflictError,
} from './errors.js';
import { nameKey, objectName, SEP, UNIQUE_NAME_KINDS } from './indexes.js';
import {
  type CompiledMemoryStoreOptions,
  compileMemoryStoreOptions,
  type MemoryStoreOptions,
} from './options.js';
import { copyBytesIn, exposeBytes, hasBytes, seal } from './seal.js';
import { sizeOf, Table } from './table.js';
import { type ReadTx, ReadTxImpl, type WriteTx, WriteTxImpl } from './tx.js';
import type { ApplyResult, ObjectEvent, StoreAction, StoreEvent } from './types.js';
import { Watcher, type WatchOptions } from './watcher.js';

/** Splits bulk writes into transactions; see {@link MemoryStore.batch}. */
export interface Batch {
  /**
   * Runs `fn` in the batch's current transaction. Its writes land in one transaction (atomically); when
   * `fn` throws, its writes are undone and the promise rejects with the error, while the batch goes on.
   * Once the transaction touched `maxChangesPerTransaction` objects it is committed before this
   * resolves. Rejects with the commit's error once a commit failed (and so does every later call).
   */
  update<T>(fn: (tx: WriteTx) => T): Promise<T>;
  /** Commits the current transaction now (nothing when it is empty). */
  flush(): Promise<void>;
}

type Tables = Record<ObjectKind, Table>;

function newTables(): Tables {
  const t = {} as Tables;
  for (const kind of OBJECT_KINDS) t[kind] = new Table(kind);
  return t;
}

function isThenable(v: unknown): boolean {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/** Refuses an async callback, swallowing its eventual rejection (it fails on the ended transaction). */
function refuseThenable(v: unknown, what: string): void {
  if (!isThenable(v)) return;
  (v as Promise<unknown>).then(undefined, () => {});
  throw new TypeError(
    `Cannot run ${what}: its callback returned a promise, and store callbacks must be synchronous`,
  );
}

/** One checked write of an entry, ready to apply. */
type Op =
  | { readonly action: 'create' | 'update'; readonly kind: ObjectKind; readonly object: StoreObject }
  | { readonly action: 'delete'; readonly kind: ObjectKind; readonly id: string };

export class MemoryStore {
  readonly #opts: CompiledMemoryStoreOptions;
  readonly #log: Logger;
  #tables: Tables = newTables();
  #version = 0;
  readonly #watchers = new Set<Watcher>();
  /** The tail of the write lock's FIFO chain. */
  #lock: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #tableOf = (kind: ObjectKind): Table => {
    const t = this.#tables[kind];
    if (t === undefined) throw new TypeError(`Cannot use the store: unknown kind "${String(kind)}"`);
    return t;
  };

  constructor(options: MemoryStoreOptions = {}) {
    this.#opts = compileMemoryStoreOptions(options);
    this.#log = this.#opts.logger;
  }

  /** The index of the last applied entry (the local counter without a proposer); 0 when empty. */
  get version(): number {
    return this.#version;
  }

  /** The number of open watchers. */
  get watcherCount(): number {
    return this.#watchers.size;
  }

  /**
   * Runs `fn` on a consistent view of the store and returns what it returns. `fn` must be synchronous;
   * the view ends when it returns. Objects read are frozen and may be kept.
   * @throws TypeError when `fn` returns a promise
   */
  view<T>(fn: (tx: ReadTx) => T): T {
    const tx = new ReadTxImpl(this.#version, this.#tableOf);
    try {
      const result = fn(tx);
      refuseThenable(result, 'a view');
      return result;
    } finally {
      tx.open = false;
    }
  }

  /**
   * Runs `fn` in a read-write transaction and commits its writes atomically: checks them, proposes them
   * (without a proposer: applies them directly) and resolves with what `fn` returned once they were
   * applied here, after watchers got their events. `fn` runs alone (one transaction at a time) and sees
   * every earlier local write that has been applied; writes still in flight are not visible to it, and a
   * write that conflicts with one of them is refused at apply time. When `fn` throws, nothing is written
   * and nothing is emitted.
   * @throws whatever `fn` throws (`NameConflictError`, `VersionConflictError`, ...); the entry's
   *   refusal at apply time (a conflict with a write that committed first); the proposer's error
   */
  async update<T>(fn: (tx: WriteTx) => T): Promise<T> {
    this.#checkOpen('update');
    const release = await this.#acquire();
    let result: T;
    let committed: Promise<void>;
    try {
      this.#checkOpen('update');
      const tx = new WriteTxImpl(this.#version, this.#opts.clock.now(), this.#tableOf);
      try {
        result = fn(tx);
        refuseThenable(result, 'an update');
      } finally {
        tx.open = false;
      }
      // The proposal is handed over (in lock order) before the lock goes; its commit is awaited outside
      // it, so independent writes are pipelined through Raft instead of waiting one fsync each. A write
      // that conflicts with one still in flight is refused when it is applied, identically everywhere.
      committed = this.#commit(tx);
    } finally {
      release();
    }
    await committed;
    return result;
  }

  /**
   * Bulk writes that need no atomicity as a whole (the scheduler's assignments, the dispatcher's status
   * writes): `fn` calls `batch.update(cb)` per item, and the store groups consecutive items into
   * transactions of up to `maxChangesPerTransaction` objects, each committed (proposed) separately. The
   * write lock is held while a transaction is open, so `fn` should not wait on anything else meanwhile,
   * and MUST NOT call `store.update()` (it would wait for the lock `fn` holds). When `fn` throws, the open
   * transaction is dropped (earlier ones stay committed) and the batch rejects with the error.
   * @returns what `fn` returns, once the last transaction was applied
   */
  async batch<T>(fn: (batch: Batch) => T | Promise<T>): Promise<T> {
    this.#checkOpen('batch');
    let tx: WriteTxImpl | null = null;
    let release: (() => void) | null = null;
    let failure: { error: unknown } | null = null;
    let finished = false;
    let queue: Promise<unknown> = Promise.resolve();
    const max = this.#opts.maxChangesPerTransaction;

    const unlock = (): void => {
      const r = release;
      release = null;
      r?.();
    };
    const commit = async (): Promise<void> => {
      const t = tx;
      if (t === null) {
        unlock();
        return;
      }
      tx = null;
      t.open = false;
      try {
        await this.#commit(t);
      } catch (err) {
        failure = { error: err };
        throw err;
      } finally {
        unlock();
      }
    };
    /** Runs batch operations one at a time, in call order. */
    const serial = <R>(job: () => Promise<R>): Promise<R> => {
      const p = queue.then(job);
      queue = p.then(
        () => {},
        () => {},
      );
      return p;
    };
    const batch: Batch = {
      update: <R>(cb: (tx: WriteTx) => R): Promise<R> =>
        serial(async () => {
          if (finished) throw new IllegalStateError('Cannot use a store batch after its callback returned');
          if (failure !== null) throw failure.error;
          if (tx === null) {
            release = await this.#acquire();
            if (this.#closed) {
              unlock();
              this.#checkOpen('batch');
            }
            tx = new WriteTxImpl(this.#version, this.#opts.clock.now(), this.#tableOf);
          }
          const current: WriteTxImpl = tx;
          const mark = current.mark();
          let result: R;
          try {
            result = cb(current);
            refuseThenable(result, 'a batch update');
          } catch (err) {
            current.rollback(mark);
            throw err;
          }
          if (current.size >= max) await commit();
          return result;
        }),
      flush: () => serial(commit),
    };

    try {
      const result = await fn(batch);
      await serial(commit);
      return result;
    } catch (err) {
      // Drop the open transaction: its writes were never proposed.
      await queue;
      if (tx !== null) {
        (tx as WriteTxImpl).open = false;
        tx = null;
      }
      unlock();
      throw err;
    } finally {
      finished = true;
    }
  }

  /**
   * Subscribes to the events of entries applied from now on (see {@link Watcher}).
   */
  watch(options: WatchOptions = {}): Watcher {
    const w = new Watcher(options, this.#opts.maxWatchQueue, (closed, error) => {
      this.#watchers.delete(closed);
      if (error !== null) this.#log.warn('store watcher closed', { error });
    });
    if (this.#closed) w.close();
    else this.#watchers.add(w);
    return w;
  }

  /**
   * A view and a watch started atomically: the watcher gets exactly the events of the entries applied
   * after the state `fn` saw (swarmkit's ViewAndWatch).
   */
  viewAndWatch<T>(fn: (tx: ReadTx) => T, options: WatchOptions = {}): { result: T; watcher: Watcher } {
    const watcher = this.watch(options);
    try {
      return { result: this.view(fn), watcher };
    } catch (err) {
      watcher.close();
      throw err;
    }
  }

  /**
   * Applies a committed entry (replication calls it on every manager, in log order, with the entry's
   * Raft index). Deterministic: it checks every action against the state as of the previous entry
   * (ids, names, the versions updates carry) and applies all of them or none, with `meta.version = index`
   * and the times the actions carry. The store's version becomes `index` either way. Never throws for a
   * refused entry: the refusal is the result.
   * @throws RangeError when `index` does not exceed the store's version (a broken apply loop)
   */
  apply(actions: readonly StoreAction[], index: number): ApplyResult {
    this.#checkIndex(index);
    const ops = Array.isArray(actions)
      ? this.#prepare(actions, index)
      : new InvalidActionError(-1, 'it is not a list');
    this.#version = index;
    if (!Array.isArray(ops)) return this.#refused(ops, index);
    const events: ObjectEvent[] | null = this.#watchers.size > 0 ? [] : null;
    for (const op of ops) {
      const table = this.#tables[op.kind];
      if (op.action === 'delete') {
        const old = table.get(op.id) as StoreObject;
        table.remove(old);
        events?.push({
          kind: op.kind,
          action: 'delete',
          object: exposeBytes(op.kind, old),
          old: null,
        } as ObjectEvent);
        continue;
      }
      const old = op.action === 'update' ? table.get(op.object.id) : undefined;
      if (old === undefined) {
        table.insert(op.object);
        events?.push({
          kind: op.kind,
          action: 'create',
          object: exposeBytes(op.kind, op.object),
          old: null,
        } as ObjectEvent);
      } else {
        table.replace(old, op.object);
        events?.push({
          kind: op.kind,
          action: 'update',
          object: exposeBytes(op.kind, op.object),
          old: exposeBytes(op.kind, old),
        } as ObjectEvent);
      }
    }
    if (events !== null && events.length > 0) this.#publish(events, index);
    return { ok: true, version: index };
  }

  /**
   * {@link apply} for an entry as the proposer encoded it ({@link encodeStoreActions}); bytes that do not
   * decode refuse the entry with an `InvalidActionError`.
   * @throws RangeError when `index` does not exceed the store's version
   */
  applyEncoded(data: Uint8Array, index: number): ApplyResult {
    this.#checkIndex(index);
    let actions: StoreAction[];
    try {
      actions = decodeStoreActions(data);
    } catch (err) {
      this.#version = index;
      return this.#refused(err as StoreError, index);
    }
    return this.apply(actions, index);
  }

  /**
   * The whole state as bytes: canonical JSON of the version and every object, kinds in a fixed order,
   * objects by id, keys sorted. The same state gives the same bytes on every manager.
   */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.#version, this.#capture());
  }

  /**
   * {@link snapshot} without blocking the event loop for long: the state is captured at once (stored
   * objects are immutable, so keeping references is enough), then encoded in slices of `slice` objects
   * with a `setImmediate` pause between them, while the store goes on applying entries. The bytes are
   * those `snapshot()` would have returned at the time of the call.
   */
  snapshotAsync(slice = 2000): Promise<Uint8Array> {
    return encodeSnapshotSliced(
      this.#version,
      this.#capture(),
      slice,
      () => new Promise((r) => setImmediate(r)),
    );
  }

  /** Every stored object by kind, sorted by id. */
  #capture(): Record<ObjectKind, StoreObject[]> {
    const objects = {} as Record<ObjectKind, StoreObject[]>;
    for (const kind of OBJECT_KINDS)
      objects[kind] = [...this.#tables[kind].objects.values()].sort((a, b) =>
        a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
      );
    return objects;
  }

  /**
   * Replaces the whole state with a {@link snapshot} (taken here or on another manager). Watchers get a
   * `restore` event and should read the store again.
   * @throws SnapshotDecodeError when `data` is not a valid snapshot; the store is then unchanged
   */
  restore(data: Uint8Array): void {
    let body: ReturnType<typeof decodeSnapshot>;
    try {
      body = decodeSnapshot(data);
    } catch (err) {
      throw new SnapshotDecodeError(errorMessage(err), { cause: err });
    }
    const tables = newTables();
    for (const kind of OBJECT_KINDS) {
      const table = tables[kind];
      for (const raw of body.objects[kind]) {
        const o = raw as StoreObject;
        const problem = actionProblem({ action: 'update', kind, object: o, timestamp: 0 });
        if (problem !== null) throw new SnapshotDecodeError(problem);
        try {
          seal(kind, o);
        } catch (err) {
          throw new SnapshotDecodeError(errorMessage(err), { cause: err });
        }
        if (table.get(o.id) !== undefined) throw new SnapshotDecodeError(`${kind} "${o.id}" appears twice`);
        const key = nameKey(kind, o);
        if (UNIQUE_NAME_KINDS.has(kind) && key !== null && sizeOf(table.lookup('name', key)) > 0)
          throw new SnapshotDecodeError(`two ${kind}s are named "${objectName(kind, o)}"`);
        table.insert(o);
      }
    }
    this.#tables = tables;
    this.#version = body.version;
    this.#log.info('store restored from snapshot', { 'store.version': body.version });
    const event: StoreEvent = { action: 'restore', version: body.version };
    for (const w of [...this.#watchers]) w.push(event);
  }

  /**
   * A diagnostic (used by the property tests): rebuilds every table's indexes from its objects and
   * compares them with the maintained ones, and checks name uniqueness. Returns the differences found
   * (none when consistent). O(store).
   */
  checkConsistency(): string[] {
    const problems: string[] = [];
    for (const kind of OBJECT_KINDS) {
      const table = this.#tables[kind];
      const fresh = new Table(kind);
      for (const o of table.objects.values()) fresh.insert(o);
      const have = table.dumpIndexes();
      const want = fresh.dumpIndexes();
      for (const index of Object.keys(want)) {
        const a = JSON.stringify(have[index]);
        const b = JSON.stringify(want[index]);
        if (a !== b) problems.push(`${kind} index ${index}: maintained ${a}, rebuilt ${b}`);
      }
      if (UNIQUE_NAME_KINDS.has(kind))
        for (const [key, ids] of Object.entries(want.name ?? {}))
          if (ids.length > 1) problems.push(`${kind} name "${key}" is held by ${ids.join(', ')}`);
    }
    return problems;
  }

  /** Ends every watcher and refuses further writes. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const w of [...this.#watchers]) w.close();
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new IllegalStateError(`Cannot ${what} the store: it is closed`);
  }

  #checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index <= this.#version)
      throw new RangeError(
        `Cannot apply store entry ${index}: the store is already at version ${this.#version}`,
      );
  }

  #refused(error: StoreError, index: number): ApplyResult {
    this.#log.debug('store entry refused', { 'raft.index': index, error });
    return { ok: false, version: index, error };
  }

  /** Takes the write lock; resolves with its release. FIFO. */
  async #acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const prev = this.#lock;
    this.#lock = prev.then(() => held);
    await prev;
    return release;
  }

  /** Proposes (or, without a proposer, applies) the writes of `tx`. */
  async #commit(tx: WriteTxImpl): Promise<void> {
    const actions = tx.actions();
    if (actions.length === 0) return;
    const proposer = this.#opts.proposer;
    const result =
      proposer === null ? this.apply(actions, this.#version + 1) : await proposer.propose(actions);
    if (!result.ok) throw result.error;
  }

  /**
   * Checks every action of an entry against the state, in order (an action sees the ones before it), and
   * returns the writes with their final objects, or the error that refuses the entry. Changes nothing.
   */
  #prepare(actions: readonly StoreAction[], index: number): Op[] | StoreError {
    /** `kind\0id` → the object as the entry leaves it so far (null: deleted). */
    const overlay = new Map<string, StoreObject | null>();
    /** `kind\0name key` → ids that took the name in this entry. */
    const claimed = new Map<string, string[]>();
    const current = (kind: ObjectKind, id: string): StoreObject | undefined => {
      const o = overlay.get(kind + SEP + id);
      return o === undefined ? this.#tables[kind].get(id) : (o ?? undefined);
    };
    const holder = (kind: ObjectKind, key: string, except: string): string | undefined => {
      const candidates = [
        ...this.#tables[kind].lookup('name', key),
        ...(claimed.get(kind + SEP + key) ?? []),
      ];
      for (const id of candidates) {
        if (id === except) continue;
        const o = current(kind, id);
        if (o !== undefined && nameKey(kind, o) === key) return id;
      }
      return undefined;
    };
    const ops: Op[] = [];
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i] as StoreAction;
      const problem = actionProblem(a);
      if (problem !== null) return new InvalidActionError(i, problem);
      const kind = a.kind;
      if (a.action === 'delete') {
        if (current(kind, a.id) === undefined) return new NotFoundError('delete', kind, a.id);
        overlay.set(kind + SEP + a.id, null);
        ops.push({ action: 'delete', kind, id: a.id });
        continue;
      }
      const id = a.object.id;
      const cur = current(kind, id);
      if (a.action === 'create' && cur !== undefined) return new IdConflictError(kind, id);
      if (a.action === 'update') {
        if (cur === undefined) return new NotFoundError('update', kind, id);
        if (cur.meta.version !== a.object.meta.version)
          return new VersionConflictError(kind, id, a.object.meta.version, cur.meta.version);
      }
      const meta = {
        version: index,
        createdAt: cur === undefined ? a.timestamp : cur.meta.createdAt,
        updatedAt: a.timestamp,
      };
      let o: StoreObject;
      try {
        o = seal(kind, hasBytes(kind) ? copyBytesIn(kind, { ...a.object, meta }) : { ...a.object, meta });
      } catch (err) {
        return new InvalidActionError(i, errorMessage(err), { cause: err });
      }
      const key = nameKey(kind, o);
      if (UNIQUE_NAME_KINDS.has(kind) && key !== null && (cur === undefined || nameKey(kind, cur) !== key)) {
        const taken = holder(kind, key, id);
        if (taken !== undefined) return new NameConflictError(a.action, kind, objectName(kind, o), id, taken);
        const k = kind + SEP + key;
        const list = claimed.get(k);
        if (list === undefined) claimed.set(k, [id]);
        else list.push(id);
      }
      overlay.set(kind + SEP + id, o);
      ops.push({ action: a.action, kind, object: o });
    }
    return ops;
  }

  /** Delivers an applied entry's events, then its commit, to every watcher that wants them. */
  #publish(events: readonly ObjectEvent[], version: number): void {
    const commit: StoreEvent = { action: 'commit', version };
    for (const w of [...this.#watchers]) {
      if (w.unfiltered) {
        for (const e of events) w.push(e);
        w.push(commit);
        continue;
      }
      let any = false;
      try {
        for (const e of events)
          if (w.wants(e)) {
            w.push(e);
            any = true;
          }
      } catch (err) {
        this.#log.warn('store watcher filter threw; closing the watcher', { error: err });
        w.fail(err);
        continue;
      }
      if (any) w.push(commit);
    }
  }
}
