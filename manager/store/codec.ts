/**
 * The store's two encodings.
 *
 * - Entries (what the proposer replicates): `{"v":1,"actions":[...]}` as UTF-8 JSON, secrets' and
 *   configs' bytes as base64 strings. Fast (native `JSON.stringify`); only the decoded value matters.
 * - Snapshots: canonical JSON (object keys sorted, objects sorted by id, kinds in a fixed order), so that
 *   the same store gives the same bytes on every manager, whatever order its objects' keys were built in.
 */
import { OBJECT_KINDS, type ObjectKind } from '../../proto/index.js';
import { InvalidActionError } from './errors.js';
import { bytesFromJson, bytesToJson, hasBytes } from './seal.js';
import type { StoreAction } from './types.js';

const ENTRY_VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const KINDS: ReadonlySet<string> = new Set(OBJECT_KINDS);

/** Encodes actions for the log. */
export function encodeStoreActions(actions: readonly StoreAction[]): Uint8Array {
  const wire = actions.map((a) =>
    a.action !== 'delete' && hasBytes(a.kind) ? { ...a, object: bytesToJson(a.kind, a.object) } : a,
  );
  return encoder.encode(JSON.stringify({ v: ENTRY_VERSION, actions: wire }));
}

/**
 * Checks the shape of one action (not the objects' fields, which the model types describe); returns the
 * problem or null.
 */
export function actionProblem(a: unknown): string | null {
  if (a === null || typeof a !== 'object') return 'it is not an object';
  const { action, kind, timestamp } = a as Record<string, unknown>;
  if (typeof kind !== 'string' || !KINDS.has(kind)) return `unknown kind "${String(kind)}"`;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp))
    return 'its timestamp is not a finite number';
  switch (action) {
    case 'create':
    case 'update': {
      const o = (a as { object?: unknown }).object;
      if (o === null || typeof o !== 'object' || Array.isArray(o)) return `the ${kind} is not an object`;
      const { id, meta } = o as Record<string, unknown>;
      if (typeof id !== 'string' || id === '') return `the ${kind} has no id`;
      if (action === 'update') {
        const version = (meta as { version?: unknown } | null | undefined)?.version;
        if (typeof version !== 'number') return `${kind} "${id}" has no meta.version`;
      }
      return null;
    }
    case 'delete': {
      const id = (a as { id?: unknown }).id;
      return typeof id === 'string' && id !== '' ? null : `the ${kind} to delete has no id`;
    }
    default:
      return `unknown action "${String(action)}"`;
  }
}

/**
 * Decodes what {@link encodeStoreActions} made.
 * @throws InvalidActionError when the bytes are not a store entry
 */
export function decodeStoreActions(data: Uint8Array): StoreAction[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch (err) {
    throw new InvalidActionError(-1, 'it is not UTF-8 JSON', { cause: err });
  }
  const { v, actions } = (parsed ?? {}) as { v?: unknown; actions?: unknown };
  if (v !== ENTRY_VERSION) throw new InvalidActionError(-1, `unknown entry format ${JSON.stringify(v)}`);
  if (!Array.isArray(actions)) throw new InvalidActionError(-1, 'it has no list of actions');
  return actions.map((a: unknown, i) => {
    const problem = actionProblem(a);
    if (problem !== null) throw new InvalidActionError(i, problem);
    const action = a as StoreAction;
    if (action.action === 'delete' || !hasBytes(action.kind)) return action;
    try {
      return { ...action, object: bytesFromJson(action.kind, action.object) } as StoreAction;
    } catch (err) {
      throw new InvalidActionError(i, (err as Error).message, { cause: err });
    }
  });
}

/** `"key":` for the keys seen so far (a small vocabulary: field names and label keys). */
const quotedKeys = new Map<string, string>();

/**
 * Canonical JSON: like `JSON.stringify`, with the keys of every object sorted (by UTF-16 code units).
 * @throws TypeError on values JSON cannot carry (the store never holds any)
 */
export function canonicalJson(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: ${v} is not a finite number`);
      return String(v === 0 ? 0 : v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalJson: cannot encode ${typeof v}`);
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(v[i]);
    }
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  for (let i = 1; i < keys.length; i++)
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort();
      break;
    }
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    let quoted = quotedKeys.get(k);
    if (quoted === undefined) {
      quoted = `${JSON.stringify(k)}:`;
      if (quotedKeys.size < 10_000) quotedKeys.set(k, quoted);
    }
    if (i > 0) out += ',';
    out += quoted + canonicalJson(o[k]);
  }
  return `${out}}`;
}

/** The snapshot format. */
export interface SnapshotBody {
  format: 'swarmd-store';
  formatVersion: 1;
  version: number;
  objects: Record<ObjectKind, object[]>;
}

/**
 * The pieces of a snapshot, in order: the canonical JSON of the version and every object (kinds in sorted
 * order, as canonicalJson would write them). `objects` of each kind MUST be sorted by id.
 */
function* snapshotPieces(version: number, objects: Record<ObjectKind, readonly object[]>): Generator<string> {
  yield '{"format":"swarmd-store","formatVersion":1,"objects":{';
  let k = 0;
  for (const kind of [...OBJECT_KINDS].sort()) {
    yield `${k++ > 0 ? ',' : ''}${JSON.stringify(kind)}:[`;
    let i = 0;
    for (const o of objects[kind]) yield `${i++ > 0 ? ',' : ''}${canonicalJson(bytesToJson(kind, o))}`;
    yield ']';
  }
  yield `},"version":${canonicalJson(version)}}`;
}

/**
 * Encodes the store's state canonically, in slices: after every `slice` objects it awaits `pause()`
 * (which lets other work run) when one is given. Each piece is encoded to bytes at once: keeping 10^5
 * freshly concatenated strings alive until the end costs the GC several times more.
 */
export async function encodeSnapshotSliced(
  version: number,
  objects: Record<ObjectKind, readonly object[]>,
  slice: number,
  pause: () => Promise<void>,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let n = 0;
  for (const piece of snapshotPieces(version, objects)) {
    const b = encoder.encode(piece);
    chunks.push(b);
    size += b.length;
    if (++n % slice === 0) await pause();
  }
  return concat(chunks, size);
}

/** {@link encodeSnapshotSliced} in one go. */
export function encodeSnapshot(version: number, objects: Record<ObjectKind, readonly object[]>): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (const piece of snapshotPieces(version, objects)) {
    const b = encoder.encode(piece);
    chunks.push(b);
    size += b.length;
  }
  return concat(chunks, size);
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Decodes a snapshot's envelope; objects come back with their bytes restored but unchecked.
 * @throws Error with the problem (the caller wraps it)
 */
export function decodeSnapshot(data: Uint8Array): SnapshotBody {
  const body = JSON.parse(decoder.decode(data)) as Partial<SnapshotBody> | null;
  if (body === null || typeof body !== 'object' || body.format !== 'swarmd-store')
    throw new Error('it is not a swarmd store snapshot');
  if (body.formatVersion !== 1)
    throw new Error(`unknown snapshot format version ${JSON.stringify(body.formatVersion)}`);
  if (typeof body.version !== 'number' || !Number.isSafeInteger(body.version) || body.version < 0)
    throw new Error('it has no valid version');
  const objects = (body.objects ?? {}) as Record<string, unknown>;
  const out = {} as Record<ObjectKind, object[]>;
  for (const kind of OBJECT_KINDS) {
    const list = objects[kind] ?? [];
    if (!Array.isArray(list)) throw new Error(`its ${kind}s are not a list`);
    out[kind] = list.map((o: unknown) => {
      if (o === null || typeof o !== 'object') throw new Error(`a ${kind} is not an object`);
      return bytesFromJson(kind, o);
    });
  }
  return { format: 'swarmd-store', formatVersion: 1, version: body.version, objects: out };
}
