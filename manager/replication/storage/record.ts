import type { Entry, EntryType, HardState } from '../../raft/index.js';
import { crc32 } from './crc32.js';
import { Cipher, SEAL_OVERHEAD, type Sealer } from './sealer.js';

/**
 * The WAL's record format (see README.md). Every record is a 16-byte header, a body, and zero padding to
 * the next multiple of 8 bytes; all integers are little-endian.
 *
 * ```
 *  0  u32  body length (bytes, without the padding)
 *  4  u8   record type (RecordType)
 *  5  u8   flags (FLAG_AFTER_SYNC)
 *  6  u16  0
 *  8  u32  CRC-32 of bytes 0..7: the header checks itself, so a damaged length is never trusted
 * 12  u32  CRC-32 of the body
 * 16  body, then 0..7 zero bytes
 * ```
 *
 * Bodies: entry = term u64, index u64, type u8 (0 normal, 1 conf change), data; sealed entry = the same
 * 17 bytes in clear, then nonce (12), the data encrypted, tag (16), the 17 bytes being the additional
 * authenticated data; hard state = term u64, vote u64, commit u64; snapshot marker = index u64, term u64,
 * kind u8; segment head = magic u32, version u32, seq u64, first index u64, then the hard state and the
 * latest snapshot marker (index, term) in force when the segment was started, then (version 2) cipher u32
 * (0 clear, 1 AES-256-GCM) and key id u32. Indexes and terms are JS numbers, exact up to 2^53; a larger one is corrupt.
 */

export const HEADER_BYTES = 16;

/** Record types. */
export const RecordType = {
  /** The first record of every segment file, and only there. */
  segment: 1,
  entry: 2,
  hardState: 3,
  snapshot: 4,
  /** An entry whose data is sealed with the data key (in a segment whose head names the cipher). */
  sealedEntry: 5,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/**
 * Set on the first record of a write when everything before it in the file had been fdatasynced by then.
 * A valid record carrying it after a damaged one proves the damage is not a torn, unsynced tail.
 */
export const FLAG_AFTER_SYNC = 0x01;

/** What a snapshot marker records. */
export const SnapshotKind = {
  /** The driver snapshotted its state machine: entries after the index stay. */
  compaction: 1,
  /** A snapshot from the leader replaced the whole log: entries recorded before it are void. */
  install: 2,
} as const;
export type SnapshotKind = (typeof SnapshotKind)[keyof typeof SnapshotKind];

export const SEGMENT_MAGIC = 0x4c415753; // "SWAL" read as a little-endian u32
/** Version 2 added the cipher and key id to the segment head; version 1 heads (data in clear) still read. */
export const FORMAT_VERSION = 2;

export const ENTRY_BODY_FIXED = 17;
export const HARD_STATE_BODY = 24;
export const SNAPSHOT_BODY = 17;
export const SEGMENT_BODY = 72;
const SEGMENT_BODY_V1 = 64;

const TWO_32 = 0x1_0000_0000;
/** The high word of 2^53: a u64 whose high word reaches it is not an exact JS number. */
const SAFE_HIGH = 0x20_0000;

/** A place in the log a snapshot covers: the WAL only keeps its index and term. */
export interface SnapshotMarker {
  readonly index: number;
  readonly term: number;
}

/** What a segment's first record holds. */
export interface SegmentHead {
  readonly seq: number;
  readonly firstIndex: number;
  readonly hardState: HardState;
  readonly snapshot: SnapshotMarker;
  /** How the segment's entries are sealed ({@link Cipher.none}: in clear). */
  readonly cipher: Cipher;
  /** The id of the data key that seals them (`Sealer.keyId`); 0 in clear. */
  readonly keyId: number;
}

/** `n` rounded up to a multiple of 8 (exact for any length, unlike `(n + 7) & ~7` past 2^31). */
export function align8(n: number): number {
  return n + ((8 - (n & 7)) & 7);
}

/** The largest entry data a record holds (its body length is a u32). */
export const MAX_ENTRY_DATA = 0xffff_fff0 - ENTRY_BODY_FIXED;

/** Bytes on disk of a record whose body is `bodyBytes` long. */
export function recordBytes(bodyBytes: number): number {
  return HEADER_BYTES + align8(bodyBytes);
}

/** The largest entry data a sealed record holds. */
export const MAX_SEALED_ENTRY_DATA = MAX_ENTRY_DATA - SEAL_OVERHEAD;

export function entryRecordBytes(e: Entry): number {
  return HEADER_BYTES + align8(ENTRY_BODY_FIXED + e.data.byteLength);
}

export function sealedEntryRecordBytes(e: Entry): number {
  return HEADER_BYTES + align8(ENTRY_BODY_FIXED + SEAL_OVERHEAD + e.data.byteLength);
}

function writeU64(buf: Buffer, off: number, n: number): void {
  const lo = n >>> 0;
  buf.writeUInt32LE(lo, off);
  buf.writeUInt32LE((n - lo) / TWO_32, off + 4);
}

/** The u64 at `off`, or -1 when it is past 2^53 (never written by us: the record is corrupt). */
export function readU64(buf: Buffer, off: number): number {
  const hi = buf.readUInt32LE(off + 4);
  if (hi >= SAFE_HIGH) return -1;
  return hi * TWO_32 + buf.readUInt32LE(off);
}

/** Writes the header and padding of a record whose body is already at `off + 16`; returns its end. */
function seal(buf: Buffer, off: number, type: RecordType, flags: number, bodyBytes: number): number {
  const bodyStart = off + HEADER_BYTES;
  const bodyEnd = bodyStart + bodyBytes;
  const end = bodyStart + align8(bodyBytes);
  if (end > bodyEnd) buf.fill(0, bodyEnd, end);
  buf.writeUInt32LE(bodyBytes, off);
  buf[off + 4] = type;
  buf[off + 5] = flags;
  buf[off + 6] = 0;
  buf[off + 7] = 0;
  buf.writeUInt32LE(crc32(buf, off, off + 8), off + 8);
  buf.writeUInt32LE(crc32(buf, bodyStart, bodyEnd), off + 12);
  return end;
}

/** Encodes an entry record at `off` (the caller made room: {@link entryRecordBytes}); returns its end. */
export function writeEntry(buf: Buffer, off: number, e: Entry, flags: number): number {
  const b = off + HEADER_BYTES;
  writeU64(buf, b, e.term);
  writeU64(buf, b + 8, e.index);
  buf[b + 16] = e.type === 'confChange' ? 1 : 0;
  buf.set(e.data, b + ENTRY_BODY_FIXED);
  return seal(buf, off, RecordType.entry, flags, ENTRY_BODY_FIXED + e.data.byteLength);
}

/**
 * Encodes an entry record whose data is sealed by `sealer`, term, index and type authenticated with it
 * (room: {@link sealedEntryRecordBytes}); returns its end.
 */
export function writeSealedEntry(buf: Buffer, off: number, e: Entry, flags: number, sealer: Sealer): number {
  const b = off + HEADER_BYTES;
  writeU64(buf, b, e.term);
  writeU64(buf, b + 8, e.index);
  buf[b + 16] = e.type === 'confChange' ? 1 : 0;
  const end = sealer.sealInto(buf, b + ENTRY_BODY_FIXED, e.data, buf.subarray(b, b + ENTRY_BODY_FIXED));
  return seal(buf, off, RecordType.sealedEntry, flags, end - b);
}

function writeHardStateBody(buf: Buffer, b: number, hs: HardState): void {
  writeU64(buf, b, hs.term);
  buf.writeBigUInt64LE(hs.vote, b + 8);
  writeU64(buf, b + 16, hs.commit);
}

export function writeHardState(buf: Buffer, off: number, hs: HardState, flags: number): number {
  writeHardStateBody(buf, off + HEADER_BYTES, hs);
  return seal(buf, off, RecordType.hardState, flags, HARD_STATE_BODY);
}

export function writeSnapshot(
  buf: Buffer,
  off: number,
  snap: SnapshotMarker,
  kind: SnapshotKind,
  flags: number,
): number {
  const b = off + HEADER_BYTES;
  writeU64(buf, b, snap.index);
  writeU64(buf, b + 8, snap.term);
  buf[b + 16] = kind;
  return seal(buf, off, RecordType.snapshot, flags, SNAPSHOT_BODY);
}

export function writeSegmentHead(buf: Buffer, off: number, head: SegmentHead): number {
  const b = off + HEADER_BYTES;
  buf.writeUInt32LE(SEGMENT_MAGIC, b);
  buf.writeUInt32LE(FORMAT_VERSION, b + 4);
  writeU64(buf, b + 8, head.seq);
  writeU64(buf, b + 16, head.firstIndex);
  writeHardStateBody(buf, b + 24, head.hardState);
  writeU64(buf, b + 48, head.snapshot.index);
  writeU64(buf, b + 56, head.snapshot.term);
  buf.writeUInt32LE(head.cipher, b + 64);
  buf.writeUInt32LE(head.keyId, b + 68);
  return seal(buf, off, RecordType.segment, 0, SEGMENT_BODY);
}

/**
 * The framing of the record at `off`, checked: its type, flags and body range, or why it is not a record.
 * `end` is where the readable bytes stop. Reused by the reader (one object per segment, no allocation per
 * record).
 */
export class RecordCursor {
  type = 0;
  flags = 0;
  bodyStart = 0;
  bodyEnd = 0;
  /** Offset of the next record. */
  next = 0;
  /** Why the last `read()` failed. */
  problem = '';
  /** The last failure was a header or body that runs past `end` (vs. a bad checksum). */
  short = false;

  /** True when a whole, checksummed record starts at `off`. */
  read(buf: Buffer, off: number, end: number): boolean {
    this.short = false;
    if (end - off < HEADER_BYTES) {
      this.short = true;
      this.problem = `is cut short: ${end - off} bytes, less than a record header`;
      return false;
    }
    if (buf.readUInt32LE(off + 8) !== crc32(buf, off, off + 8)) {
      this.problem = 'fails its header checksum';
      return false;
    }
    const bodyBytes = buf.readUInt32LE(off);
    const next = off + HEADER_BYTES + align8(bodyBytes);
    if (next > end) {
      this.short = true;
      this.problem = `is cut short: it needs ${next - off} bytes, ${end - off} remain`;
      return false;
    }
    const bodyStart = off + HEADER_BYTES;
    const bodyEnd = bodyStart + bodyBytes;
    if (buf.readUInt32LE(off + 12) !== crc32(buf, bodyStart, bodyEnd)) {
      this.problem = 'fails its checksum';
      return false;
    }
    this.type = buf[off + 4] as number;
    this.flags = buf[off + 5] as number;
    this.bodyStart = bodyStart;
    this.bodyEnd = bodyEnd;
    this.next = next;
    return true;
  }
}

/** Body decoders: each returns null when a checksummed body still does not make sense. */
export function readEntry(buf: Buffer, b: number, bodyEnd: number): Entry | null {
  if (bodyEnd - b < ENTRY_BODY_FIXED) return null;
  const term = readU64(buf, b);
  const index = readU64(buf, b + 8);
  const t = buf[b + 16];
  if (term < 0 || index < 1 || (t !== 0 && t !== 1)) return null;
  const type: EntryType = t === 1 ? 'confChange' : 'normal';
  return { term, index, type, data: buf.subarray(b + ENTRY_BODY_FIXED, bodyEnd) };
}

/**
 * A sealed entry record's entry, its data opened with `sealer` (a new buffer); null when it cannot be
 * decoded, 'unauthentic' when the data does not open (tampered with, moved, or another key).
 */
export function readSealedEntry(
  buf: Buffer,
  b: number,
  bodyEnd: number,
  sealer: Sealer,
): Entry | null | 'unauthentic' {
  if (bodyEnd - b < ENTRY_BODY_FIXED + SEAL_OVERHEAD) return null;
  const fixed = readEntry(buf, b, b + ENTRY_BODY_FIXED);
  if (fixed === null) return null;
  const data = sealer.open(buf, b + ENTRY_BODY_FIXED, bodyEnd, buf.subarray(b, b + ENTRY_BODY_FIXED));
  if (data === null) return 'unauthentic';
  return { term: fixed.term, index: fixed.index, type: fixed.type, data };
}

function readHardStateBody(buf: Buffer, b: number): HardState | null {
  const term = readU64(buf, b);
  const vote = buf.readBigUInt64LE(b + 8);
  const commit = readU64(buf, b + 16);
  if (term < 0 || commit < 0) return null;
  return { term, vote, commit };
}

export function readHardState(buf: Buffer, b: number, bodyEnd: number): HardState | null {
  return bodyEnd - b === HARD_STATE_BODY ? readHardStateBody(buf, b) : null;
}

export function readSnapshot(
  buf: Buffer,
  b: number,
  bodyEnd: number,
): { marker: SnapshotMarker; kind: SnapshotKind } | null {
  if (bodyEnd - b !== SNAPSHOT_BODY) return null;
  const index = readU64(buf, b);
  const term = readU64(buf, b + 8);
  const kind = buf[b + 16];
  if (index < 0 || term < 0 || (kind !== SnapshotKind.compaction && kind !== SnapshotKind.install))
    return null;
  return { marker: { index, term }, kind };
}

export function readSegmentHead(buf: Buffer, b: number, bodyEnd: number): SegmentHead | string {
  if (bodyEnd - b < 8 || buf.readUInt32LE(b) !== SEGMENT_MAGIC)
    return 'does not start with the WAL magic number';
  const version = buf.readUInt32LE(b + 4);
  if (version !== FORMAT_VERSION && version !== 1)
    return `has format version ${version}; this build reads 1 and ${FORMAT_VERSION}`;
  const size = version === 1 ? SEGMENT_BODY_V1 : SEGMENT_BODY;
  if (bodyEnd - b !== size)
    return `has a version ${version} segment head of ${bodyEnd - b} bytes, not ${size}`;
  const seq = readU64(buf, b + 8);
  const firstIndex = readU64(buf, b + 16);
  const hardState = readHardStateBody(buf, b + 24);
  const index = readU64(buf, b + 48);
  const term = readU64(buf, b + 56);
  if (seq < 0 || firstIndex < 0 || hardState === null || index < 0 || term < 0)
    return 'has a segment head with an out-of-range number';
  let cipher: Cipher = Cipher.none;
  let keyId = 0;
  if (version !== 1) {
    const c = buf.readUInt32LE(b + 64);
    if (c !== Cipher.none && c !== Cipher.aes256gcm)
      return `has a segment head naming the unknown cipher ${c}`;
    cipher = c;
    keyId = buf.readUInt32LE(b + 68);
  }
  return { seq, firstIndex, hardState, snapshot: { index, term }, cipher, keyId };
}
