import { Progress } from './progress.js';
import type { ConfState } from './types.js';
import { hexId } from './types.js';

/** The outcome of an election (or of a quorum check) so far. */
export type VoteResult = 'won' | 'lost' | 'pending';

function insertSorted(ids: bigint[], id: bigint): void {
  let i = ids.length;
  ids.push(id);
  while (i > 0 && (ids[i - 1] as bigint) > id) {
    ids[i] = ids[i - 1] as bigint;
    i--;
  }
  ids[i] = id;
}

function removeFrom(ids: bigint[], id: bigint): void {
  const i = ids.indexOf(id);
  if (i >= 0) ids.splice(i, 1);
}

/**
 * The membership (voters and learners, one majority config: changes go one server at a time), a
 * {@link Progress} per member, and the votes of the current election.
 *
 * Invariants: `progress` has exactly the voters and the learners; voters and learners are disjoint; the
 * id lists are sorted, so every broadcast goes out in the same order on every run.
 */
export class ProgressTracker {
  readonly progress = new Map<bigint, Progress>();
  readonly #voters: bigint[] = [];
  readonly #learners: bigint[] = [];
  readonly #ids: bigint[] = [];
  /** Progress of `#voters[i]` / `#ids[i]`, rebuilt on every membership change (hot loops avoid Map lookups). */
  #voterProgress: Progress[] = [];
  #idProgress: Progress[] = [];
  readonly #votes = new Map<bigint, boolean>();
  readonly #maxInflight: number;
  readonly #maxInflightBytes: number;
  #matchScratch: Float64Array = new Float64Array(8);

  constructor(maxInflight: number, maxInflightBytes: number) {
    this.#maxInflight = maxInflight;
    this.#maxInflightBytes = maxInflightBytes;
  }

  /** The voters, sorted. */
  get voters(): readonly bigint[] {
    return this.#voters;
  }

  /** The learners, sorted. */
  get learners(): readonly bigint[] {
    return this.#learners;
  }

  /** Every member, sorted. */
  get ids(): readonly bigint[] {
    return this.#ids;
  }

  /** The progress of `ids[i]`, for every i. */
  get idProgress(): readonly Progress[] {
    return this.#idProgress;
  }

  #reindex(): void {
    this.#voterProgress = this.#voters.map((id) => this.progress.get(id) as Progress);
    this.#idProgress = this.#ids.map((id) => this.progress.get(id) as Progress);
  }

  isVoter(id: bigint): boolean {
    const pr = this.progress.get(id);
    return pr !== undefined && !pr.isLearner;
  }

  /** Exactly one voter: the leader can answer reads and commit alone. */
  isSingleton(): boolean {
    return this.#voters.length === 1;
  }

  confState(): ConfState {
    return { voters: this.#voters.slice(), learners: this.#learners.slice() };
  }

  toString(): string {
    const v = this.#voters.map(hexId).join(' ');
    const l = this.#learners.map(hexId).join(' ');
    return l.length > 0 ? `voters=(${v}) learners=(${l})` : `voters=(${v})`;
  }

  /** Adds a voter (or promotes a learner) with a new progress probing from `next`. */
  addVoter(id: bigint, next: number): void {
    const pr = this.progress.get(id);
    if (pr !== undefined) {
      if (!pr.isLearner) return;
      pr.isLearner = false;
      removeFrom(this.#learners, id);
      insertSorted(this.#voters, id);
      this.#reindex();
      return;
    }
    this.#add(id, next, false);
    insertSorted(this.#voters, id);
    this.#reindex();
  }

  /** Adds a learner; does nothing for an existing member. */
  addLearner(id: bigint, next: number): void {
    if (this.progress.has(id)) return;
    this.#add(id, next, true);
    insertSorted(this.#learners, id);
    this.#reindex();
  }

  /** Removes a member; does nothing for a non-member. */
  remove(id: bigint): void {
    const pr = this.progress.get(id);
    if (pr === undefined) return;
    this.progress.delete(id);
    removeFrom(pr.isLearner ? this.#learners : this.#voters, id);
    removeFrom(this.#ids, id);
    this.#votes.delete(id);
    this.#reindex();
  }

  /** Removes every member. */
  clear(): void {
    this.progress.clear();
    this.#voters.length = 0;
    this.#learners.length = 0;
    this.#ids.length = 0;
    this.#votes.clear();
    this.#reindex();
  }

  #add(id: bigint, next: number, isLearner: boolean): void {
    this.progress.set(
      id,
      new Progress({
        match: 0,
        next: Math.max(next, 1),
        isLearner,
        recentActive: true,
        maxInflight: this.#maxInflight,
        maxInflightBytes: this.#maxInflightBytes,
      }),
    );
    insertSorted(this.#ids, id);
  }

  /**
   * The highest index stored on a majority of voters: the (n/2+1)-th largest `match`. 0 with no voters.
   * Allocation-free after the first call.
   */
  committed(): number {
    const n = this.#voters.length;
    if (n === 0) return 0;
    if (this.#matchScratch.length < n) this.#matchScratch = new Float64Array(n * 2);
    const a = this.#matchScratch;
    const prs = this.#voterProgress;
    for (let i = 0; i < n; i++) {
      const m = (prs[i] as Progress).match;
      let j = i;
      while (j > 0 && (a[j - 1] as number) < m) {
        a[j] = a[j - 1] as number;
        j--;
      }
      a[j] = m;
    }
    return a[n >> 1] as number;
  }

  /** Forgets the votes of the last election. */
  resetVotes(): void {
    this.#votes.clear();
  }

  /** Records `id`'s vote; only its first vote in an election counts. */
  recordVote(id: bigint, granted: boolean): void {
    if (!this.#votes.has(id)) this.#votes.set(id, granted);
  }

  /** Counts the voters' recorded votes. */
  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.#voters) {
      const v = this.#votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: this.#result(granted, rejected) };
  }

  /** Whether the voters in `acks` form a majority (`pending` until they might). */
  voteResult(acks: ReadonlySet<bigint> | null): VoteResult {
    if (acks === null) return 'pending';
    let granted = 0;
    for (const id of this.#voters) if (acks.has(id)) granted++;
    return this.#result(granted, 0);
  }

  /** True when a majority of voters (`self` included) were active since the last check. */
  quorumActive(self: bigint): boolean {
    let active = 0;
    for (let i = 0; i < this.#voters.length; i++) {
      if (this.#voters[i] === self || (this.#voterProgress[i] as Progress).recentActive) active++;
    }
    return this.#result(active, this.#voters.length - active) === 'won';
  }

  #result(granted: number, rejected: number): VoteResult {
    const n = this.#voters.length;
    if (n === 0) return 'won';
    const q = (n >> 1) + 1;
    if (granted >= q) return 'won';
    if (n - rejected < q) return 'lost';
    return 'pending';
  }
}
