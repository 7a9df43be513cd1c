import type { RaftLogger } from './logger.js';
import type { Entry, Snapshot } from './types.js';

/**
 * The tail of the log not yet persisted: an optional incoming snapshot and the entries after the stable
 * ones. Everything here goes out in the next `Ready` and leaves once the driver `advance()`s.
 *
 * Invariants: `#entries[i].index === #offset + i`; with a snapshot, `#offset === snapshot.index + 1`.
 */
export class Unstable {
  #snapshot: Snapshot | null = null;
  #entries: Entry[] = [];
  #offset: number;
  readonly #logger: RaftLogger;

  constructor(offset: number, logger: RaftLogger) {
    this.#offset = offset;
    this.#logger = logger;
  }

  /** The index of the first unstable entry (or the one that would come next). */
  get offset(): number {
    return this.#offset;
  }

  /** The unstable entries; a live view, do not keep it across calls. */
  get entries(): readonly Entry[] {
    return this.#entries;
  }

  /** The incoming snapshot not yet persisted, or null. */
  get snapshot(): Snapshot | null {
    return this.#snapshot;
  }

  /** The first index of the log if an unstable snapshot defines it, else -1. */
  maybeFirstIndex(): number {
    return this.#snapshot === null ? -1 : this.#snapshot.metadata.index + 1;
  }

  /** The last index of the log if the unstable part defines it, else -1. */
  maybeLastIndex(): number {
    if (this.#entries.length > 0) return this.#offset + this.#entries.length - 1;
    return this.#snapshot === null ? -1 : this.#snapshot.metadata.index;
  }

  /** The term of entry `i` if the unstable part holds it (or it is the snapshot's), else -1. */
  maybeTerm(i: number): number {
    if (i < this.#offset) {
      const s = this.#snapshot;
      return s !== null && s.metadata.index === i ? s.metadata.term : -1;
    }
    const e = this.#entries[i - this.#offset];
    return e === undefined ? -1 : e.term;
  }

  /**
   * The entries up to (i, t) were persisted: drop them. Does nothing when the entry at i is no longer
   * (i, t) — it was overwritten after the Ready was taken — and returns whether anything was dropped.
   */
  stableTo(i: number, t: number): boolean {
    const gt = this.maybeTerm(i);
    if (gt < 0 || gt !== t || i < this.#offset) return false;
    const n = i + 1 - this.#offset;
    this.#entries = n === this.#entries.length ? [] : this.#entries.slice(n);
    this.#offset = i + 1;
    return true;
  }

  /** The snapshot at index `i` was persisted. */
  stableSnapTo(i: number): void {
    if (this.#snapshot !== null && this.#snapshot.metadata.index === i) this.#snapshot = null;
  }

  /** Replaces everything with snapshot `s`. */
  restore(s: Snapshot): void {
    this.#offset = s.metadata.index + 1;
    this.#entries = [];
    this.#snapshot = s;
  }

  /** Appends `ents` (consecutive, non-empty), first truncating what conflicts from `ents[0].index` on. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const after = (ents[0] as Entry).index;
    if (after === this.#offset + this.#entries.length) {
      for (let i = 0; i < ents.length; i++) this.#entries.push(ents[i] as Entry);
    } else if (after <= this.#offset) {
      this.#logger.info(`replace the unstable entries from index ${after}`);
      this.#offset = after;
      this.#entries = ents.slice();
    } else {
      this.#logger.info(`truncate the unstable entry before index ${after}`);
      this.#entries = this.#entries.slice(0, after - this.#offset);
      for (let i = 0; i < ents.length; i++) this.#entries.push(ents[i] as Entry);
    }
  }

  /** A copy of the unstable entries in [lo, hi); the caller checked the bounds. */
  slice(lo: number, hi: number): Entry[] {
    return this.#entries.slice(lo - this.#offset, hi - this.#offset);
  }
}
