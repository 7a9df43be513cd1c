/**
 * Transactions. A {@link ReadTx} reads the tables directly (all callbacks are synchronous, so nothing can
 * change the store while one runs: the view is consistent without copying). A {@link WriteTx} keeps its
 * writes in an overlay, one record per object it touched, that its own reads see; at the end the overlay
 * becomes the list of {@link StoreAction}s that is proposed and applied.
 */
import { IllegalStateError } from '../../common/index.js';
import type { Meta, ObjectKind, StoreObject } from '../../proto/index.js';
import { type By, byIdPrefix, byName, type Selector } from './by.js';
import {
  AmbiguousReferenceError,
  IdConflictError,
  NameConflictError,
  NotFoundError,
  VersionConflictError,
} from './errors.js';
import { nameKey, objectName, UNIQUE_NAME_KINDS } from './indexes.js';
import { copyBytesIn, exposeBytes, seal } from './seal.js';
import type { Table } from './table.js';
import type { NewObject, ObjectOf, StoreAction } from './types.js';

/** Reads of one table inside a transaction. Returned objects are frozen (see `seal.ts`). */
export interface ReadTable<K extends ObjectKind> {
  readonly kind: K;
  /** The object with this id, or undefined. */
  get(id: string): ObjectOf<K> | undefined;
  /** The objects `by` selects (all without it), in no particular order. O(result) through the indexes. */
  find(by?: By<K>): ObjectOf<K>[];
  /** How many objects `by` selects (all without it). */
  count(by?: By<K>): number;
  /**
   * What a person means by `ref` (swarmctl's lookup): the object with this id, else the one with this
   * name, else the one whose id starts with `ref`; undefined when none.
   * @throws AmbiguousReferenceError when several objects have this name or this id prefix
   */
  resolve(ref: string): ObjectOf<K> | undefined;
}

/** Reads and writes of one table inside an update transaction. */
export interface WriteTable<K extends ObjectKind> extends ReadTable<K> {
  /**
   * Adds an object; its `id` is the caller's (from the injected `IdSource`), its `meta` is set by the
   * store. The object becomes the store's and is frozen. Returns the object as staged (`meta.version`
   * is 0 until the transaction applies).
   * @throws IdConflictError when the id is taken
   * @throws NameConflictError when the name is taken (services, secrets, configs, networks, clusters)
   * @throws TypeError when the object has no id or is not JSON-safe
   */
  create(object: NewObject<ObjectOf<K>>): ObjectOf<K>;
  /**
   * Replaces an object by a new version of it. `object.meta.version` must be the version read (in this
   * transaction or before it); `meta` is otherwise set by the store.
   * @throws NotFoundError when there is no such object
   * @throws VersionConflictError when the object was written after `object.meta.version`
   * @throws NameConflictError when a rename takes a name in use
   */
  update(object: ObjectOf<K>): ObjectOf<K>;
  /**
   * Removes an object, whatever its version; returns it.
   * @throws NotFoundError when there is no such object
   */
  delete(id: string): ObjectOf<K>;
}

interface Tables<T> {
  readonly clusters: T extends 'read' ? ReadTable<'cluster'> : WriteTable<'cluster'>;
  readonly nodes: T extends 'read' ? ReadTable<'node'> : WriteTable<'node'>;
  readonly services: T extends 'read' ? ReadTable<'service'> : WriteTable<'service'>;
  readonly tasks: T extends 'read' ? ReadTable<'task'> : WriteTable<'task'>;
  readonly secrets: T extends 'read' ? ReadTable<'secret'> : WriteTable<'secret'>;
  readonly configs: T extends 'read' ? ReadTable<'config'> : WriteTable<'config'>;
  readonly networks: T extends 'read' ? ReadTable<'network'> : WriteTable<'network'>;
}

/** A consistent read-only view of the store, valid only while the `view` callback runs. */
export interface ReadTx extends Tables<'read'> {
  /** The store's version (the index of the last applied entry) as of this view. */
  readonly version: number;
  table<K extends ObjectKind>(kind: K): ReadTable<K>;
}

/** An update transaction, valid only while its callback runs. */
export interface WriteTx extends Tables<'write'> {
  readonly version: number;
  /** The time this transaction's writes carry (`meta.updatedAt`), from the store's clock. */
  readonly timestamp: number;
  table<K extends ObjectKind>(kind: K): WriteTable<K>;
}

const ALL: Selector = { t: 'all' };

/** Reads shared by both transaction kinds. */
abstract class TableReader<K extends ObjectKind> implements ReadTable<K> {
  readonly kind: K;

  constructor(kind: K) {
    this.kind = kind;
  }

  abstract get(id: string): ObjectOf<K> | undefined;
  abstract find(by?: By<K>): ObjectOf<K>[];
  abstract count(by?: By<K>): number;

  resolve(ref: string): ObjectOf<K> | undefined {
    if (ref === '') return undefined;
    const exact = this.get(ref);
    if (exact !== undefined) return exact;
    const named = this.find(byName(ref));
    if (named.length === 1) return named[0];
    if (named.length > 1)
      throw new AmbiguousReferenceError(
        this.kind,
        ref,
        'name',
        named
          .map((o) => o.id)
          .sort()
          .slice(0, 10),
      );
    const prefixed = this.find(byIdPrefix(ref));
    if (prefixed.length === 1) return prefixed[0];
    if (prefixed.length > 1)
      throw new AmbiguousReferenceError(
        this.kind,
        ref,
        'id prefix',
        prefixed
          .map((o) => o.id)
          .sort()
          .slice(0, 10),
      );
    return undefined;
  }
}

/** The liveness flag a transaction's tables check on every call. */
interface Liveness {
  readonly open: boolean;
}

function ended(): never {
  throw new IllegalStateError('Cannot use a store transaction after its callback returned');
}

class BaseReader<K extends ObjectKind> extends TableReader<K> {
  readonly #tx: Liveness;
  readonly #table: Table;

  constructor(tx: Liveness, kind: K, table: Table) {
    super(kind);
    this.#tx = tx;
    this.#table = table;
  }

  get(id: string): ObjectOf<K> | undefined {
    if (!this.#tx.open) ended();
    const o = this.#table.get(id);
    return o === undefined ? undefined : (exposeBytes(this.kind, o) as ObjectOf<K>);
  }

  find(by?: By<K>): ObjectOf<K>[] {
    if (!this.#tx.open) ended();
    const table = this.#table;
    const sel = by?.selector ?? ALL;
    const out: StoreObject[] = sel.t === 'all' ? [...table.objects.values()] : [];
    if (sel.t !== 'all') for (const id of table.select(sel)) out.push(table.get(id) as StoreObject);
    if (this.kind === 'secret' || this.kind === 'config')
      for (let i = 0; i < out.length; i++) out[i] = exposeBytes(this.kind, out[i] as StoreObject);
    return out as ObjectOf<K>[];
  }

  count(by?: By<K>): number {
    if (!this.#tx.open) ended();
    return this.#table.count(by?.selector ?? ALL);
  }
}

const TABLE_PROPS = {
  clusters: 'cluster',
  nodes: 'node',
  services: 'service',
  tasks: 'task',
  secrets: 'secret',
  configs: 'config',
  networks: 'network',
} as const;

/** A view over the tables as they are; see {@link ReadTx}. */
export class ReadTxImpl implements ReadTx, Liveness {
  open = true;
  readonly version: number;
  readonly #tables: (kind: ObjectKind) => Table;
  readonly #readers = new Map<ObjectKind, ReadTable<ObjectKind>>();

  constructor(version: number, tables: (kind: ObjectKind) => Table) {
    this.version = version;
    this.#tables = tables;
  }

  table<K extends ObjectKind>(kind: K): ReadTable<K> {
    let r = this.#readers.get(kind);
    if (r === undefined) {
      r = new BaseReader(this, kind, this.#tables(kind));
      this.#readers.set(kind, r);
    }
    return r as unknown as ReadTable<K>;
  }

  get clusters(): ReadTable<'cluster'> {
    return this.table(TABLE_PROPS.clusters);
  }
  get nodes(): ReadTable<'node'> {
    return this.table(TABLE_PROPS.nodes);
  }
  get services(): ReadTable<'service'> {
    return this.table(TABLE_PROPS.services);
  }
  get tasks(): ReadTable<'task'> {
    return this.table(TABLE_PROPS.tasks);
  }
  get secrets(): ReadTable<'secret'> {
    return this.table(TABLE_PROPS.secrets);
  }
  get configs(): ReadTable<'config'> {
    return this.table(TABLE_PROPS.configs);
  }
  get networks(): ReadTable<'network'> {
    return this.table(TABLE_PROPS.networks);
  }
}

/** What a write transaction knows of one object it touched. */
interface Change {
  /** The stored object when the transaction first touched it (undefined: it did not exist). */
  readonly base: StoreObject | undefined;
  /** The object as the transaction leaves it (undefined: deleted). */
  readonly current: StoreObject | undefined;
  /** The transaction deleted the stored object (and may have created another with its id). */
  readonly deletedBase: boolean;
}

class TxTable<K extends ObjectKind> extends TableReader<K> implements WriteTable<K> {
  readonly #tx: WriteTxImpl;

  constructor(tx: WriteTxImpl, kind: K) {
    super(kind);
    this.#tx = tx;
  }

  get(id: string): ObjectOf<K> | undefined {
    return this.#tx.get(this.kind, id) as ObjectOf<K> | undefined;
  }
  find(by?: By<K>): ObjectOf<K>[] {
    return this.#tx.find(this.kind, by?.selector ?? ALL) as ObjectOf<K>[];
  }
  count(by?: By<K>): number {
    return this.#tx.count(this.kind, by?.selector ?? ALL);
  }
  create(object: NewObject<ObjectOf<K>>): ObjectOf<K> {
    return this.#tx.create(this.kind, object as unknown as StoreObject) as ObjectOf<K>;
  }
  update(object: ObjectOf<K>): ObjectOf<K> {
    return this.#tx.update(this.kind, object) as ObjectOf<K>;
  }
  delete(id: string): ObjectOf<K> {
    return this.#tx.delete(this.kind, id) as ObjectOf<K>;
  }
}

/** An update transaction over the tables; see {@link WriteTx}. */
export class WriteTxImpl implements WriteTx, Liveness {
  open = true;
  readonly version: number;
  readonly timestamp: number;
  readonly #tables: (kind: ObjectKind) => Table;
  readonly #changes = new Map<ObjectKind, Map<string, Change>>();
  /** Touched objects in the order first touched: the order of the actions. */
  readonly #order: [ObjectKind, string][] = [];
  /** Undo log for savepoints: each write's previous record (undefined: none). */
  readonly #journal: [ObjectKind, string, Change | undefined][] = [];
  readonly #tableViews = new Map<ObjectKind, TxTable<ObjectKind>>();

  constructor(version: number, timestamp: number, tables: (kind: ObjectKind) => Table) {
    this.version = version;
    this.timestamp = timestamp;
    this.#tables = tables;
  }

  /** The number of objects touched so far. */
  get size(): number {
    return this.#order.length;
  }

  table<K extends ObjectKind>(kind: K): WriteTable<K> {
    let t = this.#tableViews.get(kind);
    if (t === undefined) {
      t = new TxTable(this, kind);
      this.#tableViews.set(kind, t);
    }
    return t as unknown as WriteTable<K>;
  }

  get clusters(): WriteTable<'cluster'> {
    return this.table(TABLE_PROPS.clusters);
  }
  get nodes(): WriteTable<'node'> {
    return this.table(TABLE_PROPS.nodes);
  }
  get services(): WriteTable<'service'> {
    return this.table(TABLE_PROPS.services);
  }
  get tasks(): WriteTable<'task'> {
    return this.table(TABLE_PROPS.tasks);
  }
  get secrets(): WriteTable<'secret'> {
    return this.table(TABLE_PROPS.secrets);
  }
  get configs(): WriteTable<'config'> {
    return this.table(TABLE_PROPS.configs);
  }
  get networks(): WriteTable<'network'> {
    return this.table(TABLE_PROPS.networks);
  }

  #current(kind: ObjectKind, id: string): StoreObject | undefined {
    const c = this.#changes.get(kind)?.get(id);
    return c === undefined ? this.#tables(kind).get(id) : c.current;
  }

  get(kind: ObjectKind, id: string): StoreObject | undefined {
    if (!this.open) ended();
    const o = this.#current(kind, id);
    return o === undefined ? undefined : exposeBytes(kind, o);
  }

  find(kind: ObjectKind, sel: Selector): StoreObject[] {
    if (!this.open) ended();
    const table = this.#tables(kind);
    const changes = this.#changes.get(kind);
    const out: StoreObject[] = [];
    if (changes === undefined && sel.t === 'all') out.push(...table.objects.values());
    else
      for (const id of table.select(sel)) {
        if (changes?.has(id)) continue;
        out.push(table.get(id) as StoreObject);
      }
    if (changes !== undefined)
      for (const c of changes.values())
        if (c.current !== undefined && table.matches(sel, c.current)) out.push(c.current);
    if (kind === 'secret' || kind === 'config')
      for (let i = 0; i < out.length; i++) out[i] = exposeBytes(kind, out[i] as StoreObject);
    return out;
  }

  count(kind: ObjectKind, sel: Selector): number {
    if (!this.open) ended();
    if (!this.#changes.has(kind)) return this.#tables(kind).count(sel);
    return this.find(kind, sel).length;
  }

  /** The id of another object of `kind` that holds name key `key`, if any (unique-name kinds only). */
  #nameHolder(kind: ObjectKind, key: string, exceptId: string): string | undefined {
    const changes = this.#changes.get(kind);
    for (const id of this.#tables(kind).lookup('name', key)) {
      if (id === exceptId) continue;
      const c = changes?.get(id);
      if (c === undefined) return id;
    }
    if (changes !== undefined)
      for (const [id, c] of changes)
        if (id !== exceptId && c.current !== undefined && nameKey(kind, c.current) === key) return id;
    return undefined;
  }

  #checkName(op: 'create' | 'update', kind: ObjectKind, o: StoreObject, old: StoreObject | undefined): void {
    if (!UNIQUE_NAME_KINDS.has(kind)) return;
    const key = nameKey(kind, o);
    if (key === null || (old !== undefined && nameKey(kind, old) === key)) return;
    const holder = this.#nameHolder(kind, key, o.id);
    if (holder !== undefined) throw new NameConflictError(op, kind, objectName(kind, o), o.id, holder);
  }

  #set(kind: ObjectKind, id: string, change: Change): void {
    let changes = this.#changes.get(kind);
    if (changes === undefined) {
      changes = new Map();
      this.#changes.set(kind, changes);
    }
    const prev = changes.get(id);
    this.#journal.push([kind, id, prev]);
    if (prev === undefined) this.#order.push([kind, id]);
    changes.set(id, change);
  }

  #touched(kind: ObjectKind, id: string): Change {
    return (
      this.#changes.get(kind)?.get(id) ?? {
        base: this.#tables(kind).get(id),
        current: this.#tables(kind).get(id),
        deletedBase: false,
      }
    );
  }

  create(kind: ObjectKind, input: StoreObject): StoreObject {
    if (!this.open) ended();
    if (typeof input?.id !== 'string' || input.id === '')
      throw new TypeError(`Cannot create ${kind}: it has no id`);
    const change = this.#touched(kind, input.id);
    if (change.current !== undefined) throw new IdConflictError(kind, input.id);
    const meta: Meta = { version: 0, createdAt: this.timestamp, updatedAt: this.timestamp };
    const o = seal(kind, copyBytesIn(kind, { ...input, meta }));
    this.#checkName('create', kind, o, undefined);
    this.#set(kind, o.id, { ...change, current: o });
    return exposeBytes(kind, o);
  }

  update(kind: ObjectKind, input: StoreObject): StoreObject {
    if (!this.open) ended();
    if (typeof input?.id !== 'string' || input.id === '')
      throw new TypeError(`Cannot update ${kind}: it has no id`);
    const change = this.#touched(kind, input.id);
    const cur = change.current;
    if (cur === undefined) throw new NotFoundError('update', kind, input.id);
    const read = input.meta?.version;
    if (read !== cur.meta.version)
      throw new VersionConflictError(kind, input.id, Number(read), cur.meta.version);
    const meta: Meta = {
      version: cur.meta.version,
      createdAt: cur.meta.createdAt,
      updatedAt: this.timestamp,
    };
    const o = seal(kind, copyBytesIn(kind, { ...input, meta }));
    this.#checkName('update', kind, o, cur);
    this.#set(kind, o.id, { ...change, current: o });
    return exposeBytes(kind, o);
  }

  delete(kind: ObjectKind, id: string): StoreObject {
    if (!this.open) ended();
    const change = this.#touched(kind, id);
    const cur = change.current;
    if (cur === undefined) throw new NotFoundError('delete', kind, String(id));
    this.#set(kind, id, {
      base: change.base,
      current: undefined,
      deletedBase: change.deletedBase || change.base !== undefined,
    });
    return exposeBytes(kind, cur);
  }

  /** A savepoint for {@link rollback}. */
  mark(): number {
    return this.#journal.length;
  }

  /** Undoes every write after savepoint `mark`. */
  rollback(mark: number): void {
    while (this.#journal.length > mark) {
      const [kind, id, prev] = this.#journal.pop() as [ObjectKind, string, Change | undefined];
      const changes = this.#changes.get(kind) as Map<string, Change>;
      if (prev === undefined) {
        changes.delete(id);
        this.#order.pop();
      } else {
        changes.set(id, prev);
      }
    }
  }

  /** The writes as store actions, one per object touched, in first-touch order. */
  actions(): StoreAction[] {
    const out: StoreAction[] = [];
    const timestamp = this.timestamp;
    for (const [kind, id] of this.#order) {
      const c = this.#changes.get(kind)?.get(id) as Change;
      if (c.base !== undefined && c.deletedBase)
        out.push({ action: 'delete', kind, id, timestamp } as StoreAction);
      if (c.current === undefined) continue;
      const action = c.base !== undefined && !c.deletedBase ? 'update' : 'create';
      out.push({ action, kind, object: c.current, timestamp } as StoreAction);
    }
    return out;
  }
}
