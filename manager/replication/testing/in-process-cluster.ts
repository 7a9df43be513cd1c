import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock, Logger } from '../../../common/index.js';
import { nullLogger, SeededRand } from '../../../common/index.js';
import type { MemberAddress, ReplicatedNodeOptions } from '../index.js';
import { ReplicatedNode } from '../index.js';
import { ListenError } from '../transport/index.js';
import { freeLoopbackPorts, waitUntil } from './kv-cluster.js';
import type { KvResult } from './kv-state-machine.js';
import { encodeKvCommand, KvStateMachine } from './kv-state-machine.js';

/**
 * Settings of the members of an {@link InProcessCluster}: those of {@link ReplicatedNodeOptions}, except
 * that `tickMs` defaults to 50 (elections in 0.5–1 s) and the transport reconnects within 20–200 ms.
 */
export interface InProcessClusterOptions
  extends Partial<
    Pick<
      ReplicatedNodeOptions<KvResult>,
      | 'tickMs'
      | 'electionTicks'
      | 'snapshotEntries'
      | 'logTailEntries'
      | 'requestTimeoutMs'
      | 'transferTimeoutMs'
      | 'catchUpTimeoutMs'
      | 'clock'
      | 'storage'
      | 'transport'
      | 'metrics'
    >
  > {
  /** @default a logger that drops everything */
  logger?: Logger;
  /** Seeds every member's randomness (member i gets seed + i). @default 1 */
  seed?: number;
}

/** One running member: the node, its state machine, and its run() promise. */
export interface InProcessMember {
  readonly id: bigint;
  readonly node: ReplicatedNode<KvResult>;
  readonly sm: KvStateMachine;
  /** run()'s promise; already handled (never an unhandled rejection). */
  readonly done: Promise<void>;
  readonly dir: string;
}

const enc = new TextEncoder();

/**
 * N {@link ReplicatedNode}s in this process, each with real storage in a temp dir and a real transport on
 * a fixed loopback port (so a member can be stopped and started again on its state dir).
 */
export class InProcessCluster {
  readonly baseDir: string;
  readonly #o: InProcessClusterOptions;
  readonly #addresses = new Map<bigint, string>();
  readonly #members = new Map<bigint, InProcessMember>();
  readonly #founders: bigint[];
  readonly #clock: Clock | undefined;

  private constructor(baseDir: string, founders: bigint[], o: InProcessClusterOptions) {
    this.baseDir = baseDir;
    this.#founders = founders;
    this.#o = o;
    this.#clock = o.clock;
  }

  /** Starts members 1..n of a new cluster (without waiting for a leader). */
  static async start(
    n: number,
    options: InProcessClusterOptions = {},
    all?: Set<InProcessCluster>,
  ): Promise<InProcessCluster> {
    const ids = Array.from({ length: n }, (_, i) => BigInt(i + 1));
    // A port found free can be taken by another test file before the member binds it: start over on
    // fresh ports when that happens (a new cluster has nothing to lose).
    for (let attempt = 1; ; attempt++) {
      const base = await mkdtemp(join(tmpdir(), 'swarmd-repl-'));
      const c = new InProcessCluster(base, ids, options);
      all?.add(c);
      await c.reserve(ids);
      try {
        await Promise.all(ids.map((id) => c.startMember(id)));
        return c;
      } catch (err) {
        if (!(err instanceof ListenError) || attempt >= 3) throw err;
        await c.close();
        all?.delete(c);
      }
    }
  }

  /** Reserves loopback ports for members (founders, or members to add later). */
  async reserve(ids: readonly bigint[]): Promise<void> {
    const ports = await freeLoopbackPorts(ids.length);
    ids.forEach((id, i) => {
      this.#addresses.set(id, `127.0.0.1:${ports[i]}`);
    });
  }

  address(id: bigint): string {
    const a = this.#addresses.get(id);
    if (a === undefined) throw new RangeError(`no address for member ${id}`);
    return a;
  }

  dir(id: bigint): string {
    return join(this.baseDir, `node-${id}`);
  }

  member(id: bigint): InProcessMember {
    const m = this.#members.get(id);
    if (m === undefined) throw new RangeError(`member ${id} is not running`);
    return m;
  }

  node(id: bigint): ReplicatedNode<KvResult> {
    return this.member(id).node;
  }

  get live(): bigint[] {
    return [...this.#members.keys()];
  }

  /**
   * Starts (or restarts on its state dir) member `id`; resolves once it runs. With `join`, it starts empty
   * knowing every other reserved member's address and waits to be added.
   */
  async startMember(id: bigint, options: { join?: boolean } = {}): Promise<InProcessMember> {
    const known: MemberAddress[] = (
      options.join ? [...this.#addresses.keys()].filter((m) => m !== id) : this.#founders
    ).map((m) => ({ id: m, address: this.address(m) }));
    const sm = new KvStateMachine();
    const o = this.#o;
    const node = new ReplicatedNode<KvResult>({
      id,
      dir: this.dir(id),
      listenAddress: this.address(id),
      stateMachine: sm,
      members: known,
      join: options.join ?? false,
      tickMs: o.tickMs ?? 50,
      ...(o.electionTicks === undefined ? {} : { electionTicks: o.electionTicks }),
      ...(o.snapshotEntries === undefined ? {} : { snapshotEntries: o.snapshotEntries }),
      ...(o.logTailEntries === undefined ? {} : { logTailEntries: o.logTailEntries }),
      ...(o.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: o.requestTimeoutMs }),
      ...(o.transferTimeoutMs === undefined ? {} : { transferTimeoutMs: o.transferTimeoutMs }),
      ...(o.catchUpTimeoutMs === undefined ? {} : { catchUpTimeoutMs: o.catchUpTimeoutMs }),
      ...(o.storage === undefined ? {} : { storage: o.storage }),
      ...(o.metrics === undefined ? {} : { metrics: o.metrics }),
      transport: { minBackoffMs: 20, maxBackoffMs: 200, ...o.transport },
      ...(this.#clock === undefined ? {} : { clock: this.#clock }),
      logger: (o.logger ?? nullLogger).child({ member: id.toString() }),
      rand: new SeededRand((o.seed ?? 1) * 1000 + Number(id) + this.#starts++),
    });
    const done = node.run();
    done.catch(() => {});
    const m: InProcessMember = { id, node, sm, done, dir: this.dir(id) };
    this.#members.set(id, m);
    await node.whenStarted();
    return m;
  }

  #starts = 0;

  /** Stops member `id` (cleanly) and forgets it; its state dir stays. */
  async stopMember(id: bigint): Promise<void> {
    const m = this.#members.get(id);
    if (m === undefined) return;
    this.#members.delete(id);
    await m.node.stop();
  }

  /** Waits until the live members (but `exclude`) agree on a leader among them; returns it. */
  async waitForLeader(options: { exclude?: readonly bigint[]; timeoutMs?: number } = {}): Promise<bigint> {
    let leader = 0n;
    await waitUntil(
      'a leader',
      () => {
        const ids = this.live.filter((id) => !(options.exclude ?? []).includes(id));
        const l = ids.find((id) => this.node(id).isLeader());
        if (l === undefined) return false;
        if (!ids.every((id) => this.node(id).leader().leaderId === l)) return false;
        leader = l;
        return true;
      },
      options.timeoutMs ?? 20_000,
      5,
    );
    return leader;
  }

  /** Waits until member `id` applied `index`. */
  async waitApplied(id: bigint, index: number, timeoutMs = 20_000): Promise<void> {
    await waitUntil(
      `member ${id} to apply ${index}`,
      () => this.node(id).status().applied >= index,
      timeoutMs,
      5,
    );
  }

  /** Puts `key` = `value` through member `id`. */
  put(id: bigint, key: string, value: string | Uint8Array): Promise<KvResult> {
    return this.node(id).propose(
      encodeKvCommand({ op: 'put', key, value: typeof value === 'string' ? enc.encode(value) : value }),
    );
  }

  /** Stops every member and removes the temp dir. */
  async close(): Promise<void> {
    await Promise.all([...this.#members.values()].map((m) => m.node.stop()));
    this.#members.clear();
    await rm(this.baseDir, { recursive: true, force: true });
  }
}
