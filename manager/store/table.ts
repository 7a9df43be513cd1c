/**
 * One table: the objects of one kind by id, an id trie for prefix lookups, and the secondary indexes of
 * `indexes.ts` (`key → ids`, plus a trie of names for name prefixes). The store changes a table only
 * while applying an entry; transactions read it.
 */
import type { ObjectKind, StoreObject } from '../../proto/index.js';
import type { Selector } from './by.js';
import { hasKey, INDEXES, type IndexDef, type IndexKeys, type IndexName, nameKey } from './indexes.js';
import { RadixSet } from './radix-set.js';

/**
 * The ids under one key: most keys (a task's name, slot or service+node) hold one id, kept as the string
 * itself; a second id turns it into a set. This halves the memory and time of indexing a task.
 */
type Bucket = string | Set<string>;

interface IndexState {
  readonly def: IndexDef;
  readonly map: Map<string, Bucket>;
}

/** Ids, as a set or a list without repeats. */
export type IdList = ReadonlySet<string> | readonly string[];

const EMPTY: readonly string[] = [];

export function sizeOf(ids: IdList): number {
  return 'size' in ids ? ids.size : ids.length;
}

export class Table {
  readonly kind: ObjectKind;
  readonly objects = new Map<string, StoreObject>();
  readonly #ids = new RadixSet();
  readonly #names = new RadixSet();
  readonly #indexes = new Map<IndexName, IndexState>();
  readonly #list: readonly IndexState[];

  constructor(kind: ObjectKind) {
    this.kind = kind;
    for (const def of INDEXES[kind]) this.#indexes.set(def.name, { def, map: new Map() });
    this.#list = [...this.#indexes.values()];
  }

  get size(): number {
    return this.objects.size;
  }

  get(id: string): StoreObject | undefined {
    return this.objects.get(id);
  }

  insert(o: StoreObject): void {
    this.objects.set(o.id, o);
    this.#ids.add(o.id);
    for (const ix of this.#list) this.#addKeys(ix, ix.def.keys(o), o.id);
  }

  remove(o: StoreObject): void {
    this.objects.delete(o.id);
    this.#ids.delete(o.id);
    for (const ix of this.#list) this.#removeKeys(ix, ix.def.keys(o), o.id);
  }

  /** Replaces `old` by `o` (same id), touching only the index keys that changed. */
  replace(old: StoreObject, o: StoreObject): void {
    this.objects.set(o.id, o);
    for (const ix of this.#list) {
      if (ix.def.same?.(old, o)) continue;
      const before = ix.def.keys(old);
      const after = ix.def.keys(o);
      if (before === after) continue;
      if (typeof before === 'string' && typeof after === 'string') {
        this.#removeKey(ix, before, o.id);
        this.#addKey(ix, after, o.id);
        continue;
      }
      if (before !== null)
        for (const k of typeof before === 'string' ? [before] : before)
          if (!hasKey(after, k)) this.#removeKey(ix, k, o.id);
      if (after !== null)
        for (const k of typeof after === 'string' ? [after] : after)
          if (!hasKey(before, k)) this.#addKey(ix, k, o.id);
    }
  }

  #addKeys(ix: IndexState, keys: IndexKeys, id: string): void {
    if (keys === null) return;
    if (typeof keys === 'string') this.#addKey(ix, keys, id);
    else for (const k of keys) this.#addKey(ix, k, id);
  }

  #removeKeys(ix: IndexState, keys: IndexKeys, id: string): void {
    if (keys === null) return;
    if (typeof keys === 'string') this.#removeKey(ix, keys, id);
    else for (const k of keys) this.#removeKey(ix, k, id);
  }

  #addKey(ix: IndexState, key: string, id: string): void {
    const b = ix.map.get(key);
    if (b === undefined) {
      ix.map.set(key, id);
      if (ix.def.name === 'name') this.#names.add(key);
    } else if (typeof b === 'string') {
      if (b !== id) ix.map.set(key, new Set([b, id]));
    } else {
      b.add(id);
    }
  }

  #removeKey(ix: IndexState, key: string, id: string): void {
    const b = ix.map.get(key);
    if (b === undefined) return;
    if (typeof b === 'string') {
      if (b !== id) return;
    } else {
      b.delete(id);
      if (b.size > 1) return;
      const rest = b.values().next();
      if (rest.done !== true) {
        ix.map.set(key, rest.value);
        return;
      }
    }
    ix.map.delete(key);
    if (ix.def.name === 'name') this.#names.delete(key);
  }

  /** The ids under `key` in index `name` (shared: do not modify). */
  lookup(name: IndexName, key: string): IdList {
    const b = this.#index(name).map.get(key);
    return b === undefined ? EMPTY : typeof b === 'string' ? [b] : b;
  }

  #index(name: IndexName): IndexState {
    const ix = this.#indexes.get(name);
    if (ix === undefined)
      throw new TypeError(`Cannot query ${this.kind}s by ${name}: ${this.kind}s have no such index`);
    return ix;
  }

  /** The ids `sel` selects, through the indexes. */
  select(sel: Selector): IdList {
    switch (sel.t) {
      case 'all':
        return [...this.objects.keys()];
      case 'index':
        return this.lookup(sel.index, sel.key);
      case 'idPrefix':
        return this.#ids.collect(sel.prefix);
      case 'namePrefix': {
        const names = this.#names.collect(sel.prefix);
        if (names.length === 1) return this.lookup('name', names[0] as string);
        const out: string[] = [];
        for (const n of names) for (const id of this.lookup('name', n)) out.push(id);
        return out;
      }
      case 'anyOf': {
        if (sel.of.length === 1) return this.select(sel.of[0] as Selector);
        const out = new Set<string>();
        for (const s of sel.of) for (const id of this.select(s)) out.add(id);
        return out;
      }
      case 'allOf': {
        // Start from the smallest candidate list and check the others on each object.
        let best: IdList | undefined;
        let bestAt = -1;
        sel.of.forEach((s, i) => {
          const ids = this.select(s);
          if (best === undefined || sizeOf(ids) < sizeOf(best)) {
            best = ids;
            bestAt = i;
          }
        });
        if (best === undefined) return [...this.objects.keys()];
        const rest = sel.of.filter((_, i) => i !== bestAt);
        const out: string[] = [];
        for (const id of best) {
          const o = this.objects.get(id);
          if (o !== undefined && rest.every((s) => this.matches(s, o))) out.push(id);
        }
        return out;
      }
    }
  }

  /** The number of objects `sel` selects; O(1) for a single index key. */
  count(sel: Selector): number {
    if (sel.t === 'all') return this.objects.size;
    return sizeOf(this.select(sel));
  }

  /** True when `o` (an object of this kind, stored or not) is selected by `sel`. */
  matches(sel: Selector, o: StoreObject): boolean {
    switch (sel.t) {
      case 'all':
        return true;
      case 'index':
        return hasKey(this.#index(sel.index).def.keys(o), sel.key);
      case 'idPrefix':
        return o.id.startsWith(sel.prefix);
      case 'namePrefix':
        return nameKey(this.kind, o)?.startsWith(sel.prefix) ?? false;
      case 'anyOf':
        return sel.of.some((s) => this.matches(s, o));
      case 'allOf':
        return sel.of.every((s) => this.matches(s, o));
    }
  }

  /** Up to `limit` ids starting with `prefix`. */
  idsWithPrefix(prefix: string, limit: number): string[] {
    return this.#ids.collect(prefix, [], limit);
  }

  /**
   * For tests: every index as `index → key → sorted ids`, plus the id and name tries' contents, for
   * comparison with a brute-force rebuild.
   */
  dumpIndexes(): Record<string, Record<string, string[]>> {
    const out: Record<string, Record<string, string[]>> = {};
    for (const [name, ix] of this.#indexes) {
      const m: Record<string, string[]> = {};
      for (const key of [...ix.map.keys()].sort()) m[key] = [...this.lookup(name, key)].sort();
      out[name] = m;
    }
    out['#ids'] = { '': this.#ids.collect('').sort() };
    out['#names'] = { '': this.#names.collect('').sort() };
    return out;
  }
}
