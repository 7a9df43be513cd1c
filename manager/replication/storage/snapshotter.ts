import { dirname, join } from 'node:path';
import { errorCode } from '../../../common/index.js';
import type { ConfState, Snapshot } from '../../raft/index.js';
import { crc32 } from './crc32.js';
import { NoUsableSnapshotError, SnapshotCorruptError, WrongDataKeyError } from './errors.js';
import {
  type CompiledSnapshotterOptions,
  compileSnapshotterOptions,
  type SnapshotterOptions,
} from './options.js';
import { readU64, type SnapshotMarker } from './record.js';
import { Cipher, SEAL_OVERHEAD, type Sealer } from './sealer.js';

/**
 * Snapshot file format (little-endian):
 * ```
 *  0  u32  magic "SWSN"
 *  4  u32  format version (1)
 *  8  u32  metadata length M
 * 12  u32  CRC-32 of the metadata
 * 16  u64  data length D
 * 24  u32  CRC-32 of the data
 * 28  u32  CRC-32 of bytes 0..27
 * 32  metadata: index u64, term u64, voters u32, learners u32, then each voter and learner id as u64
 * 32+M  data
 * ```
 * Version 1: the data in clear. Version 2: the data sealed with the data key; the data section (D bytes,
 * which the data checksum covers) is then cipher u32 (1: AES-256-GCM), key id u32, nonce (12), the
 * data encrypted, tag (16), with bytes 0..7, the metadata and the cipher and key id as the additional
 * authenticated data (a sealed snapshot does not open under another index, term or membership).
 */
const MAGIC = 0x4e535753; // "SWSN"
const CLEAR = 1;
const SEALED = 2;
const SEALED_PREFIX = 8;
const HEADER = 32;
const NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

/** A snapshot file on disk, known by its name. */
export interface SnapshotFile {
  readonly path: string;
  readonly index: number;
  readonly term: number;
}

/** The file name of the snapshot at `index` of `term`. */
export function snapshotName(term: number, index: number): string {
  return `${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.snap`;
}

function writeU64(buf: Buffer, off: number, n: number): void {
  const lo = n >>> 0;
  buf.writeUInt32LE(lo, off);
  buf.writeUInt32LE((n - lo) / 0x1_0000_0000, off + 4);
}

/** The header and metadata, and the data section (sealed when `sealer` is given). */
function encode(snap: Snapshot, sealer: Sealer | null): { head: Buffer; data: Uint8Array } {
  const { index, term, confState } = snap.metadata;
  const m = 24 + 8 * (confState.voters.length + confState.learners.length);
  const buf = Buffer.alloc(HEADER + m);
  const b = HEADER;
  writeU64(buf, b, index);
  writeU64(buf, b + 8, term);
  buf.writeUInt32LE(confState.voters.length, b + 16);
  buf.writeUInt32LE(confState.learners.length, b + 20);
  let off = b + 24;
  for (const id of [...confState.voters, ...confState.learners]) {
    buf.writeBigUInt64LE(id, off);
    off += 8;
  }
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(sealer === null ? CLEAR : SEALED, 4);
  buf.writeUInt32LE(m, 8);
  buf.writeUInt32LE(crc32(buf, b, b + m), 12);
  let data = snap.data;
  if (sealer !== null) {
    const section = Buffer.allocUnsafe(SEALED_PREFIX + SEAL_OVERHEAD + data.byteLength);
    section.writeUInt32LE(Cipher.aes256gcm, 0);
    section.writeUInt32LE(sealer.keyId, 4);
    sealer.sealInto(section, SEALED_PREFIX, data, snapshotAad(buf, b, b + m, section));
    data = section;
  }
  writeU64(buf, 16, data.byteLength);
  buf.writeUInt32LE(crc32(data), 24);
  buf.writeUInt32LE(crc32(buf, 0, 28), 28);
  return { head: buf, data };
}

/** What a sealed snapshot's data is authenticated with: magic and version, metadata, cipher and key id. */
function snapshotAad(head: Buffer, metaStart: number, metaEnd: number, section: Buffer): Buffer {
  return Buffer.concat([
    head.subarray(0, 8),
    head.subarray(metaStart, metaEnd),
    section.subarray(0, SEALED_PREFIX),
  ]);
}

/**
 * Decodes a whole snapshot file, opening sealed data with `sealer`; a string says what is wrong.
 * @throws WrongDataKeyError when the file is sealed with another key than `sealer`'s, or the key is
 *   missing, or the file is in clear while a key is given (not damage: the file is left alone)
 */
function decode(buf: Buffer, sealer: Sealer | null, path: string): Snapshot | string {
  if (buf.length < HEADER) return `it is ${buf.length} bytes, shorter than its header`;
  if (buf.readUInt32LE(28) !== crc32(buf, 0, 28)) return 'its header fails its checksum';
  if (buf.readUInt32LE(0) !== MAGIC) return 'it does not start with the snapshot magic number';
  const version = buf.readUInt32LE(4);
  if (version !== CLEAR && version !== SEALED)
    return `it has format version ${version}; this build reads ${CLEAR} and ${SEALED}`;
  const m = buf.readUInt32LE(8);
  const d = readU64(buf, 16);
  if (d < 0 || buf.length !== HEADER + m + d)
    return `it is ${buf.length} bytes, but its header says ${HEADER + m + d}: truncated or extended`;
  if (buf.readUInt32LE(12) !== crc32(buf, HEADER, HEADER + m)) return 'its metadata fails its checksum';
  let data = buf.subarray(HEADER + m);
  if (buf.readUInt32LE(24) !== crc32(data)) return 'its data fails its checksum';
  if (version === CLEAR && sealer !== null) throw new WrongDataKeyError(path, null, sealer.keyId);
  if (version === SEALED) {
    if (data.length < SEALED_PREFIX + SEAL_OVERHEAD) return 'its sealed data is shorter than nonce and tag';
    const cipher = data.readUInt32LE(0);
    if (cipher !== Cipher.aes256gcm) return `its data is sealed with the unknown cipher ${cipher}`;
    const keyId = data.readUInt32LE(4);
    if (sealer === null || sealer.keyId !== keyId)
      throw new WrongDataKeyError(path, keyId, sealer?.keyId ?? null);
    const opened = sealer.open(data, SEALED_PREFIX, data.length, snapshotAad(buf, HEADER, HEADER + m, data));
    if (opened === null)
      return 'its data fails authentication: changed after it was sealed, or taken from another snapshot';
    data = opened;
  }
  const b = HEADER;
  const index = readU64(buf, b);
  const term = readU64(buf, b + 8);
  const nv = buf.readUInt32LE(b + 16);
  const nl = buf.readUInt32LE(b + 20);
  if (index < 0 || term < 0 || m !== 24 + 8 * (nv + nl)) return 'its metadata cannot be decoded';
  const ids: bigint[] = [];
  for (let i = 0; i < nv + nl; i++) ids.push(buf.readBigUInt64LE(b + 24 + 8 * i));
  const confState: ConfState = { voters: ids.slice(0, nv), learners: ids.slice(nv) };
  return { metadata: { index, term, confState }, data };
}

/**
 * Snapshot files in one directory, `<term>-<index>.snap` (16 hex digits each), after etcd's snap package.
 * {@link save} writes a temporary file, fsyncs it, renames it into place and fsyncs the directory, so a
 * snapshot file in place is always whole; {@link loadNewest} falls back to an older one when the newest
 * is damaged; {@link prune} keeps the newest `keep`.
 */
export class Snapshotter {
  readonly dir: string;
  readonly #o: CompiledSnapshotterOptions;
  #parentSynced = false;

  constructor(dir: string, options: SnapshotterOptions = {}) {
    this.dir = dir;
    this.#o = compileSnapshotterOptions(options);
  }

  /** The snapshot files, newest (highest index) first. */
  async list(): Promise<SnapshotFile[]> {
    const files: SnapshotFile[] = [];
    for (const name of await this.#o.fs.readdir(this.dir)) {
      const m = NAME.exec(name);
      if (m === null) continue;
      const term = Number.parseInt(m[1] as string, 16);
      const index = Number.parseInt(m[2] as string, 16);
      files.push({ path: join(this.dir, name), index, term });
    }
    return files.sort((a, b) => b.index - a.index || b.term - a.term);
  }

  /** Writes `snap` durably and returns its path. A snapshot file with the same name is replaced. */
  async save(snap: Snapshot): Promise<string> {
    const fs = this.#o.fs;
    const { index, term } = snap.metadata;
    if (!Number.isSafeInteger(index) || index < 1 || !Number.isSafeInteger(term) || term < 1)
      throw new RangeError(`Cannot save snapshot ${index} (term ${term}): bad index or term`);
    await fs.mkdir(this.dir);
    const path = join(this.dir, snapshotName(term, index));
    const tmp = `${path}.tmp`;
    await fs.unlink(tmp).catch((err: unknown) => {
      if (errorCode(err) !== 'ENOENT') throw err;
    });
    const { head, data } = encode(snap, this.#o.sealer);
    const fd = await fs.open(tmp, 'wx');
    try {
      await fs.write(fd, head, 0, head.length, 0);
      await fs.write(fd, data, 0, data.byteLength, head.length);
      await fs.fsync(fd);
    } finally {
      await fs.close(fd);
    }
    await fs.rename(tmp, path);
    await fs.syncDir(this.dir);
    if (!this.#parentSynced) {
      await fs.syncDir(dirname(this.dir)); // the directory itself may be new
      this.#parentSynced = true;
    }
    this.#o.logger.info('snapshot saved', { 'snap.file': path, 'raft.index': index, 'raft.term': term });
    return path;
  }

  /**
   * Reads and checks one snapshot file (and opens its sealed data).
   * @throws SnapshotCorruptError when it is damaged or its name does not match its contents
   * @throws WrongDataKeyError when it is sealed with another key, or the data key is missing or unexpected
   */
  async load(file: SnapshotFile): Promise<Snapshot> {
    const got = decode(await this.#o.fs.readFile(file.path), this.#o.sealer, file.path);
    if (typeof got === 'string') throw new SnapshotCorruptError(file.path, got);
    if (got.metadata.index !== file.index || got.metadata.term !== file.term)
      throw new SnapshotCorruptError(
        file.path,
        `it holds snapshot ${got.metadata.index} of term ${got.metadata.term}, not what its name says`,
      );
    return got;
  }

  /**
   * The newest snapshot that loads (among those `usable` accepts: by default all). A damaged newer one is
   * logged, renamed to `<name>.broken` (kept for inspection, never loaded again) and skipped.
   * @returns null when there is no candidate at all
   * @throws NoUsableSnapshotError when there are candidates and all are damaged
   */
  async loadNewest(usable: (s: SnapshotMarker) => boolean = () => true): Promise<Snapshot | null> {
    const candidates = (await this.list()).filter((f) => usable(f));
    let first: SnapshotCorruptError | null = null;
    for (const file of candidates) {
      try {
        return await this.load(file);
      } catch (err) {
        if (!(err instanceof SnapshotCorruptError)) throw err;
        first ??= err;
        this.#o.logger.warn('snapshot damaged, falling back to an older one', {
          'snap.file': file.path,
          error: err,
        });
        await this.#o.fs.rename(file.path, `${file.path}.broken`);
      }
    }
    if (first === null) return null;
    throw new NoUsableSnapshotError(
      this.dir,
      `all ${candidates.length} candidate snapshot files are damaged`,
      {
        cause: first,
      },
    );
  }

  /** Deletes all but the newest `keep` snapshot files (and leftover temporary files); returns how many. */
  async prune(): Promise<number> {
    const fs = this.#o.fs;
    const old = (await this.list()).slice(this.#o.keep);
    const tmps = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.snap.tmp'));
    for (const f of old) await fs.unlink(f.path);
    for (const n of tmps) await fs.unlink(join(this.dir, n));
    if (old.length + tmps.length > 0) {
      await fs.syncDir(this.dir);
      this.#o.logger.debug('snapshots pruned', { 'snap.dir': this.dir, 'snap.deleted': old.length });
    }
    return old.length;
  }

  /** Deletes one snapshot file (one no WAL marker refers to). */
  async remove(file: SnapshotFile): Promise<void> {
    await this.#o.fs.unlink(file.path);
    await this.#o.fs.syncDir(this.dir);
  }
}
