/**
 * How stored objects are kept safe from mutation and identical on every manager.
 *
 * Choice: **freeze, not copy.** An object the store keeps is deep-frozen once, when it is written, and
 * every read hands out that same frozen object (no copies on the read path). Writers build a new object
 * (`{ ...task, status: { ...task.status, state: 'RUNNING' } }`), which shares the unchanged frozen parts
 * with the old one; sealing skips parts that are already frozen, so a write costs what it changed.
 * Values given to `create`/`update` become the store's: they are frozen in place. A frozen value is
 * taken as deep-frozen and checked (a WeakSet of sealed objects would be exact, but it made sealing four
 * times slower): freeze a value you hand to the store deeply, or not at all.
 *
 * The one exception is bytes: a `Uint8Array` cannot be frozen. Only the `spec.data` of secrets and configs
 * holds bytes; the store copies them on the way in and every read of a secret or config returns a copy
 * of the object with its own copy of the data.
 *
 * Sealing also checks that the object is JSON-safe (plain objects, arrays, strings, finite numbers,
 * booleans, null; no `undefined`), so that what a follower decodes from the log is exactly what the
 * leader stored.
 */
import type { ObjectKind } from '../../proto/index.js';

/** The kinds whose `spec.data` holds bytes. */
export function hasBytes(kind: ObjectKind): kind is 'secret' | 'config' {
  return kind === 'secret' || kind === 'config';
}

interface WithData {
  spec: { data: unknown };
}

function bytesOf(kind: ObjectKind, obj: object): Uint8Array | undefined {
  if (!hasBytes(kind)) return undefined;
  const data = (obj as Partial<WithData>).spec?.data;
  return data instanceof Uint8Array ? data : undefined;
}

/** `obj` with `spec.data` replaced by `data` (shallow copies of the object and its spec). */
function withData<T>(obj: T, data: unknown): T {
  const o = obj as unknown as WithData;
  return { ...o, spec: { ...o.spec, data } } as unknown as T;
}

/** For secrets and configs: `obj` with its own copy of the bytes, so its writer can no longer change them. */
export function copyBytesIn<T extends object>(kind: ObjectKind, obj: T): T {
  const data = bytesOf(kind, obj);
  return data === undefined ? obj : withData(obj, new Uint8Array(data));
}

/** For secrets and configs: a frozen copy of a stored object with a fresh copy of the bytes; else `obj`. */
export function exposeBytes<T extends object>(kind: ObjectKind, obj: T): T {
  const data = bytesOf(kind, obj);
  if (data === undefined) return obj;
  const out = withData(obj, new Uint8Array(data)) as unknown as WithData;
  Object.freeze(out.spec);
  return Object.freeze(out) as unknown as T;
}

/** For the wire: secrets' and configs' bytes as base64 strings. */
export function bytesToJson<T extends object>(kind: ObjectKind, obj: T): T {
  const data = bytesOf(kind, obj);
  return data === undefined
    ? obj
    : withData(obj, Buffer.from(data.buffer, data.byteOffset, data.length).toString('base64'));
}

/**
 * From the wire: base64 strings back to bytes.
 * @throws TypeError when a secret or config has no base64 `spec.data`
 */
export function bytesFromJson<T extends object>(kind: ObjectKind, obj: T): T {
  if (!hasBytes(kind)) return obj;
  const data = (obj as Partial<WithData>).spec?.data;
  if (typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0)
    throw new TypeError(`${kind} has no base64 spec.data`);
  const buf = Buffer.from(data, 'base64');
  return withData(obj, new Uint8Array(buf.buffer, buf.byteOffset, buf.length).slice());
}

function describe(path: readonly (string | number)[]): string {
  return path.length === 0 ? 'the object' : `field "${path.join('.')}"`;
}

function sealValue(v: unknown, path: (string | number)[], bytes: Uint8Array | undefined, what: string): void {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(v))
        throw new TypeError(`Cannot store ${what}: ${describe(path)} is ${v}, which JSON cannot carry`);
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`Cannot store ${what}: ${describe(path)} is ${typeof v}, which JSON cannot carry`);
  }
  if (v === null || Object.isFrozen(v)) return;
  if (ArrayBuffer.isView(v)) {
    if (v === bytes) return;
    throw new TypeError(
      `Cannot store ${what}: ${describe(path)} holds bytes; only spec.data of secrets and configs may`,
    );
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      sealValue(v[i], path, bytes, what);
      path.pop();
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null)
      throw new TypeError(`Cannot store ${what}: ${describe(path)} is not a plain object`);
    for (const key of Object.keys(v)) {
      path.push(key);
      sealValue((v as Record<string, unknown>)[key], path, bytes, what);
      path.pop();
    }
  }
  Object.freeze(v);
}

/**
 * Checks that `obj` (an object of `kind`) is JSON-safe and deep-freezes it in place; returns it.
 * @throws TypeError naming the first field that is not JSON-safe
 */
export function seal<T extends object>(kind: ObjectKind, obj: T): T {
  if (Object.isFrozen(obj)) return obj;
  const id = (obj as { id?: unknown }).id;
  sealValue(obj, [], bytesOf(kind, obj), `${kind} "${String(id)}"`);
  return obj;
}
