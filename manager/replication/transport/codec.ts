/**
 * The wire codec of the raft transport: manager/raft's {@link Message} union ⇄ the protobuf messages of
 * `proto/raft.proto` (`RaftMessage`, `RaftBatch`, `SnapshotChunk`), byte for byte as any protobuf library
 * reads and writes them (the tests check it against proto-loader's codec for the same file).
 *
 * Why not proto-loader's serializers on this path: they go through an intermediate object (ids as decimal
 * strings, a `Long` per 64-bit field, a copy of every message), which costs several allocations per field
 * on the hottest path of the cluster. This codec writes a batch into one buffer sized in advance, member
 * ids from a small cache of their encodings, and decodes straight into raft's message shapes; entry data
 * and contexts are views into the received frame, never copies.
 *
 * Decoding validates what the transport can check without raft's state (see {@link decodeMessage}); raft
 * checks the rest. Encoding trusts its input: messages come from raft.
 */
import type { ConfState, Entry, Message, MessageType, MsgSnap, Snapshot } from '../../raft/index.js';
import { EMPTY_BYTES } from '../../raft/index.js';
import { MalformedMessageError } from './errors.js';

/** The number of each message type on the wire: enum `MessageType` of proto/raft.proto. */
export const MESSAGE_TYPE_NUMBERS: Readonly<Record<MessageType, number>> = Object.freeze({
  MsgHup: 1,
  MsgBeat: 2,
  MsgCheckQuorum: 3,
  MsgProp: 4,
  MsgApp: 5,
  MsgAppResp: 6,
  MsgVote: 7,
  MsgVoteResp: 8,
  MsgPreVote: 9,
  MsgPreVoteResp: 10,
  MsgSnap: 11,
  MsgHeartbeat: 12,
  MsgHeartbeatResp: 13,
  MsgUnreachable: 14,
  MsgSnapStatus: 15,
  MsgTransferLeader: 16,
  MsgTimeoutNow: 17,
  MsgReadIndex: 18,
  MsgReadIndexResp: 19,
});

const TYPES_BY_NUMBER: readonly (MessageType | undefined)[] = (() => {
  const out: (MessageType | undefined)[] = [];
  for (const [name, n] of Object.entries(MESSAGE_TYPE_NUMBERS)) out[n] = name as MessageType;
  return out;
})();

/** What a decoder accepts. */
export interface DecodeLimits {
  /** The largest entry `data` accepted, in bytes; a message with a larger entry is dropped. */
  readonly maxEntryBytes: number;
}

/** The messages of one decoded frame, in order, and the reasons for those that were dropped. */
export interface DecodedBatch {
  readonly messages: Message[];
  readonly errors: MalformedMessageError[];
}

/** One decoded `SnapshotChunk`: the header (first chunk only), the announced total size, and the bytes. */
export interface DecodedSnapshotChunk {
  /** The MsgSnap the data belongs to, with empty `snapshot.data`; null after the first chunk. */
  readonly header: MsgSnap | null;
  /** The size of the whole snapshot data; 0 after the first chunk. */
  readonly totalSize: number;
  /** The next bytes of the snapshot data: a view into the received frame. */
  readonly data: Uint8Array;
}

// ---- field tags: (field number << 3) | wire type (0 varint, 2 length-delimited) ----

const T_TYPE = 0x08;
const T_TO = 0x10;
const T_FROM = 0x18;
const T_TERM = 0x20;
const T_LOG_TERM = 0x28;
const T_INDEX = 0x30;
const T_ENTRIES = 0x3a;
const T_COMMIT = 0x40;
const T_SNAPSHOT = 0x4a;
const T_REJECT = 0x50;
const T_REJECT_HINT = 0x58;
const T_CONTEXT = 0x62;
const T_TRANSFER = 0x68;
// Entry
const T_E_TERM = 0x08;
const T_E_INDEX = 0x10;
const T_E_TYPE = 0x18;
const T_E_DATA = 0x22;
// Snapshot, SnapshotMetadata, ConfState
const T_S_DATA = 0x0a;
const T_S_METADATA = 0x12;
const T_M_CONF_STATE = 0x0a;
const T_M_INDEX = 0x10;
const T_M_TERM = 0x18;
const T_C_VOTERS = 0x0a;
const T_C_LEARNERS = 0x12;
const T_C_VOTERS_UNPACKED = 0x08;
const T_C_LEARNERS_UNPACKED = 0x10;
// RaftBatch, SnapshotChunk
const T_B_MESSAGES = 0x0a;
const T_K_HEADER = 0x0a;
const T_K_TOTAL_SIZE = 0x10;
const T_K_DATA = 0x1a;

const ENTRY_CONF_CHANGE = 1;
const MAX_U64 = (1n << 64n) - 1n;

// ---- encoding ----

/** Bytes of the varint of a non-negative safe integer. */
function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  if (v < 0x800000000) return 5;
  if (v < 0x40000000000) return 6;
  if (v < 0x2000000000000) return 7;
  return 8;
}

function putVarint(buf: Buffer, pos: number, v: number): number {
  if (v < 0x80000000) {
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
  } else {
    while (v >= 0x80) {
      buf[pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
  }
  buf[pos++] = v;
  return pos;
}

// Member ids are few and repeat in every message: their varints are computed once.
const idVarints = new Map<bigint, Uint8Array>();
const ID_CACHE_LIMIT = 4096;

function idVarint(id: bigint): Uint8Array {
  let bytes = idVarints.get(id);
  if (bytes === undefined) {
    if (id < 0n || id > MAX_U64)
      throw new RangeError(`Cannot encode member id ${id}: not a 64-bit unsigned value`);
    const out: number[] = [];
    let v = id;
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    bytes = Uint8Array.from(out);
    if (idVarints.size >= ID_CACHE_LIMIT) idVarints.clear();
    idVarints.set(id, bytes);
  }
  return bytes;
}

/** A uint64 field holding a number; absent when 0 (proto3). */
function numField(v: number): number {
  return v === 0 ? 0 : 1 + varintSize(v);
}

function idField(id: bigint): number {
  return id === 0n ? 0 : 1 + idVarint(id).length;
}

function boolField(b: boolean): number {
  return b ? 2 : 0;
}

function lenField(len: number): number {
  return 1 + varintSize(len) + len;
}

function bytesField(b: Uint8Array): number {
  return b.byteLength === 0 ? 0 : lenField(b.byteLength);
}

/** `optional bytes`: present (even empty) unless null. */
function optBytesField(b: Uint8Array | null): number {
  return b === null ? 0 : lenField(b.byteLength);
}

function entryBody(e: Entry): number {
  return numField(e.term) + numField(e.index) + (e.type === 'confChange' ? 2 : 0) + bytesField(e.data);
}

function entriesField(es: readonly Entry[]): number {
  let n = 0;
  for (let i = 0; i < es.length; i++) n += lenField(entryBody(es[i] as Entry));
  return n;
}

function packedIds(ids: readonly bigint[]): number {
  let n = 0;
  for (let i = 0; i < ids.length; i++) n += idVarint(ids[i] as bigint).length;
  return n;
}

function confStateBody(cs: ConfState): number {
  const v = packedIds(cs.voters);
  const l = packedIds(cs.learners);
  return (v === 0 ? 0 : lenField(v)) + (l === 0 ? 0 : lenField(l));
}

function snapshotBody(s: Snapshot): number {
  const md = s.metadata;
  const metadata = lenField(confStateBody(md.confState)) + numField(md.index) + numField(md.term);
  return bytesField(s.data) + lenField(metadata);
}

/** The size of the encoded `RaftMessage` of `m`, without its own tag and length. */
export function encodedMessageSize(m: Message): number {
  const n = 2 + idField(m.to) + idField(m.from) + numField(m.term);
  switch (m.type) {
    case 'MsgApp':
      return n + numField(m.logTerm) + numField(m.index) + entriesField(m.entries) + numField(m.commit);
    case 'MsgProp':
      return n + entriesField(m.entries);
    case 'MsgAppResp':
      return n + numField(m.logTerm) + numField(m.index) + boolField(m.reject) + numField(m.rejectHint);
    case 'MsgVote':
    case 'MsgPreVote':
      return n + numField(m.logTerm) + numField(m.index) + boolField(m.transfer);
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
    case 'MsgSnapStatus':
      return n + boolField(m.reject);
    case 'MsgSnap':
      return n + lenField(snapshotBody(m.snapshot));
    case 'MsgHeartbeat':
      return n + numField(m.commit) + optBytesField(m.context);
    case 'MsgHeartbeatResp':
    case 'MsgReadIndex':
      return n + optBytesField(m.context);
    case 'MsgReadIndexResp':
      return n + numField(m.index) + optBytesField(m.context);
    default:
      return n;
  }
}

function putNum(buf: Buffer, pos: number, tag: number, v: number): number {
  if (v === 0) return pos;
  buf[pos++] = tag;
  return putVarint(buf, pos, v);
}

function putId(buf: Buffer, pos: number, tag: number, id: bigint): number {
  if (id === 0n) return pos;
  buf[pos++] = tag;
  const bytes = idVarint(id);
  buf.set(bytes, pos);
  return pos + bytes.length;
}

function putBool(buf: Buffer, pos: number, tag: number, b: boolean): number {
  if (!b) return pos;
  buf[pos++] = tag;
  buf[pos++] = 1;
  return pos;
}

function putLenBytes(buf: Buffer, pos: number, tag: number, b: Uint8Array): number {
  buf[pos++] = tag;
  pos = putVarint(buf, pos, b.byteLength);
  buf.set(b, pos);
  return pos + b.byteLength;
}

function putEntries(buf: Buffer, pos: number, es: readonly Entry[]): number {
  for (let i = 0; i < es.length; i++) {
    const e = es[i] as Entry;
    buf[pos++] = T_ENTRIES;
    pos = putVarint(buf, pos, entryBody(e));
    pos = putNum(buf, pos, T_E_TERM, e.term);
    pos = putNum(buf, pos, T_E_INDEX, e.index);
    if (e.type === 'confChange') {
      buf[pos++] = T_E_TYPE;
      buf[pos++] = ENTRY_CONF_CHANGE;
    }
    if (e.data.byteLength > 0) pos = putLenBytes(buf, pos, T_E_DATA, e.data);
  }
  return pos;
}

function putPackedIds(buf: Buffer, pos: number, tag: number, ids: readonly bigint[]): number {
  const size = packedIds(ids);
  if (size === 0) return pos;
  buf[pos++] = tag;
  pos = putVarint(buf, pos, size);
  for (let i = 0; i < ids.length; i++) {
    const bytes = idVarint(ids[i] as bigint);
    buf.set(bytes, pos);
    pos += bytes.length;
  }
  return pos;
}

function putSnapshot(buf: Buffer, pos: number, s: Snapshot): number {
  buf[pos++] = T_SNAPSHOT;
  pos = putVarint(buf, pos, snapshotBody(s));
  if (s.data.byteLength > 0) pos = putLenBytes(buf, pos, T_S_DATA, s.data);
  const md = s.metadata;
  const cs = confStateBody(md.confState);
  buf[pos++] = T_S_METADATA;
  pos = putVarint(buf, pos, lenField(cs) + numField(md.index) + numField(md.term));
  buf[pos++] = T_M_CONF_STATE;
  pos = putVarint(buf, pos, cs);
  pos = putPackedIds(buf, pos, T_C_VOTERS, md.confState.voters);
  pos = putPackedIds(buf, pos, T_C_LEARNERS, md.confState.learners);
  pos = putNum(buf, pos, T_M_INDEX, md.index);
  return putNum(buf, pos, T_M_TERM, md.term);
}

/** Writes the body of `m`'s RaftMessage at `pos`, fields in field-number order; returns the end. */
function putMessage(buf: Buffer, pos: number, m: Message): number {
  buf[pos++] = T_TYPE;
  buf[pos++] = MESSAGE_TYPE_NUMBERS[m.type];
  pos = putId(buf, pos, T_TO, m.to);
  pos = putId(buf, pos, T_FROM, m.from);
  pos = putNum(buf, pos, T_TERM, m.term);
  switch (m.type) {
    case 'MsgApp':
      pos = putNum(buf, pos, T_LOG_TERM, m.logTerm);
      pos = putNum(buf, pos, T_INDEX, m.index);
      pos = putEntries(buf, pos, m.entries);
      return putNum(buf, pos, T_COMMIT, m.commit);
    case 'MsgProp':
      return putEntries(buf, pos, m.entries);
    case 'MsgAppResp':
      pos = putNum(buf, pos, T_LOG_TERM, m.logTerm);
      pos = putNum(buf, pos, T_INDEX, m.index);
      pos = putBool(buf, pos, T_REJECT, m.reject);
      return putNum(buf, pos, T_REJECT_HINT, m.rejectHint);
    case 'MsgVote':
    case 'MsgPreVote':
      pos = putNum(buf, pos, T_LOG_TERM, m.logTerm);
      pos = putNum(buf, pos, T_INDEX, m.index);
      return putBool(buf, pos, T_TRANSFER, m.transfer);
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
    case 'MsgSnapStatus':
      return putBool(buf, pos, T_REJECT, m.reject);
    case 'MsgSnap':
      return putSnapshot(buf, pos, m.snapshot);
    case 'MsgHeartbeat':
      pos = putNum(buf, pos, T_COMMIT, m.commit);
      return m.context === null ? pos : putLenBytes(buf, pos, T_CONTEXT, m.context);
    case 'MsgHeartbeatResp':
      return m.context === null ? pos : putLenBytes(buf, pos, T_CONTEXT, m.context);
    case 'MsgReadIndex':
      return putLenBytes(buf, pos, T_CONTEXT, m.context);
    case 'MsgReadIndexResp':
      pos = putNum(buf, pos, T_INDEX, m.index);
      return putLenBytes(buf, pos, T_CONTEXT, m.context);
    default:
      return pos;
  }
}

/**
 * Encodes `m` as one `RaftMessage`.
 * @throws RangeError for a member id outside 1..2^64-1 (raft never produces one)
 */
export function encodeMessage(m: Message): Buffer {
  const buf = Buffer.allocUnsafe(encodedMessageSize(m));
  putMessage(buf, 0, m);
  return buf;
}

/**
 * Encodes `messages[start, end)` as one `RaftBatch`, in order. `sizes[i]`, when given, MUST be
 * `encodedMessageSize(messages[i])` (the sender computes it anyway to cap the frame).
 * @throws RangeError for a member id outside 1..2^64-1
 */
export function encodeBatch(
  messages: readonly Message[],
  start = 0,
  end = messages.length,
  sizes?: readonly number[],
): Buffer {
  let total = 0;
  for (let i = start; i < end; i++) {
    const size = sizes === undefined ? encodedMessageSize(messages[i] as Message) : (sizes[i] as number);
    total += lenField(size);
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = start; i < end; i++) {
    const m = messages[i] as Message;
    const size = sizes === undefined ? encodedMessageSize(m) : (sizes[i] as number);
    buf[pos++] = T_B_MESSAGES;
    pos = putVarint(buf, pos, size);
    pos = putMessage(buf, pos, m);
  }
  return buf;
}

/**
 * Encodes one `SnapshotChunk`: `header` (the MsgSnap, written without its data) and `totalSize` on the
 * first chunk only (pass null and 0 after it), then `data`, the next bytes of the snapshot.
 */
export function encodeSnapshotChunk(header: MsgSnap | null, totalSize: number, data: Uint8Array): Buffer {
  const head: MsgSnap | null =
    header === null
      ? null
      : { ...header, snapshot: { metadata: header.snapshot.metadata, data: EMPTY_BYTES } };
  const headSize = head === null ? 0 : encodedMessageSize(head);
  const buf = Buffer.allocUnsafe(
    (head === null ? 0 : lenField(headSize)) + numField(totalSize) + bytesField(data),
  );
  let pos = 0;
  if (head !== null) {
    buf[pos++] = T_K_HEADER;
    pos = putVarint(buf, pos, headSize);
    pos = putMessage(buf, pos, head);
  }
  pos = putNum(buf, pos, T_K_TOTAL_SIZE, totalSize);
  if (data.byteLength > 0) putLenBytes(buf, pos, T_K_DATA, data);
  return buf;
}

// ---- decoding ----

function malformed(reason: string): MalformedMessageError {
  return new MalformedMessageError(reason);
}

/** A cursor over protobuf bytes; every read checks the bounds and throws {@link MalformedMessageError}. */
class Reader {
  readonly buf: Uint8Array;
  pos: number;

  constructor(buf: Uint8Array, pos: number) {
    this.buf = buf;
    this.pos = pos;
  }

  /** A varint that MUST fit 32 bits (tags, lengths, enums). */
  uint32(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= end) throw malformed('truncated varint');
    let b = buf[pos++] as number;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let v = b & 0x7f;
    let shift = 7;
    for (;;) {
      if (pos >= end) throw malformed('truncated varint');
      b = buf[pos++] as number;
      if (shift === 28) {
        if (b > 0x0f) throw malformed('varint does not fit 32 bits');
        this.pos = pos;
        return v + b * 0x10000000;
      }
      v |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return v >>> 0;
      }
      shift += 7;
    }
  }

  /** A uint64 that MUST be at most 2^53 - 1 (terms, indexes, sizes). */
  uint53(end: number, field: string): number {
    const buf = this.buf;
    let pos = this.pos;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw malformed('truncated varint');
      const b = buf[pos++] as number;
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (v > Number.MAX_SAFE_INTEGER) throw malformed(`${field} exceeds 2^53 - 1`);
        this.pos = pos;
        return v;
      }
      mul *= 128;
    }
    throw malformed('varint longer than 10 bytes');
  }

  /** A full-range uint64 (member ids). */
  uint64(end: number): bigint {
    const buf = this.buf;
    let pos = this.pos;
    let v = 0;
    let mul = 1;
    let i = 0;
    // Seven bytes (49 bits) stay exact in a double; larger ids continue in bigint.
    for (; i < 7; i++) {
      if (pos >= end) throw malformed('truncated varint');
      const b = buf[pos++] as number;
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = pos;
        return BigInt(v);
      }
      mul *= 128;
    }
    let big = BigInt(v);
    let shift = 49n;
    for (; i < 10; i++) {
      if (pos >= end) throw malformed('truncated varint');
      const b = buf[pos++] as number;
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return BigInt.asUintN(64, big);
      }
      shift += 7n;
    }
    throw malformed('varint longer than 10 bytes');
  }

  /** The end of a length-delimited field starting at the cursor (the cursor moves past the length). */
  lenEnd(end: number): number {
    const len = this.uint32(end);
    const stop = this.pos + len;
    if (stop > end) throw malformed('length past the end of the message');
    return stop;
  }

  bytes(end: number): Uint8Array {
    const stop = this.lenEnd(end);
    const start = this.pos;
    this.pos = stop;
    return stop === start ? EMPTY_BYTES : this.buf.subarray(start, stop);
  }

  /** Skips an unknown field of wire type `wt`. */
  skip(wt: number, end: number): void {
    switch (wt) {
      case 0:
        this.skipVarint(end);
        return;
      case 1:
        this.advance(8, end);
        return;
      case 2:
        this.pos = this.lenEnd(end);
        return;
      case 5:
        this.advance(4, end);
        return;
      default:
        throw malformed(`unsupported wire type ${wt}`);
    }
  }

  advance(n: number, end: number): void {
    if (this.pos + n > end) throw malformed('truncated field');
    this.pos += n;
  }

  /** Skips a varint of any size up to 10 bytes. */
  skipVarint(end: number): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw malformed('truncated varint');
      if ((this.buf[this.pos++] as number) < 0x80) return;
    }
    throw malformed('varint longer than 10 bytes');
  }
}

function decodeEntry(r: Reader, end: number, limits: DecodeLimits): Entry {
  let term = 0;
  let index = 0;
  let type = 0;
  let data: Uint8Array = EMPTY_BYTES;
  while (r.pos < end) {
    const tag = r.uint32(end);
    switch (tag) {
      case T_E_TERM:
        term = r.uint53(end, 'entry term');
        break;
      case T_E_INDEX:
        index = r.uint53(end, 'entry index');
        break;
      case T_E_TYPE:
        type = r.uint32(end);
        break;
      case T_E_DATA:
        data = r.bytes(end);
        break;
      default:
        skipField(r, tag, end);
    }
  }
  if (type > ENTRY_CONF_CHANGE) throw malformed(`unknown entry type ${type}`);
  if (data.byteLength > limits.maxEntryBytes)
    throw malformed(
      `entry ${index} has ${data.byteLength} bytes of data, over the limit of ${limits.maxEntryBytes}`,
    );
  return { term, index, type: type === ENTRY_CONF_CHANGE ? 'confChange' : 'normal', data };
}

function skipField(r: Reader, tag: number, end: number): void {
  if (tag >>> 3 === 0) throw malformed('field number 0');
  r.skip(tag & 7, end);
}

function decodeIds(r: Reader, tag: number, end: number, out: bigint[]): void {
  if ((tag & 7) === 2) {
    const stop = r.lenEnd(end);
    while (r.pos < stop) out.push(r.uint64(stop));
  } else {
    out.push(r.uint64(end));
  }
}

function decodeConfState(r: Reader, end: number): ConfState {
  const voters: bigint[] = [];
  const learners: bigint[] = [];
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === T_C_VOTERS || tag === T_C_VOTERS_UNPACKED) decodeIds(r, tag, end, voters);
    else if (tag === T_C_LEARNERS || tag === T_C_LEARNERS_UNPACKED) decodeIds(r, tag, end, learners);
    else skipField(r, tag, end);
  }
  return { voters, learners };
}

function decodeSnapshot(r: Reader, end: number): Snapshot {
  let data: Uint8Array = EMPTY_BYTES;
  let index = 0;
  let term = 0;
  let confState: ConfState = { voters: [], learners: [] };
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === T_S_DATA) {
      data = r.bytes(end);
    } else if (tag === T_S_METADATA) {
      const stop = r.lenEnd(end);
      while (r.pos < stop) {
        const mtag = r.uint32(stop);
        if (mtag === T_M_CONF_STATE) confState = decodeConfState(r, r.lenEnd(stop));
        else if (mtag === T_M_INDEX) index = r.uint53(stop, 'snapshot index');
        else if (mtag === T_M_TERM) term = r.uint53(stop, 'snapshot term');
        else skipField(r, mtag, stop);
      }
    } else {
      skipField(r, tag, end);
    }
  }
  return { metadata: { index, term, confState }, data };
}

/** Decodes the RaftMessage in [r.pos, end) and validates it (see {@link decodeMessage}). */
function decodeMessageAt(r: Reader, end: number, limits: DecodeLimits): Message {
  let typeNum = 0;
  let to = 0n;
  let from = 0n;
  let term = 0;
  let logTerm = 0;
  let index = 0;
  let commit = 0;
  let reject = false;
  let rejectHint = 0;
  let transfer = false;
  let entries: Entry[] | null = null;
  let context: Uint8Array | null = null;
  let snapshot: Snapshot | null = null;
  while (r.pos < end) {
    const tag = r.uint32(end);
    switch (tag) {
      case T_TYPE:
        typeNum = r.uint32(end);
        break;
      case T_TO:
        to = r.uint64(end);
        break;
      case T_FROM:
        from = r.uint64(end);
        break;
      case T_TERM:
        term = r.uint53(end, 'term');
        break;
      case T_LOG_TERM:
        logTerm = r.uint53(end, 'logTerm');
        break;
      case T_INDEX:
        index = r.uint53(end, 'index');
        break;
      case T_ENTRIES:
        if (entries === null) entries = [];
        entries.push(decodeEntry(r, r.lenEnd(end), limits));
        break;
      case T_COMMIT:
        commit = r.uint53(end, 'commit');
        break;
      case T_SNAPSHOT:
        snapshot = decodeSnapshot(r, r.lenEnd(end));
        break;
      case T_REJECT:
        reject = r.uint32(end) !== 0;
        break;
      case T_REJECT_HINT:
        rejectHint = r.uint53(end, 'rejectHint');
        break;
      case T_CONTEXT:
        context = r.bytes(end);
        break;
      case T_TRANSFER:
        transfer = r.uint32(end) !== 0;
        break;
      default:
        skipField(r, tag, end);
    }
  }
  const type = TYPES_BY_NUMBER[typeNum];
  if (type === undefined) throw malformed(typeNum === 0 ? 'missing type' : `unknown message type ${typeNum}`);
  if (to === 0n) throw malformed(`${type} without to`);
  if (from === 0n) throw malformed(`${type} without from`);
  const ents: readonly Entry[] = entries ?? [];
  switch (type) {
    case 'MsgApp':
      return { type, to, from, term, index, logTerm, entries: ents, commit };
    case 'MsgProp':
      return { type, to, from, term, entries: ents };
    case 'MsgAppResp':
      return { type, to, from, term, index, reject, rejectHint, logTerm };
    case 'MsgVote':
    case 'MsgPreVote':
      return { type, to, from, term, index, logTerm, transfer };
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return { type, to, from, term, reject };
    case 'MsgSnap':
      if (snapshot === null) throw malformed('MsgSnap without snapshot');
      return { type, to, from, term, snapshot };
    case 'MsgHeartbeat':
      return { type, to, from, term, commit, context };
    case 'MsgHeartbeatResp':
      return { type, to, from, term, context };
    case 'MsgReadIndex':
      if (context === null) throw malformed('MsgReadIndex without context');
      return { type, to, from, term, context };
    case 'MsgReadIndexResp':
      if (context === null) throw malformed('MsgReadIndexResp without context');
      return { type, to, from, term, index, context };
    case 'MsgTransferLeader':
    case 'MsgTimeoutNow':
      return { type, to, from, term };
    default:
      // MsgHup, MsgBeat, MsgCheckQuorum, MsgUnreachable, MsgSnapStatus: only raft and the driver make them.
      throw malformed(`local message type ${type} from the network`);
  }
}

/**
 * Decodes one `RaftMessage` and checks what the wire allows: a known, non-local type; non-zero `to` and
 * `from`; terms and indexes at most 2^53 - 1; entry data within `limits.maxEntryBytes`; a context on
 * MsgReadIndex(Resp) and a snapshot on MsgSnap. Unknown fields are skipped (newer senders).
 * @throws MalformedMessageError naming the first problem
 */
export function decodeMessage(buf: Uint8Array, limits: DecodeLimits): Message {
  return decodeMessageAt(new Reader(buf, 0), buf.byteLength, limits);
}

/**
 * Decodes one `RaftBatch`. A message that fails {@link decodeMessage}'s checks is left out and its error
 * listed; the others are returned in order.
 * @throws MalformedMessageError when the frame itself is broken (then none of it can be trusted)
 */
export function decodeBatch(buf: Uint8Array, limits: DecodeLimits): DecodedBatch {
  const r = new Reader(buf, 0);
  const end = buf.byteLength;
  const messages: Message[] = [];
  let errors: MalformedMessageError[] | null = null;
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag !== T_B_MESSAGES) {
      skipField(r, tag, end);
      continue;
    }
    const stop = r.lenEnd(end);
    try {
      messages.push(decodeMessageAt(r, stop, limits));
    } catch (err) {
      if (!(err instanceof MalformedMessageError)) throw err;
      if (errors === null) errors = [];
      errors.push(err);
    }
    r.pos = stop;
  }
  return { messages, errors: errors ?? [] };
}

/**
 * Decodes one `SnapshotChunk`. The header, when present, is validated like any message and MUST be a
 * MsgSnap whose snapshot carries no data of its own.
 * @throws MalformedMessageError
 */
export function decodeSnapshotChunk(buf: Uint8Array, limits: DecodeLimits): DecodedSnapshotChunk {
  const r = new Reader(buf, 0);
  const end = buf.byteLength;
  let header: MsgSnap | null = null;
  let totalSize = 0;
  let data: Uint8Array = EMPTY_BYTES;
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === T_K_HEADER) {
      const stop = r.lenEnd(end);
      const m = decodeMessageAt(r, stop, limits);
      if (m.type !== 'MsgSnap') throw malformed(`snapshot header is a ${m.type}`);
      if (m.snapshot.data.byteLength > 0) throw malformed('snapshot header carries data');
      header = m;
    } else if (tag === T_K_TOTAL_SIZE) {
      totalSize = r.uint53(end, 'snapshot size');
    } else if (tag === T_K_DATA) {
      data = r.bytes(end);
    } else {
      skipField(r, tag, end);
    }
  }
  return { header, totalSize, data };
}
