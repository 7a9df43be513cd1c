import {
  CompactedError,
  InvariantViolationError,
  SnapshotOutOfDateError,
  UnavailableError,
} from './errors.js';
import type { InitialState, Storage } from './storage.js';
import type { ConfState, Entry, HardState, Snapshot } from './types.js';
import { EMPTY_BYTES, EMPTY_HARD_STATE, limitSize } from './types.js';

/** Options of a {@link MemoryStorage}. */
export interface MemoryStorageOptions {
  /**
   * The membership at index 0, for a node that starts with a known configuration instead of calling
   * `RawNode.bootstrap()` (tests mostly). @default no members
   */
  confState?: ConfState;
}

const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };

function dummyEntry(index: number, term: number): Entry {
  return { index, term, type: 'normal', data: EMPTY_BYTES };
}

/**
 * A {@link Storage} in memory: the log as an array whose first element is a dummy entry standing for the
 * snapshot (index and term only), plus the hard state and the latest snapshot.
 *
 * Invariants: `#ents[0]` is (snapshot.index, snapshot.term); `#ents[i].index === #ents[0].index + i`.
 *
 * The driver writes to it while handling a `Ready`, in this order: `applySnapshot()`, `append()`,
 * `setHardState()`; and compacts with `createSnapshot()` + `compact()` after applying.
 */
export class MemoryStorage implements Storage {
  #hardState: HardState = EMPTY_HARD_STATE;
  #snapshot: Snapshot;
  #ents: Entry[];

  constructor(options: MemoryStorageOptions = {}) {
    this.#snapshot = {
      metadata: { index: 0, term: 0, confState: options.confState ?? EMPTY_CONF_STATE },
      data: EMPTY_BYTES,
    };
    this.#ents = [dummyEntry(0, 0)];
  }

  initialState(): InitialState {
    return { hardState: this.#hardState, confState: this.#snapshot.metadata.confState };
  }

  /** Records the hard state; call it with each `Ready.hardState` that is not null. */
  setHardState(hs: HardState): void {
    this.#hardState = hs;
  }

  /** The recorded hard state. */
  hardState(): HardState {
    return this.#hardState;
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = (this.#ents[0] as Entry).index;
    if (lo <= offset) throw new CompactedError(lo, offset + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    if (this.#ents.length === 1) throw new UnavailableError(lo, this.lastIndex());
    return limitSize(this.#ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(index: number): number {
    const offset = (this.#ents[0] as Entry).index;
    if (index < offset) throw new CompactedError(index, offset + 1);
    const e = this.#ents[index - offset];
    if (e === undefined) throw new UnavailableError(index, this.lastIndex());
    return e.term;
  }

  firstIndex(): number {
    return (this.#ents[0] as Entry).index + 1;
  }

  lastIndex(): number {
    return (this.#ents[0] as Entry).index + this.#ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  /**
   * Replaces the whole log with `snap` (a `Ready.snapshot` received from the leader).
   * @throws SnapshotOutOfDateError when `snap` is not newer than the current snapshot
   */
  applySnapshot(snap: Snapshot): void {
    const current = this.#snapshot.metadata.index;
    if (snap.metadata.index <= current) throw new SnapshotOutOfDateError(snap.metadata.index, current);
    this.#snapshot = snap;
    this.#ents = [dummyEntry(snap.metadata.index, snap.metadata.term)];
  }

  /**
   * Makes a snapshot of the state machine as of applied index `index` (which MUST be <= the last entry), with
   * the membership `confState` in force at `index`, and returns it. Compact the log afterwards with
   * {@link compact}.
   * @throws SnapshotOutOfDateError when `index` is not past the current snapshot
   * @throws RangeError when `index` is past the last entry
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    const current = this.#snapshot.metadata.index;
    if (index <= current) throw new SnapshotOutOfDateError(index, current);
    if (index > this.lastIndex())
      throw new RangeError(`Cannot snapshot at ${index}: past the last index ${this.lastIndex()}`);
    const offset = (this.#ents[0] as Entry).index;
    const term = (this.#ents[index - offset] as Entry).term;
    this.#snapshot = { metadata: { index, term, confState }, data };
    return this.#snapshot;
  }

  /**
   * Discards the entries up to and including `compactIndex`, which MUST be <= the applied index and is
   * usually the index of the last snapshot.
   * @throws CompactedError when `compactIndex` was already compacted
   * @throws RangeError when `compactIndex` is past the last entry
   */
  compact(compactIndex: number): void {
    const offset = (this.#ents[0] as Entry).index;
    if (compactIndex <= offset) throw new CompactedError(compactIndex, offset + 1);
    if (compactIndex > this.lastIndex())
      throw new RangeError(`Cannot compact to ${compactIndex}: past the last index ${this.lastIndex()}`);
    const i = compactIndex - offset;
    const head = this.#ents[i] as Entry;
    const ents = new Array<Entry>(this.#ents.length - i);
    ents[0] = dummyEntry(head.index, head.term);
    for (let j = 1; j < ents.length; j++) ents[j] = this.#ents[i + j] as Entry;
    this.#ents = ents;
  }

  /**
   * Appends `entries` (a `Ready.entries`), first dropping the stored entries from `entries[0].index` on
   * (they conflict with the new ones). Entries at or below the snapshot index are ignored.
   * @throws InvariantViolationError when `entries` would leave a gap after the last entry
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const start = (entries[0] as Entry).index;
    const last = start + entries.length - 1;
    if (last < first) return;
    const skip = first > start ? first - start : 0;
    const offset = start + skip - (this.#ents[0] as Entry).index;
    if (offset > this.#ents.length)
      throw new InvariantViolationError(
        `Cannot append at index ${start + skip}: missing log entries after ${this.lastIndex()}`,
      );
    if (offset < this.#ents.length) this.#ents.length = offset;
    for (let i = skip; i < entries.length; i++) this.#ents.push(entries[i] as Entry);
  }
}
