import { CompactedError, InvariantViolationError, UnavailableError } from './errors.js';
import { Unstable } from './log-unstable.js';
import type { RaftLogger } from './logger.js';
import type { Storage } from './storage.js';
import type { Entry, Snapshot } from './types.js';
import { limitSize } from './types.js';

/** The shared empty result, frozen: nobody may push into it. */
const EMPTY = Object.freeze([]) as unknown as Entry[];

/**
 * The log as raft sees it: the stable part in {@link Storage} followed by the {@link Unstable} tail, plus
 * the commit and apply cursors.
 *
 * Invariants: `applied <= committed <= lastIndex()`; `firstIndex() - 1 <= applied`.
 */
export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** The highest index known to be committed (stored on a quorum). */
  #committed: number;
  /** The highest index the application has applied. Invariant: applied <= committed. */
  #applied: number;
  readonly #maxApplyingSize: number;
  readonly #logger: RaftLogger;

  constructor(storage: Storage, logger: RaftLogger, maxApplyingSize: number) {
    this.storage = storage;
    this.#logger = logger;
    this.#maxApplyingSize = maxApplyingSize;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1, logger);
    this.#committed = first - 1;
    this.#applied = first - 1;
  }

  get committed(): number {
    return this.#committed;
  }

  get applied(): number {
    return this.#applied;
  }

  toString(): string {
    return `committed=${this.#committed}, applied=${this.#applied}, unstable.offset=${this.unstable.offset}, len(unstable.entries)=${this.unstable.entries.length}`;
  }

  firstIndex(): number {
    const i = this.unstable.maybeFirstIndex();
    return i >= 0 ? i : this.storage.firstIndex();
  }

  lastIndex(): number {
    const i = this.unstable.maybeLastIndex();
    return i >= 0 ? i : this.storage.lastIndex();
  }

  /** The index of the last entry already persisted (everything after it is in the next Ready). */
  lastStableIndex(): number {
    return this.unstable.entries.length > 0 ? this.unstable.offset - 1 : this.lastIndex();
  }

  /**
   * The term of entry `i`, or -1 when it is unknown (compacted, or past the last index). The term of the
   * entry just before the first index (the snapshot's) is known.
   */
  term(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t >= 0) return t;
    if (i + 1 < this.firstIndex() || i > this.lastIndex()) return -1;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return -1;
      throw err;
    }
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    if (t < 0)
      throw new InvariantViolationError(`Cannot read the term of the last entry ${this.lastIndex()}`);
    return t;
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /**
   * True when a candidate whose last entry is (`lastIndex`, `term`) has a log at least as up to date as
   * ours (§5.4.1: later term wins; same term, longer log wins).
   */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The index of the first entry of `ents` that is not in our log (a different term at its index, or past
   * our end), or 0 when all of them are.
   */
  findConflict(ents: readonly Entry[]): number {
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i] as Entry;
      if (!this.matchTerm(e.index, e.term)) {
        if (e.index <= this.lastIndex()) {
          this.#logger.info(
            `found conflict at index ${e.index} [existing term: ${this.term(e.index)}, conflicting term: ${e.term}]`,
          );
        }
        return e.index;
      }
    }
    return 0;
  }

  /**
   * The last entry at or below `index` whose term is <= `term`: a guess of where our log and one whose entry
   * at `index` has `term` last agree. Returns the index and our term there (0 when unknown, compacted).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (; index > 0; index--) {
      const ourTerm = this.term(index);
      if (ourTerm < 0) return { index, term: 0 };
      if (ourTerm <= term) return { index, term: ourTerm };
    }
    return { index: 0, term: 0 };
  }

  /**
   * Appends the entries of a MsgApp whose preceding entry is (`index`, `logTerm`) if our log has it, and
   * commits up to min(`committed`, last new index). Returns the last index of the new entries, or -1 when
   * our log does not contain (`index`, `logTerm`).
   * @throws InvariantViolationError when a new entry conflicts with a committed one
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number {
    if (!this.matchTerm(index, logTerm)) return -1;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.#committed)
        throw new InvariantViolationError(
          `Entry ${ci} conflicts with a committed entry [committed(${this.#committed})]`,
        );
      const start = ci - (index + 1);
      this.append(start === 0 ? ents : ents.slice(start));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /**
   * Appends `ents` (consecutive), truncating our entries from `ents[0].index` on. Returns the last index.
   * @throws InvariantViolationError when that would truncate a committed entry
   */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = (ents[0] as Entry).index - 1;
    if (after < this.#committed)
      throw new InvariantViolationError(
        `Cannot append after index ${after}: below the commit index ${this.#committed}`,
      );
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** The unstable entries, copied: they go in the next Ready. */
  unstableEntries(): Entry[] {
    return this.unstable.entries.length === 0 ? EMPTY : this.unstable.entries.slice();
  }

  /**
   * True when committed entries wait to be applied. Never while an incoming snapshot is not yet persisted
   * (it must be applied first).
   */
  hasNextCommittedEntries(): boolean {
    if (this.unstable.snapshot !== null) return false;
    return this.#committed > Math.max(this.#applied, this.firstIndex() - 1);
  }

  /** The committed entries to apply next, at most `maxCommittedSizePerReady` bytes (at least one). */
  nextCommittedEntries(): Entry[] {
    if (!this.hasNextCommittedEntries()) return EMPTY;
    const lo = Math.max(this.#applied + 1, this.firstIndex());
    const ents = this.slice(lo, this.#committed + 1, this.#maxApplyingSize);
    if (ents === null)
      throw new InvariantViolationError(`Cannot read committed entries from ${lo}: compacted before applied`);
    return ents;
  }

  /** The latest snapshot: the unstable one, else the storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /**
   * Advances the commit index to `toCommit` (never backwards).
   * @throws InvariantViolationError when `toCommit` is past the last index: the log was lost or corrupted
   */
  commitTo(toCommit: number): void {
    if (this.#committed >= toCommit) return;
    if (this.lastIndex() < toCommit)
      throw new InvariantViolationError(
        `Cannot commit to ${toCommit}: past the last index ${this.lastIndex()}; was the log corrupted, truncated or lost?`,
      );
    this.#committed = toCommit;
  }

  /** The application applied everything up to `i` (0: nothing new). */
  appliedTo(i: number): void {
    if (i === 0) return;
    if (this.#committed < i || i < this.#applied)
      throw new InvariantViolationError(
        `Cannot mark ${i} applied: out of range [prevApplied(${this.#applied}), committed(${this.#committed})]`,
      );
    this.#applied = i;
  }

  /** The entries up to (i, t) were persisted; returns false when (i, t) is no longer in the unstable tail. */
  stableTo(i: number, t: number): boolean {
    return this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  /** Commits the entry at `maxIndex` if it has term `term` (only current-term entries commit by counting). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.#committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** Replaces the log with snapshot `s`, committed up to its index. */
  restore(s: Snapshot): void {
    this.#logger.info(
      `log [${this.toString()}] starts to restore snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`,
    );
    this.#committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** The entries from `i` to the end, at most `maxSize` bytes; null when `i` was compacted. */
  entries(i: number, maxSize: number): Entry[] | null {
    const last = this.lastIndex();
    if (i > last) return EMPTY;
    return this.slice(i, last + 1, maxSize);
  }

  /** Every entry from the first index on (tests). */
  allEntries(): Entry[] {
    return this.entries(this.firstIndex(), Number.POSITIVE_INFINITY) ?? EMPTY;
  }

  /**
   * The entries in [lo, hi), at most `maxSize` bytes but at least one; null when `lo` was compacted.
   * @throws InvariantViolationError when the range is out of the log's bounds
   */
  slice(lo: number, hi: number, maxSize: number): Entry[] | null {
    if (lo > hi) throw new InvariantViolationError(`Invalid slice ${lo} > ${hi}`);
    if (lo < this.firstIndex()) return null;
    if (hi > this.lastIndex() + 1)
      throw new InvariantViolationError(
        `Slice [${lo},${hi}) out of bound [${this.firstIndex()},${this.lastIndex()}]`,
      );
    if (lo === hi) return EMPTY;
    const uoff = this.unstable.offset;
    let ents: Entry[] | null = null;
    if (lo < uoff) {
      const shi = Math.min(hi, uoff);
      let stored: Entry[];
      try {
        stored = this.storage.entries(lo, shi, maxSize);
      } catch (err) {
        if (err instanceof CompactedError) return null;
        if (err instanceof UnavailableError)
          throw new InvariantViolationError(`Entries [${lo}, ${shi}) are unavailable from storage`, {
            cause: err,
          });
        throw err;
      }
      if (stored.length < shi - lo) return stored;
      ents = stored;
    }
    if (hi > uoff) {
      const u = this.unstable.slice(Math.max(lo, uoff), hi);
      ents = ents === null ? u : ents.concat(u);
    }
    return limitSize(ents as Entry[], maxSize);
  }
}
