import { decodeConfChange, describeConfChange } from './conf-change.js';
import type { CompiledRaftOptions } from './config.js';
import {
  InvariantViolationError,
  NotLeaderError,
  ProposalDroppedError,
  type ProposalDropReason,
} from './errors.js';
import type { RaftLogger } from './logger.js';
import type {
  Message,
  MsgApp,
  MsgAppResp,
  MsgHeartbeat,
  MsgHeartbeatResp,
  MsgPreVote,
  MsgPreVoteResp,
  MsgProp,
  MsgReadIndex,
  MsgSnap,
  MsgSnapStatus,
  MsgTransferLeader,
  MsgVote,
  MsgVoteResp,
} from './message.js';
import type { Progress } from './progress.js';
import { ProgressTracker, type VoteResult } from './progress-tracker.js';
import { RaftLog } from './raft-log.js';
import { ReadOnly } from './read-only.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  ReadState,
  Snapshot,
  SoftState,
  StateType,
} from './types.js';
import { EMPTY_BYTES, hexId, isEmptyHardState, NONE, payloadsSize } from './types.js';

type CampaignType = 'preElection' | 'election' | 'transfer';

const EMPTY_ENTRY: Entry = { term: 0, index: 0, type: 'normal', data: EMPTY_BYTES };
// Shared empty results, frozen so that a caller writing into one fails loudly instead of corrupting others.
const EMPTY_MSGS = Object.freeze([]) as unknown as Message[];
const EMPTY_ENTRIES: readonly Entry[] = Object.freeze([]);
const EMPTY_READ_STATES = Object.freeze([]) as unknown as ReadState[];

/** What the driver persisted and applied from one Ready, handed back to {@link Raft.advance}. */
export interface AdvanceInfo {
  /** The last entry of `Ready.entries` (index 0: there were none). */
  readonly lastEntryIndex: number;
  readonly lastEntryTerm: number;
  /** The index of `Ready.snapshot` (0: none). */
  readonly snapshotIndex: number;
  /** The last index applied by this Ready: its last committed entry, else its snapshot (0: none). */
  readonly appliedIndex: number;
  /** The payload bytes of `Ready.committedEntries`. */
  readonly appliedSize: number;
}

/**
 * The Raft state machine (after etcd's `raft` struct): no I/O, no timers, no clock. Inputs are `tick()`,
 * `step(message)` and the local requests; outputs accumulate in the log's unstable tail, the outgoing
 * messages and the read states until the driver collects them through `RawNode.ready()`.
 *
 * Not exported from the package: the driver uses {@link RawNode}. Tests may drive it directly.
 *
 * Invariants: at most one leader per term (votes are persisted before being sent); a leader only appends to
 * its log; an entry is committed by counting only if it has the leader's current term (§5.4.2).
 */
export class Raft {
  readonly id: bigint;
  #term = 0;
  /** Who we voted for in `#term`, or NONE. */
  #vote: bigint = NONE;
  #state: StateType = 'follower';
  #lead: bigint = NONE;
  readonly #log: RaftLog;
  readonly #tracker: ProgressTracker;
  #isLearner = false;
  #msgs: Message[] = [];
  #readStates: ReadState[] = [];
  /** The member leadership is being handed to, or NONE. */
  #leadTransferee: bigint = NONE;
  /**
   * The log index of the latest conf change that may not be applied yet: a new one may only be proposed
   * once `applied >= #pendingConfIndex` (one change at a time; a new leader waits for its whole log).
   */
  #pendingConfIndex = 0;
  /** Payload bytes the leader appended and has not seen applied. */
  #uncommittedSize = 0;
  readonly #readOnly = new ReadOnly();
  /** Reads that arrived before this leader committed an entry of its term. */
  #pendingReadIndexMessages: MsgReadIndex[] = [];
  /** Ticks since the last election timeout reset (for a leader: since the last CheckQuorum). */
  #electionElapsed = 0;
  /** Ticks since the last heartbeat (leader only). */
  #heartbeatElapsed = 0;
  /** In [electionTicks, 2 × electionTicks), drawn at each reset. */
  #randomizedElectionTimeout = 0;
  readonly #opts: CompiledRaftOptions;
  readonly #logger: RaftLogger;
  readonly #hex: string;

  constructor(opts: CompiledRaftOptions) {
    this.id = opts.id;
    this.#opts = opts;
    this.#logger = opts.logger;
    this.#hex = hexId(opts.id);
    this.#log = new RaftLog(opts.storage, opts.logger, opts.maxCommittedSizePerReady);
    this.#tracker = new ProgressTracker(opts.maxInflightMsgs, opts.maxInflightBytes);
    const { hardState, confState } = opts.storage.initialState();
    this.#restoreConfig(confState);
    if (!isEmptyHardState(hardState)) this.#loadState(hardState);
    if (opts.applied > 0) this.#log.appliedTo(Math.max(opts.applied, this.#log.applied));
    this.#becomeFollower(this.#term, NONE);
    this.#logger.info(
      `newRaft ${this.#hex} [peers: [${this.#tracker.ids.map(hexId).join(',')}], term: ${this.#term}, commit: ${this.#log.committed}, applied: ${this.#log.applied}, lastindex: ${this.#log.lastIndex()}, lastterm: ${this.#log.lastTerm()}]`,
    );
  }

  get term(): number {
    return this.#term;
  }
  get vote(): bigint {
    return this.#vote;
  }
  get state(): StateType {
    return this.#state;
  }
  get lead(): bigint {
    return this.#lead;
  }
  get log(): RaftLog {
    return this.#log;
  }
  get tracker(): ProgressTracker {
    return this.#tracker;
  }
  get leadTransferee(): bigint {
    return this.#leadTransferee;
  }
  get isLearner(): boolean {
    return this.#isLearner;
  }
  get electionElapsed(): number {
    return this.#electionElapsed;
  }
  get randomizedElectionTimeout(): number {
    return this.#randomizedElectionTimeout;
  }
  get pendingConfIndex(): number {
    return this.#pendingConfIndex;
  }
  get uncommittedSize(): number {
    return this.#uncommittedSize;
  }

  softState(): SoftState {
    return { lead: this.#lead, raftState: this.#state };
  }

  hardState(): HardState {
    return { term: this.#term, vote: this.#vote, commit: this.#log.committed };
  }

  hasMessages(): boolean {
    return this.#msgs.length > 0;
  }

  hasReadStates(): boolean {
    return this.#readStates.length > 0;
  }

  /** Hands over the outgoing messages; they MUST be sent only AFTER the Ready they belong to is persisted. */
  takeMessages(): Message[] {
    if (this.#msgs.length === 0) return EMPTY_MSGS;
    const m = this.#msgs;
    this.#msgs = [];
    return m;
  }

  takeReadStates(): ReadState[] {
    if (this.#readStates.length === 0) return EMPTY_READ_STATES;
    const r = this.#readStates;
    this.#readStates = [];
    return r;
  }

  /**
   * Starts a brand-new cluster: the conf changes adding `peers` become entries 1..n of term 1, committed,
   * and the configuration takes them in at once (the application applies them again from the Ready, which
   * changes nothing). Every founding member MUST bootstrap with the same peers, in the same order.
   */
  bootstrap(peers: readonly bigint[], encode: (cc: ConfChange) => Uint8Array): void {
    this.#becomeFollower(1, NONE);
    const ents: Entry[] = peers.map((nodeId, i) => ({
      term: 1,
      index: i + 1,
      type: 'confChange',
      data: encode({ type: 'addNode', nodeId }),
    }));
    this.#log.append(ents);
    this.#log.commitTo(ents.length);
    for (const nodeId of peers) this.applyConfChange({ type: 'addNode', nodeId });
  }

  // ---- time ----

  /** One logical clock tick: the election timer (followers, candidates) or the heartbeat timer (leader). */
  tick(): void {
    if (this.#state === 'leader') this.#tickHeartbeat();
    else this.#tickElection();
  }

  #tickElection(): void {
    this.#electionElapsed++;
    if (this.#promotable() && this.#electionElapsed >= this.#randomizedElectionTimeout) {
      this.#electionElapsed = 0;
      this.#hup(this.#opts.preVote ? 'preElection' : 'election');
    }
  }

  #tickHeartbeat(): void {
    this.#heartbeatElapsed++;
    this.#electionElapsed++;
    if (this.#electionElapsed >= this.#opts.electionTicks) {
      this.#electionElapsed = 0;
      if (this.#opts.checkQuorum) this.#checkQuorum();
      if (this.#state === 'leader' && this.#leadTransferee !== NONE) {
        this.#logger.info(
          `${this.#hex} [term ${this.#term}] abort transferring leadership to ${hexId(this.#leadTransferee)}: election timeout`,
        );
        this.#abortLeaderTransfer();
      }
    }
    if (this.#state !== 'leader') return;
    if (this.#heartbeatElapsed >= this.#opts.heartbeatTicks) {
      this.#heartbeatElapsed = 0;
      this.#bcastHeartbeat();
    }
  }

  // ---- role transitions ----

  #reset(term: number): void {
    if (this.#term !== term) {
      this.#term = term;
      this.#vote = NONE;
    }
    this.#lead = NONE;
    this.#electionElapsed = 0;
    this.#heartbeatElapsed = 0;
    this.#randomizedElectionTimeout =
      this.#opts.electionTicks + this.#opts.rand.int(this.#opts.electionTicks);
    this.#abortLeaderTransfer();
    this.#tracker.resetVotes();
    const next = this.#log.lastIndex() + 1;
    const selfMatch = this.#log.lastStableIndex();
    for (const [id, pr] of this.#tracker.progress) pr.resetForNewTerm(id === this.id ? selfMatch : 0, next);
    this.#pendingConfIndex = 0;
    this.#uncommittedSize = 0;
    this.#readOnly.reset();
    this.#pendingReadIndexMessages = [];
  }

  #becomeFollower(term: number, lead: bigint): void {
    this.#reset(term);
    this.#lead = lead;
    this.#state = 'follower';
    this.#logger.info(`${this.#hex} became follower at term ${this.#term}`);
  }

  #becomePreCandidate(): void {
    if (this.#state === 'leader')
      throw new InvariantViolationError('Invalid transition [leader -> pre-candidate]');
    // Changes the role only: not the term, not the vote.
    this.#tracker.resetVotes();
    this.#lead = NONE;
    this.#state = 'preCandidate';
    this.#logger.info(`${this.#hex} became pre-candidate at term ${this.#term}`);
  }

  #becomeCandidate(): void {
    if (this.#state === 'leader')
      throw new InvariantViolationError('Invalid transition [leader -> candidate]');
    this.#reset(this.#term + 1);
    this.#vote = this.id;
    this.#state = 'candidate';
    this.#logger.info(`${this.#hex} became candidate at term ${this.#term}`);
  }

  #becomeLeader(): void {
    if (this.#state === 'follower')
      throw new InvariantViolationError('Invalid transition [follower -> leader]');
    this.#reset(this.#term);
    this.#lead = this.id;
    this.#state = 'leader';
    const pr = this.#tracker.progress.get(this.id);
    if (pr !== undefined) {
      pr.becomeReplicate();
      pr.recentActive = true;
    }
    // There may be an unapplied conf change anywhere in the log: allow none until all of it is applied.
    this.#pendingConfIndex = this.#log.lastIndex();
    // The empty entry of the new term: committing it commits everything before it (§5.4.2), and a leader
    // answers reads only once it did.
    this.#appendEntry([EMPTY_ENTRY]);
    this.#logger.info(`${this.#hex} became leader at term ${this.#term}`);
  }

  #promotable(): boolean {
    const pr = this.#tracker.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && this.#log.unstable.snapshot === null;
  }

  #abortLeaderTransfer(): void {
    this.#leadTransferee = NONE;
  }

  // ---- elections ----

  #hup(t: CampaignType): void {
    if (this.#state === 'leader') {
      this.#logger.debug(`${this.#hex} ignoring MsgHup because already leader`);
      return;
    }
    if (!this.#promotable()) {
      this.#logger.warn(`${this.#hex} is unpromotable and can not campaign`);
      return;
    }
    if (this.#hasUnappliedConfChanges()) {
      this.#logger.warn(
        `${this.#hex} cannot campaign at term ${this.#term} since there are still pending configuration changes to apply`,
      );
      return;
    }
    this.#logger.info(`${this.#hex} is starting a new election at term ${this.#term}`);
    this.#campaign(t);
  }

  #campaign(t: CampaignType): void {
    let term: number;
    let voteType: 'MsgVote' | 'MsgPreVote';
    if (t === 'preElection') {
      this.#becomePreCandidate();
      voteType = 'MsgPreVote';
      // Pre-votes ask for the next term without moving to it.
      term = this.#term + 1;
    } else {
      this.#becomeCandidate();
      voteType = 'MsgVote';
      term = this.#term;
    }
    const respType = voteType === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
    // Our own vote: the vote is in the hard state, which is persisted before any MsgVote leaves.
    if (this.#poll(this.id, respType, true).result === 'won') {
      if (t === 'preElection') this.#campaign('election');
      else {
        this.#becomeLeader();
        this.#bcastAppend();
      }
      return;
    }
    const index = this.#log.lastIndex();
    const logTerm = this.#log.lastTerm();
    const transfer = t === 'transfer';
    for (const id of this.#tracker.voters) {
      if (id === this.id) continue;
      this.#logger.info(
        `${this.#hex} [logterm: ${logTerm}, index: ${index}] sent ${voteType} request to ${hexId(id)} at term ${term}`,
      );
      this.#msgs.push({ type: voteType, to: id, from: this.id, term, index, logTerm, transfer });
    }
  }

  #poll(
    id: bigint,
    type: 'MsgVoteResp' | 'MsgPreVoteResp',
    granted: boolean,
  ): { granted: number; rejected: number; result: VoteResult } {
    if (granted) this.#logger.info(`${this.#hex} received ${type} from ${hexId(id)} at term ${this.#term}`);
    else this.#logger.info(`${this.#hex} received ${type} rejection from ${hexId(id)} at term ${this.#term}`);
    this.#tracker.recordVote(id, granted);
    return this.#tracker.tallyVotes();
  }

  #hasUnappliedConfChanges(): boolean {
    const log = this.#log;
    if (log.applied >= log.committed) return false;
    let i = Math.max(log.applied + 1, log.firstIndex());
    const hi = log.committed + 1;
    while (i < hi) {
      const ents = log.slice(i, hi, this.#opts.maxCommittedSizePerReady);
      if (ents === null || ents.length === 0) return false;
      for (const e of ents) if (e.type === 'confChange') return true;
      i += ents.length;
    }
    return false;
  }

  #handleVoteRequest(m: MsgVote | MsgPreVote): void {
    // We can vote if this is a repeat of a vote we cast, if we have not voted and know no leader in this
    // term, or if this is a pre-vote for a future term; and the candidate's log is at least as up to date.
    const canVote =
      this.#vote === m.from ||
      (this.#vote === NONE && this.#lead === NONE) ||
      (m.type === 'MsgPreVote' && m.term > this.#term);
    const respType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
    const lastIndex = this.#log.lastIndex();
    const lastTerm = this.#log.lastTerm();
    if (canVote && this.#log.isUpToDate(m.index, m.logTerm)) {
      this.#logger.info(
        `${this.#hex} [logterm: ${lastTerm}, index: ${lastIndex}, vote: ${hexId(this.#vote)}] cast ${m.type} for ${hexId(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.#term}`,
      );
      // A granted response carries the request's term (for a pre-vote, ahead of ours), so the
      // pre-candidate does not discard it as stale.
      this.#msgs.push({ type: respType, to: m.from, from: this.id, term: m.term, reject: false });
      if (m.type === 'MsgVote') {
        this.#electionElapsed = 0;
        this.#vote = m.from;
      }
    } else {
      this.#logger.info(
        `${this.#hex} [logterm: ${lastTerm}, index: ${lastIndex}, vote: ${hexId(this.#vote)}] rejected ${m.type} from ${hexId(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.#term}`,
      );
      this.#msgs.push({ type: respType, to: m.from, from: this.id, term: this.#term, reject: true });
    }
  }

  // ---- step ----

  /**
   * Handles one message: first by term (a higher term makes us a follower, a lower one is mostly
   * ignored), then by role.
   * @throws ProposalDroppedError, NotLeaderError for a local proposal or read that cannot be accepted
   */
  step(m: Message): void {
    if (m.term === 0) {
      // Local message, or a term-less forwarded proposal/read.
    } else if (m.term > this.#term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        const inLease =
          this.#opts.checkQuorum && this.#lead !== NONE && this.#electionElapsed < this.#opts.electionTicks;
        if (!m.transfer && inLease) {
          // §9.6 leader lease: we heard from a leader within the minimum election timeout.
          this.#logger.info(
            `${this.#hex} [logterm: ${this.#log.lastTerm()}, index: ${this.#log.lastIndex()}, vote: ${hexId(this.#vote)}] ignored ${m.type} from ${hexId(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.#term}: lease is not expired (remaining ticks: ${this.#opts.electionTicks - this.#electionElapsed})`,
          );
          return;
        }
      }
      if (m.type === 'MsgPreVote' || (m.type === 'MsgPreVoteResp' && !m.reject)) {
        // Pre-votes never change our term; a granted pre-vote response carries the term we campaign for.
      } else {
        this.#logger.info(
          `${this.#hex} [term: ${this.#term}] received a ${m.type} message with higher term from ${hexId(m.from)} [term: ${m.term}]`,
        );
        const fromLeader = m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap';
        this.#becomeFollower(m.term, fromLeader ? m.from : NONE);
      }
    } else if (m.term < this.#term) {
      if (
        (this.#opts.checkQuorum || this.#opts.preVote) &&
        (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')
      ) {
        // A leader of an older term (maybe we raised our term while partitioned and cannot win): answer with
        // our term so it steps down and a new election includes us.
        this.#msgs.push({
          type: 'MsgAppResp',
          to: m.from,
          from: this.id,
          term: this.#term,
          index: 0,
          reject: false,
          rejectHint: 0,
          logTerm: 0,
        });
      } else if (m.type === 'MsgPreVote') {
        this.#logger.info(
          `${this.#hex} [logterm: ${this.#log.lastTerm()}, index: ${this.#log.lastIndex()}, vote: ${hexId(this.#vote)}] rejected ${m.type} from ${hexId(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.#term}`,
        );
        this.#msgs.push({
          type: 'MsgPreVoteResp',
          to: m.from,
          from: this.id,
          term: this.#term,
          reject: true,
        });
      } else {
        this.#logger.debug(
          `${this.#hex} [term: ${this.#term}] ignored a ${m.type} message with lower term from ${hexId(m.from)} [term: ${m.term}]`,
        );
      }
      return;
    }

    switch (m.type) {
      case 'MsgHup':
        this.#hup(this.#opts.preVote ? 'preElection' : 'election');
        return;
      case 'MsgVote':
      case 'MsgPreVote':
        this.#handleVoteRequest(m);
        return;
      case 'MsgCheckQuorum':
        if (this.#state === 'leader') this.#checkQuorum();
        return;
      default:
        break;
    }
    switch (this.#state) {
      case 'leader':
        this.#stepLeader(m);
        return;
      case 'candidate':
      case 'preCandidate':
        this.#stepCandidate(m);
        return;
      case 'follower':
        this.#stepFollower(m);
        return;
    }
  }

  /** Refuses a proposal or read: throws for a local request, logs and drops a forwarded one. */
  #drop(m: MsgProp | MsgReadIndex, reason: ProposalDropReason, message: string): void {
    if (m.from === this.id || m.from === NONE) throw new ProposalDroppedError(reason, message);
    this.#logger.debug(`${this.#hex} dropped ${m.type} from ${hexId(m.from)}: ${message}`);
  }

  // ---- leader ----

  #stepLeader(m: Message): void {
    switch (m.type) {
      case 'MsgBeat':
        this.#bcastHeartbeat();
        return;
      case 'MsgProp':
        this.#leaderPropose(m);
        return;
      case 'MsgReadIndex':
        this.#leaderReadIndex(m);
        return;
      default:
        break;
    }
    const pr = this.#tracker.progress.get(m.from);
    if (pr === undefined) {
      this.#logger.debug(`${this.#hex} no progress available for ${hexId(m.from)}`);
      return;
    }
    switch (m.type) {
      case 'MsgAppResp':
        this.#handleAppendResponse(m, pr);
        return;
      case 'MsgHeartbeatResp':
        this.#handleHeartbeatResponse(m, pr);
        return;
      case 'MsgSnapStatus':
        this.#handleSnapStatus(m, pr);
        return;
      case 'MsgUnreachable':
        // An optimistic MsgApp was probably lost: probe again.
        if (pr.state === 'replicate') pr.becomeProbe();
        this.#logger.debug(
          `${this.#hex} failed to send message to ${hexId(m.from)} because it is unreachable [${pr.toString()}]`,
        );
        return;
      case 'MsgTransferLeader':
        this.#handleTransferLeader(m, pr);
        return;
      default:
        return;
    }
  }

  #checkQuorum(): void {
    if (!this.#tracker.quorumActive(this.id)) {
      this.#logger.warn(`${this.#hex} stepped down to follower since quorum is not active`);
      this.#becomeFollower(this.#term, NONE);
    }
    // Everyone but us counts as inactive until heard from again.
    for (const [id, pr] of this.#tracker.progress) if (id !== this.id) pr.recentActive = false;
  }

  #leaderPropose(m: MsgProp): void {
    if (m.entries.length === 0) throw new InvariantViolationError(`${this.#hex} stepped empty MsgProp`);
    if (!this.#tracker.progress.has(this.id)) {
      this.#drop(m, 'not-a-member', `Cannot propose on ${this.#hex}: removed from the configuration`);
      return;
    }
    if (this.#leadTransferee !== NONE) {
      this.#drop(
        m,
        'transferring-leadership',
        `Cannot propose on ${this.#hex}: transferring leadership to ${hexId(this.#leadTransferee)} at term ${this.#term}`,
      );
      return;
    }
    let pendingConf = 0;
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i] as Entry;
      if (e.type !== 'confChange') continue;
      if (this.#pendingConfIndex > this.#log.applied || pendingConf > 0) {
        this.#drop(
          m,
          'conf-change-pending',
          `Cannot propose conf change: possible unapplied conf change at index ${Math.max(this.#pendingConfIndex, pendingConf)} (applied to ${this.#log.applied})`,
        );
        return;
      }
      const problem = this.#checkConfChange(e.data);
      if (problem !== null) {
        this.#drop(m, 'invalid-conf-change', `Cannot propose conf change: ${problem}`);
        return;
      }
      pendingConf = this.#log.lastIndex() + i + 1;
    }
    if (!this.#appendEntry(m.entries)) {
      this.#drop(
        m,
        'uncommitted-size-limit',
        `Cannot propose on ${this.#hex}: uncommitted entries exceed ${this.#opts.maxUncommittedEntriesSize} bytes`,
      );
      return;
    }
    if (pendingConf > 0) this.#pendingConfIndex = pendingConf;
    this.#bcastAppend();
  }

  /** Null when `data` is a conf change valid against the current configuration, else why it is not. */
  #checkConfChange(data: Uint8Array): string | null {
    let cc: ConfChange;
    try {
      cc = decodeConfChange(data);
    } catch (err) {
      return (err as Error).message;
    }
    if (cc.nodeId === NONE) return 'node id must not be 0';
    const pr = this.#tracker.progress.get(cc.nodeId);
    const who = hexId(cc.nodeId);
    switch (cc.type) {
      case 'addNode':
        return pr !== undefined && !pr.isLearner ? `${who} is already a voter` : null;
      case 'addLearnerNode':
        if (pr === undefined) return null;
        return pr.isLearner
          ? `${who} is already a learner`
          : `${who} is a voter; demoting a voter is not supported`;
      case 'removeNode':
        if (pr === undefined) return `${who} is not a member`;
        return !pr.isLearner && this.#tracker.voters.length === 1 ? `${who} is the last voter` : null;
    }
  }

  #appendEntry(ents: readonly Entry[]): boolean {
    const size = payloadsSize(ents);
    const max = this.#opts.maxUncommittedEntriesSize;
    if (max > 0 && size > 0 && this.#uncommittedSize > 0 && this.#uncommittedSize + size > max) {
      this.#logger.warn(
        `${this.#hex} appending new entries to log would exceed uncommitted entry size limit; dropping proposal`,
      );
      return false;
    }
    this.#uncommittedSize += size;
    const li = this.#log.lastIndex();
    const out = new Array<Entry>(ents.length);
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i] as Entry;
      out[i] = { term: this.#term, index: li + 1 + i, type: e.type, data: e.data };
    }
    // The leader counts its own entries once they are persisted (see advance()).
    this.#log.append(out);
    return true;
  }

  #leaderReadIndex(m: MsgReadIndex): void {
    if (this.#tracker.isSingleton()) {
      this.#respondToReadIndex(m, this.#log.committed);
      return;
    }
    // A new leader does not know the commit index until it committed an entry of its term (§6.4).
    if (!this.#committedEntryInCurrentTerm()) {
      this.#pendingReadIndexMessages.push(m);
      return;
    }
    this.#readOnly.addRequest(this.#log.committed, m);
    this.#readOnly.recvAck(this.id, m.context);
    this.#bcastHeartbeatWithCtx(m.context);
  }

  #committedEntryInCurrentTerm(): boolean {
    return this.#log.term(this.#log.committed) === this.#term;
  }

  #releasePendingReadIndexMessages(): void {
    const pending = this.#pendingReadIndexMessages;
    if (pending.length === 0 || !this.#committedEntryInCurrentTerm()) return;
    this.#pendingReadIndexMessages = [];
    if (this.#tracker.isSingleton()) {
      for (const m of pending) this.#respondToReadIndex(m, this.#log.committed);
      return;
    }
    for (const m of pending) {
      this.#readOnly.addRequest(this.#log.committed, m);
      this.#readOnly.recvAck(this.id, m.context);
    }
    // One round confirms them all: the last context's quorum releases the earlier ones.
    this.#bcastHeartbeatWithCtx((pending[pending.length - 1] as MsgReadIndex).context);
  }

  #respondToReadIndex(req: MsgReadIndex, index: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.#readStates.push({ index, requestCtx: req.context });
      return;
    }
    this.#msgs.push({
      type: 'MsgReadIndexResp',
      to: req.from,
      from: this.id,
      term: this.#term,
      index,
      context: req.context,
    });
  }

  #handleAppendResponse(m: MsgAppResp, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      this.#logger.debug(
        `${this.#hex} received MsgAppResp(rejected, hint: (index ${m.rejectHint}, term ${m.logTerm})) from ${hexId(m.from)} for index ${m.index}`,
      );
      if (pr.state === 'replicate' && m.rejectHint < pr.match) {
        // The follower matched our log up to `match` when it sent this, it would hint at least that far:
        // the rejection predates our latest knowledge (a reordered or duplicated message). Ignore it.
        return;
      }
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0) {
        // Skip every entry of ours with a term above the follower's at the hint: they cannot match.
        nextProbeIdx = this.#log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      }
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        this.#logger.debug(`${this.#hex} decreased progress of ${hexId(m.from)} to [${pr.toString()}]`);
        if (pr.state === 'replicate') pr.becomeProbe();
        this.#sendAppend(m.from, pr);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    // An acknowledgement of `match` itself answers an empty probe (the follower is caught up); while a probe
    // carrying entries is outstanding it is a stale duplicate, and acting on it would make the follower flap
    // between probe and replicate, re-sending whole windows.
    if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === 'probe' && !oldPaused)) return;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match + 1 >= this.#log.firstIndex()) {
      // The follower caught up past our first index (by the snapshot or otherwise): entries reach it again.
      this.#logger.debug(
        `${this.#hex} recovered from needing snapshot, resumed sending replication messages to ${hexId(m.from)} [${pr.toString()}]`,
      );
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);

    if (this.#maybeCommit()) {
      this.#releasePendingReadIndexMessages();
      this.#bcastAppend();
    } else if (oldPaused) {
      // It may be missing our latest commit index.
      this.#sendAppend(m.from, pr);
    }
    // The window may have room for several messages now.
    while (this.#maybeSendAppend(m.from, pr, false)) {}
    if (m.from === this.#leadTransferee && pr.match === this.#log.lastIndex()) {
      this.#logger.info(`${this.#hex} sent MsgTimeoutNow to ${hexId(m.from)} after received MsgAppResp`);
      this.#sendTimeoutNow(m.from);
    }
  }

  #handleHeartbeatResponse(m: MsgHeartbeatResp, pr: Progress): void {
    pr.recentActive = true;
    pr.msgAppFlowPaused = false;
    // Lets a follower whose MsgApps were all lost (full window) or that is probing make progress again.
    if (pr.match < this.#log.lastIndex() || pr.state === 'probe') this.#sendAppend(m.from, pr);
    if (m.context === null || m.context.length === 0) return;
    if (this.#tracker.voteResult(this.#readOnly.recvAck(m.from, m.context)) !== 'won') return;
    for (const rs of this.#readOnly.advance(m.context)) this.#respondToReadIndex(rs.req, rs.index);
  }

  #handleSnapStatus(m: MsgSnapStatus, pr: Progress): void {
    if (pr.state !== 'snapshot') return;
    if (!m.reject) {
      pr.becomeProbe();
      this.#logger.debug(
        `${this.#hex} snapshot succeeded, resumed sending replication messages to ${hexId(m.from)} [${pr.toString()}]`,
      );
    } else {
      // Forget the snapshot first, or we would probe from its index though it was never applied.
      pr.pendingSnapshot = 0;
      pr.becomeProbe();
      this.#logger.debug(
        `${this.#hex} snapshot failed, resumed sending replication messages to ${hexId(m.from)} [${pr.toString()}]`,
      );
    }
    // Wait for the follower's MsgAppResp (or, after a failure, a heartbeat interval) before sending more.
    pr.msgAppFlowPaused = true;
  }

  #handleTransferLeader(m: MsgTransferLeader, pr: Progress): void {
    const transferee = m.from;
    if (pr.isLearner) {
      this.#logger.debug(`${this.#hex} is learner. Ignored transferring leadership`);
      return;
    }
    if (this.#leadTransferee !== NONE) {
      if (this.#leadTransferee === transferee) {
        this.#logger.info(
          `${this.#hex} [term ${this.#term}] transfer leadership to ${hexId(transferee)} is in progress, ignores request to same node ${hexId(transferee)}`,
        );
        return;
      }
      this.#logger.info(
        `${this.#hex} [term ${this.#term}] abort previous transferring leadership to ${hexId(this.#leadTransferee)}`,
      );
      this.#abortLeaderTransfer();
    }
    if (transferee === this.id) {
      this.#logger.debug(`${this.#hex} is already leader. Ignored transferring leadership to self`);
      return;
    }
    this.#logger.info(
      `${this.#hex} [term ${this.#term}] starts to transfer leadership to ${hexId(transferee)}`,
    );
    // The transfer must finish within an election timeout, or it is aborted.
    this.#electionElapsed = 0;
    this.#leadTransferee = transferee;
    if (pr.match === this.#log.lastIndex()) {
      this.#sendTimeoutNow(transferee);
      this.#logger.info(
        `${this.#hex} sends MsgTimeoutNow to ${hexId(transferee)} immediately as ${hexId(transferee)} already has up-to-date log`,
      );
    } else {
      this.#sendAppend(transferee, pr);
    }
  }

  #sendTimeoutNow(to: bigint): void {
    this.#msgs.push({ type: 'MsgTimeoutNow', to, from: this.id, term: this.#term });
  }

  #maybeCommit(): boolean {
    return this.#log.maybeCommit(this.#tracker.committed(), this.#term);
  }

  #bcastAppend(): void {
    const ids = this.#tracker.ids;
    const prs = this.#tracker.idProgress;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as bigint;
      if (id !== this.id) this.#maybeSendAppend(id, prs[i] as Progress, true);
    }
  }

  #sendAppend(to: bigint, pr: Progress): void {
    this.#maybeSendAppend(to, pr, true);
  }

  /**
   * Sends `to` the entries from its `next` on (or an empty MsgApp carrying the commit index when
   * `sendIfEmpty`), or a snapshot when they were compacted. Returns whether a message was sent.
   */
  #maybeSendAppend(to: bigint, pr: Progress, sendIfEmpty: boolean): boolean {
    if (pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.#log.term(prevIndex);
    if (prevTerm < 0) return this.#maybeSendSnapshot(to, pr);
    let ents: readonly Entry[] = EMPTY_ENTRIES;
    // With a full window send only empty MsgApps: if every message in it was lost, an empty one still
    // gets through and its answer clears the window.
    if (pr.state !== 'replicate' || !pr.inflights.full()) {
      const got = this.#log.entries(pr.next, this.#opts.maxSizePerMsg);
      if (got === null) return this.#maybeSendSnapshot(to, pr);
      ents = got;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.#msgs.push({
      type: 'MsgApp',
      to,
      from: this.id,
      term: this.#term,
      index: prevIndex,
      logTerm: prevTerm,
      entries: ents,
      commit: this.#log.committed,
    });
    pr.sentEntries(ents.length, ents.length === 0 ? 0 : payloadsSize(ents));
    return true;
  }

  #maybeSendSnapshot(to: bigint, pr: Progress): boolean {
    if (!pr.recentActive) {
      this.#logger.debug(`ignore sending snapshot to ${hexId(to)} since it is not recently active`);
      return false;
    }
    let snapshot: Snapshot;
    try {
      snapshot = this.#log.snapshot();
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_RAFT_SNAPSHOT_TEMPORARILY_UNAVAILABLE') {
        this.#logger.debug(
          `${this.#hex} failed to send snapshot to ${hexId(to)} because snapshot is temporarily unavailable`,
        );
        return false;
      }
      throw err;
    }
    const { index, term, confState } = snapshot.metadata;
    if (index === 0)
      throw new InvariantViolationError(`${this.#hex} needs a non-empty snapshot to send to ${hexId(to)}`);
    if (!confState.voters.includes(to) && !confState.learners.includes(to)) {
      // The member joined after this snapshot was taken: it would refuse it. Wait for a newer one.
      this.#logger.debug(
        `${this.#hex} cannot send snapshot [index: ${index}, term: ${term}] to ${hexId(to)}: not in its configuration; waiting for a newer snapshot`,
      );
      return false;
    }
    this.#logger.debug(
      `${this.#hex} [firstindex: ${this.#log.firstIndex()}, commit: ${this.#log.committed}] sent snapshot[index: ${index}, term: ${term}] to ${hexId(to)} [${pr.toString()}]`,
    );
    pr.becomeSnapshot(index);
    this.#msgs.push({ type: 'MsgSnap', to, from: this.id, term: this.#term, snapshot });
    return true;
  }

  #bcastHeartbeat(): void {
    this.#bcastHeartbeatWithCtx(this.#readOnly.lastPendingRequestCtx());
  }

  #bcastHeartbeatWithCtx(ctx: Uint8Array | null): void {
    const ids = this.#tracker.ids;
    const prs = this.#tracker.idProgress;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as bigint;
      if (id === this.id) continue;
      // Never more than the follower matches: it might not have our committed entries yet.
      const commit = Math.min((prs[i] as Progress).match, this.#log.committed);
      this.#msgs.push({
        type: 'MsgHeartbeat',
        to: id,
        from: this.id,
        term: this.#term,
        commit,
        context: ctx,
      });
    }
  }

  // ---- candidate ----

  #stepCandidate(m: Message): void {
    switch (m.type) {
      case 'MsgProp':
        this.#drop(m, 'no-leader', `Cannot propose on ${this.#hex}: no leader at term ${this.#term}`);
        return;
      case 'MsgReadIndex':
        this.#drop(m, 'no-leader', `Cannot read on ${this.#hex}: no leader at term ${this.#term}`);
        return;
      case 'MsgApp':
        this.#becomeFollower(m.term, m.from);
        this.#handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.#becomeFollower(m.term, m.from);
        this.#handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.#becomeFollower(m.term, m.from);
        this.#handleSnapshot(m);
        return;
      case 'MsgVoteResp':
      case 'MsgPreVoteResp':
        this.#handleVoteResponse(m);
        return;
      case 'MsgTimeoutNow':
        this.#logger.debug(
          `${this.#hex} [term ${this.#term} state ${this.#state}] ignored MsgTimeoutNow from ${hexId(m.from)}`,
        );
        return;
      default:
        return;
    }
  }

  #handleVoteResponse(m: MsgVoteResp | MsgPreVoteResp): void {
    // A candidate may still receive stale pre-vote responses from its pre-candidacy: ignore them.
    const mine = this.#state === 'preCandidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    if (m.type !== mine) return;
    const { granted, rejected, result } = this.#poll(m.from, m.type, !m.reject);
    this.#logger.info(`${this.#hex} has received ${granted} ${m.type} votes and ${rejected} vote rejections`);
    if (result === 'won') {
      if (this.#state === 'preCandidate') this.#campaign('election');
      else {
        this.#becomeLeader();
        this.#bcastAppend();
      }
    } else if (result === 'lost') {
      // A pre-vote response may carry our future term: stay at ours.
      this.#becomeFollower(this.#term, NONE);
    }
  }

  // ---- follower ----

  #stepFollower(m: Message): void {
    switch (m.type) {
      case 'MsgProp':
        if (this.#lead === NONE) {
          this.#drop(m, 'no-leader', `Cannot propose on ${this.#hex}: no leader at term ${this.#term}`);
          return;
        }
        if (this.#opts.disableProposalForwarding) {
          if (m.from === this.id || m.from === NONE)
            throw new NotLeaderError(
              this.#lead,
              `Cannot propose on ${this.#hex}: not the leader, ${hexId(this.#lead)} leads term ${this.#term}`,
            );
          return;
        }
        this.#msgs.push({ type: 'MsgProp', to: this.#lead, from: m.from, term: 0, entries: m.entries });
        return;
      case 'MsgApp':
        this.#electionElapsed = 0;
        this.#lead = m.from;
        this.#handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.#electionElapsed = 0;
        this.#lead = m.from;
        this.#handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.#electionElapsed = 0;
        this.#lead = m.from;
        this.#handleSnapshot(m);
        return;
      case 'MsgTransferLeader':
        if (this.#lead === NONE) {
          this.#logger.info(`${this.#hex} no leader at term ${this.#term}; dropping leader transfer msg`);
          return;
        }
        this.#msgs.push({ type: 'MsgTransferLeader', to: this.#lead, from: m.from, term: this.#term });
        return;
      case 'MsgTimeoutNow':
        this.#logger.info(
          `${this.#hex} [term ${this.#term}] received MsgTimeoutNow from ${hexId(m.from)} and starts an election to get leadership`,
        );
        // A transfer skips pre-vote: we are not recovering from a partition.
        this.#hup('transfer');
        return;
      case 'MsgReadIndex':
        if (this.#lead === NONE) {
          this.#drop(m, 'no-leader', `Cannot read on ${this.#hex}: no leader at term ${this.#term}`);
          return;
        }
        this.#msgs.push({ type: 'MsgReadIndex', to: this.#lead, from: m.from, term: 0, context: m.context });
        return;
      case 'MsgReadIndexResp':
        this.#readStates.push({ index: m.index, requestCtx: m.context });
        return;
      default:
        return;
    }
  }

  #handleAppendEntries(m: MsgApp): void {
    if (m.index < this.#log.committed) {
      this.#msgs.push({
        type: 'MsgAppResp',
        to: m.from,
        from: this.id,
        term: this.#term,
        index: this.#log.committed,
        reject: false,
        rejectHint: 0,
        logTerm: 0,
      });
      return;
    }
    const lastNew = this.#log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew >= 0) {
      this.#msgs.push({
        type: 'MsgAppResp',
        to: m.from,
        from: this.id,
        term: this.#term,
        index: lastNew,
        reject: false,
        rejectHint: 0,
        logTerm: 0,
      });
      return;
    }
    this.#logger.debug(
      `${this.#hex} [logterm: ${this.#log.term(m.index)}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${hexId(m.from)}`,
    );
    // Hint where our logs may last agree: the last entry at or below m.index with a term <= m.logTerm, so the
    // leader skips our whole uncommitted tail of later terms at once.
    const hint = this.#log.findConflictByTerm(Math.min(m.index, this.#log.lastIndex()), m.logTerm);
    this.#msgs.push({
      type: 'MsgAppResp',
      to: m.from,
      from: this.id,
      term: this.#term,
      index: m.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    });
  }

  #handleHeartbeat(m: MsgHeartbeat): void {
    this.#log.commitTo(m.commit);
    this.#msgs.push({
      type: 'MsgHeartbeatResp',
      to: m.from,
      from: this.id,
      term: this.#term,
      context: m.context,
    });
  }

  #handleSnapshot(m: MsgSnap): void {
    const { index, term } = m.snapshot.metadata;
    let last: number;
    if (this.#restore(m.snapshot)) {
      this.#logger.info(
        `${this.#hex} [commit: ${this.#log.committed}] restored snapshot [index: ${index}, term: ${term}]`,
      );
      last = this.#log.lastIndex();
    } else {
      this.#logger.info(
        `${this.#hex} [commit: ${this.#log.committed}] ignored snapshot [index: ${index}, term: ${term}]`,
      );
      last = this.#log.committed;
    }
    this.#msgs.push({
      type: 'MsgAppResp',
      to: m.from,
      from: this.id,
      term: this.#term,
      index: last,
      reject: false,
      rejectHint: 0,
      logTerm: 0,
    });
  }

  /** Installs `s` unless our log already covers it; returns whether it replaced the log. */
  #restore(s: Snapshot): boolean {
    const { index, term, confState } = s.metadata;
    if (index <= this.#log.committed) return false;
    if (this.#state !== 'follower') {
      this.#logger.warn(`${this.#hex} attempted to restore snapshot as leader; should never happen`);
      this.#becomeFollower(this.#term + 1, NONE);
      return false;
    }
    if (!confState.voters.includes(this.id) && !confState.learners.includes(this.id)) {
      this.#logger.warn(
        `${this.#hex} attempted to restore snapshot but it is not in the ConfState ${JSON.stringify(confState, (_k, v: unknown) => (typeof v === 'bigint' ? hexId(v) : v))}; should never happen`,
      );
      return false;
    }
    if (this.#log.matchTerm(index, term)) {
      // We already have the snapshot's last entry: just move the commit index.
      this.#logger.info(
        `${this.#hex} [commit: ${this.#log.committed}, lastindex: ${this.#log.lastIndex()}, lastterm: ${this.#log.lastTerm()}] fast-forwarded commit to snapshot [index: ${index}, term: ${term}]`,
      );
      this.#log.commitTo(index);
      return false;
    }
    this.#log.restore(s);
    this.#restoreConfig(confState);
    this.#logger.info(`${this.#hex} switched to configuration ${this.#tracker.toString()}`);
    return true;
  }

  // ---- membership ----

  #restoreConfig(cs: ConfState): void {
    this.#tracker.clear();
    const next = this.#log.lastIndex();
    for (const id of cs.voters) this.#tracker.addVoter(id, next);
    for (const id of cs.learners) this.#tracker.addLearner(id, next);
    this.#isLearner = this.#tracker.progress.get(this.id)?.isLearner ?? false;
  }

  /**
   * Applies a committed conf change (one server at a time) and returns the new membership. A change that
   * does nothing (adding a member twice, removing a non-member) or that is refused (demoting a voter,
   * removing the last voter) leaves the membership as it was, identically on every node.
   */
  applyConfChange(cc: ConfChange): ConfState {
    const id = cc.nodeId;
    const next = this.#log.lastIndex();
    if (id === NONE) {
      this.#logger.warn(`${this.#hex} ignored conf change ${describeConfChange(cc)}: node id 0`);
    } else if (cc.type === 'addNode') {
      this.#tracker.addVoter(id, next);
    } else if (cc.type === 'addLearnerNode') {
      if (this.#tracker.isVoter(id))
        this.#logger.warn(
          `${this.#hex} ignored conf change ${describeConfChange(cc)}: cannot demote a voter`,
        );
      else this.#tracker.addLearner(id, next);
    } else if (this.#tracker.isVoter(id) && this.#tracker.voters.length === 1) {
      this.#logger.warn(
        `${this.#hex} ignored conf change ${describeConfChange(cc)}: cannot remove the last voter`,
      );
    } else {
      this.#tracker.remove(id);
    }
    return this.#switchToConfig();
  }

  #switchToConfig(): ConfState {
    this.#logger.info(`${this.#hex} switched to configuration ${this.#tracker.toString()}`);
    const cs = this.#tracker.confState();
    const pr = this.#tracker.progress.get(this.id);
    this.#isLearner = pr?.isLearner ?? false;
    if ((pr === undefined || this.#isLearner) && this.#state === 'leader') {
      if (this.#opts.stepDownOnRemoval) {
        // Hand over to the most caught-up voter, so the cluster does not wait out an election timeout.
        let best = NONE;
        let bestMatch = -1;
        for (const vid of this.#tracker.voters) {
          const match = (this.#tracker.progress.get(vid) as Progress).match;
          if (match > bestMatch) {
            best = vid;
            bestMatch = match;
          }
        }
        if (best !== NONE && bestMatch === this.#log.lastIndex()) {
          this.#logger.info(`${this.#hex} sent MsgTimeoutNow to ${hexId(best)} after being removed`);
          this.#sendTimeoutNow(best);
        }
        this.#becomeFollower(this.#term, NONE);
      }
      return cs;
    }
    if (this.#state !== 'leader' || cs.voters.length === 0) return cs;
    if (this.#maybeCommit()) {
      // Fewer voters may commit more.
      this.#releasePendingReadIndexMessages();
      this.#bcastAppend();
    } else {
      // Probe the new members at once rather than at the next heartbeat.
      for (const id of this.#tracker.ids) {
        if (id !== this.id) this.#maybeSendAppend(id, this.#tracker.progress.get(id) as Progress, false);
      }
    }
    if (this.#leadTransferee !== NONE && !this.#tracker.isVoter(this.#leadTransferee))
      this.#abortLeaderTransfer();
    return cs;
  }

  // ---- persistence ----

  #loadState(hs: HardState): void {
    if (hs.commit > this.#log.lastIndex())
      throw new InvariantViolationError(
        `${this.#hex} state.commit ${hs.commit} is out of range [${this.#log.committed}, ${this.#log.lastIndex()}]`,
      );
    // A commit below the snapshot (the snapshot was persisted, the hard state after it was not) is
    // superseded by the snapshot, which holds only committed state.
    this.#log.commitTo(hs.commit);
    this.#term = hs.term;
    this.#vote = hs.vote;
  }

  /** The driver persisted and applied a Ready (see {@link AdvanceInfo}). */
  advance(info: AdvanceInfo): void {
    if (info.appliedIndex > 0) {
      this.#log.appliedTo(info.appliedIndex);
      this.#uncommittedSize =
        info.appliedSize > this.#uncommittedSize ? 0 : this.#uncommittedSize - info.appliedSize;
    }
    if (info.lastEntryIndex > 0 && this.#log.stableTo(info.lastEntryIndex, info.lastEntryTerm)) {
      if (this.#state === 'leader') {
        // The leader's own acknowledgement: its entries count towards the quorum once they are durable.
        const pr = this.#tracker.progress.get(this.id);
        if (pr?.maybeUpdate(info.lastEntryIndex) && this.#maybeCommit()) {
          this.#releasePendingReadIndexMessages();
          this.#bcastAppend();
        }
      }
    }
    if (info.snapshotIndex > 0) this.#log.stableSnapTo(info.snapshotIndex);
  }
}
