import type { MemoryStorage } from '../memory-storage.js';
import type { Entry } from '../types.js';
import { hexId } from '../types.js';

/** Which property a simulation run broke. */
export type ViolationKind =
  | 'election-safety'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'leader-append-only'
  | 'committed-entry-lost'
  | 'liveness'
  | 'divergence'
  | 'linearizability'
  | 'raft-error';

/** The first property violation of a run, at simulated time `time`. */
export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
  readonly time: number;
}

/** FNV-1a over an entry's type and data: entries with the same (index, term) MUST hash alike. */
export function entryHash(e: Entry): number {
  let h = e.type === 'confChange' ? 0x811c9dc4 : 0x811c9dc5;
  const d = e.data;
  for (let i = 0; i < d.length; i++) h = Math.imul(h ^ (d[i] as number), 0x01000193);
  return h >>> 0;
}

const TERM_BITS = 2 ** 21;

function termAt(s: MemoryStorage, i: number): number {
  if (i < s.firstIndex() - 1 || i > s.lastIndex()) return -1;
  return s.term(i);
}

/**
 * Checks Raft's safety properties (Figure 3 of the paper) incrementally, from what the simulation's nodes
 * persist, commit and apply, so that every step is checked at a cost proportional to what changed:
 *
 * - election safety: at most one leader per term;
 * - log matching: two logs with an entry of the same index and term agree on it and on every entry before
 *   it (checked inductively: the same data and the same previous term for every (index, term) ever
 *   persisted anywhere);
 * - leader append-only: a leader never truncates its persisted log within its term;
 * - leader completeness: a new leader's log holds every entry committed before;
 * - state machine safety: no two nodes apply different entries at one index;
 * - committed entries never lost: no node's commit index covers an entry other than the one committed,
 *   and no node overwrites an entry its durable commit index covers.
 */
export class SafetyChecker {
  violation: Violation | null = null;
  /** Simulated time, stamped on violations. */
  now = 0;
  readonly #leaders = new Map<number, bigint>();
  /** (index, term) → hash of the entry and term of its predecessor, for every entry ever persisted. */
  readonly #logRecords = new Map<number, { hash: number; prevTerm: number }>();
  readonly #committedTerm: number[] = [0];
  readonly #committedHash: number[] = [0];
  readonly #appliedTerm: number[] = [0];
  readonly #appliedHash: number[] = [0];
  #maxCommit = 0;

  /** The highest index any node declared committed. */
  get maxCommit(): number {
    return this.#maxCommit;
  }

  /** The term of the committed entry at `index` (-1 if unknown). */
  committedTerm(index: number): number {
    return this.#committedTerm[index] ?? -1;
  }

  #fail(kind: ViolationKind, message: string): void {
    if (this.violation === null) this.violation = { kind, message, time: this.now };
  }

  /** `id` is leader of `term`. */
  observeLeader(id: bigint, term: number): void {
    const prev = this.#leaders.get(term);
    if (prev === undefined) this.#leaders.set(term, id);
    else if (prev !== id)
      this.#fail('election-safety', `two leaders in term ${term}: ${hexId(prev)} and ${hexId(id)}`);
  }

  /** How many distinct terms had a leader. */
  get leaderTerms(): number {
    return this.#leaders.size;
  }

  /**
   * `id` is about to append `entries` to its durable log `s`. `durableCommit` is the commit index its
   * durable hard state covers (already checked against the committed entries).
   */
  beforeAppend(id: bigint, s: MemoryStorage, entries: readonly Entry[], durableCommit: number): void {
    const snapIndex = s.firstIndex() - 1;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.index <= snapIndex) continue;
      const prevTerm =
        i > 0 && e.index - 1 > snapIndex ? (entries[i - 1] as Entry).term : termAt(s, e.index - 1);
      const hash = entryHash(e);
      const key = e.index * TERM_BITS + e.term;
      const rec = this.#logRecords.get(key);
      if (rec === undefined) this.#logRecords.set(key, { hash, prevTerm });
      else if (rec.hash !== hash || (prevTerm >= 0 && rec.prevTerm >= 0 && rec.prevTerm !== prevTerm))
        this.#fail(
          'log-matching',
          `${hexId(id)} persisted entry ${e.term}/${e.index} (prev term ${prevTerm}) unlike another log's (prev term ${rec.prevTerm})`,
        );
      const ct = this.#committedTerm[e.index];
      if (e.index <= durableCommit && ct !== undefined && ct !== e.term)
        this.#fail(
          'committed-entry-lost',
          `${hexId(id)} overwrote committed entry ${ct}/${e.index} with ${e.term}/${e.index}`,
        );
    }
  }

  /**
   * `id` persisted a hard state committing up to `to`, previously `from`: every entry in between MUST be
   * the committed one (the first node to commit an index defines it).
   */
  afterCommit(id: bigint, s: MemoryStorage, from: number, to: number): void {
    const snapIndex = s.firstIndex() - 1;
    if (to > s.lastIndex()) {
      this.#fail(
        'committed-entry-lost',
        `${hexId(id)} commits ${to} past its last persisted index ${s.lastIndex()}`,
      );
      return;
    }
    for (let i = Math.max(from, snapIndex) + 1; i <= to; i++) {
      const e = s.entries(i, i + 1, Number.POSITIVE_INFINITY)[0] as Entry;
      const hash = entryHash(e);
      const known = this.#committedTerm[i];
      if (known === undefined) {
        this.#committedTerm[i] = e.term;
        this.#committedHash[i] = hash;
      } else if (known !== e.term || this.#committedHash[i] !== hash) {
        this.#fail(
          'committed-entry-lost',
          `${hexId(id)} committed ${e.term}/${i} but ${known}/${i} was committed before`,
        );
      }
    }
    if (to > this.#maxCommit) this.#maxCommit = to;
  }

  /** `id` just became leader of `term` with durable log `s`: it MUST hold every committed entry. */
  leaderCompleteness(id: bigint, term: number, s: MemoryStorage): void {
    const snapIndex = s.firstIndex() - 1;
    for (let i = snapIndex + 1; i <= this.#maxCommit; i++) {
      const ct = this.#committedTerm[i];
      if (ct === undefined) continue;
      const t = termAt(s, i);
      if (t !== ct) {
        this.#fail(
          'leader-completeness',
          `${hexId(id)} leads term ${term} without committed entry ${ct}/${i} (has term ${t})`,
        );
        return;
      }
    }
  }

  /** `id` applies `e`: every node applies the same entry at each index. */
  onApply(id: bigint, e: Entry): void {
    const hash = entryHash(e);
    const known = this.#appliedTerm[e.index];
    if (known === undefined) {
      this.#appliedTerm[e.index] = e.term;
      this.#appliedHash[e.index] = hash;
    } else if (known !== e.term || this.#appliedHash[e.index] !== hash) {
      this.#fail(
        'state-machine-safety',
        `${hexId(id)} applied ${e.term}/${e.index} but ${known}/${e.index} was applied elsewhere`,
      );
    }
    if (this.#committedTerm[e.index] !== undefined && this.#committedTerm[e.index] !== e.term)
      this.#fail(
        'state-machine-safety',
        `${hexId(id)} applied ${e.term}/${e.index}, not the committed ${this.#committedTerm[e.index]}/${e.index}`,
      );
  }

  /**
   * With a fixed membership of `voters` nodes: the latest committed entry is durable on a majority (in the
   * log, or covered by a snapshot).
   */
  durableQuorum(storages: readonly MemoryStorage[], voters: number): void {
    const c = this.#maxCommit;
    if (c === 0) return;
    const t = this.#committedTerm[c];
    if (t === undefined) return;
    let n = 0;
    for (const s of storages) if (s.firstIndex() - 1 >= c || termAt(s, c) === t) n++;
    if (n < (voters >> 1) + 1)
      this.#fail(
        'committed-entry-lost',
        `committed entry ${t}/${c} is durable on ${n} of ${voters} nodes only`,
      );
  }
}
