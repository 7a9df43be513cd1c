import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KvClient, KvClientError } from './kv-client.js';
import type { KvNodeStatus } from './kv-node.js';

/** Settings of every kv-node of a {@link KvCluster}. */
export interface KvClusterOptions {
  /** @default 100 */
  tickMs?: number;
  /** @default 10000 */
  snapshotEntries?: number;
  /** @default 500 */
  logTailEntries?: number;
  /** @default 10000 */
  requestTimeoutMs?: number;
  /** The nodes' log level (stderr). @default 'warn' */
  logLevel?: string;
  /** How long a node may take to print its ready line. @default 20000 */
  startTimeoutMs?: number;
  /** Where the nodes' state dirs go. @default a fresh temp dir, removed by close() */
  baseDir?: string;
  /** Requests in flight per client. @default 64 */
  maxSockets?: number;
  /** Extra flags for node before the script (`--cpu-prof`…). @default [] */
  nodeArgs?: string[];
}

/** One kv-node process started by the cluster. */
export interface KvProcess {
  readonly id: bigint;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Settles when the process exited, with its code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines it wrote to stderr (its logs). */
  readonly stderr: string[];
}

/** What a node that failed to start printed: `{"event":"failed","error":{…}}`. */
export class KvNodeStartError extends Error {
  readonly error: Record<string, unknown> | null;
  readonly stderr: string[];

  constructor(message: string, error: Record<string, unknown> | null, stderr: string[]) {
    super(message);
    this.name = 'KvNodeStartError';
    this.error = error;
    this.stderr = stderr;
  }
}

/** The compiled (or, under tsx, source) kv-node next to this file. */
function kvNodeCommand(): string[] {
  const url = new URL(import.meta.url);
  if (url.pathname.endsWith('.ts')) return ['--import', 'tsx', fileURLToPath(new URL('./kv-node.ts', url))];
  return [fileURLToPath(new URL('./kv-node.js', url))];
}

/** The low end of the kernel's ephemeral port range (client sockets take their ports from there). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isSafeInteger(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}

function tryListen(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/**
 * `n` loopback ports that were free a moment ago, picked at random BELOW the ephemeral range: a port the OS
 * hands out for port 0 may meanwhile become the source port of some client connection, and a member must
 * keep its port across restarts.
 */
export async function freeLoopbackPorts(n: number): Promise<number[]> {
  const low = 10_000;
  const high = ephemeralLow();
  const held: net.Server[] = [];
  const ports: number[] = [];
  for (let attempt = 0; ports.length < n && attempt < 50 * n; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (ports.includes(port)) continue;
    const s = await tryListen(port);
    if (s === null) continue;
    held.push(s);
    ports.push(port);
  }
  await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  if (ports.length < n) throw new Error(`Cannot find ${n} free loopback ports below ${high}`);
  return ports;
}

/** Resolves once `pred()` holds, polling every `everyMs`; rejects after `timeoutMs` with the last error. */
export async function waitUntil(
  what: string,
  pred: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  everyMs = 20,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      if (await pred()) return;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline)
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${last === null ? '' : `: ${String(last)}`}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A cluster of kv-node processes on loopback, for the real-process tests and the benchmark. Each member has
 * a fixed raft and API port and state dir, so it can be killed and started again. Every process it started
 * is killed (by PID) by {@link close}, which also removes the state dirs it created.
 */
export class KvCluster {
  readonly baseDir: string;
  readonly #o: Required<Omit<KvClusterOptions, 'baseDir'>>;
  readonly #ownsDir: boolean;
  readonly #raft = new Map<bigint, string>();
  readonly #api = new Map<bigint, string>();
  readonly #clients = new Map<bigint, KvClient>();
  readonly #running = new Map<bigint, KvProcess>();
  readonly #all = new Set<KvProcess>();
  /** The founding members, in bootstrap order. */
  readonly founders: readonly bigint[];

  private constructor(baseDir: string, ownsDir: boolean, founders: bigint[], o: KvClusterOptions) {
    this.baseDir = baseDir;
    this.#ownsDir = ownsDir;
    this.founders = founders;
    this.#o = {
      tickMs: o.tickMs ?? 100,
      snapshotEntries: o.snapshotEntries ?? 10_000,
      logTailEntries: o.logTailEntries ?? 500,
      requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
      logLevel: o.logLevel ?? 'warn',
      startTimeoutMs: o.startTimeoutMs ?? 20_000,
      maxSockets: o.maxSockets ?? 64,
      nodeArgs: o.nodeArgs ?? [],
    };
  }

  /**
   * Starts `n` founding members (ids 1..n) and waits until they all serve (not for a leader).
   * Pass `all` to have the cluster registered for cleanup before anything can fail.
   */
  static async start(n: number, options: KvClusterOptions = {}, all?: Set<KvCluster>): Promise<KvCluster> {
    const owns = options.baseDir === undefined;
    const base = options.baseDir ?? (await mkdtemp(join(tmpdir(), 'swarmd-kv-')));
    const ids = Array.from({ length: n }, (_, i) => BigInt(i + 1));
    const c = new KvCluster(base, owns, ids, options);
    all?.add(c);
    await c.#allocate(ids);
    await Promise.all(ids.map((id) => c.startNode(id)));
    return c;
  }

  async #allocate(ids: readonly bigint[]): Promise<void> {
    const ports = await freeLoopbackPorts(ids.length * 2);
    ids.forEach((id, i) => {
      this.#raft.set(id, `127.0.0.1:${ports[2 * i]}`);
      this.#api.set(id, `127.0.0.1:${ports[2 * i + 1]}`);
    });
  }

  /** Reserves ports for a member to add later (see {@link startNode} with `join`). */
  async reserve(id: bigint): Promise<string> {
    await this.#allocate([id]);
    return this.raftAddress(id);
  }

  get ids(): bigint[] {
    return [...this.#raft.keys()];
  }

  /** Members whose process is running. */
  get live(): bigint[] {
    return [...this.#running.keys()];
  }

  raftAddress(id: bigint): string {
    const a = this.#raft.get(id);
    if (a === undefined) throw new RangeError(`no member ${id}`);
    return a;
  }

  dir(id: bigint): string {
    return join(this.baseDir, `node-${id}`);
  }

  process(id: bigint): KvProcess | null {
    return this.#running.get(id) ?? null;
  }

  client(id: bigint): KvClient {
    let c = this.#clients.get(id);
    if (c === undefined) {
      const api = this.#api.get(id);
      if (api === undefined) throw new RangeError(`no member ${id}`);
      c = new KvClient(api, { maxSockets: this.#o.maxSockets });
      this.#clients.set(id, c);
    }
    return c;
  }

  /**
   * Starts (or restarts, on its state dir) member `id` and resolves once it prints its ready line.
   * With `join`, the member starts empty and waits to be added; it knows the founders' addresses.
   * @throws KvNodeStartError when it exits or prints a failure instead
   */
  async startNode(id: bigint, options: { join?: boolean } = {}): Promise<KvProcess> {
    if (this.#running.has(id)) throw new Error(`member ${id} is already running`);
    const dir = this.dir(id);
    await mkdir(dir, { recursive: true });
    const known = options.join ? [...this.#raft.keys()].filter((m) => m !== id) : this.founders;
    const members = known.map((m) => `${m}=${this.raftAddress(m)}`).join(',');
    const args = [
      ...this.#o.nodeArgs,
      ...kvNodeCommand(),
      '--id',
      String(id),
      '--dir',
      dir,
      '--listen',
      this.raftAddress(id),
      '--api',
      this.#api.get(id) as string,
      '--members',
      members,
      '--tick-ms',
      String(this.#o.tickMs),
      '--snapshot-entries',
      String(this.#o.snapshotEntries),
      '--log-tail',
      String(this.#o.logTailEntries),
      '--request-timeout-ms',
      String(this.#o.requestTimeoutMs),
      '--log-level',
      this.#o.logLevel,
      ...(options.join ? ['--join'] : []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const proc: KvProcess = { id, pid: child.pid ?? -1, child, exited, stderr };
    this.#all.add(proc);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      stderr.push(line);
      if (stderr.length > 200) stderr.shift();
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const first = await new Promise<Record<string, unknown> | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), this.#o.startTimeoutMs);
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
        } catch {
          resolve({ event: 'garbage', line });
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        resolve(null);
      });
    });
    if (first?.event !== 'ready') {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      const error = (first?.error ?? null) as Record<string, unknown> | null;
      throw new KvNodeStartError(
        `kv-node ${id} did not start: ${first === null ? 'no ready line' : JSON.stringify(first)}`,
        error,
        stderr,
      );
    }
    this.#running.set(id, proc);
    void exited.then(() => {
      if (this.#running.get(id) === proc) this.#running.delete(id);
    });
    return proc;
  }

  /** kill -9 member `id` (by PID) and wait for the process to be gone. */
  async kill(id: bigint, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.#running.get(id);
    if (p === undefined) return;
    this.#running.delete(id);
    this.#clients.get(id)?.close();
    this.#clients.delete(id);
    try {
      process.kill(p.pid, signal);
    } catch {
      // already gone
    }
    await p.exited;
  }

  async status(id: bigint): Promise<KvNodeStatus> {
    return this.client(id).status();
  }

  /**
   * Waits until every live member (but `exclude`) agrees on one leader among them; returns its id.
   */
  async waitForLeader(options: { exclude?: readonly bigint[]; timeoutMs?: number } = {}): Promise<bigint> {
    let leader: bigint | null = null;
    await waitUntil(
      'a leader',
      async () => {
        const ids = this.live.filter((id) => !(options.exclude ?? []).includes(id));
        const sts = await Promise.all(ids.map((id) => this.status(id)));
        const l = sts.find((s) => s.isLeader);
        if (l === undefined) return false;
        if (!sts.every((s) => s.leaderId === l.id)) return false;
        leader = BigInt(l.id);
        return true;
      },
      options.timeoutMs ?? 20_000,
    );
    return leader as unknown as bigint;
  }

  /** Waits until member `id` has applied at least `index`. */
  async waitApplied(id: bigint, index: number, timeoutMs = 20_000): Promise<KvNodeStatus> {
    let st: KvNodeStatus | null = null;
    await waitUntil(
      `member ${id} to apply ${index}`,
      async () => {
        st = await this.status(id);
        return st.applied >= index;
      },
      timeoutMs,
    );
    return st as unknown as KvNodeStatus;
  }

  /**
   * Puts through whichever member leads, following not-leader answers; retries retryable refusals until
   * `timeoutMs`. Returns the result and the member that took it.
   */
  async put(key: string, value: Uint8Array, timeoutMs = 20_000): Promise<{ revision: number; via: bigint }> {
    let out: { revision: number; via: bigint } | null = null;
    let target: bigint | null = null;
    await waitUntil(
      `a put of ${key}`,
      async () => {
        const live = this.live;
        const id = target !== null && live.includes(target) ? target : (live[0] as bigint);
        try {
          const r = await this.client(id).put(key, value);
          out = { revision: r.revision, via: id };
          return true;
        } catch (err) {
          target =
            err instanceof KvClientError && err.leaderId !== null
              ? BigInt(err.leaderId)
              : (live[(live.indexOf(id) + 1) % live.length] as bigint);
          throw err;
        }
      },
      timeoutMs,
      5,
    );
    return out as unknown as { revision: number; via: bigint };
  }

  /** Kills every process this cluster started (SIGKILL, by PID), closes clients, removes its temp dir. */
  async close(): Promise<void> {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
    await Promise.all(
      [...this.#all].map(async (p) => {
        if (p.child.exitCode === null && p.child.signalCode === null) {
          try {
            process.kill(p.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await p.exited;
      }),
    );
    this.#running.clear();
    if (this.#ownsDir) await rm(this.baseDir, { recursive: true, force: true });
  }
}
