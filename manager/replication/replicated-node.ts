import type { Logger, Timer } from '../../common/index.js';
import { IllegalStateError } from '../../common/index.js';
import {
  type ConfChange,
  type ConfState,
  decodeConfChange,
  describeConfChange,
  type Entry,
  hexId,
  isRecoverableRaftError,
  NONE,
  NotLeaderError as RaftNotLeaderError,
  ProposalDroppedError as RaftProposalDroppedError,
  RawNode,
  type ReadState,
  type Snapshot,
  SnapshotOutOfDateError,
  type SoftState,
  type StateType,
  StepPeerNotFoundError,
} from '../raft/index.js';
import {
  type DropReason,
  MembershipError,
  NotLeaderError,
  ProposalDroppedError,
  ReplicationTimeoutError,
  StoppedError,
  type TimedOperation,
} from './errors.js';
import { encodeMemberContext, Membership } from './membership.js';
import {
  type CompiledReplicatedNodeOptions,
  checkMemberId,
  compileReplicatedNodeOptions,
  type ReplicatedNodeOptions,
} from './options.js';
import { RaftStorage } from './raft-storage.js';
import { DiskStorage, WalFailedError } from './storage/index.js';
import { parseHostPort, RaftTransport } from './transport/index.js';

/**
 * The lifecycle of a node: `new` until `run()`, `starting` while the storage is recovered and the
 * transport binds, `running`, then `stopping` and `stopped` after `stop()`, or `failed` after a fatal error
 * (a damaged WAL at start, a failed write, a broken raft invariant, a state machine that threw).
 */
export type ReplicatedNodeState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Who leads, as this member sees it. */
export interface LeaderInfo {
  /** The leader's id, or null when this member knows none (an election is under way). */
  readonly leaderId: bigint | null;
  /** The leader's raft address, or null when unknown. */
  readonly leaderAddress: string | null;
  /** Whether this member is the leader. */
  readonly isLeader: boolean;
  readonly term: number;
}

/** What a node tells its listeners ({@link ReplicatedNode.subscribe}). */
export type ReplicationEvent =
  | ({ readonly kind: 'leader' } & LeaderInfo)
  /** This member's removal was applied: it no longer takes part; stop it. */
  | { readonly kind: 'removed' };

/** One member, as this node sees the membership. */
export interface MemberStatus {
  readonly id: bigint;
  readonly address: string | null;
  readonly role: 'voter' | 'learner';
  /** The highest index known replicated to it (on the leader only; null elsewhere). */
  readonly match: number | null;
  /**
   * Ms since this member last received a message from it: a leader hears each follower every tick, so
   * a long silence means it is down or cut off. Null for this member and for a peer never heard from.
   */
  readonly silentMs: number | null;
}

/** A node's state at a glance (cheap enough for a health endpoint). */
export interface ReplicatedNodeStatus extends LeaderInfo {
  readonly id: bigint;
  readonly state: ReplicatedNodeState;
  /** This member's raft address (null before the transport is bound). */
  readonly address: string | null;
  readonly role: StateType;
  readonly commit: number;
  /** The index the state machine has applied. Invariant: applied <= commit. */
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** The index of the newest durable snapshot (0: none). */
  readonly snapshotIndex: number;
  readonly members: readonly MemberStatus[];
  /** Ids removed from the cluster; they are never reused. */
  readonly removedIds: readonly bigint[];
  /** Whether this member's own removal was applied. */
  readonly isRemoved: boolean;
  /** Snapshots this node took of its state machine since it started. */
  readonly snapshotsTaken: number;
  /** Snapshots this node received from a leader and restored since it started. */
  readonly snapshotsInstalled: number;
}

interface Deferred {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** A proposal (or conf change) in the leader's log at `index`, term `term`, awaiting its application. */
interface PendingProposal extends Deferred {
  readonly term: number;
  readonly op: 'propose' | 'conf-change';
  readonly deadline: number;
}

interface PendingRead extends Deferred {
  readonly deadline: number;
}

interface PendingTransfer extends Deferred {
  readonly to: bigint;
  readonly deadline: number;
}

interface Watcher extends Deferred {
  /** true: done; false: keep waiting; an error: give up with it. */
  readonly check: () => boolean | Error;
  readonly deadline: number;
  readonly op: TimedOperation;
  readonly timeoutMs: number;
}

/**
 * A member of a replicated state machine: drives the pure raft core ({@link RawNode}) with ticks from the
 * injected clock, the peers' messages from the {@link RaftTransport} and the caller's requests, and runs
 * the Ready loop of raft's contract (README.md):
 *
 * 1. persist the Ready's snapshot, entries and hard state with ONE fsync ({@link DiskStorage.persist}),
 *    awaited BEFORE anything else;
 * 2. then send its messages;
 * 3. apply the snapshot and the committed entries in order (conf changes to raft, to the membership and
 *    to the transport's peers), settling the proposals they answer;
 * 4. serve the reads whose index is applied; `advance()`.
 *
 * Proposals that arrive while a Ready is being persisted go into the next one: the work of many proposals
 * shares each fsync. Every 10,000 applied entries (`snapshotEntries`) the state machine is snapshotted and
 * the log compacted, keeping `logTailEntries` for slow followers; a follower behind the first index gets
 * the snapshot through the transport.
 *
 * Requests are served by the leader: on a follower {@link propose} and the membership calls reject with
 * {@link NotLeaderError} naming the leader (the control plane forwards at the RPC level). {@link readIndex}
 * works on any member (raft forwards it). Every promise settles: with the result, or {@link NotLeaderError},
 * {@link ProposalDroppedError}, {@link ReplicationTimeoutError}, {@link StoppedError}.
 *
 * @example
 * ```ts
 * const node = new ReplicatedNode({ id: 1n, dir, listenAddress: '127.0.0.1:4242', stateMachine, members });
 * const done = node.run(); // resolves after stop(), rejects with a fatal error
 * await node.whenStarted();
 * const result = await node.propose(bytes); // on the leader
 * await node.readIndex(); // then read the state machine: linearizable
 * await node.stop();
 * ```
 */
export class ReplicatedNode<R = unknown> {
  readonly id: bigint;
  readonly #o: CompiledReplicatedNodeOptions<R>;
  readonly #log: Logger;
  readonly #membership: Membership;
  #state: ReplicatedNodeState = 'new';
  #storage: DiskStorage | null = null;
  #raw: RawNode | null = null;
  #transport: RaftTransport | null = null;
  /** Peers the transport was given (everyone in the address book but this member). */
  readonly #peerIds = new Set<bigint>();
  #address: string | null = null;

  // lifecycle
  #running: Promise<void> | null = null;
  #started: Promise<void>;
  #startedSettle!: { resolve(): void; reject(err: unknown): void };
  #stopping: Promise<void> | null = null;
  #fatal: unknown = null;
  #loopDone: Promise<void> = Promise.resolve();
  #tickTimer: Timer | null = null;
  #wake: (() => void) | null = null;
  #wakeQueued = false;

  // application
  #applied = 0;
  #appliedTerm = 0;
  #snapshotIndex = 0;
  #snapshotting: Promise<void> | null = null;
  #snapshotRequested = false;
  #snapshotNotBefore = 0;
  #snapshotsTaken = 0;
  #snapshotsInstalled = 0;
  #removedSelf = false;

  // requests
  /** Proposals by log index: Map order is proposal order. */
  readonly #proposals = new Map<number, PendingProposal>();
  /** The highest term scanned for proposals made stale by a newer committed term. */
  #scannedTerm = 0;
  /** Reads asked for since the last readIndex() call to raft; issued together at the top of the loop. */
  #readBatch: PendingRead[] | null = null;
  /** Reads issued to raft, by request context. */
  readonly #reads = new Map<number, PendingRead[]>();
  /** Reads answered by raft, waiting for the state machine to apply their index (ascending). */
  #readsAwaitingApply: { index: number; waiters: PendingRead[] }[] = [];
  #readSeq = 0;
  readonly #transfers = new Set<PendingTransfer>();
  readonly #watchers = new Set<Watcher>();
  readonly #listeners = new Set<(event: ReplicationEvent) => void>();
  /** The last leader this member knew, for the leader-changes counter. */
  #lastLeader: bigint | null = null;
  /** When a message of each peer last arrived (the clock's monotonic ms). */
  readonly #lastHeard = new Map<bigint, number>();

  /** @throws RangeError, TypeError for invalid options */
  constructor(options: ReplicatedNodeOptions<R>) {
    this.#o = compileReplicatedNodeOptions(options);
    this.id = this.#o.id;
    this.#log = this.#o.logger.child({ module: 'manager/replication', 'raft.id': hexId(this.id) });
    this.#membership = new Membership(this.#o.members);
    this.#started = new Promise<void>((resolve, reject) => {
      this.#startedSettle = { resolve, reject };
    });
    this.#started.catch(() => {});
  }

  get state(): ReplicatedNodeState {
    return this.#state;
  }

  /**
   * The address the raft transport listens on (with the port the OS chose for port 0).
   * @throws IllegalStateError before the node started
   */
  get address(): string {
    if (this.#address === null) throw new IllegalStateError('Cannot read the raft address: not started');
    return this.#address;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Recovers from the state dir (snapshot restore, WAL replay), bootstraps a new cluster or waits to be
   * added (`join`), starts the transport and runs the Ready loop. Resolves once {@link stop} has finished;
   * rejects with the fatal error that stopped the node (a `WalCorruptError` from the storage at start, a
   * `WalFailedError` later, a broken raft invariant, a state machine that threw).
   * @throws IllegalStateError when called twice
   */
  run(): Promise<void> {
    if (this.#running !== null)
      return Promise.reject(
        new IllegalStateError(`Cannot run replicated node ${hexId(this.id)}: already run`),
      );
    if (this.#state !== 'new')
      return Promise.reject(
        new IllegalStateError(`Cannot run replicated node ${hexId(this.id)}: ${this.#state}`),
      );
    this.#running = this.#run();
    return this.#running;
  }

  /** Resolves once the node is running (recovered, listening); rejects with the error that stopped it first. */
  whenStarted(): Promise<void> {
    return this.#started;
  }

  /**
   * Stops the loop, rejects every pending request with {@link StoppedError}, stops the transport and
   * closes the storage. Idempotent; resolves once everything is closed (also after a failure).
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #run(): Promise<void> {
    this.#state = 'starting';
    try {
      await this.#start();
    } catch (err) {
      this.#state = 'failed';
      this.#fatal = err;
      this.#log.error('replicated node failed to start', { err, 'raft.dir': this.#o.dir });
      this.#startedSettle.reject(err);
      await this.#teardown();
      throw err;
    }
    if (this.#stopping !== null || this.#currentState() !== 'running') {
      this.#startedSettle.reject(new StoppedError('start the replicated node'));
    } else {
      this.#startedSettle.resolve();
    }
    this.#loopDone = this.#loop();
    await this.#loopDone;
    // Resolve once stop() finished (or the failure was torn down).
    if (this.#fatal !== null) {
      await this.#teardown();
      throw this.#fatal;
    }
    await this.stop();
  }

  async #start(): Promise<void> {
    const o = this.#o;
    const storage = await DiskStorage.open(o.dir, { ...o.storage, logger: o.logger });
    this.#storage = storage;
    const rec = storage.recovered;
    if (rec.snapshot !== null) {
      const snap = rec.snapshot;
      const app = this.#membership.restoreSnapshot(snap.metadata.index, snap.data, snap.metadata.confState);
      o.stateMachine.restore(app, snap.metadata.index);
      this.#applied = snap.metadata.index;
      this.#appliedTerm = snap.metadata.term;
      this.#snapshotIndex = snap.metadata.index;
    } else {
      this.#membership.confState = rec.confState;
    }
    const raw = new RawNode({
      id: this.id,
      storage: new RaftStorage(
        storage,
        () => this.#membership.confState,
        () => {
          this.#snapshotRequested = true;
          this.#kick();
        },
      ),
      rand: o.rand,
      logger: o.logger.child({ module: 'manager/raft', 'raft.id': hexId(this.id) }),
      electionTicks: o.electionTicks,
      heartbeatTicks: o.heartbeatTicks,
      applied: rec.appliedIndex,
      maxSizePerMsg: o.maxSizePerMsg,
      maxInflightMsgs: o.maxInflightMsgs,
      maxUncommittedEntriesSize: o.maxUncommittedBytes,
      disableProposalForwarding: true,
    });
    this.#raw = raw;
    let founders: bigint[] | null = null;
    // A member that crashed before its first Ready was persisted left an empty WAL: still new.
    const fresh = rec.lastIndex === 0 && rec.snapshot === null && rec.hardState.term === 0;
    if (fresh && !o.join) {
      founders = o.members.length === 0 ? [this.id] : o.members.map((m) => m.id);
      raw.bootstrap(founders);
    }
    const transport = new RaftTransport({
      ...o.transport,
      id: this.id,
      listenAddress: o.listenAddress,
      logger: o.logger,
      clock: o.clock,
      rand: o.rand.fork(),
      handler: {
        onMessage: (m) => {
          if (this.#state !== 'running') return;
          this.#lastHeard.set(m.from, this.#o.clock.monotonic());
          this.#raftCall(() => raw.step(m));
        },
        reportUnreachable: (peer) => {
          if (this.#state !== 'running') return;
          this.#raftCall(() => raw.reportUnreachable(peer));
        },
        reportSnapshot: (peer, status) => {
          if (this.#state !== 'running') return;
          this.#raftCall(() => raw.reportSnapshot(peer, status));
        },
      },
    });
    this.#transport = transport;
    this.#address = await transport.start();
    this.#syncPeers();
    this.#log.info('replicated node started', {
      'raft.dir': o.dir,
      address: this.#address,
      'raft.term': rec.hardState.term,
      'raft.commit': rec.hardState.commit,
      'raft.applied': this.#applied,
      'raft.lastIndex': rec.lastIndex,
      ...(founders === null ? {} : { 'raft.bootstrap': founders.map(hexId) }),
      ...(fresh && o.join ? { 'raft.join': true } : {}),
    });
    if (this.#stopping !== null) return;
    this.#state = 'running';
    this.#armTick();
    // A cluster of one has no one to wait for.
    if (founders !== null && founders.length === 1) raw.campaign();
  }

  async #stop(): Promise<void> {
    if (this.#state === 'new') {
      this.#state = 'stopped';
      this.#startedSettle.reject(new StoppedError('start the replicated node'));
      return;
    }
    if (this.#state === 'starting') await this.#started.catch(() => {});
    if (this.#currentState() === 'running') this.#state = 'stopping';
    this.#tickTimer?.cancel();
    this.#tickTimer = null;
    this.#doWake();
    await this.#loopDone;
    await this.#teardown();
    if (this.#state !== 'failed') this.#state = 'stopped';
    this.#log.info('replicated node stopped');
  }

  #teardownDone: Promise<void> | null = null;

  /** Rejects what is pending, stops the transport, waits for a snapshot in progress, closes the storage. */
  #teardown(): Promise<void> {
    this.#teardownDone ??= (async () => {
      this.#tickTimer?.cancel();
      this.#tickTimer = null;
      this.#rejectAll();
      await this.#transport?.stop().catch(() => {});
      await this.#snapshotting?.catch(() => {});
      await this.#storage?.close().catch((err: unknown) => {
        this.#log.warn('closing the raft storage failed', { err });
      });
    })();
    return this.#teardownDone;
  }

  /** Makes the node fail with `err`: every pending request and later call is refused; run() rejects. */
  #fail(err: unknown): void {
    if (this.#fatal !== null || this.#state === 'stopped') return;
    this.#fatal = err;
    this.#state = 'failed';
    this.#log.error('replicated node failed', { err });
    this.#tickTimer?.cancel();
    this.#tickTimer = null;
    this.#rejectAll();
    this.#doWake();
  }

  #rejectAll(): void {
    const cause = this.#fatal === null ? {} : { cause: this.#fatal };
    for (const p of this.#proposals.values())
      p.reject(new StoppedError(p.op === 'propose' ? 'propose' : 'change the membership', cause));
    this.#proposals.clear();
    const reads = [
      ...(this.#readBatch ?? []),
      ...[...this.#reads.values()].flat(),
      ...this.#readsAwaitingApply.flatMap((r) => r.waiters),
    ];
    this.#readBatch = null;
    this.#reads.clear();
    this.#readsAwaitingApply = [];
    for (const r of reads) r.reject(new StoppedError('read', cause));
    for (const t of this.#transfers) t.reject(new StoppedError('transfer leadership', cause));
    this.#transfers.clear();
    for (const w of this.#watchers) w.reject(new StoppedError(w.op.replaceAll('-', ' '), cause));
    this.#watchers.clear();
  }

  // ---------------------------------------------------------------- the Ready loop

  async #loop(): Promise<void> {
    const raw = this.#raw as RawNode;
    const storage = this.#storage as DiskStorage;
    const transport = this.#transport as RaftTransport;
    try {
      while (this.#state === 'running') {
        this.#issueReads();
        if (!raw.hasReady()) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
          continue;
        }
        const rd = raw.ready();
        if (rd.softState !== null) this.#onSoftState(rd.softState);
        // 1. Persist, one fsync for everything in this Ready, BEFORE anything leaves.
        if (rd.snapshot !== null || rd.entries.length > 0 || rd.hardState !== null) {
          const started = this.#o.clock.monotonic();
          await storage.persist(rd);
          // A Ready with a snapshot also writes the snapshot file: not a WAL sync's time.
          if (rd.snapshot === null) this.#o.metrics.walSynced((this.#o.clock.monotonic() - started) / 1000);
        }
        if (this.#currentState() === 'failed') return;
        // 2. Only then send.
        if (rd.messages.length > 0) transport.send(rd.messages);
        // 3. Apply, in order.
        if (rd.snapshot !== null) this.#applySnapshot(rd.snapshot);
        if (rd.committedEntries.length > 0) this.#applyEntries(rd.committedEntries);
        // 4. Reads whose index is applied.
        if (rd.readStates.length > 0) this.#onReadStates(rd.readStates);
        raw.advance();
        this.#afterApply();
      }
    } catch (err) {
      this.#fail(err);
    }
  }

  #kick(): void {
    if (this.#wake === null || this.#wakeQueued) return;
    // After the I/O callbacks of this turn: everything proposed or received meanwhile shares the Ready.
    this.#wakeQueued = true;
    setImmediate(this.#doWake);
  }

  readonly #doWake = (): void => {
    this.#wakeQueued = false;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  };

  #armTick(): void {
    this.#tickTimer = this.#o.clock.setTimeout(() => {
      this.#tickTimer = null;
      if (this.#state !== 'running') return;
      if (!this.#raftCall(() => (this.#raw as RawNode).tick())) return;
      this.#expire();
      this.#checkWatchers();
      this.#maybeSnapshot();
      this.#armTick();
    }, this.#o.tickMs);
  }

  /** Runs a raft call for a peer or timer event; a recoverable refusal is logged, a fatal one fails the node. */
  #raftCall(fn: () => void): boolean {
    try {
      fn();
    } catch (err) {
      if (err instanceof StepPeerNotFoundError) return true;
      if (isRecoverableRaftError(err)) {
        this.#log.debug('raft refused a call', { err });
        return true;
      }
      this.#fail(err);
      return false;
    }
    this.#kick();
    return true;
  }

  #onSoftState(ss: SoftState): void {
    const leaderId = ss.lead === NONE ? null : ss.lead;
    const info: LeaderInfo = {
      leaderId,
      leaderAddress:
        leaderId === null ? null : leaderId === this.id ? this.#address : this.#membership.address(leaderId),
      isLeader: ss.raftState === 'leader',
      term: (this.#raw as RawNode).basicStatus().term,
    };
    // Role changes (pre-candidate, candidate) come as soft states too: only a new leader counts.
    if (leaderId !== null && leaderId !== this.#lastLeader) this.#o.metrics.leaderChanged();
    if (leaderId !== null) this.#lastLeader = leaderId;
    this.#log.info('raft leader changed', {
      'raft.leader': leaderId === null ? null : hexId(leaderId),
      'raft.state': ss.raftState,
      'raft.term': info.term,
    });
    for (const t of this.#transfers)
      if (leaderId === t.to) {
        this.#transfers.delete(t);
        t.resolve(undefined);
      }
    // A read the old leader had not answered will not be answered: ask the new one.
    if (leaderId !== null && this.#reads.size > 0) {
      const batch = this.#readBatch ?? [];
      for (const waiters of this.#reads.values()) batch.push(...waiters);
      this.#reads.clear();
      this.#readBatch = batch;
    }
    this.#emit({ kind: 'leader', ...info });
  }

  #emit(event: ReplicationEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (err) {
        this.#log.error('replication listener threw', { err, event: event.kind });
      }
    }
  }

  // ---------------------------------------------------------------- applying

  #applySnapshot(snap: Snapshot): void {
    const { index, term, confState } = snap.metadata;
    const app = this.#membership.restoreSnapshot(index, snap.data, confState);
    this.#o.stateMachine.restore(app, index);
    this.#applied = index;
    this.#appliedTerm = term;
    this.#snapshotIndex = Math.max(this.#snapshotIndex, index);
    this.#snapshotsInstalled++;
    this.#syncPeers();
    this.#log.info('restored snapshot from the leader', {
      'raft.index': index,
      'raft.term': term,
      bytes: snap.data.byteLength,
    });
  }

  #applyEntries(entries: readonly Entry[]): void {
    const sm = this.#o.stateMachine;
    const proposals = this.#proposals;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.index <= this.#applied) continue;
      let result: unknown;
      if (e.type === 'confChange') result = this.#applyConfChange(e);
      else if (e.data.byteLength > 0) result = sm.apply(e.data, e.index);
      this.#applied = e.index;
      this.#appliedTerm = e.term;
      if (proposals.size === 0) continue;
      const p = proposals.get(e.index);
      if (p === undefined) continue;
      proposals.delete(e.index);
      if (p.term === e.term) p.resolve(result);
      else p.reject(this.#superseded(p, e.index));
    }
    // An entry of term T committed at index i means no entry of an older term can commit after i: the
    // proposals of a leadership that ended are dropped now rather than at their timeout.
    if (this.#appliedTerm > this.#scannedTerm) {
      this.#scannedTerm = this.#appliedTerm;
      for (const [index, p] of proposals)
        if (p.term < this.#appliedTerm) {
          proposals.delete(index);
          p.reject(this.#superseded(p, index));
        }
    }
  }

  #superseded(p: PendingProposal, index: number): ProposalDroppedError {
    return new ProposalDroppedError(
      p.op === 'propose' ? 'propose' : 'change the membership',
      'superseded',
      `a new leader replaced the entry at index ${index} (term ${p.term})`,
      { fields: { 'raft.index': index } },
    );
  }

  #applyConfChange(e: Entry): ConfState {
    const cc = decodeConfChange(e.data);
    const conf = (this.#raw as RawNode).applyConfChange(cc);
    const change = this.#membership.apply(cc, conf);
    if (change !== null) this.#syncPeers();
    this.#log.info('applied conf change', {
      'raft.index': e.index,
      change: describeConfChange(cc),
      voters: conf.voters.map(hexId),
      learners: conf.learners.map(hexId),
    });
    if (cc.type === 'removeNode' && cc.nodeId === this.id && !this.#removedSelf) {
      this.#removedSelf = true;
      this.#log.warn('this member was removed from the cluster');
      queueMicrotask(() => this.#emit({ kind: 'removed' }));
    }
    return conf;
  }

  /** Gives the transport every address in the book (and drops the peers no longer there). */
  #syncPeers(): void {
    const transport = this.#transport;
    if (transport === null) return;
    const book = this.#membership.addresses();
    for (const id of [...this.#peerIds])
      if (!book.has(id)) {
        transport.removePeer(id);
        this.#peerIds.delete(id);
      }
    for (const [id, address] of book) {
      if (id === this.id) continue;
      if (!this.#peerIds.has(id)) {
        transport.addPeer(id, address);
        this.#peerIds.add(id);
      } else if (transport.peerAddress(id) !== address) {
        transport.updatePeer(id, address);
      }
    }
  }

  /** After each Ready: reads now applied, watchers, snapshots. */
  #afterApply(): void {
    const awaiting = this.#readsAwaitingApply;
    if (awaiting.length > 0 && (awaiting[0] as { index: number }).index <= this.#applied) {
      let n = 0;
      while (n < awaiting.length && (awaiting[n] as { index: number }).index <= this.#applied) n++;
      for (const r of awaiting.splice(0, n)) for (const w of r.waiters) w.resolve(r.index);
    }
    if (this.#watchers.size > 0) this.#checkWatchers();
    this.#maybeSnapshot();
  }

  #maybeSnapshot(): void {
    if (this.#snapshotting !== null || this.#state !== 'running') return;
    const behind = this.#applied - this.#snapshotIndex;
    if (behind <= 0) return;
    if (behind < this.#o.snapshotEntries && !this.#snapshotRequested) return;
    if (this.#o.clock.monotonic() < this.#snapshotNotBefore) return;
    this.#snapshotRequested = false;
    const index = this.#applied;
    const conf = this.#membership.confState;
    const data = this.#membership.encodeSnapshot(this.#o.stateMachine.snapshot());
    this.#snapshotting = this.#saveSnapshot(index, conf, data).finally(() => {
      this.#snapshotting = null;
      this.#kick();
    });
  }

  async #saveSnapshot(index: number, conf: ConfState, data: Uint8Array): Promise<void> {
    const storage = this.#storage as DiskStorage;
    const started = this.#o.clock.monotonic();
    try {
      await storage.createSnapshot(index, conf, data);
      this.#snapshotIndex = Math.max(this.#snapshotIndex, index);
      this.#snapshotsTaken++;
      this.#o.metrics.snapshotSaved();
      const compactTo = index - this.#o.logTailEntries;
      if (compactTo >= storage.firstIndex()) await storage.compact(compactTo);
      this.#log.info('took a snapshot', {
        'raft.index': index,
        bytes: data.byteLength,
        'raft.compactedTo': Math.max(0, compactTo),
        ms: Math.round(this.#o.clock.monotonic() - started),
      });
    } catch (err) {
      if (err instanceof SnapshotOutOfDateError) {
        this.#log.debug('snapshot superseded by a newer one', { 'raft.index': index });
        return;
      }
      if (err instanceof WalFailedError) {
        this.#fail(err);
        return;
      }
      // The snapshot file could not be written: the storage goes on; try again a little later.
      this.#snapshotNotBefore = this.#o.clock.monotonic() + 10 * this.#o.tickMs;
      this.#log.error('snapshot failed', { err, 'raft.index': index });
    }
  }

  // ---------------------------------------------------------------- timeouts

  /** Rejects what outlived its deadline (checked every tick). */
  #expire(): void {
    const now = this.#o.clock.monotonic();
    for (const [index, p] of this.#proposals) {
      if (p.deadline > now) break; // in proposal order, so in deadline order
      this.#proposals.delete(index);
      p.reject(
        new ReplicationTimeoutError(
          p.op,
          this.#o.requestTimeoutMs,
          `the entry at index ${index} was not applied`,
        ),
      );
    }
    const expireReads = (waiters: PendingRead[], detail: string): PendingRead[] => {
      if (waiters.every((w) => w.deadline > now)) return waiters;
      const alive: PendingRead[] = [];
      for (const w of waiters)
        if (w.deadline > now) alive.push(w);
        else w.reject(new ReplicationTimeoutError('read', this.#o.requestTimeoutMs, detail));
      return alive;
    };
    for (const [ctx, waiters] of this.#reads) {
      const alive = expireReads(waiters, 'no read index came back');
      if (alive.length === 0) this.#reads.delete(ctx);
      else this.#reads.set(ctx, alive);
    }
    if (this.#readsAwaitingApply.length > 0)
      this.#readsAwaitingApply = this.#readsAwaitingApply
        .map((r) => ({ index: r.index, waiters: expireReads(r.waiters, `index ${r.index} was not applied`) }))
        .filter((r) => r.waiters.length > 0);
    for (const t of this.#transfers)
      if (t.deadline <= now) {
        this.#transfers.delete(t);
        t.reject(
          new ReplicationTimeoutError(
            'transfer-leadership',
            this.#o.transferTimeoutMs,
            `${hexId(t.to)} did not become the leader`,
          ),
        );
      }
    for (const w of this.#watchers)
      if (w.deadline <= now) {
        this.#watchers.delete(w);
        w.reject(new ReplicationTimeoutError(w.op, w.timeoutMs));
      }
  }

  #checkWatchers(): void {
    for (const w of this.#watchers) {
      let outcome: boolean | Error;
      try {
        outcome = w.check();
      } catch (err) {
        outcome = err as Error;
      }
      if (outcome === false) continue;
      this.#watchers.delete(w);
      if (outcome === true) w.resolve(undefined);
      else w.reject(outcome);
    }
  }

  // ---------------------------------------------------------------- requests

  /**
   * Proposes `data` for the log; resolves with the state machine's result once the entry is applied on
   * this member. Only the leader accepts proposals.
   * @throws (rejects) NotLeaderError on a follower, naming the leader when known
   * @throws (rejects) ProposalDroppedError when raft refused it (leadership transfer, uncommitted limit) or a
   *   new leader overwrote it: NOT applied
   * @throws (rejects) ReplicationTimeoutError after `requestTimeoutMs`: outcome unknown
   * @throws (rejects) StoppedError when the node stops first: outcome unknown
   * @throws (rejects) RangeError for empty data or data over `maxProposalBytes`
   */
  propose(data: Uint8Array): Promise<R> {
    if (!(data instanceof Uint8Array) || data.byteLength === 0)
      return Promise.reject(new RangeError('Cannot propose: data must be a non-empty Uint8Array'));
    if (data.byteLength > this.#o.maxProposalBytes)
      return Promise.reject(
        new RangeError(`Cannot propose: ${data.byteLength} bytes, at most ${this.#o.maxProposalBytes}`),
      );
    return this.#propose('propose', (raw) => raw.propose(data)) as Promise<R>;
  }

  #propose(op: 'propose' | 'conf-change', call: (raw: RawNode) => void): Promise<unknown> {
    const what = op === 'propose' ? 'propose' : 'change the membership';
    const refused = this.#checkRunning(what);
    if (refused !== null) return Promise.reject(refused);
    const raw = this.#raw as RawNode;
    const metrics = this.#o.metrics;
    try {
      call(raw);
    } catch (err) {
      metrics.proposalFailed();
      return Promise.reject(this.#mapRaftError(what, err));
    }
    // The leader appended the entry at its last index, in its term.
    const st = raw.basicStatus();
    const index = st.lastIndex;
    return new Promise((settleOk, settleErr) => {
      const resolve = (v: unknown): void => {
        metrics.proposalCommitted();
        settleOk(v);
      };
      const reject = (err: unknown): void => {
        metrics.proposalFailed();
        settleErr(err);
      };
      const previous = this.#proposals.get(index);
      if (previous !== undefined) {
        // Our own new leadership overwrote an older proposal of ours at this index.
        this.#proposals.delete(index);
        previous.reject(this.#superseded(previous, index));
      }
      this.#proposals.set(index, {
        term: st.term,
        op,
        deadline: this.#o.clock.monotonic() + this.#o.requestTimeoutMs,
        resolve,
        reject,
      });
      this.#kick();
    });
  }

  /**
   * A linearizable read barrier: resolves (with the read index) once this member's state machine has
   * applied every entry committed when the call was made, so reading it afterwards is linearizable. Works on
   * any member (a follower asks the leader). Concurrent calls share one round of heartbeats.
   * @throws (rejects) NotLeaderError when no leader is known; ReplicationTimeoutError; StoppedError
   */
  readIndex(): Promise<number> {
    const refused = this.#checkRunning('read');
    if (refused !== null) return Promise.reject(refused);
    return new Promise<number>((resolve, reject) => {
      if (this.#readBatch === null) this.#readBatch = [];
      this.#readBatch.push({
        resolve: resolve as (v: unknown) => void,
        reject,
        deadline: this.#o.clock.monotonic() + this.#o.requestTimeoutMs,
      });
      this.#kick();
    });
  }

  #issueReads(): void {
    const batch = this.#readBatch;
    if (batch === null) return;
    this.#readBatch = null;
    const seq = ++this.#readSeq;
    const ctx = new Uint8Array(8);
    new DataView(ctx.buffer).setFloat64(0, seq);
    try {
      (this.#raw as RawNode).readIndex(ctx);
    } catch (err) {
      const mapped = this.#mapRaftError('read', err);
      for (const w of batch) w.reject(mapped);
      return;
    }
    this.#reads.set(seq, batch);
  }

  #onReadStates(states: readonly ReadState[]): void {
    for (const rs of states) {
      if (rs.requestCtx.byteLength !== 8) continue;
      const seq = new DataView(rs.requestCtx.buffer, rs.requestCtx.byteOffset, 8).getFloat64(0);
      const waiters = this.#reads.get(seq);
      if (waiters === undefined) continue;
      this.#reads.delete(seq);
      if (rs.index <= this.#applied) {
        for (const w of waiters) w.resolve(rs.index);
        continue;
      }
      const awaiting = this.#readsAwaitingApply;
      let at = awaiting.length;
      while (at > 0 && (awaiting[at - 1] as { index: number }).index > rs.index) at--;
      awaiting.splice(at, 0, { index: rs.index, waiters });
    }
  }

  /**
   * Hands leadership to voter `to`; resolves once this member sees `to` lead. Proposals are refused
   * (`transferring-leadership`) while it runs.
   * @throws (rejects) NotLeaderError on a follower; MembershipError when `to` is not a voter;
   *   ReplicationTimeoutError after `transferTimeoutMs`; StoppedError
   */
  transferLeadership(to: bigint): Promise<void> {
    checkMemberId('transferee', to);
    const refused = this.#checkRunning('transfer leadership') ?? this.#checkLeader('transfer leadership');
    if (refused !== null) return Promise.reject(refused);
    if (to === this.id) return Promise.resolve();
    if (!this.#membership.isVoter(to))
      return Promise.reject(new MembershipError('transfer leadership to', to, 'not-member', 'not a voter'));
    const raw = this.#raw as RawNode;
    return new Promise<void>((resolve, reject) => {
      this.#transfers.add({
        to,
        resolve: resolve as (v: unknown) => void,
        reject,
        deadline: this.#o.clock.monotonic() + this.#o.transferTimeoutMs,
      });
      this.#raftCall(() => raw.transferLeader(to));
    });
  }

  /**
   * Adds a member: as a learner first (it receives the log or a snapshot without counting in quorums),
   * then, once it has caught up with the commit index of the moment it was added, as a voter. The new
   * member MUST run with `join: true` and the current members' addresses. Resolves with the membership
   * after the promotion.
   * @throws (rejects) MembershipError for a removed id (ids are never reused) or a current member;
   *   NotLeaderError; ProposalDroppedError (`conf-change-pending`: another change is under way);
   *   ReplicationTimeoutError (`catch-up` after `catchUpTimeoutMs`, or the conf change's); StoppedError
   */
  async addMember(id: bigint, address: string): Promise<ConfState> {
    await this.addLearner(id, address);
    await this.#waitCaughtUp(id);
    return this.promoteMember(id);
  }

  /**
   * Adds `id` as a learner at `address`; resolves once the change is applied here.
   * @throws (rejects) as {@link addMember}
   */
  addLearner(id: bigint, address: string): Promise<ConfState> {
    checkMemberId('member id', id);
    parseHostPort(address);
    const refused = this.#checkMembershipRequest('add member', id);
    if (refused !== null) return Promise.reject(refused);
    if (this.#membership.isMember(id))
      return Promise.reject(
        new MembershipError('add member', id, 'already-member', 'it is already a member'),
      );
    return this.#proposeConfChange({
      type: 'addLearnerNode',
      nodeId: id,
      context: encodeMemberContext(address),
    });
  }

  /**
   * Promotes learner `id` to voter; resolves once the change is applied here.
   * @throws (rejects) MembershipError when `id` is not a learner; as {@link addMember}
   */
  promoteMember(id: bigint): Promise<ConfState> {
    checkMemberId('member id', id);
    const refused = this.#checkMembershipRequest('promote member', id);
    if (refused !== null) return Promise.reject(refused);
    if (!this.#membership.isLearner(id))
      return Promise.reject(new MembershipError('promote member', id, 'not-learner', 'it is not a learner'));
    const address = this.#membership.address(id);
    return this.#proposeConfChange({
      type: 'addNode',
      nodeId: id,
      ...(address === null ? {} : { context: encodeMemberContext(address) }),
    });
  }

  /**
   * Removes member `id` (this member included: a leader hands over first); its id is never reused.
   * Resolves once the change is applied here.
   * @throws (rejects) MembershipError when `id` is not a member; NotLeaderError; ProposalDroppedError
   *   (`conf-change-pending`, `invalid-conf-change` for the last voter); ReplicationTimeoutError; StoppedError
   */
  removeMember(id: bigint): Promise<ConfState> {
    checkMemberId('member id', id);
    const refused = this.#checkRunning('remove member') ?? this.#checkLeader('remove member');
    if (refused !== null) return Promise.reject(refused);
    if (!this.#membership.isMember(id))
      return Promise.reject(new MembershipError('remove member', id, 'not-member', 'it is not a member'));
    return this.#proposeConfChange({ type: 'removeNode', nodeId: id });
  }

  #proposeConfChange(cc: ConfChange): Promise<ConfState> {
    return this.#propose('conf-change', (raw) => raw.proposeConfChange(cc)) as Promise<ConfState>;
  }

  #checkMembershipRequest(what: string, id: bigint): Error | null {
    const refused = this.#checkRunning(what) ?? this.#checkLeader(what);
    if (refused !== null) return refused;
    if (this.#membership.isRemoved(id))
      return new MembershipError(what, id, 'removed-id', 'the id was removed before and is never reused');
    if (id === this.id) return new MembershipError(what, id, 'self', 'it is this member');
    return null;
  }

  /** Resolves once learner `id` has the entries committed now (the leader's view of its progress). */
  #waitCaughtUp(id: bigint): Promise<void> {
    const raw = this.#raw as RawNode;
    const target = raw.basicStatus().commit;
    return new Promise<void>((resolve, reject) => {
      this.#watchers.add({
        op: 'catch-up',
        timeoutMs: this.#o.catchUpTimeoutMs,
        deadline: this.#o.clock.monotonic() + this.#o.catchUpTimeoutMs,
        resolve: resolve as (v: unknown) => void,
        reject,
        check: () => {
          const st = raw.status();
          if (st.progress === null) return this.#notLeader('promote member');
          const pr = st.progress.get(id);
          if (pr === undefined)
            return new MembershipError('promote member', id, 'not-member', 'it is no longer a member');
          return pr.match >= target;
        },
      });
      this.#checkWatchers();
    });
  }

  /** Starts an election now (tests, and a member that knows its leader is gone). */
  campaign(): void {
    const refused = this.#checkRunning('campaign');
    if (refused !== null) throw refused;
    this.#raftCall(() => (this.#raw as RawNode).campaign());
  }

  // ---------------------------------------------------------------- observation

  /** Who leads, as this member sees it now. */
  leader(): LeaderInfo {
    const raw = this.#raw;
    if (raw === null) return { leaderId: null, leaderAddress: null, isLeader: false, term: 0 };
    const st = raw.basicStatus();
    const leaderId = st.lead === NONE ? null : st.lead;
    return {
      leaderId,
      leaderAddress:
        leaderId === null ? null : leaderId === this.id ? this.#address : this.#membership.address(leaderId),
      isLeader: st.raftState === 'leader',
      term: st.term,
    };
  }

  isLeader(): boolean {
    return this.#raw?.basicStatus().raftState === 'leader';
  }

  status(): ReplicatedNodeStatus {
    const raw = this.#raw;
    const st = raw?.status() ?? null;
    const conf = this.#membership.confState;
    const now = this.#o.clock.monotonic();
    const silentFor = (id: bigint): number | null => {
      const at = this.#lastHeard.get(id);
      return at === undefined ? null : now - at;
    };
    const members: MemberStatus[] = [
      ...conf.voters.map((id) => ({ id, role: 'voter' as const })),
      ...conf.learners.map((id) => ({ id, role: 'learner' as const })),
    ].map((m) => ({
      ...m,
      address:
        m.id === this.id ? (this.#address ?? this.#membership.address(m.id)) : this.#membership.address(m.id),
      match: st?.progress?.get(m.id)?.match ?? null,
      silentMs: m.id === this.id ? null : silentFor(m.id),
    }));
    return {
      ...this.leader(),
      id: this.id,
      state: this.#state,
      address: this.#address,
      role: st?.raftState ?? 'follower',
      commit: st?.commit ?? 0,
      applied: this.#applied,
      firstIndex: st?.firstIndex ?? 0,
      lastIndex: st?.lastIndex ?? 0,
      snapshotIndex: this.#snapshotIndex,
      members,
      removedIds: this.#membership.removed,
      isRemoved: this.#removedSelf,
      snapshotsTaken: this.#snapshotsTaken,
      snapshotsInstalled: this.#snapshotsInstalled,
    };
  }

  /** Calls `listener` on each leader change and on this member's removal; returns the unsubscribe. */
  subscribe(listener: (event: ReplicationEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---------------------------------------------------------------- helpers

  /** The state, read afresh (after an await, where TypeScript's narrowing is stale). */
  #currentState(): ReplicatedNodeState {
    return this.#state;
  }

  #checkRunning(what: string): Error | null {
    if (this.#state === 'running') return null;
    if (this.#state === 'failed') return new StoppedError(what, { cause: this.#fatal });
    if (this.#state === 'new' || this.#state === 'starting')
      return new StoppedError(what, { fields: { reason: 'not started' } });
    return new StoppedError(what);
  }

  #checkLeader(what: string): Error | null {
    return this.isLeader() ? null : this.#notLeader(what);
  }

  #notLeader(what: string): NotLeaderError {
    const info = this.leader();
    return new NotLeaderError(what, info.leaderId, info.leaderAddress);
  }

  #mapRaftError(what: string, err: unknown): Error {
    if (err instanceof RaftNotLeaderError) return this.#notLeader(what);
    if (err instanceof RaftProposalDroppedError) {
      if (err.reason === 'no-leader') return this.#notLeader(what);
      return new ProposalDroppedError(what, err.reason as DropReason, err.message, { cause: err });
    }
    if (isRecoverableRaftError(err)) return err as Error;
    this.#fail(err);
    return new StoppedError(what, { cause: err });
  }
}
