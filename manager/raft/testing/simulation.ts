import { decodeConfChange } from '../conf-change.js';
import { isRecoverableRaftError } from '../errors.js';
import type { RaftLogger } from '../logger.js';
import { nullRaftLogger } from '../logger.js';
import type { MemoryStorage } from '../memory-storage.js';
import type { Message } from '../message.js';
import { RawNode } from '../raw-node.js';
import type { Ready } from '../ready.js';
import type { ConfChange, ConfState, Entry } from '../types.js';
import { hexId } from '../types.js';
import { describeMessage } from './describe.js';
import type { KvInput, KvOperation, KvOutput } from './kv-model.js';
import { kvModel } from './kv-model.js';
import type { KvCommand } from './kv-state-machine.js';
import { decodeKvCommand, encodeKvCommand, KvStateMachine } from './kv-state-machine.js';
import { checkLinearizable } from './linearizability.js';
import type { Violation, ViolationKind } from './safety-checker.js';
import { SafetyChecker } from './safety-checker.js';
import { HEALED, type NetworkFaults, SimNetwork } from './sim-network.js';
import { SimStorage } from './sim-storage.js';
import { SplitMix64 } from './split-mix64.js';

/** What to simulate. Everything not given here is drawn from the seed. */
export interface SimulationOptions {
  seed: number;
  /** Founding members. @default 3 */
  nodes?: 3 | 5;
  /** Time units of faulty operation (a node ticks every 10 units). @default 5000 */
  steps?: number;
  /** Whether members are added, promoted and removed. @default drawn from the seed (about 1 run in 3) */
  membership?: boolean;
  /** Check the client history for linearizability at the end. @default true */
  checkLinearizability?: boolean;
  /** Keep the last `traceLines` trace lines (messages, raft logs, faults) for the failure report. @default 0 */
  traceLines?: number;
  /** Time units allowed, once faults are healed, for a leader to commit a proposal everywhere. @default 2000 */
  livenessBound?: number;
  /**
   * Harness self-test: the driver sends each Ready's messages BEFORE persisting it, breaking the Ready
   * contract, so crashes lose votes and acknowledged entries. The checks must catch it. @default false
   */
  unsafeSendBeforePersist?: boolean;
}

/** Counters of one run. */
export interface SimulationStats {
  time: number;
  messagesSent: number;
  messagesDropped: number;
  messagesDuplicated: number;
  crashes: number;
  partitions: number;
  leaderTerms: number;
  maxCommit: number;
  snapshotsSent: number;
  confChangesApplied: number;
  transfers: number;
  opsOk: number;
  opsUnknown: number;
  opsRefused: number;
  linearizabilitySteps: number;
  /** Time units from healing to a proposal applied on every member (-1: never). */
  convergedAfter: number;
}

/** The outcome of one seed. */
export interface SimulationResult {
  readonly seed: number;
  readonly nodes: number;
  /** The fault mix the seed drew, for the report. */
  readonly scenario: string;
  readonly violation: Violation | null;
  readonly stats: SimulationStats;
  /** The last trace lines (when `traceLines` > 0). */
  readonly trace: readonly string[];
  /** The client history (for inspection). */
  readonly history: readonly KvOperation[];
}

const TICK_UNITS = 10;
const KEYS = ['x', 'y', 'z'];
const OP_TIMEOUT = 400;
const PROBE_CLIENT = 1_000_000;

interface PendingOp {
  readonly client: SimClient;
  readonly input: KvInput;
  readonly call: number;
  readonly seq: number;
}

interface PendingRead extends PendingOp {
  /** The read index once the ReadState arrived; -1 before. */
  index: number;
}

interface SimClient {
  readonly id: number;
  seq: number;
  busy: {
    readonly op: PendingOp;
    readonly node: SimNode;
    readonly deadline: number;
    readonly read: boolean;
  } | null;
}

interface SimNode {
  readonly id: bigint;
  /** The durable state: what survives a crash. */
  readonly storage: SimStorage;
  readonly rand: SplitMix64;
  raw: RawNode | null;
  /** Volatile: rebuilt from the snapshot on restart. */
  readonly kv: KvStateMachine;
  confState: ConfState;
  applied: number;
  readonly phase: number;
  restartAt: number;
  /** Stopped for good (removed from the membership): never restarted. */
  retired: boolean;
  retireAt: number;
  /** The commit index of the durable hard state, as checked. */
  durableCommit: number;
  /** The term this node led at its previous Ready (0: it did not lead). */
  ledTerm: number;
  readonly pendingOps: Map<string, PendingOp>;
  readonly pendingReads: Map<string, PendingRead>;
  lastProbe: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function opKey(client: number, seq: number): string {
  return `${client}:${seq}`;
}

/**
 * One deterministic run: N founding nodes, a faulty network, crashes and restarts that lose what was not
 * persisted, clients reading, writing and compare-and-setting keys, membership changes and leadership
 * transfers, all drawn from `seed`; the same seed replays the same run exactly.
 *
 * Safety is checked after every step ({@link SafetyChecker}); at the end faults are healed and a leader
 * must commit a proposal on every member within `livenessBound` units, the members' states must agree,
 * and the clients' history must be linearizable.
 */
export class Simulation {
  readonly #opts: Required<Omit<SimulationOptions, 'membership'>> & { membership: boolean };
  readonly #rand: SplitMix64;
  readonly #net: SimNetwork;
  readonly #checker = new SafetyChecker();
  readonly #nodes = new Map<bigint, SimNode>();
  readonly #clients: SimClient[] = [];
  readonly #history: KvOperation[] = [];
  readonly #trace: string[] = [];
  readonly #stats: SimulationStats = {
    time: 0,
    messagesSent: 0,
    messagesDropped: 0,
    messagesDuplicated: 0,
    crashes: 0,
    partitions: 0,
    leaderTerms: 0,
    maxCommit: 0,
    snapshotsSent: 0,
    confChangesApplied: 0,
    transfers: 0,
    opsOk: 0,
    opsUnknown: 0,
    opsRefused: 0,
    linearizabilitySteps: 0,
    convergedAfter: -1,
  };
  // Drawn from the seed.
  readonly #faults: NetworkFaults;
  readonly #crashRate: number;
  readonly #midPersistCrashRate: number;
  readonly #partitionRate: number;
  readonly #healRate: number;
  readonly #opRate: number;
  readonly #snapshotInterval: number;
  readonly #compactKeep: number;
  readonly #transferRate: number;
  readonly #confChangeRate: number;
  readonly #maxSizePerMsg: number;
  readonly #maxInflightMsgs: number;
  readonly #scenario: string;

  #now = 0;
  #clock = 0;
  #faulty = true;
  #nextId: bigint;
  #nextValue = 1;
  #probeSeq = 0;
  #probeProposedAt = -1;
  #fatal: Violation | null = null;

  constructor(options: SimulationOptions) {
    const rand = new SplitMix64(options.seed);
    this.#rand = rand;
    const scenario = rand.fork();
    const membership = options.membership ?? scenario.chance(0.35);
    this.#opts = {
      seed: options.seed,
      nodes: options.nodes ?? 3,
      steps: options.steps ?? 5000,
      membership,
      checkLinearizability: options.checkLinearizability ?? true,
      traceLines: options.traceLines ?? 0,
      livenessBound: options.livenessBound ?? 2000,
      unsafeSendBeforePersist: options.unsafeSendBeforePersist ?? false,
    };
    const maxDelay = scenario.pick([2, 5, 10]);
    this.#faults = {
      drop: scenario.pick([0, 0.01, 0.05, 0.1, 0.2]),
      duplicate: scenario.pick([0, 0.01, 0.05]),
      minDelay: 1,
      maxDelay,
      longDelayRate: scenario.pick([0, 0.01, 0.05]),
      longDelay: scenario.pick([50, 150, 400]),
      fifo: !scenario.chance(0.2),
    };
    const crashes = scenario.chance(0.7);
    this.#crashRate = crashes ? scenario.pick([1 / 200, 1 / 500, 1 / 1000]) : 0;
    this.#midPersistCrashRate = crashes ? scenario.pick([0, 0.002, 0.01]) : 0;
    const partitions = scenario.chance(0.7);
    this.#partitionRate = partitions ? scenario.pick([1 / 300, 1 / 800]) : 0;
    this.#healRate = scenario.pick([1 / 100, 1 / 400]);
    this.#opRate = scenario.pick([0.02, 0.05, 0.1, 0.25]);
    this.#snapshotInterval = scenario.pick([10, 30, 100, 1000]);
    this.#compactKeep = scenario.pick([0, 3]);
    this.#transferRate = scenario.pick([0, 1 / 1500]);
    this.#confChangeRate = membership ? scenario.pick([1 / 100, 1 / 300]) : 0;
    this.#maxSizePerMsg = scenario.pick([Number.POSITIVE_INFINITY, 256, 1]);
    this.#maxInflightMsgs = scenario.pick([2, 16, 256]);
    const clients = 3 + scenario.int(3);
    this.#scenario =
      `drop=${this.#faults.drop} dup=${this.#faults.duplicate} delay=1..${maxDelay}${this.#faults.fifo ? '' : ' unordered'} long=${this.#faults.longDelayRate}@${this.#faults.longDelay}` +
      ` crash=${this.#crashRate.toFixed(4)} tornPersist=${this.#midPersistCrashRate} partition=${this.#partitionRate.toFixed(4)}` +
      ` membership=${membership} snapEvery=${this.#snapshotInterval} maxMsg=${this.#maxSizePerMsg} inflight=${this.#maxInflightMsgs} clients=${clients}`;
    this.#net = new SimNetwork(rand.fork(), this.#faults);

    const n = this.#opts.nodes;
    const founders: bigint[] = [];
    for (let i = 1; i <= n; i++) founders.push(BigInt(i));
    this.#nextId = BigInt(n + 1);
    for (const id of founders) {
      const node = this.#addNode(id);
      (node.raw as RawNode).bootstrap(founders);
    }
    for (let i = 0; i < clients; i++) this.#clients.push({ id: i + 1, seq: 0, busy: null });
  }

  /** Runs the whole scenario and returns the first violation, if any. */
  run(): SimulationResult {
    try {
      for (let i = 0; i < this.#opts.steps && this.#violation() === null; i++) this.#step();
      if (this.#violation() === null) this.#heal();
      if (this.#violation() === null) this.#checkLiveness();
      this.#finishClients();
      if (this.#violation() === null && this.#opts.checkLinearizability) this.#checkHistory();
    } catch (err) {
      this.#fail(
        'raft-error',
        `unexpected ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    }
    this.#stats.time = this.#now;
    this.#stats.messagesSent = this.#net.sent;
    this.#stats.messagesDropped = this.#net.dropped;
    this.#stats.messagesDuplicated = this.#net.duplicated;
    this.#stats.leaderTerms = this.#checker.leaderTerms;
    this.#stats.maxCommit = this.#checker.maxCommit;
    return {
      seed: this.#opts.seed,
      nodes: this.#opts.nodes,
      scenario: this.#scenario,
      violation: this.#violation(),
      stats: this.#stats,
      trace: this.#trace,
      history: this.#history,
    };
  }

  #violation(): Violation | null {
    return this.#fatal ?? this.#checker.violation;
  }

  #fail(kind: ViolationKind, message: string): void {
    if (this.#fatal === null && this.#checker.violation === null)
      this.#fatal = { kind, message, time: this.#now };
  }

  #log(line: string): void {
    if (this.#opts.traceLines === 0) return;
    this.#trace.push(`${this.#now} ${line}`);
    if (this.#trace.length > this.#opts.traceLines * 2)
      this.#trace.splice(0, this.#trace.length - this.#opts.traceLines);
  }

  // ---- nodes ----

  #addNode(id: bigint): SimNode {
    const node: SimNode = {
      id,
      storage: new SimStorage(),
      rand: this.#rand.fork(),
      raw: null,
      kv: new KvStateMachine(),
      confState: { voters: [], learners: [] },
      applied: 0,
      phase: this.#rand.int(TICK_UNITS),
      restartAt: -1,
      retired: false,
      retireAt: -1,
      durableCommit: 0,
      ledTerm: 0,
      pendingOps: new Map(),
      pendingReads: new Map(),
      lastProbe: -1,
    };
    node.storage.currentConfState = () => node.confState;
    this.#nodes.set(id, node);
    this.#start(node);
    return node;
  }

  #logger(id: bigint): RaftLogger {
    if (this.#opts.traceLines === 0) return nullRaftLogger;
    const line = (level: string) => (msg: string) => this.#log(`[${hexId(id)}] ${level} ${msg}`);
    return { debug: line('DEBUG'), info: line('INFO'), warn: line('WARN'), error: line('ERROR') };
  }

  #start(node: SimNode): void {
    const snap = node.storage.stored();
    node.kv.restore(snap.data);
    node.confState = snap.metadata.confState;
    node.applied = snap.metadata.index;
    node.ledTerm = 0;
    node.raw = new RawNode({
      id: node.id,
      storage: node.storage,
      rand: node.rand,
      logger: this.#logger(node.id),
      applied: snap.metadata.index,
      electionTicks: 10,
      heartbeatTicks: 1,
      maxSizePerMsg: this.#maxSizePerMsg,
      maxInflightMsgs: this.#maxInflightMsgs,
    });
    node.restartAt = -1;
  }

  #crash(node: SimNode, why: string): void {
    node.raw = null;
    node.pendingOps.clear();
    node.pendingReads.clear();
    node.restartAt = this.#now + 50 + this.#rand.int(400);
    this.#stats.crashes++;
    this.#log(`[${hexId(node.id)}] CRASH (${why}), restart at ${node.restartAt}`);
  }

  #retire(node: SimNode): void {
    node.raw = null;
    node.retired = true;
    node.pendingOps.clear();
    node.pendingReads.clear();
    this.#log(`[${hexId(node.id)}] RETIRED`);
  }

  #upNodes(): SimNode[] {
    const out: SimNode[] = [];
    for (const n of this.#nodes.values()) if (n.raw !== null) out.push(n);
    return out;
  }

  #leader(): SimNode | null {
    let best: SimNode | null = null;
    let bestTerm = -1;
    for (const n of this.#nodes.values()) {
      if (n.raw === null) continue;
      const st = n.raw.basicStatus();
      if (st.raftState === 'leader' && st.term > bestTerm) {
        best = n;
        bestTerm = st.term;
      }
    }
    return best;
  }

  #observe(node: SimNode): void {
    if (node.raw === null) return;
    const st = node.raw.basicStatus();
    if (st.raftState === 'leader') this.#checker.observeLeader(node.id, st.term);
  }

  #raftCall(node: SimNode, what: string, fn: (raw: RawNode) => void): boolean {
    const raw = node.raw;
    if (raw === null) return false;
    try {
      fn(raw);
      return true;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'ERR_RAFT_STEP_PEER_NOT_FOUND' || isRecoverableRaftError(err)) return false;
      this.#fail(
        'raft-error',
        `${hexId(node.id)} ${what}: ${err instanceof Error ? err.message : String(err)}`,
      );
      return false;
    }
  }

  // ---- one step ----

  #step(): void {
    this.#now++;
    this.#checker.now = this.#now;
    if (this.#faulty) this.#injectFaults();
    for (const node of this.#nodes.values()) {
      if (node.raw === null) {
        if (!node.retired && node.restartAt >= 0 && node.restartAt <= this.#now) {
          this.#log(`[${hexId(node.id)}] RESTART`);
          this.#start(node);
        }
        continue;
      }
      if (node.retireAt >= 0 && node.retireAt <= this.#now) {
        this.#retire(node);
        continue;
      }
      if ((this.#now + node.phase) % TICK_UNITS === 0) {
        this.#raftCall(node, 'tick', (raw) => raw.tick());
        this.#observe(node);
      }
    }
    for (let m = this.#net.nextDue(this.#now); m !== null; m = this.#net.nextDue(this.#now)) this.#deliver(m);
    this.#clientsAct();
    if (this.#faulty) this.#adminAct();
    const up = this.#rand.shuffle(this.#upNodes());
    for (const node of up) {
      for (let i = 0; i < 4 && node.raw?.hasReady(); i++) this.#handleReady(node);
    }
    if (!this.#opts.membership) {
      const storages: MemoryStorage[] = [];
      for (const n of this.#nodes.values()) storages.push(n.storage);
      this.#checker.durableQuorum(storages, this.#opts.nodes);
    }
  }

  #deliver(m: Message): void {
    const node = this.#nodes.get(m.to);
    if (node === undefined || node.raw === null) return;
    if (this.#opts.traceLines > 0) this.#log(`deliver ${describeMessage(m)}`);
    this.#raftCall(node, `step ${m.type}`, (raw) => raw.step(m));
    this.#observe(node);
  }

  // ---- faults ----

  #injectFaults(): void {
    const r = this.#rand;
    if (this.#crashRate > 0 && r.chance(this.#crashRate)) {
      // Half the crashes hit the leader: leader changes with uncommitted entries in flight are where
      // Raft's subtle cases live (figure 8).
      const leader = r.chance(0.5) ? this.#leader() : null;
      const up = this.#upNodes();
      if (leader !== null) this.#crash(leader, 'leader');
      else if (up.length > 0) this.#crash(r.pick(up), 'random');
    }
    if (this.#net.partitioned) {
      if (r.chance(this.#healRate)) {
        this.#net.heal();
        this.#log('HEAL');
      }
    } else if (this.#partitionRate > 0 && r.chance(this.#partitionRate)) {
      this.#partition();
    }
  }

  #partition(): void {
    const r = this.#rand;
    const ids = r.shuffle([...this.#nodes.keys()]);
    this.#stats.partitions++;
    const kind = r.int(3);
    if (kind === 0) {
      // Isolate one node, the leader half of the time.
      const leader = r.chance(0.5) ? this.#leader() : null;
      const lone = leader?.id ?? (ids[0] as bigint);
      this.#net.split(
        [lone],
        ids.filter((i) => i !== lone),
      );
      this.#log(`PARTITION isolate ${hexId(lone)}`);
    } else if (kind === 1) {
      const cut = 1 + r.int(ids.length - 1);
      this.#net.split(ids.slice(0, cut), ids.slice(cut));
      this.#log(`PARTITION ${ids.slice(0, cut).map(hexId)} | ${ids.slice(cut).map(hexId)}`);
    } else {
      // Asymmetric: some links fail one way only.
      const links = 1 + r.int(ids.length);
      for (let i = 0; i < links; i++) {
        const a = r.pick(ids);
        const b = r.pick(ids);
        if (a !== b) {
          this.#net.cutOneWay(a, b);
          this.#log(`PARTITION one-way ${hexId(a)}->${hexId(b)}`);
        }
      }
    }
  }

  /** Stops every fault and brings every member back. */
  #heal(): void {
    this.#faulty = false;
    this.#net.heal();
    this.#net.faults = HEALED;
    this.#log('HEAL ALL');
    for (const node of this.#nodes.values()) {
      if (node.raw === null && !node.retired) {
        this.#log(`[${hexId(node.id)}] RESTART (heal)`);
        this.#start(node);
      }
    }
  }

  // ---- the Ready loop of a node (what the replication driver does) ----

  #handleReady(node: SimNode): void {
    const raw = node.raw as RawNode;
    const before = raw.basicStatus();
    let rd: Ready;
    try {
      rd = raw.ready();
    } catch (err) {
      this.#fail('raft-error', `${hexId(node.id)} ready: ${(err as Error).message}`);
      return;
    }
    const leading = before.raftState === 'leader';
    if (this.#opts.traceLines > 0) this.#log(`[${hexId(node.id)}] ${describeReady(rd)}`);

    // Leader append-only: while leading one term, a node only appends.
    if (leading && node.ledTerm === before.term) {
      const first = rd.entries[0];
      if (rd.snapshot !== null || (first !== undefined && first.index <= node.storage.lastIndex()))
        this.#checker.violation ??= {
          kind: 'leader-append-only',
          message: `${hexId(node.id)} leading term ${before.term} rewrote its log from index ${first?.index}`,
          time: this.#now,
        };
    }
    node.ledTerm = leading ? before.term : 0;

    // (Harness self-test only: break the contract by sending first.)
    if (this.#opts.unsafeSendBeforePersist) {
      for (const m of rd.messages) this.#net.send(m, this.#now);
      rd = { ...rd, messages: [] };
    }

    // 1. Persist (or crash part-way: a torn write keeps a prefix of snapshot, entries, hard state).
    if (this.#faulty && this.#midPersistCrashRate > 0 && this.#rand.chance(this.#midPersistCrashRate)) {
      const parts = (rd.snapshot === null ? 0 : 1) + rd.entries.length + (rd.hardState === null ? 0 : 1);
      this.#persist(node, rd, this.#rand.int(parts + 1));
      this.#crash(node, 'during persist');
      return;
    }
    this.#persist(node, rd, Number.POSITIVE_INFINITY);
    if (rd.softState?.raftState === 'leader')
      this.#checker.leaderCompleteness(node.id, before.term, node.storage);

    // 2. Send, only now.
    for (const m of rd.messages) {
      const ok = this.#net.send(m, this.#now);
      if (m.type === 'MsgSnap') {
        this.#stats.snapshotsSent++;
        this.#raftCall(node, 'reportSnapshot', (r) => r.reportSnapshot(m.to, ok ? 'finish' : 'failure'));
      } else if (!ok && this.#net.isBlocked(m.from, m.to) && this.#rand.chance(0.3)) {
        this.#raftCall(node, 'reportUnreachable', (r) => r.reportUnreachable(m.to));
      }
    }

    // 3. Apply.
    if (rd.snapshot !== null) {
      node.kv.restore(rd.snapshot.data);
      node.confState = rd.snapshot.metadata.confState;
      node.applied = rd.snapshot.metadata.index;
    }
    for (const e of rd.committedEntries) {
      this.#apply(node, e);
      if (node.raw === null) return;
    }
    for (const rs of rd.readStates) {
      const read = node.pendingReads.get(dec.decode(rs.requestCtx));
      if (read !== undefined && read.index < 0) read.index = rs.index;
    }

    // 4. Advance; then serve the reads whose index is applied, and compact.
    if (!this.#raftCall(node, 'advance', (r) => r.advance())) return;
    this.#observe(node);
    this.#serveReads(node);
    this.#maybeSnapshot(node);
  }

  #persist(node: SimNode, rd: Ready, parts: number): void {
    const s = node.storage;
    let left = parts;
    if (rd.snapshot !== null) {
      if (left === 0) return;
      s.applySnapshot(rd.snapshot);
      left--;
    }
    const n = Math.min(left, rd.entries.length);
    const entries = n === rd.entries.length ? rd.entries : rd.entries.slice(0, n);
    this.#checker.beforeAppend(node.id, s, entries, node.durableCommit);
    s.append(entries);
    left -= n;
    if (n < rd.entries.length || rd.hardState === null || left === 0) return;
    s.setHardState(rd.hardState);
    if (rd.hardState.commit > node.durableCommit) {
      this.#checker.afterCommit(node.id, s, node.durableCommit, rd.hardState.commit);
      node.durableCommit = rd.hardState.commit;
    }
  }

  #apply(node: SimNode, e: Entry): void {
    this.#checker.onApply(node.id, e);
    node.applied = e.index;
    if (e.type === 'confChange') {
      const cc = decodeConfChange(e.data);
      this.#raftCall(node, 'applyConfChange', (raw) => {
        node.confState = raw.applyConfChange(cc);
      });
      this.#stats.confChangesApplied++;
      this.#log(`[${hexId(node.id)}] applied ${cc.type} ${hexId(cc.nodeId)} at ${e.index}`);
      if (cc.type === 'removeNode') {
        const gone = this.#nodes.get(cc.nodeId);
        if (gone !== undefined && gone.retireAt < 0 && !gone.retired) gone.retireAt = this.#now + 30;
      }
      return;
    }
    if (e.data.length === 0) return;
    const cmd = decodeKvCommand(e.data);
    const res = node.kv.apply(cmd);
    if (cmd.kind === 'probe') {
      node.lastProbe = Math.max(node.lastProbe, cmd.seq);
      return;
    }
    const key = opKey(cmd.client, cmd.seq);
    const pending = node.pendingOps.get(key);
    if (pending === undefined) return;
    node.pendingOps.delete(key);
    if (res.duplicate) return;
    this.#complete(pending, cmd.kind === 'cas' ? { ok: res.ok } : {});
  }

  #serveReads(node: SimNode): void {
    if (node.pendingReads.size === 0) return;
    for (const [key, read] of node.pendingReads) {
      if (read.index < 0 || read.index > node.applied) continue;
      node.pendingReads.delete(key);
      this.#complete(read, { value: node.kv.get(read.input.key) });
    }
  }

  #maybeSnapshot(node: SimNode): void {
    const s = node.storage;
    const due = node.applied - (s.firstIndex() - 1) >= this.#snapshotInterval;
    if (!due && !(s.wanted && node.applied > s.stored().metadata.index)) return;
    s.wanted = false;
    s.createSnapshot(node.applied, node.confState, node.kv.serialize());
    const to = node.applied - this.#compactKeep;
    if (to >= s.firstIndex()) s.compact(to);
  }

  // ---- clients ----

  #clientsAct(): void {
    for (const c of this.#clients) {
      if (c.busy !== null) {
        if (this.#now >= c.busy.deadline) this.#timeout(c);
        continue;
      }
      if (!this.#faulty || !this.#rand.chance(this.#opRate)) continue;
      const up = this.#upNodes();
      if (up.length === 0) continue;
      this.#invoke(c, this.#rand.pick(up));
    }
  }

  #invoke(c: SimClient, node: SimNode): void {
    const r = this.#rand;
    const key = r.pick(KEYS);
    const seq = ++c.seq;
    const kind = r.next();
    if (kind < 0.4) {
      const op: PendingRead = {
        client: c,
        input: { kind: 'read', key },
        call: ++this.#clock,
        seq,
        index: -1,
      };
      const ctx = opKey(c.id, seq);
      node.pendingReads.set(ctx, op);
      if (this.#raftCall(node, 'readIndex', (raw) => raw.readIndex(enc.encode(ctx)))) {
        c.busy = { op, node, deadline: this.#now + OP_TIMEOUT, read: true };
      } else {
        node.pendingReads.delete(ctx);
        this.#stats.opsRefused++;
      }
      return;
    }
    const value = this.#nextValue++;
    let input: KvInput;
    let cmd: KvCommand;
    if (kind < 0.8) {
      input = { kind: 'write', key, value };
      cmd = { kind: 'write', client: c.id, seq, key, value };
    } else {
      // Expect a value that was written recently, so that some compare-and-sets succeed.
      const expected = r.chance(0.2) ? null : Math.max(1, this.#nextValue - 1 - r.int(4));
      input = { kind: 'cas', key, expected, value };
      cmd = { kind: 'cas', client: c.id, seq, key, expected, value };
    }
    const op: PendingOp = { client: c, input, call: ++this.#clock, seq };
    node.pendingOps.set(opKey(c.id, seq), op);
    if (this.#raftCall(node, 'propose', (raw) => raw.propose(encodeKvCommand(cmd)))) {
      c.busy = { op, node, deadline: this.#now + OP_TIMEOUT, read: false };
    } else {
      // Refused before entering the log: it never happened.
      node.pendingOps.delete(opKey(c.id, seq));
      this.#stats.opsRefused++;
    }
  }

  #complete(op: PendingOp, output: KvOutput): void {
    const c = op.client;
    if (c.busy === null || c.busy.op !== op) return;
    this.#history.push({ clientId: c.id, input: op.input, output, call: op.call, ret: ++this.#clock });
    this.#stats.opsOk++;
    c.busy = null;
  }

  #timeout(c: SimClient): void {
    const busy = c.busy;
    if (busy === null) return;
    c.busy = null;
    const key = opKey(c.id, busy.op.seq);
    if (busy.read) {
      // A read that never answered has no effect: leave it out.
      busy.node.pendingReads.delete(key);
      return;
    }
    busy.node.pendingOps.delete(key);
    this.#history.push({
      clientId: c.id,
      input: busy.op.input,
      output: undefined,
      call: busy.op.call,
      ret: Infinity,
    });
    this.#stats.opsUnknown++;
  }

  #finishClients(): void {
    for (const c of this.#clients) if (c.busy !== null) this.#timeout(c);
  }

  // ---- operator ----

  #adminAct(): void {
    const r = this.#rand;
    if (this.#confChangeRate > 0 && r.chance(this.#confChangeRate)) this.#changeMembership();
    if (this.#transferRate > 0 && r.chance(this.#transferRate)) {
      const leader = this.#leader();
      if (leader === null) return;
      const voters = (leader.raw as RawNode).status().config.voters.filter((v) => v !== leader.id);
      if (voters.length === 0) return;
      const to = r.pick(voters);
      this.#stats.transfers++;
      this.#log(`[${hexId(leader.id)}] TRANSFER to ${hexId(to)}`);
      this.#raftCall(leader, 'transferLeader', (raw) => raw.transferLeader(to));
    }
  }

  /** Cycles between N voters and N+1: add a learner, promote it once caught up, remove a voter. */
  #changeMembership(): void {
    const leader = this.#leader();
    if (leader === null) return;
    const st = (leader.raw as RawNode).status();
    const { voters, learners } = st.config;
    let cc: ConfChange;
    if (learners.length > 0) {
      const l = learners[0] as bigint;
      const pr = st.progress?.get(l);
      if (pr === undefined || pr.match + 5 < st.lastIndex) return;
      cc = { type: 'addNode', nodeId: l };
    } else if (voters.length > this.#opts.nodes) {
      cc = { type: 'removeNode', nodeId: this.#rand.pick(voters) };
    } else {
      cc = { type: 'addLearnerNode', nodeId: this.#nextId };
    }
    this.#log(`[${hexId(leader.id)}] PROPOSE ${cc.type} ${hexId(cc.nodeId)}`);
    if (!this.#raftCall(leader, 'proposeConfChange', (raw) => raw.proposeConfChange(cc))) return;
    if (cc.type === 'addLearnerNode') {
      // Ids are never reused: the next learner gets a new one even if this change is lost.
      this.#nextId++;
      this.#addNode(cc.nodeId);
      this.#log(`[${hexId(cc.nodeId)}] NEW NODE`);
    }
  }

  // ---- end of run ----

  #members(leader: SimNode): SimNode[] {
    const cs = (leader.raw as RawNode).status().config;
    const out: SimNode[] = [];
    for (const id of [...cs.voters, ...cs.learners]) {
      const n = this.#nodes.get(id);
      if (n !== undefined) out.push(n);
    }
    return out;
  }

  /**
   * With faults healed, a leader must be elected and a proposal applied on every member within the bound;
   * then the members' states must be equal once they applied the same index.
   */
  #checkLiveness(): void {
    const healedAt = this.#now;
    const deadline = this.#now + this.#opts.livenessBound;
    let converged = false;
    while (this.#now < deadline && this.#violation() === null) {
      this.#step();
      const leader = this.#leader();
      if (leader === null) continue;
      if (this.#probeProposedAt < 0 || this.#now - this.#probeProposedAt > 300) {
        const seq = ++this.#probeSeq;
        const data = encodeKvCommand({ kind: 'probe', client: PROBE_CLIENT, seq });
        if (this.#raftCall(leader, 'propose probe', (raw) => raw.propose(data)))
          this.#probeProposedAt = this.#now;
        else this.#probeSeq--;
        continue;
      }
      const members = this.#members(leader);
      if (!members.every((n) => n.raw !== null && n.lastProbe === this.#probeSeq)) continue;
      const applied = members.map((n) => n.applied);
      if (!applied.every((a) => a === applied[0])) continue;
      const states = members.map((n) => dec.decode(n.kv.serialize()));
      const i = states.findIndex((s) => s !== states[0]);
      if (i >= 0)
        this.#fail(
          'divergence',
          `${hexId((members[0] as SimNode).id)} and ${hexId((members[i] as SimNode).id)} applied up to ${applied[0]} but their states differ`,
        );
      converged = true;
      this.#stats.convergedAfter = this.#now - healedAt;
      break;
    }
    if (!converged && this.#violation() === null) {
      const roles = [...this.#nodes.values()]
        .map((n) => {
          if (n.raw === null) return `${hexId(n.id)}:${n.retired ? 'retired' : 'down'}`;
          const s = n.raw.basicStatus();
          return `${hexId(n.id)}:${s.raftState}@${s.term} commit=${s.commit} applied=${n.applied} probe=${n.lastProbe}`;
        })
        .join(', ');
      this.#fail(
        'liveness',
        `no proposal committed on every member within ${this.#opts.livenessBound} units after healing (${roles})`,
      );
    }
  }

  #checkHistory(): void {
    const report = checkLinearizable(kvModel, this.#history);
    this.#stats.linearizabilitySteps = report.steps;
    if (report.result === 'illegal') {
      const ops = (report.failedPartition ?? []).map((op) => kvModel.describeOperation?.(op) ?? '');
      this.#fail(
        'linearizability',
        `history of key "${report.failedPartition?.[0]?.input.key}" (${ops.length} ops) is not linearizable; longest linearizable prefix ${report.longestPrefix?.length} ops:\n  ${ops.join('\n  ')}`,
      );
    }
  }
}

function describeReady(rd: Ready): string {
  const parts: string[] = ['Ready'];
  if (rd.softState !== null) parts.push(`Lead:${hexId(rd.softState.lead)} State:${rd.softState.raftState}`);
  if (rd.hardState !== null)
    parts.push(
      `HardState Term:${rd.hardState.term} Vote:${hexId(rd.hardState.vote)} Commit:${rd.hardState.commit}`,
    );
  if (rd.entries.length > 0) {
    const a = rd.entries[0] as Entry;
    const b = rd.entries[rd.entries.length - 1] as Entry;
    parts.push(`Entries:${a.term}/${a.index}..${b.term}/${b.index}`);
  }
  if (rd.snapshot !== null) parts.push(`Snapshot:${rd.snapshot.metadata.term}/${rd.snapshot.metadata.index}`);
  if (rd.committedEntries.length > 0) {
    const a = rd.committedEntries[0] as Entry;
    const b = rd.committedEntries[rd.committedEntries.length - 1] as Entry;
    parts.push(`Committed:${a.index}..${b.index}`);
  }
  if (rd.messages.length > 0) parts.push(`Msgs:${rd.messages.length}`);
  if (rd.readStates.length > 0) parts.push(`ReadStates:${rd.readStates.length}`);
  return parts.join(' ');
}

/** Runs one seed (see {@link Simulation}). */
export function runSimulation(options: SimulationOptions): SimulationResult {
  return new Simulation(options).run();
}
