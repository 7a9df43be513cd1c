import { dirname, join } from 'node:path';
import { IllegalStateError } from '../../../common/index.js';
import { EMPTY_HARD_STATE, type Entry, type HardState } from '../../raft/index.js';
import { WalCorruptError, WalFailedError, WrongDataKeyError } from './errors.js';
import { type CompiledWalOptions, compileWalOptions, type WalOptions } from './options.js';
import {
  entryRecordBytes,
  FLAG_AFTER_SYNC,
  HARD_STATE_BODY,
  HEADER_BYTES,
  MAX_ENTRY_DATA,
  MAX_SEALED_ENTRY_DATA,
  RecordCursor,
  RecordType,
  readEntry,
  readHardState,
  readSealedEntry,
  readSegmentHead,
  readSnapshot,
  recordBytes,
  SEGMENT_BODY,
  SNAPSHOT_BODY,
  SnapshotKind,
  type SnapshotMarker,
  sealedEntryRecordBytes,
  writeEntry,
  writeHardState,
  writeSealedEntry,
  writeSegmentHead,
  writeSnapshot,
} from './record.js';
import { Cipher, type Sealer } from './sealer.js';
import { ReplayFold, type WalRecovery } from './wal-replay.js';

/** Options of one {@link Wal.save}. */
export interface WalSaveOptions {
  /** fdatasync before the promise resolves (`Ready.mustSync`). @default true */
  sync?: boolean;
  /**
   * A snapshot from the leader (`Ready.snapshot`), recorded BEFORE the entries: the log before it is void
   * (write the snapshot file first, see {@link Snapshotter}).
   */
  snapshot?: SnapshotMarker;
}

/** One segment file, as the WAL tracks it. */
export interface WalSegment {
  readonly seq: number;
  /** The index the next entry was expected to have when the segment was started (part of its name). */
  readonly firstIndex: number;
  readonly path: string;
  /** The highest entry index recorded in it; 0 when none. */
  maxIndex: number;
  /** It holds a marker of a snapshot from the leader, which voids every segment before it. */
  hasInstall: boolean;
}

interface WriteOp {
  readonly kind: 'write';
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: SnapshotMarker | null;
  readonly snapshotKind: SnapshotKind;
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface TaskOp {
  readonly kind: 'task';
  readonly run: () => Promise<void>;
}

const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;
const HEAD_BYTES = HEADER_BYTES + SEGMENT_BODY;
const PAGE = 4096;

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** The file name of segment `seq` whose first entry is expected at `firstIndex`. */
export function segmentName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}.wal`;
}

let zeros: Buffer | null = null;
function zeroChunk(): Buffer {
  zeros ??= Buffer.alloc(1024 * 1024);
  return zeros;
}

function allZero(buf: Buffer, from: number, to: number): boolean {
  const z = zeroChunk();
  for (let off = from; off < to; off += z.length) {
    const end = Math.min(to, off + z.length);
    if (buf.compare(z, 0, end - off, off, end) !== 0) return false;
  }
  return true;
}

/**
 * The first offset at or after `from` (8-aligned) where a whole, checksummed record begins that was written
 * after a sync (FLAG_AFTER_SYNC), or -1.
 */
function findSyncedRecord(buf: Buffer, from: number, end: number, cursor: RecordCursor): number {
  for (let off = (from + 7) & ~7; off + HEADER_BYTES <= end; off += 8) {
    const type = buf[off + 4] as number;
    if ((buf[off + 5] as number) !== FLAG_AFTER_SYNC || buf[off + 6] !== 0 || buf[off + 7] !== 0) continue;
    if (type < RecordType.entry || type > RecordType.sealedEntry) continue;
    if (cursor.read(buf, off, end)) return off;
  }
  return -1;
}

/**
 * The write-ahead log of the Raft storage: CRC-checked records (entries, hard states, snapshot markers)
 * appended to segment files `<dir>/<seq>-<firstIndex>.wal` (16 hex digits each), a new segment once the
 * current one passes `segmentBytes`. Record format: `record.ts` and README.md.
 *
 * Group commit: {@link save} takes everything of one Raft Ready and resolves only after the records were
 * written and fdatasynced. Saves are serialized; those that queue up while a sync runs are written
 * together with ONE write and ONE fdatasync, and resolve in call order.
 *
 * Entries that overwrite a suffix (after a leader change) are appended as they come: replay keeps the
 * latest. On {@link open} a torn tail of the last segment (a crash mid-write) is truncated with a warning;
 * damage anywhere else throws {@link WalCorruptError} naming the file and offset. Nothing is ever skipped.
 *
 * After a failed write or sync every later call fails with {@link WalFailedError}: reopen from disk.
 *
 * With `dataKey`, entries are sealed records (AES-256-GCM, see {@link Sealer}) in segments whose head names
 * the key; a log opens only with the key it was written with ({@link WrongDataKeyError}).
 */
export class Wal {
  readonly dir: string;
  /** open() found no segment and started a new, empty log. */
  readonly created: boolean;
  readonly #o: CompiledWalOptions;
  readonly #segments: WalSegment[];
  #fd: number;
  /** Where the next record goes in the current segment. */
  #writeOffset: number;
  /** Everything before it in the current segment is durable. */
  #syncedOffset: number;
  /** The current segment is zero-filled up to here. */
  #preallocEnd: number;
  /** The shape of the log as written so far (and as accepted by `save()`, which checks against it). */
  readonly #shape: ReplayFold;
  #hardState: HardState;
  #latestSnapshot: SnapshotMarker;
  /** The last entry index written (not only queued): the next segment is named after it. */
  #writtenLastIndex: number;
  /** What open() read, until the first write. */
  #fold: ReplayFold | null;
  readonly #found: readonly SnapshotMarker[];
  #scratch: Buffer = Buffer.allocUnsafe(64 * 1024);
  readonly #queue: (WriteOp | TaskOp)[] = [];
  #draining = false;
  #failed: WalFailedError | null = null;
  #closing: Promise<void> | null = null;

  private constructor(
    dir: string,
    o: CompiledWalOptions,
    segments: WalSegment[],
    fd: number,
    writeOffset: number,
    preallocEnd: number,
    fold: ReplayFold,
    shape: ReplayFold,
    created: boolean,
  ) {
    this.dir = dir;
    this.created = created;
    this.#o = o;
    this.#segments = segments;
    this.#fd = fd;
    this.#writeOffset = writeOffset;
    this.#syncedOffset = writeOffset;
    this.#preallocEnd = preallocEnd;
    this.#fold = fold;
    this.#shape = shape;
    this.#hardState = fold.hardState;
    this.#latestSnapshot = fold.latest();
    this.#writtenLastIndex = shape.lastIndex();
    this.#found = fold.markers.map((m) => m.marker);
  }

  /**
   * Opens the WAL in `dir` (creating the directory and a first segment when there is none), reads every
   * segment, truncates a torn tail of the last one, and gets ready to append after the last good record.
   * What it read: {@link replay}.
   * @throws WalCorruptError when a record outside the torn tail is bad, or a segment is missing
   */
  static async open(dir: string, options: WalOptions = {}): Promise<Wal> {
    const o = compileWalOptions(options);
    const fs = o.fs;
    await fs.mkdir(dir);
    const segments: WalSegment[] = [];
    for (const name of (await fs.readdir(dir)).sort()) {
      if (name.endsWith('.wal.tmp')) {
        o.logger.warn('wal removed an unfinished segment', { 'wal.file': join(dir, name) });
        await fs.unlink(join(dir, name));
        continue;
      }
      const m = SEGMENT_NAME.exec(name);
      if (m === null) continue;
      segments.push({
        seq: Number.parseInt(m[1] as string, 16),
        firstIndex: Number.parseInt(m[2] as string, 16),
        path: join(dir, name),
        maxIndex: 0,
        hasInstall: false,
      });
    }
    segments.sort((a, b) => a.seq - b.seq);
    const fold = new ReplayFold(dir, true);
    const shape = new ReplayFold(dir, false);
    if (segments.length === 0) {
      const created = await createSegment(o, dir, 1, 1, EMPTY_HARD_STATE, { index: 0, term: 0 });
      await fs.syncDir(dir);
      await fs.syncDir(dirname(dir)); // the directory itself may be new
      return new Wal(
        dir,
        o,
        [created.segment],
        created.fd,
        HEAD_BYTES,
        created.preallocEnd,
        fold,
        shape,
        true,
      );
    }
    for (let i = 1; i < segments.length; i++) {
      const prev = segments[i - 1] as WalSegment;
      const s = segments[i] as WalSegment;
      if (s.seq !== prev.seq + 1)
        throw new WalCorruptError(
          s.path,
          null,
          `follows ${prev.path}, but segment ${prev.seq + 1} between them is missing`,
        );
    }
    const cursor = new RecordCursor();
    let writeOffset = 0;
    let preallocEnd = 0;
    let fd = -1;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i] as WalSegment;
      const last = i === segments.length - 1;
      const buf = await fs.readFile(seg.path);
      const end = readSegment(buf, seg, cursor, fold, shape, o.sealer);
      if (!last) {
        if (end < buf.length) throw new WalCorruptError(seg.path, end, cursor.problem);
        continue;
      }
      writeOffset = end;
      preallocEnd = buf.length;
      fd = await fs.open(seg.path, 'r+');
      if (end < buf.length && !allZero(buf, end, buf.length)) {
        const later = findSyncedRecord(buf, end + 8, buf.length, cursor);
        if (later >= 0) {
          await fs.close(fd);
          throw new WalCorruptError(
            seg.path,
            end,
            `${firstProblem(buf, end, cursor)}, and a record written after a sync follows at offset ${later}`,
          );
        }
        o.logger.warn('wal truncated a torn tail', {
          'wal.file': seg.path,
          'wal.offset': end,
          'wal.bytes': buf.length - end,
          problem: firstProblem(buf, end, cursor),
        });
        try {
          await fs.ftruncate(fd, end);
        } catch (err) {
          await fs.close(fd);
          throw new WalFailedError(dir, 'truncating the torn tail', err);
        }
        preallocEnd = end;
      }
      // What a crashed process wrote may still sit in the page cache only: make it durable before
      // anything is appended after it (or a torn older tail would look like damage before a synced write).
      try {
        await fs.fdatasync(fd);
      } catch (err) {
        await fs.close(fd);
        throw new WalFailedError(dir, 'fdatasync', err);
      }
    }
    return new Wal(dir, o, segments, fd, writeOffset, preallocEnd, fold, shape, false);
  }

  /** The snapshot markers found by open(), oldest first (the snapshots the log can be replayed from). */
  get snapshots(): readonly SnapshotMarker[] {
    return this.#found;
  }

  /** The segment files, oldest first. */
  get segments(): readonly Readonly<WalSegment>[] {
    return this.#segments;
  }

  /** The last hard state written (or read by open()). */
  get hardState(): HardState {
    return this.#hardState;
  }

  /** The latest snapshot marker written (or read by open()); index 0 when none. */
  get latestSnapshot(): SnapshotMarker {
    return this.#latestSnapshot;
  }

  /** The index of the last entry accepted by save(), written or queued (the snapshot index when none). */
  get lastIndex(): number {
    return this.#shape.lastIndex();
  }

  /**
   * What open() read, replayed from snapshot `from` (default: the newest marker): the last hard state and
   * the entries after the snapshot. Available until the first write.
   * @throws WalSnapshotNotFoundError when the log holds no marker of `from`, or was reset after it
   * @throws WalCorruptError when entries after `from` are missing
   */
  replay(from?: SnapshotMarker): WalRecovery {
    if (this.#fold === null)
      throw new IllegalStateError(
        `Cannot replay the Raft log in ${this.dir}: it was written to since it was opened`,
      );
    return this.#fold.recover(from);
  }

  /**
   * Appends `entries` (which MUST follow each other; the first may overwrite a suffix) and `hardState`
   * (if not null), after `options.snapshot` if given, and resolves once they are durable (written and
   * fdatasynced, unless `options.sync` is false).
   * @throws RangeError (synchronously) when the entries would leave a gap in the log
   */
  save(hardState: HardState | null, entries: readonly Entry[], options: WalSaveOptions = {}): Promise<void> {
    const snapshot = options.snapshot ?? null;
    if (snapshot !== null) this.#checkSnapshot(snapshot, SnapshotKind.install);
    this.#checkEntries(entries, snapshot);
    return this.#enqueueWrite(hardState, entries, snapshot, SnapshotKind.install, options.sync ?? true);
  }

  /**
   * Records that a snapshot of the state machine at `marker` is durable (write the snapshot file first):
   * a later open() may replay from it. Resolves once the marker is fdatasynced.
   * @throws RangeError when `marker.index` is past the last entry
   */
  saveSnapshot(marker: SnapshotMarker): Promise<void> {
    this.#checkSnapshot(marker, SnapshotKind.compaction);
    return this.#enqueueWrite(null, [], marker, SnapshotKind.compaction, true);
  }

  /**
   * Deletes the segment files no replay from a snapshot at `index` or later needs: those, oldest first
   * and never the current one, whose entries are all at or below `index` (or that precede a snapshot
   * from the leader). Resolves with how many were deleted.
   */
  releaseTo(index: number): Promise<number> {
    if (this.#closing !== null)
      return Promise.reject(
        new IllegalStateError(`Cannot release segments of ${this.dir}: the log is closed`),
      );
    return this.#enqueueTask(async () => {
      let lastInstall = -1;
      for (let i = 0; i < this.#segments.length; i++)
        if ((this.#segments[i] as WalSegment).hasInstall) lastInstall = i;
      let n = 0;
      while (n < this.#segments.length - 1) {
        const s = this.#segments[n] as WalSegment;
        if (n < lastInstall || s.maxIndex <= index) n++;
        else break;
      }
      if (n === 0) return 0;
      let deleted = 0;
      try {
        for (; deleted < n; deleted++) await this.#o.fs.unlink((this.#segments[deleted] as WalSegment).path);
      } finally {
        const gone = this.#segments.splice(0, deleted);
        if (deleted > 0) {
          this.#o.logger.info('wal released segments', {
            'wal.dir': this.dir,
            'wal.segments': gone.length,
            'raft.index': index,
          });
          await this.#o.fs.syncDir(this.dir);
        }
      }
      return deleted;
    });
  }

  /** Waits for queued writes, syncs what is not yet durable and closes the file. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#enqueueTask(async () => {
      try {
        if (this.#failed === null && this.#syncedOffset < this.#writeOffset)
          await this.#o.fs.fdatasync(this.#fd);
      } finally {
        await this.#o.fs.close(this.#fd);
      }
    });
    return this.#closing;
  }

  #checkEntries(entries: readonly Entry[], snapshot: SnapshotMarker | null): void {
    if (entries.length === 0) return;
    const first = (entries[0] as Entry).index;
    const max = this.#o.sealer === null ? MAX_ENTRY_DATA : MAX_SEALED_ENTRY_DATA;
    for (const e of entries)
      if (e.data.byteLength > max)
        throw new RangeError(
          `Cannot append entry ${e.index}: ${e.data.byteLength} bytes of data, at most ${max}`,
        );
    for (let i = 1; i < entries.length; i++)
      if ((entries[i] as Entry).index !== first + i)
        throw new RangeError(
          `Cannot append entries to the Raft log: entry ${first + i} expected at position ${i}`,
        );
    const problem =
      snapshot === null
        ? this.#shape.appendProblem(first)
        : first > snapshot.index + 1
          ? `entry ${first} would leave a gap after the snapshot at ${snapshot.index}`
          : null;
    if (problem !== null) throw new RangeError(`Cannot append entries to the Raft log: ${problem}`);
  }

  #checkSnapshot(marker: SnapshotMarker, kind: SnapshotKind): void {
    if (
      !Number.isSafeInteger(marker.index) ||
      marker.index < 1 ||
      !Number.isSafeInteger(marker.term) ||
      marker.term < 1
    )
      throw new RangeError(`Cannot record snapshot ${marker.index} (term ${marker.term}): bad index or term`);
    if (kind === SnapshotKind.compaction && marker.index > this.#shape.lastIndex())
      throw new RangeError(
        `Cannot record snapshot ${marker.index}: past the last entry ${this.#shape.lastIndex()} of the Raft log`,
      );
  }

  #enqueueWrite(
    hardState: HardState | null,
    entries: readonly Entry[],
    snapshot: SnapshotMarker | null,
    snapshotKind: SnapshotKind,
    sync: boolean,
  ): Promise<void> {
    if (this.#closing !== null)
      return Promise.reject(new IllegalStateError(`Cannot write the Raft log in ${this.dir}: it is closed`));
    if (this.#failed !== null) return Promise.reject(this.#failed);
    this.#fold = null; // open()'s records are no longer the whole log
    // The shape moves now, in call order, so the next save() is checked against this one.
    if (snapshot !== null) this.#shape.snapshot(snapshot, snapshotKind, '', 0);
    for (const e of entries) this.#shape.entry(e, '', 0);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ kind: 'write', hardState, entries, snapshot, snapshotKind, sync, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  #enqueueTask<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        kind: 'task',
        run: () => fn().then(resolve, (err: unknown) => reject(err)),
      });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0] as WriteOp | TaskOp;
        if (head.kind === 'task') {
          this.#queue.shift();
          await head.run();
          continue;
        }
        const batch: WriteOp[] = [];
        while (this.#queue.length > 0 && (this.#queue[0] as WriteOp | TaskOp).kind === 'write')
          batch.push(this.#queue.shift() as WriteOp);
        if (this.#failed !== null) {
          for (const op of batch) op.reject(this.#failed);
          continue;
        }
        try {
          await this.#writeBatch(batch);
        } catch (err) {
          this.#failed ??= err instanceof WalFailedError ? err : new WalFailedError(this.dir, 'write', err);
          for (const op of batch) op.reject(this.#failed);
          continue;
        }
        for (const op of batch) op.resolve();
      }
    } finally {
      this.#draining = false;
    }
  }

  async #writeBatch(batch: readonly WriteOp[]): Promise<void> {
    if (this.#writeOffset >= this.#o.segmentBytes) await this.#cut();
    const sealer = this.#o.sealer;
    const entryBytes = sealer === null ? entryRecordBytes : sealedEntryRecordBytes;
    let size = 0;
    let sync = false;
    for (const op of batch) {
      if (op.snapshot !== null) size += recordBytes(SNAPSHOT_BODY);
      for (const e of op.entries) size += entryBytes(e);
      if (op.hardState !== null) size += recordBytes(HARD_STATE_BODY);
      sync ||= op.sync;
    }
    if (size > this.#scratch.length) {
      let cap = this.#scratch.length;
      while (cap < size) cap *= 2;
      this.#scratch = Buffer.allocUnsafe(cap);
    }
    const buf = this.#scratch;
    const seg = this.#segments[this.#segments.length - 1] as WalSegment;
    let flags = this.#syncedOffset === this.#writeOffset ? FLAG_AFTER_SYNC : 0;
    let off = 0;
    for (const op of batch) {
      if (op.snapshot !== null) {
        off = writeSnapshot(buf, off, op.snapshot, op.snapshotKind, flags);
        flags = 0;
        this.#latestSnapshot = op.snapshot;
        if (op.snapshotKind === SnapshotKind.install) {
          seg.hasInstall = true;
          this.#writtenLastIndex = op.snapshot.index;
        }
      }
      for (const e of op.entries) {
        off = sealer === null ? writeEntry(buf, off, e, flags) : writeSealedEntry(buf, off, e, flags, sealer);
        flags = 0;
        if (e.index > seg.maxIndex) seg.maxIndex = e.index;
        if (e.index > this.#latestSnapshot.index) this.#writtenLastIndex = e.index;
      }
      if (op.hardState !== null) {
        off = writeHardState(buf, off, op.hardState, flags);
        flags = 0;
        this.#hardState = op.hardState;
      }
    }
    const fs = this.#o.fs;
    const at = this.#writeOffset;
    try {
      await fs.write(this.#fd, buf, 0, size, at);
    } catch (err) {
      throw new WalFailedError(this.dir, 'write', err);
    }
    const end = at + size;
    this.#writeOffset = end;
    if (this.#o.preallocateBytes > 0 && end > this.#preallocEnd) {
      try {
        this.#preallocEnd = await zeroFill(this.#o, this.#fd, end, end + this.#o.preallocateBytes);
      } catch (err) {
        throw new WalFailedError(this.dir, 'preallocation', err);
      }
    }
    if (sync) {
      try {
        await fs.fdatasync(this.#fd);
      } catch (err) {
        throw new WalFailedError(this.dir, 'fdatasync', err);
      }
      this.#syncedOffset = end;
    }
  }

  /** Seals the current segment (durable, without its preallocated tail) and starts the next one. */
  async #cut(): Promise<void> {
    const fs = this.#o.fs;
    const prev = this.#segments[this.#segments.length - 1] as WalSegment;
    try {
      if (this.#preallocEnd > this.#writeOffset) await fs.ftruncate(this.#fd, this.#writeOffset);
      await fs.fdatasync(this.#fd);
      await fs.close(this.#fd);
    } catch (err) {
      throw new WalFailedError(this.dir, 'sealing a segment', err);
    }
    this.#syncedOffset = this.#writeOffset;
    let created: { segment: WalSegment; fd: number; preallocEnd: number };
    try {
      created = await createSegment(
        this.#o,
        this.dir,
        prev.seq + 1,
        this.#writtenLastIndex + 1,
        this.#hardState,
        this.#latestSnapshot,
      );
      await fs.syncDir(this.dir);
    } catch (err) {
      throw new WalFailedError(this.dir, 'starting a segment', err);
    }
    this.#segments.push(created.segment);
    this.#fd = created.fd;
    this.#writeOffset = HEAD_BYTES;
    this.#syncedOffset = HEAD_BYTES;
    this.#preallocEnd = created.preallocEnd;
    this.#o.logger.debug('wal started a segment', { 'wal.file': created.segment.path });
  }
}

/** Writes zeros over [from, to) rounded up to a page; returns the new end. */
async function zeroFill(o: CompiledWalOptions, fd: number, from: number, to: number): Promise<number> {
  const end = Math.ceil(to / PAGE) * PAGE;
  const z = zeroChunk();
  for (let off = from; off < end; off += z.length)
    await o.fs.write(fd, z, 0, Math.min(z.length, end - off), off);
  return end;
}

/**
 * Creates segment `seq` durably: head record and preallocated zeros in `<name>.tmp`, fdatasync, rename.
 * A segment in place therefore always has a whole head; the caller syncs the directory.
 */
async function createSegment(
  o: CompiledWalOptions,
  dir: string,
  seq: number,
  firstIndex: number,
  hardState: HardState,
  snapshot: SnapshotMarker,
): Promise<{ segment: WalSegment; fd: number; preallocEnd: number }> {
  const path = join(dir, segmentName(seq, firstIndex));
  const tmp = `${path}.tmp`;
  const buf = Buffer.allocUnsafe(HEAD_BYTES);
  const sealer = o.sealer;
  writeSegmentHead(buf, 0, {
    seq,
    firstIndex,
    hardState,
    snapshot,
    cipher: sealer === null ? Cipher.none : Cipher.aes256gcm,
    keyId: sealer?.keyId ?? 0,
  });
  const fd = await o.fs.open(tmp, 'wx');
  try {
    await o.fs.write(fd, buf, 0, HEAD_BYTES, 0);
    const preallocEnd =
      o.preallocateBytes > 0
        ? await zeroFill(o, fd, HEAD_BYTES, HEAD_BYTES + o.preallocateBytes)
        : HEAD_BYTES;
    await o.fs.fdatasync(fd);
    await o.fs.rename(tmp, path);
    return { segment: { seq, firstIndex, path, maxIndex: 0, hasInstall: false }, fd, preallocEnd };
  } catch (err) {
    await o.fs.close(fd).catch(() => {});
    throw err;
  }
}

/** Describes what is wrong with the record at `off` (the cursor failed there). */
function firstProblem(buf: Buffer, off: number, cursor: RecordCursor): string {
  cursor.read(buf, off, buf.length);
  return cursor.problem;
}

/**
 * Reads one segment into the fold; returns the offset where its good records end (`buf.length` when all
 * are good; `cursor.problem` then says what is wrong at the returned offset). Sealed entries are opened
 * with `sealer`, which must be the key the head names.
 * @throws WalCorruptError for a bad head or a checksummed record that makes no sense (never a torn write)
 * @throws WrongDataKeyError when the head names another key than `sealer`'s (or none, or one without it)
 */
function readSegment(
  buf: Buffer,
  seg: WalSegment,
  cursor: RecordCursor,
  fold: ReplayFold,
  shape: ReplayFold,
  sealer: Sealer | null,
): number {
  const path = seg.path;
  if (!cursor.read(buf, 0, buf.length))
    throw new WalCorruptError(path, 0, `${cursor.problem} (the segment head)`);
  if (cursor.type !== RecordType.segment)
    throw new WalCorruptError(path, 0, `is a record of type ${cursor.type}, not the segment head`);
  const head = readSegmentHead(buf, cursor.bodyStart, cursor.bodyEnd);
  if (typeof head === 'string') throw new WalCorruptError(path, 0, head);
  if (head.seq !== seg.seq || head.firstIndex !== seg.firstIndex)
    throw new WalCorruptError(
      path,
      0,
      `is the head of segment ${segmentName(head.seq, head.firstIndex)}, not of the file it is in`,
    );
  const sealed = head.cipher !== Cipher.none;
  if (sealed !== (sealer !== null) || (sealer !== null && head.keyId !== sealer.keyId))
    throw new WrongDataKeyError(path, sealed ? head.keyId : null, sealer?.keyId ?? null);
  if (head.snapshot.index > 0) {
    fold.snapshot(head.snapshot, SnapshotKind.compaction, path, 0);
    shape.snapshot(head.snapshot, SnapshotKind.compaction, path, 0);
  }
  fold.hardState = head.hardState;
  let off = cursor.next;
  while (off < buf.length) {
    if (!cursor.read(buf, off, buf.length)) return off;
    const b = cursor.bodyStart;
    const bodyEnd = cursor.bodyEnd;
    const type: number = cursor.type;
    switch (type) {
      case RecordType.entry:
      case RecordType.sealedEntry: {
        // A record in clear in an encrypted segment (or the reverse) was not written by this WAL.
        if ((type === RecordType.sealedEntry) !== (sealer !== null))
          throw new WalCorruptError(
            path,
            off,
            sealer === null
              ? 'is a sealed entry in a segment whose head says it is in clear'
              : 'is an entry in clear in an encrypted segment',
          );
        const e = sealer === null ? readEntry(buf, b, bodyEnd) : readSealedEntry(buf, b, bodyEnd, sealer);
        if (e === null) throw new WalCorruptError(path, off, 'is an entry record that cannot be decoded');
        if (e === 'unauthentic')
          throw new WalCorruptError(
            path,
            off,
            'is a sealed entry that fails authentication: changed after it was sealed, or moved from another place',
          );
        fold.entry(e, path, off);
        shape.entry(e, path, off);
        if (e.index > seg.maxIndex) seg.maxIndex = e.index;
        break;
      }
      case RecordType.hardState: {
        const hs = readHardState(buf, b, bodyEnd);
        if (hs === null)
          throw new WalCorruptError(path, off, 'is a hard state record that cannot be decoded');
        fold.hardState = hs;
        break;
      }
      case RecordType.snapshot: {
        const s = readSnapshot(buf, b, bodyEnd);
        if (s === null) throw new WalCorruptError(path, off, 'is a snapshot marker that cannot be decoded');
        fold.snapshot(s.marker, s.kind, path, off);
        shape.snapshot(s.marker, s.kind, path, off);
        if (s.kind === SnapshotKind.install) seg.hasInstall = true;
        break;
      }
      default:
        throw new WalCorruptError(path, off, `has the unknown record type ${type}`);
    }
    off = cursor.next;
  }
  return off;
}
