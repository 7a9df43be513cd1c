import { decodeConfChange } from '../conf-change.js';
import type { RaftOptions } from '../config.js';
import { MemoryStorage } from '../memory-storage.js';
import type { Message, MessageType } from '../message.js';
import { RawNode } from '../raw-node.js';
import type { Ready } from '../ready.js';
import type { ConfState, Entry, ReadState, SoftState } from '../types.js';
import { SplitMix64 } from './split-mix64.js';

/** Options of the nodes a {@link Network} builds; `id`, `storage` and `rand` are filled in per peer. */
export type PeerOptions = Partial<Omit<RaftOptions, 'id' | 'storage'>>;

/**
 * One node of a {@link Network}: a {@link RawNode} with a {@link MemoryStorage} it persists every Ready to,
 * and a record of what it applied. Persistence is immediate and complete: `restart()` loses only what raft
 * held in memory (the unstable tail, volatile state).
 */
export class TestPeer {
  readonly id: bigint;
  readonly storage: MemoryStorage;
  node: RawNode;
  /** Every committed entry this peer applied, in order (including those before a restart). */
  readonly applied: Entry[] = [];
  /** Every read state this peer received. */
  readonly readStates: ReadState[] = [];
  /** Every soft state change seen in a Ready. */
  readonly softStates: SoftState[] = [];
  /** The membership after the last applied conf change or snapshot. */
  confState: ConfState;
  /** Apply conf-change entries (`applyConfChange`) when they come out committed. @default true */
  autoApplyConfChanges = true;
  readonly #options: PeerOptions;

  constructor(id: bigint, storage: MemoryStorage, options: PeerOptions) {
    this.id = id;
    this.storage = storage;
    this.#options = options;
    this.confState = storage.initialState().confState;
    this.node = this.#newNode(0);
  }

  #newNode(applied: number): RawNode {
    return new RawNode({
      rand: new SplitMix64(this.id),
      electionTicks: 10,
      heartbeatTicks: 1,
      ...this.#options,
      id: this.id,
      storage: this.storage,
      applied,
    });
  }

  /** Crashes and restarts the node from its storage: it resumes at its snapshot, as a follower. */
  restart(): void {
    const snap = this.storage.snapshot();
    this.confState = snap.metadata.confState;
    this.node = this.#newNode(snap.metadata.index);
  }

  /** Handles one Ready completely (persist, collect messages, apply, advance); returns it. */
  handleReady(): Ready {
    const rd = this.node.ready();
    if (rd.snapshot !== null) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    if (rd.hardState !== null) this.storage.setHardState(rd.hardState);
    if (rd.softState !== null) this.softStates.push(rd.softState);
    if (rd.snapshot !== null) this.confState = rd.snapshot.metadata.confState;
    for (const e of rd.committedEntries) {
      this.applied.push(e);
      if (e.type === 'confChange' && this.autoApplyConfChanges)
        this.confState = this.node.applyConfChange(decodeConfChange(e.data));
    }
    for (const rs of rd.readStates) this.readStates.push(rs);
    this.node.advance();
    return rd;
  }

  /** Handles every pending Ready; returns the messages to send. */
  drain(): Message[] {
    const out: Message[] = [];
    while (this.node.hasReady()) for (const m of this.handleReady().messages) out.push(m);
    return out;
  }

  /** The data of the normal entries applied with a non-empty payload, decoded as UTF-8. */
  appliedData(): string[] {
    const dec = new TextDecoder();
    return this.applied
      .filter((e) => e.type === 'normal' && e.data.length > 0)
      .map((e) => dec.decode(e.data));
  }
}

/** How a {@link Network} is built. */
export interface NetworkOptions {
  /** Node options shared by every peer. */
  peer?: PeerOptions;
  /** Per-peer option overrides. */
  perPeer?: ReadonlyMap<bigint, PeerOptions>;
  /** Storages to start from (logs prepared by the test); others start bootstrapped with all ids. */
  storages?: ReadonlyMap<bigint, MemoryStorage>;
  /** Ids that swallow every message sent to them (etcd's black-hole stepper). */
  blackHoles?: readonly bigint[];
  /** Seed for `drop()`'s randomness. @default 1 */
  seed?: number;
  /**
   * Start as a real cluster does: empty storages and `bootstrap(ids)`, so the founding membership is in the
   * log (entries 1..n) and a member joining later learns it from there. Otherwise the membership sits in
   * each storage's index-0 snapshot, as in etcd's tests, and entries start at 1. @default false
   */
  bootstrap?: boolean;
}

/**
 * A synchronous in-process network of {@link TestPeer}s for step-level tests (etcd's `network`): messages
 * are delivered one at a time, in FIFO order, until none is left. Faults are data: `cut`, `isolate`,
 * `drop`, `ignore`, `msgHook`.
 */
export class Network {
  readonly peers = new Map<bigint, TestPeer>();
  readonly #blackHoles: Set<bigint>;
  readonly #cut = new Set<string>();
  readonly #dropRates = new Map<string, number>();
  readonly #ignored = new Set<MessageType>();
  readonly #rand: SplitMix64;
  readonly #peerOptions: PeerOptions;
  /** Called for every message about to be delivered; returning false drops it. */
  msgHook: ((m: Message) => boolean) | null = null;
  /** Every message that was delivered, in order. */
  readonly delivered: Message[] = [];

  /**
   * Builds peers `ids`; those without a prepared storage start with the membership `ids` (voters) at index
   * 0, as etcd's tests do.
   */
  constructor(ids: readonly bigint[], options: NetworkOptions = {}) {
    this.#blackHoles = new Set(options.blackHoles ?? []);
    this.#rand = new SplitMix64(options.seed ?? 1);
    this.#peerOptions = options.peer ?? {};
    for (const id of ids) {
      if (this.#blackHoles.has(id)) continue;
      const storage =
        options.storages?.get(id) ??
        new MemoryStorage(options.bootstrap ? {} : { confState: { voters: ids, learners: [] } });
      const peer = new TestPeer(id, storage, { ...options.peer, ...options.perPeer?.get(id) });
      this.peers.set(id, peer);
      if (options.bootstrap) {
        peer.node.bootstrap(ids);
        peer.drain();
      }
    }
  }

  /** Adds a peer with an empty storage (a member about to join), or `storage`. */
  addPeer(id: bigint, options: PeerOptions = {}, storage: MemoryStorage = new MemoryStorage()): TestPeer {
    const p = new TestPeer(id, storage, { ...this.#peerOptions, ...options });
    this.peers.set(id, p);
    return p;
  }

  peer(id: bigint): TestPeer {
    const p = this.peers.get(id);
    if (p === undefined) throw new RangeError(`no peer ${id}`);
    return p;
  }

  /** Delivers `msgs` and everything they cause, until no message is left. */
  send(msgs: readonly Message[]): void {
    const queue: Message[] = this.#filter(msgs);
    for (let i = 0; i < queue.length; i++) {
      const m = queue[i] as Message;
      const p = this.peers.get(m.to);
      if (p === undefined) continue;
      this.delivered.push(m);
      try {
        p.node.step(m);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code !== 'ERR_RAFT_STEP_PEER_NOT_FOUND' && code !== 'ERR_RAFT_PROPOSAL_DROPPED') throw err;
      }
      for (const out of this.#filter(p.drain())) queue.push(out);
      if (i > 100_000) throw new Error('network did not quiesce');
    }
  }

  /** Drains every peer's Readies and delivers the messages until quiescent. */
  stabilize(): void {
    const msgs: Message[] = [];
    for (const p of this.peers.values()) for (const m of p.drain()) msgs.push(m);
    this.send(msgs);
  }

  /** `campaign()` on `id`, then stabilize. */
  campaign(id: bigint): void {
    this.peer(id).node.campaign();
    this.stabilize();
  }

  /** Proposes the UTF-8 bytes of `data` on `id`, then stabilizes. */
  propose(id: bigint, data: string): void {
    this.peer(id).node.propose(new TextEncoder().encode(data));
    this.stabilize();
  }

  /** Ticks `id` `n` times, stabilizing after each tick. */
  tick(id: bigint, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.peer(id).node.tick();
      this.stabilize();
    }
  }

  /** Ticks every peer `n` times, stabilizing after each round. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const p of this.peers.values()) p.node.tick();
      this.stabilize();
    }
  }

  /** Drops every message between `a` and `b`, both ways. */
  cut(a: bigint, b: bigint): void {
    this.#cut.add(`${a}>${b}`);
    this.#cut.add(`${b}>${a}`);
  }

  /** Drops messages from `from` to `to` only (an asymmetric partition). */
  cutOneWay(from: bigint, to: bigint): void {
    this.#cut.add(`${from}>${to}`);
  }

  /** Cuts `id` off from every other peer. */
  isolate(id: bigint): void {
    for (const other of this.peers.keys()) if (other !== id) this.cut(id, other);
    for (const other of this.#blackHoles) this.cut(id, other);
  }

  /** Drops a `fraction` of the messages from `from` to `to`. */
  drop(from: bigint, to: bigint, fraction: number): void {
    this.#dropRates.set(`${from}>${to}`, fraction);
  }

  /** Drops every message of `type`. */
  ignore(type: MessageType): void {
    this.#ignored.add(type);
  }

  /** Removes every fault (cuts, drops, ignored types, hook). */
  recover(): void {
    this.#cut.clear();
    this.#dropRates.clear();
    this.#ignored.clear();
    this.msgHook = null;
  }

  #filter(msgs: readonly Message[]): Message[] {
    const out: Message[] = [];
    for (const m of msgs) {
      if (this.#blackHoles.has(m.to)) continue;
      if (this.#ignored.has(m.type)) continue;
      const link = `${m.from}>${m.to}`;
      if (this.#cut.has(link)) continue;
      const rate = this.#dropRates.get(link);
      if (rate !== undefined && this.#rand.next() < rate) continue;
      if (this.msgHook !== null && !this.msgHook(m)) continue;
      out.push(m);
    }
    return out;
  }
}

/** A storage holding entries of the given terms at indexes 1..n, with membership `voters`. */
export function storageWithLog(voters: readonly bigint[], terms: readonly number[], term = 0): MemoryStorage {
  const s = new MemoryStorage({ confState: { voters, learners: [] } });
  const enc = new TextEncoder();
  s.append(terms.map((t, i) => ({ term: t, index: i + 1, type: 'normal', data: enc.encode(`e${i + 1}`) })));
  const last = terms[terms.length - 1] ?? 0;
  s.setHardState({ term: Math.max(term, last), vote: 0n, commit: 0 });
  return s;
}

/** The terms of the entries in a storage, from its first index on. */
export function logTerms(s: MemoryStorage): number[] {
  const out: number[] = [];
  for (let i = s.firstIndex(); i <= s.lastIndex(); i++) out.push(s.term(i));
  return out;
}
