import type { StateMachine } from '../state-machine.js';

/** A write command on the {@link KvStateMachine}. Keys are strings, values bytes (256 in the benchmark). */
export type KvCommand =
  | { readonly op: 'put'; readonly key: string; readonly value: Uint8Array }
  | { readonly op: 'delete'; readonly key: string }
  /** Sets `value` when the current value equals `expected` (null: the key is absent). */
  | {
      readonly op: 'cas';
      readonly key: string;
      readonly expected: Uint8Array | null;
      readonly value: Uint8Array;
    };

/** What applying a command returns to its proposer. */
export interface KvResult {
  /** The command took effect: always for put, when the key existed for delete, on a match for cas. */
  readonly ok: boolean;
  /** The index of the entry that carried the command. */
  readonly revision: number;
  /** For a cas that did not match: the current value (null when absent). Otherwise null. */
  readonly current: Uint8Array | null;
}

/** A value and the revision (entry index) that last wrote it. */
export interface KvValue {
  readonly value: Uint8Array;
  readonly revision: number;
}

const OP_PUT = 1;
const OP_DELETE = 2;
const OP_CAS = 3;
const enc = new TextEncoder();
const dec = new TextDecoder();
const SNAP_MAGIC = 0x3153564b; // "KVS1" little-endian

/**
 * Encodes a command as entry data: op u8, key length u16 (little-endian), key (UTF-8), then for put the
 * value to the end; for cas a flag u8 (1: expected given), expected length u32, expected, value to the end.
 * @throws RangeError for a key over 65535 bytes
 */
export function encodeKvCommand(cmd: KvCommand): Uint8Array {
  const key = enc.encode(cmd.key);
  if (key.byteLength > 0xffff)
    throw new RangeError(`Cannot encode key: ${key.byteLength} bytes, at most 65535`);
  const head = 3 + key.byteLength;
  let out: Uint8Array;
  switch (cmd.op) {
    case 'put':
      out = new Uint8Array(head + cmd.value.byteLength);
      out.set(cmd.value, head);
      out[0] = OP_PUT;
      break;
    case 'delete':
      out = new Uint8Array(head);
      out[0] = OP_DELETE;
      break;
    case 'cas': {
      const exp = cmd.expected;
      const expLen = exp === null ? 0 : exp.byteLength;
      out = new Uint8Array(head + 5 + expLen + cmd.value.byteLength);
      out[0] = OP_CAS;
      out[head] = exp === null ? 0 : 1;
      new DataView(out.buffer).setUint32(head + 1, expLen, true);
      if (exp !== null) out.set(exp, head + 5);
      out.set(cmd.value, head + 5 + expLen);
      break;
    }
  }
  out[1] = key.byteLength & 0xff;
  out[2] = key.byteLength >> 8;
  out.set(key, 3);
  return out;
}

/**
 * Decodes entry data written by {@link encodeKvCommand} (values are views into `data`).
 * @throws RangeError for malformed data
 */
export function decodeKvCommand(data: Uint8Array): KvCommand {
  if (data.byteLength < 3) throw new RangeError(`Cannot decode kv command: ${data.byteLength} bytes`);
  const keyLen = (data[1] as number) | ((data[2] as number) << 8);
  const head = 3 + keyLen;
  if (head > data.byteLength) throw new RangeError('Cannot decode kv command: truncated key');
  const key = dec.decode(data.subarray(3, head));
  switch (data[0]) {
    case OP_PUT:
      return { op: 'put', key, value: data.subarray(head) };
    case OP_DELETE:
      return { op: 'delete', key };
    case OP_CAS: {
      if (head + 5 > data.byteLength) throw new RangeError('Cannot decode kv command: truncated cas');
      const has = data[head] === 1;
      const expLen = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(head + 1, true);
      const at = head + 5;
      if (at + expLen > data.byteLength)
        throw new RangeError('Cannot decode kv command: truncated expected value');
      return {
        op: 'cas',
        key,
        expected: has ? data.subarray(at, at + expLen) : null,
        value: data.subarray(at + expLen),
      };
    }
    default:
      throw new RangeError(`Cannot decode kv command: unknown op ${data[0]}`);
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The key-value state machine of the replication tests and benchmark: put, delete and compare-and-set
 * through the log, get from memory (after `readIndex()` for a linearizable read). A malformed command is
 * refused as a result (`ok: false`), never thrown, as {@link StateMachine.apply} requires.
 */
export class KvStateMachine implements StateMachine<KvResult> {
  readonly #kv = new Map<string, KvValue>();
  #applied = 0;

  /** The index of the last entry applied (or of the snapshot restored). */
  get appliedIndex(): number {
    return this.#applied;
  }

  get size(): number {
    return this.#kv.size;
  }

  get(key: string): KvValue | null {
    return this.#kv.get(key) ?? null;
  }

  apply(data: Uint8Array, index: number): KvResult {
    this.#applied = index;
    let cmd: KvCommand;
    try {
      cmd = decodeKvCommand(data);
    } catch {
      return { ok: false, revision: index, current: null };
    }
    switch (cmd.op) {
      case 'put':
        // Copy: the entry's buffer may be a view into a larger frame or WAL buffer.
        this.#kv.set(cmd.key, { value: cmd.value.slice(), revision: index });
        return { ok: true, revision: index, current: null };
      case 'delete':
        return { ok: this.#kv.delete(cmd.key), revision: index, current: null };
      case 'cas': {
        const cur = this.#kv.get(cmd.key) ?? null;
        const matches =
          cmd.expected === null ? cur === null : cur !== null && bytesEqual(cur.value, cmd.expected);
        if (!matches) return { ok: false, revision: index, current: cur === null ? null : cur.value };
        this.#kv.set(cmd.key, { value: cmd.value.slice(), revision: index });
        return { ok: true, revision: index, current: null };
      }
    }
  }

  /**
   * The state, canonical (keys sorted): "KVS1", applied index f64, count u32, then per key: key length u16,
   * key, value length u32, value, revision f64 (little-endian).
   */
  snapshot(): Uint8Array {
    const keys = [...this.#kv.keys()].sort();
    const encoded = keys.map((k) => enc.encode(k));
    let size = 16;
    for (let i = 0; i < keys.length; i++)
      size +=
        2 +
        (encoded[i] as Uint8Array).byteLength +
        4 +
        (this.#kv.get(keys[i] as string) as KvValue).value.byteLength +
        8;
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    view.setUint32(0, SNAP_MAGIC, true);
    view.setFloat64(4, this.#applied, true);
    view.setUint32(12, keys.length, true);
    let off = 16;
    for (let i = 0; i < keys.length; i++) {
      const k = encoded[i] as Uint8Array;
      const v = this.#kv.get(keys[i] as string) as KvValue;
      view.setUint16(off, k.byteLength, true);
      out.set(k, off + 2);
      off += 2 + k.byteLength;
      view.setUint32(off, v.value.byteLength, true);
      out.set(v.value, off + 4);
      off += 4 + v.value.byteLength;
      view.setFloat64(off, v.revision, true);
      off += 8;
    }
    return out;
  }

  /** @throws RangeError when `data` is not a {@link snapshot} */
  restore(data: Uint8Array, index: number): void {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.byteLength < 16 || view.getUint32(0, true) !== SNAP_MAGIC)
      throw new RangeError(`Cannot restore kv snapshot ${index}: bad magic`);
    const count = view.getUint32(12, true);
    const kv = new Map<string, KvValue>();
    let off = 16;
    for (let i = 0; i < count; i++) {
      if (off + 2 > data.byteLength) throw new RangeError(`Cannot restore kv snapshot ${index}: truncated`);
      const kl = view.getUint16(off, true);
      const key = dec.decode(data.subarray(off + 2, off + 2 + kl));
      off += 2 + kl;
      if (off + 4 > data.byteLength) throw new RangeError(`Cannot restore kv snapshot ${index}: truncated`);
      const vl = view.getUint32(off, true);
      if (off + 4 + vl + 8 > data.byteLength)
        throw new RangeError(`Cannot restore kv snapshot ${index}: truncated`);
      const value = data.slice(off + 4, off + 4 + vl);
      off += 4 + vl;
      kv.set(key, { value, revision: view.getFloat64(off, true) });
      off += 8;
    }
    this.#kv.clear();
    for (const [k, v] of kv) this.#kv.set(k, v);
    this.#applied = index;
  }
}
