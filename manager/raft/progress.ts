import { Inflights } from './inflights.js';

/**
 * How the leader replicates to one follower:
 * - `probe`: the follower's last matching index is unknown; send one MsgApp per heartbeat interval and
 *   wait for the answer.
 * - `replicate`: the follower matches; stream MsgApps optimistically, up to the inflight window.
 * - `snapshot`: the follower needs a snapshot; send nothing until it was applied (or failed).
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/**
 * The leader's view of one member's log. A plain mutable record owned by the progress tracker; fields are
 * public for the hot path.
 *
 * Invariants: `match < next`; in `snapshot` state `pendingSnapshot > 0`.
 */
export class Progress {
  /** The highest index known to be in the member's log. */
  match: number;
  /** The index of the next entry to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In `snapshot` state, the index of the snapshot in flight. */
  pendingSnapshot = 0;
  /** The member answered since the last CheckQuorum; the leader's own progress is always active. */
  recentActive: boolean;
  /** In `probe` state, a probe is in flight; in `replicate` state, the window is full. */
  msgAppFlowPaused = false;
  /** Non-voting member: replicated to, never counted. */
  isLearner: boolean;
  readonly inflights: Inflights;

  constructor(init: {
    match: number;
    next: number;
    isLearner: boolean;
    recentActive: boolean;
    maxInflight: number;
    maxInflightBytes: number;
  }) {
    this.match = init.match;
    this.next = init.next;
    this.isLearner = init.isLearner;
    this.recentActive = init.recentActive;
    this.inflights = new Inflights(init.maxInflight, init.maxInflightBytes);
  }

  /** Back to a fresh probe state at `next`, as a new leader sees every member (keeps the learner flag). */
  resetForNewTerm(match: number, next: number): void {
    this.match = match;
    this.next = next;
    this.state = 'probe';
    this.pendingSnapshot = 0;
    this.recentActive = false;
    this.msgAppFlowPaused = false;
    this.inflights.reset();
  }

  #resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  /** Probe from the last match (or past the snapshot just delivered). */
  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.#resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.#resetState('probe');
      this.next = this.match + 1;
    }
  }

  /** Stream from the last match. */
  becomeReplicate(): void {
    this.#resetState('replicate');
    this.next = this.match + 1;
  }

  /** A snapshot at `snapshotIndex` is on its way. */
  becomeSnapshot(snapshotIndex: number): void {
    this.#resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
  }

  /** A MsgApp with `entries` entries (`bytes` payload bytes) was sent. */
  sentEntries(entries: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (entries > 0) {
        this.next += entries;
        this.inflights.add(this.next - 1, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (entries > 0) {
      this.msgAppFlowPaused = true;
    }
  }

  /** The member acknowledged index `n`; returns whether `match` moved. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    if (this.next < n + 1) this.next = n + 1;
    return updated;
  }

  /**
   * The member rejected the MsgApp whose preceding index was `rejected`, hinting that it matches at most up
   * to `matchHint`. Moves `next` back and returns true, or returns false for a stale rejection.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // Stale: at or below what is known to match, or for a MsgApp sent before `next` last moved back
      // (every MsgApp of the current stream had its preceding index below `next`). Rewinding on those
      // would re-send whole windows over and over when messages are reordered.
      if (rejected <= this.match || rejected >= this.next) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** True when nothing may be sent to the member now. */
  isPaused(): boolean {
    return this.state === 'snapshot' || this.msgAppFlowPaused;
  }

  toString(): string {
    let s = `${this.state} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    if (this.inflights.count > 0) s += ` inflight=${this.inflights.count}`;
    return s;
  }
}
