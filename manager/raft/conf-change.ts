import type { ConfChange, ConfChangeType } from './types.js';
import { EMPTY_BYTES } from './types.js';

const TYPES: readonly ConfChangeType[] = ['addNode', 'addLearnerNode', 'removeNode'];
const VERSION = 1;

/**
 * Encodes a {@link ConfChange} as the data of a conf-change entry: version byte, type byte, the member id
 * as 8 bytes big-endian, then the context bytes. Raft decodes it to validate proposals, so the format is
 * raft's own, independent of the transport's protobuf.
 */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const ctx = cc.context ?? EMPTY_BYTES;
  const out = new Uint8Array(10 + ctx.length);
  out[0] = VERSION;
  out[1] = TYPES.indexOf(cc.type);
  new DataView(out.buffer).setBigUint64(2, BigInt.asUintN(64, cc.nodeId));
  out.set(ctx, 10);
  return out;
}

/**
 * Decodes the data of a conf-change entry.
 * @throws RangeError when `data` is not an encoded {@link ConfChange}
 */
export function decodeConfChange(data: Uint8Array): ConfChange {
  const type = TYPES[data[1] ?? 255];
  if (data.length < 10 || data[0] !== VERSION || type === undefined)
    throw new RangeError(`Cannot decode conf change: malformed ${data.length}-byte entry data`);
  const nodeId = new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(2);
  return data.length > 10 ? { type, nodeId, context: data.slice(10) } : { type, nodeId };
}

/** etcd-style description: `addNode 3`. */
export function describeConfChange(cc: ConfChange): string {
  return `${cc.type} ${cc.nodeId.toString(16)}`;
}
