import { encodeConfChange } from './conf-change.js';
import { compileRaftOptions, type RaftOptions } from './config.js';
import {
  isRecoverableRaftError,
  RaftIllegalStateError,
  RaftInoperableError,
  StepLocalMessageError,
  StepPeerNotFoundError,
} from './errors.js';
import type { Message } from './message.js';
import { isLocalMessage, isResponseMessage } from './message.js';
import { type AdvanceInfo, Raft } from './raft.js';
import type { Ready } from './ready.js';
import type { BasicStatus, ProgressStatus, Status } from './status.js';
import type { ConfChange, ConfState, Entry, HardState, SoftState } from './types.js';
import { NONE, payloadsSize } from './types.js';

/** What the driver reports about a snapshot it was asked to send. */
export type SnapshotStatus = 'finish' | 'failure';

/**
 * The raft node the driver owns (after etcd's `RawNode`): synchronous, single-threaded, no I/O. The
 * driver feeds it `tick()`, messages from peers (`step()`) and requests (`propose()`, `readIndex()`…),
 * and executes what comes out of `ready()` under the {@link Ready} contract, then calls `advance()`.
 *
 * Errors: requests that cannot be served throw {@link ProposalDroppedError} or {@link NotLeaderError}
 * and change nothing. A storage failure or a broken invariant throws once and leaves the node
 * inoperable: every later call throws {@link RaftInoperableError}.
 */
export class RawNode {
  readonly id: bigint;
  readonly #raft: Raft;
  #prevSoftState: SoftState;
  #prevHardState: HardState;
  #pending: AdvanceInfo | null = null;
  #failure: unknown = null;

  /**
   * Builds the node from its persisted state (`options.storage`). A brand-new node starts with an empty
   * membership; it either calls {@link bootstrap} (founding members) or learns the membership from the
   * leader's log or snapshot (joining members, after the leader added them).
   * @throws RangeError, TypeError for invalid options
   * @throws InvariantViolationError when the persisted state is inconsistent (commit past the last entry)
   */
  constructor(options: RaftOptions) {
    const compiled = compileRaftOptions(options);
    this.id = compiled.id;
    this.#raft = new Raft(compiled);
    this.#prevSoftState = this.#raft.softState();
    this.#prevHardState = this.#raft.hardState();
  }

  /**
   * Starts a new cluster whose founding members are `peers` (this node among them): entries 1..n add
   * them, committed at term 1. Every founding member MUST call it with the same `peers` in the same order,
   * before anything else, on an empty storage.
   * @throws RangeError when `peers` is empty, has duplicates or 0n
   * @throws RaftIllegalStateError when the storage is not empty
   */
  bootstrap(peers: readonly bigint[]): void {
    this.#check();
    if (peers.length === 0) throw new RangeError('Cannot bootstrap: no peers');
    if (new Set(peers).size !== peers.length || peers.includes(NONE))
      throw new RangeError('Cannot bootstrap: peers must be distinct and non-zero');
    if (this.#raft.log.lastIndex() !== 0)
      throw new RaftIllegalStateError('Cannot bootstrap: the storage is not empty');
    try {
      this.#raft.bootstrap(peers, encodeConfChange);
    } catch (err) {
      throw this.#fail(err);
    }
  }

  /** Advances the logical clock by one tick (the driver's tick period, 100 ms by default). */
  tick(): void {
    this.#check();
    try {
      this.#raft.tick();
    } catch (err) {
      throw this.#fail(err);
    }
  }

  /** Starts an election now (with a pre-vote round when enabled); does nothing on a leader or a learner. */
  campaign(): void {
    this.#local({ type: 'MsgHup', to: this.id, from: this.id, term: 0 });
  }

  /**
   * Proposes `data` for the log. On the leader it is appended at once; a follower forwards it to the leader
   * (the proposal may still be lost on the way: the driver MUST time out proposals it does not see applied).
   * @throws ProposalDroppedError when there is no leader, a transfer is in progress, the uncommitted limit
   *   is reached, or this node was removed
   * @throws NotLeaderError on a follower with proposal forwarding disabled
   */
  propose(data: Uint8Array): void {
    const entries: Entry[] = [{ term: 0, index: 0, type: 'normal', data }];
    this.#local({ type: 'MsgProp', to: this.id, from: this.id, term: 0, entries });
  }

  /**
   * Proposes a membership change. Only one may be pending: the leader refuses a new one until the previous
   * one (and, for a new leader, every entry of its log) is applied. Apply it with {@link applyConfChange}
   * once it comes out committed.
   * @throws ProposalDroppedError also with reason `conf-change-pending` or `invalid-conf-change`
   */
  proposeConfChange(cc: ConfChange): void {
    const entries: Entry[] = [{ term: 0, index: 0, type: 'confChange', data: encodeConfChange(cc) }];
    this.#local({ type: 'MsgProp', to: this.id, from: this.id, term: 0, entries });
  }

  /**
   * Applies a committed conf change (decode the entry with `decodeConfChange`) and returns the membership
   * now in force, which the driver stores with its next snapshot. A leader that removed itself steps down.
   * MUST be called for every committed conf-change entry, in log order, when applying it.
   */
  applyConfChange(cc: ConfChange): ConfState {
    this.#check();
    try {
      return this.#raft.applyConfChange(cc);
    } catch (err) {
      throw this.#fail(err);
    }
  }

  /**
   * Hands raft a message from a peer.
   * @throws StepLocalMessageError for a local message type
   * @throws StepPeerNotFoundError for a response from a non-member (safe to ignore)
   */
  step(m: Message): void {
    this.#check();
    if (isLocalMessage(m.type)) throw new StepLocalMessageError(m.type);
    if (isResponseMessage(m.type) && !this.#raft.tracker.progress.has(m.from))
      throw new StepPeerNotFoundError(m.type, m.from);
    try {
      this.#raft.step(m);
    } catch (err) {
      throw this.#fail(err);
    }
  }

  /**
   * Asks for a linearizable read. The answer comes out as a `ReadState` with `requestCtx === ctx` in a later
   * Ready: serve the read once the state machine applied its `index`. No answer may come (leader change,
   * lost message): the driver MUST time reads out. `ctx` MUST be unique among pending reads.
   * @throws ProposalDroppedError when this node knows no leader
   */
  readIndex(ctx: Uint8Array): void {
    this.#local({ type: 'MsgReadIndex', to: this.id, from: this.id, term: 0, context: ctx });
  }

  /**
   * Asks the leader (directly, or forwarded by a follower) to hand leadership to `transferee`: it stops
   * accepting proposals, brings the transferee up to date and sends it MsgTimeoutNow; it gives up after an
   * election timeout.
   */
  transferLeader(transferee: bigint): void {
    this.#local({ type: 'MsgTransferLeader', to: this.id, from: transferee, term: 0 });
  }

  /** The transport failed to deliver a message to `id`: the leader probes it again rather than streaming. */
  reportUnreachable(id: bigint): void {
    this.#local({ type: 'MsgUnreachable', to: this.id, from: id, term: 0 });
  }

  /** The snapshot sent to `id` was delivered (`finish`) or not (`failure`). */
  reportSnapshot(id: bigint, status: SnapshotStatus): void {
    this.#local({ type: 'MsgSnapStatus', to: this.id, from: id, term: 0, reject: status === 'failure' });
  }

  /**
   * True when `ready()` has something. False while a Ready is outstanding (taken, not yet advanced) and
   * after a fatal error.
   */
  hasReady(): boolean {
    if (this.#pending !== null || this.#failure !== null) return false;
    const r = this.#raft;
    const ss = this.#prevSoftState;
    if (r.lead !== ss.lead || r.state !== ss.raftState) return true;
    const hs = this.#prevHardState;
    if (r.term !== hs.term || r.vote !== hs.vote || r.log.committed !== hs.commit) return true;
    const u = r.log.unstable;
    return (
      u.snapshot !== null ||
      u.entries.length > 0 ||
      r.hasMessages() ||
      r.hasReadStates() ||
      r.log.hasNextCommittedEntries()
    );
  }

  /**
   * Takes the pending work; handle it under the {@link Ready} contract, then call {@link advance}.
   * @throws RaftIllegalStateError when the previous Ready was not advanced
   */
  ready(): Ready {
    this.#check();
    if (this.#pending !== null)
      throw new RaftIllegalStateError('Cannot take a Ready: the previous one was not advanced');
    try {
      const r = this.#raft;
      const prevSoft = this.#prevSoftState;
      let softState: SoftState | null = null;
      if (r.lead !== prevSoft.lead || r.state !== prevSoft.raftState) {
        softState = r.softState();
        this.#prevSoftState = softState;
      }
      const prevHard = this.#prevHardState;
      let hardState: HardState | null = null;
      if (r.term !== prevHard.term || r.vote !== prevHard.vote || r.log.committed !== prevHard.commit) {
        hardState = r.hardState();
        this.#prevHardState = hardState;
      }
      const entries = r.log.unstableEntries();
      const snapshot = r.log.unstable.snapshot;
      const committedEntries = r.log.nextCommittedEntries();
      const messages = r.takeMessages();
      const readStates = r.takeReadStates();
      const mustSync =
        entries.length > 0 ||
        snapshot !== null ||
        (hardState !== null && (hardState.term !== prevHard.term || hardState.vote !== prevHard.vote));
      const last = entries[entries.length - 1];
      const lastCommitted = committedEntries[committedEntries.length - 1];
      this.#pending = {
        lastEntryIndex: last === undefined ? 0 : last.index,
        lastEntryTerm: last === undefined ? 0 : last.term,
        snapshotIndex: snapshot === null ? 0 : snapshot.metadata.index,
        appliedIndex:
          lastCommitted !== undefined ? lastCommitted.index : snapshot === null ? 0 : snapshot.metadata.index,
        appliedSize: committedEntries.length === 0 ? 0 : payloadsSize(committedEntries),
      };
      return { softState, hardState, entries, snapshot, committedEntries, messages, readStates, mustSync };
    } catch (err) {
      throw this.#fail(err);
    }
  }

  /**
   * Acknowledges the last Ready: its entries and snapshot are persisted, its committed entries and
   * snapshot applied. MUST be called only AFTER all of that.
   * @throws RaftIllegalStateError when no Ready is outstanding
   */
  advance(): void {
    this.#check();
    const p = this.#pending;
    if (p === null) throw new RaftIllegalStateError('Cannot advance: no Ready was taken');
    this.#pending = null;
    try {
      this.#raft.advance(p);
    } catch (err) {
      throw this.#fail(err);
    }
  }

  /** Term, vote, commit, role, leader and log bounds; cheap. */
  basicStatus(): BasicStatus {
    const r = this.#raft;
    return {
      id: this.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      lead: r.lead,
      raftState: r.state,
      applied: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      leadTransferee: r.leadTransferee,
      isLearner: r.isLearner,
    };
  }

  /** {@link basicStatus} plus the membership and, on the leader, every member's progress. */
  status(): Status {
    const r = this.#raft;
    let progress: Map<bigint, ProgressStatus> | null = null;
    if (r.state === 'leader') {
      progress = new Map();
      for (const [id, pr] of r.tracker.progress) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          paused: pr.isPaused(),
          pendingSnapshot: pr.pendingSnapshot,
          inflight: pr.inflights.count,
        });
      }
    }
    return { ...this.basicStatus(), config: r.tracker.confState(), progress };
  }

  #local(m: Message): void {
    this.#check();
    try {
      this.#raft.step(m);
    } catch (err) {
      throw this.#fail(err);
    }
  }

  #check(): void {
    if (this.#failure !== null) throw new RaftInoperableError(this.#failure);
  }

  #fail(err: unknown): unknown {
    if (!isRecoverableRaftError(err)) this.#failure = err;
    return err;
  }
}
