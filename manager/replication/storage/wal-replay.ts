import { EMPTY_BYTES, EMPTY_HARD_STATE, type Entry, type HardState } from '../../raft/index.js';
import { WalCorruptError, WalSnapshotNotFoundError } from './errors.js';
import { SnapshotKind, type SnapshotMarker } from './record.js';

/** What a WAL holds, replayed from one snapshot marker. */
export interface WalRecovery {
  /** The latest hard state recorded (the empty one for a new log). */
  readonly hardState: HardState;
  /** The snapshot the replay started from; index 0 when none. */
  readonly snapshot: SnapshotMarker;
  /** The log after `snapshot.index`, in order, without gaps (each entry's data is a copy). */
  readonly entries: readonly Entry[];
}

/** A snapshot marker found in the WAL, and where. */
export interface FoundMarker {
  readonly marker: SnapshotMarker;
  readonly kind: SnapshotKind;
  readonly file: string;
  readonly offset: number;
}

const NO_SNAPSHOT: SnapshotMarker = { index: 0, term: 0 };

/**
 * Folds the WAL's records, in the order they were written, into the log they describe, with the rules
 * {@link MemoryStorage} applies as the driver writes to it:
 *
 * - an entry drops every entry from its index on, then is appended (a new leader overwriting a suffix);
 *   entries at or below the latest snapshot index are ignored; one that would leave a gap is corruption;
 * - a compaction marker (the driver snapshotted its state machine) moves the snapshot index up but keeps
 *   the entries, so the log can be replayed from an older snapshot when the newest file is unreadable;
 * - an install marker (a snapshot from the leader) voids the whole log before it;
 * - the last hard state wins.
 *
 * The same rules check writes before they reach the disk ({@link checkAppend}), so the WAL never records
 * a log it could not replay. Invariant: `ents[i].index === lo + i`.
 */
export class ReplayFold {
  readonly dir: string;
  hardState: HardState = EMPTY_HARD_STATE;
  /** The markers seen, oldest first, without repeats (segment heads restate the latest one). */
  readonly markers: FoundMarker[] = [];
  /** The index of the next entry expected, or null while no entry nor install marker was seen. */
  next: number | null = null;
  /** The latest snapshot index: entries at or below it are ignored. */
  snapIndex = 0;
  /** The index of the latest install marker, or -1. */
  installIndex = -1;
  #ents: Entry[] = [];
  #lo = 0;
  #loFile = '';
  #loOffset = 0;
  readonly #keep: boolean;

  /** `keepEntries` false tracks only the shape of the log (the writer's check of what it appends). */
  constructor(dir: string, keepEntries: boolean) {
    this.dir = dir;
    this.#keep = keepEntries;
  }

  /**
   * Why appending entries at `index` would break the log, or null. Entries at or below the snapshot index
   * are fine (ignored).
   */
  appendProblem(index: number): string | null {
    if (index <= this.snapIndex || this.next === null || index <= this.next) return null;
    return `entry ${index} would leave a gap after the last entry ${this.next - 1}`;
  }

  entry(e: Entry, file: string, offset: number): void {
    if (e.index <= this.snapIndex) return;
    const problem = this.appendProblem(e.index);
    if (problem !== null) throw new WalCorruptError(file, offset, `holds ${problem}`);
    if (this.#keep) {
      if (this.next === null || e.index < this.#lo) {
        this.#ents = [e];
        this.#lo = e.index;
        this.#loFile = file;
        this.#loOffset = offset;
      } else {
        this.#ents.length = e.index - this.#lo;
        this.#ents.push(e);
      }
    }
    this.next = e.index + 1;
  }

  snapshot(marker: SnapshotMarker, kind: SnapshotKind, file: string, offset: number): void {
    if (kind === SnapshotKind.install) {
      this.#ents = [];
      this.#lo = marker.index + 1;
      this.#loFile = file;
      this.#loOffset = offset;
      this.next = marker.index + 1;
      this.installIndex = marker.index;
    } else if (this.#keep) {
      const e = this.#ents[marker.index - this.#lo];
      if (e !== undefined && e.term !== marker.term)
        throw new WalCorruptError(
          file,
          offset,
          `marks a snapshot at index ${marker.index} of term ${marker.term}, but that entry has term ${e.term}`,
        );
    }
    if (kind === SnapshotKind.install || marker.index > this.snapIndex) this.snapIndex = marker.index;
    const last = this.markers[this.markers.length - 1];
    if (last === undefined || last.marker.index !== marker.index || last.marker.term !== marker.term)
      this.markers.push({ marker, kind, file, offset });
  }

  /** The newest marker, or index 0. */
  latest(): SnapshotMarker {
    return this.markers[this.markers.length - 1]?.marker ?? NO_SNAPSHOT;
  }

  /** The index of the last entry of the log (the snapshot index when it holds none after it). */
  lastIndex(): number {
    return this.next === null ? this.snapIndex : Math.max(this.next - 1, this.snapIndex);
  }

  /**
   * The log as seen from snapshot `from`: the entries after it. `from` must be a marker the WAL holds
   * (or index 0 for a log that was never snapshotted), not older than the latest install marker.
   * @throws WalSnapshotNotFoundError when the WAL cannot start from `from`
   * @throws WalCorruptError when entries after `from` are missing
   */
  recover(from: SnapshotMarker = this.latest()): WalRecovery {
    if (!this.#keep) throw new Error('ReplayFold: entries were not kept');
    const x = from.index;
    if (x > 0 && !this.markers.some((m) => m.marker.index === x && m.marker.term === from.term))
      throw new WalSnapshotNotFoundError(this.dir, x, from.term, 'the log holds no marker of it');
    if (x < this.installIndex)
      throw new WalSnapshotNotFoundError(
        this.dir,
        x,
        from.term,
        `a snapshot at index ${this.installIndex} from the leader replaced the log since`,
      );
    const need = x + 1;
    const lo = this.#lo;
    const n = this.#ents.length;
    if (n > 0 && lo > need)
      throw new WalCorruptError(
        this.#loFile,
        this.#loOffset,
        `holds entry ${lo}, but entries ${need}..${lo - 1} after snapshot ${x} are missing`,
      );
    if (n === 0 && this.next === null && this.snapIndex > x)
      throw new WalCorruptError(
        this.dir,
        null,
        `has no entries ${need}..${this.snapIndex} after snapshot ${x}`,
      );
    const at = this.#ents[x - lo];
    if (x > 0 && at !== undefined && at.term !== from.term)
      throw new WalSnapshotNotFoundError(this.dir, x, from.term, `entry ${x} of the log has term ${at.term}`);
    const start = Math.min(Math.max(0, need - lo), n);
    return { hardState: this.hardState, snapshot: from, entries: copyEntries(this.#ents, start) };
  }
}

/** `ents[start..]` with their data copied into one new buffer, so the segment buffers can be freed. */
function copyEntries(ents: readonly Entry[], start: number): Entry[] {
  let bytes = 0;
  for (let i = start; i < ents.length; i++) bytes += (ents[i] as Entry).data.byteLength;
  const pool = Buffer.allocUnsafe(bytes);
  const out = new Array<Entry>(ents.length - start);
  let off = 0;
  for (let i = start; i < ents.length; i++) {
    const e = ents[i] as Entry;
    const len = e.data.byteLength;
    let data: Uint8Array = EMPTY_BYTES;
    if (len > 0) {
      pool.set(e.data, off);
      data = pool.subarray(off, off + len);
      off += len;
    }
    out[i - start] = { term: e.term, index: e.index, type: e.type, data };
  }
  return out;
}
