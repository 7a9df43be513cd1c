/**
 * Real `swarmd` manager processes on loopback, for e2e tests and benchmarks: `init` on the first, `join`
 * with the printed manager token on the others, each with its own state dir and ports. Waits poll
 * /healthz with a bound; every process is killed by PID in {@link SwarmdCluster.destroy}.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { freeLoopbackPorts, waitUntil } from '../manager/replication/testing/index.js';
import { LocalContainers, OciRuntime, removeCgroupParent } from '../runtime-native/ts/index.js';

export interface SwarmdHealth {
  status: string;
  nodeId: string;
  raftId: string;
  isLeader: boolean;
  leaderId: string | null;
  /** 'worker' for a worker's agent-only swarmd. */
  role?: string;
  members: { raftId: string; role: string }[];
}

/**
 * How to start the daemon: the compiled entry of the build this module runs from (dist/ or another build
 * dir), or, when run from the sources (a benchmark through tsx), the TypeScript entry through tsx.
 */
function entry(): string[] {
  const compiled = new URL('../swarmd/entry.js', import.meta.url).pathname;
  if (existsSync(compiled)) return [compiled];
  return ['--import', 'tsx', new URL('../swarmd/entry.ts', import.meta.url).pathname];
}

/** Deletes (force) every container of a node's runtime root and the node's cgroup parent. */
export async function removeContainers(n: SwarmdProcess): Promise<void> {
  if (!existsSync(n.runtimeRoot)) return;
  const runtime = new OciRuntime({ root: n.runtimeRoot });
  const containers = new LocalContainers({
    runtime,
    stateDir: join(n.stateDir, 'containers'),
    cgroupParent: n.cgroupParent,
  });
  for (const c of await runtime.list().catch(() => []))
    await containers.remove(c.id, { force: true }).catch(() => {});
  await removeCgroupParent(n.cgroupParent).catch(() => {});
}

export class SwarmdProcess {
  readonly name: string;
  readonly stateDir: string;
  readonly listenAddr: string;
  readonly httpAddr: string;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  child: ChildProcess | null = null;
  #exited: Promise<number | null> = Promise.resolve(null);

  constructor(name: string, stateDir: string, listenAddr: string, httpAddr: string) {
    this.name = name;
    this.stateDir = stateDir;
    this.listenAddr = listenAddr;
    this.httpAddr = httpAddr;
  }

  get socket(): string {
    return join(this.stateDir, 'swarmd.sock');
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The container runtime's state root of this node's agent (its own, so tests can clean it up). */
  get runtimeRoot(): string {
    return join(this.stateDir, 'runtime');
  }

  /** The cgroup under which this node's containers are made. */
  get cgroupParent(): string {
    return `/swarmd-test-${basename(dirname(this.stateDir))}-${this.name}`;
  }

  start(command: string[]): void {
    const globals = ['--runtime-root', this.runtimeRoot, '--cgroup-parent', this.cgroupParent];
    // SWARMD_NODE_ARGS: extra flags for node, to profile the daemons (`--cpu-prof --cpu-prof-dir=DIR`).
    const nodeArgs = (process.env.SWARMD_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const child = spawn(process.execPath, [...nodeArgs, ...entry(), ...globals, ...command], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => this.stdout.push(l));
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (l) => {
      this.stderr.push(l);
      if (this.stderr.length > 500) this.stderr.shift();
    });
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  async health(): Promise<SwarmdHealth | null> {
    try {
      const r = await fetch(`http://${this.httpAddr}/healthz`);
      return (await r.json()) as SwarmdHealth;
    } catch {
      return null;
    }
  }

  /** Kills the process (by its PID) and waits for it to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.running) process.kill(this.pid, signal);
    return this.#exited;
  }
}

export interface SwarmdClusterOptions {
  managers: number;
  /** @default a new temp dir, removed by destroy() */
  baseDir?: string;
}

export class SwarmdCluster {
  readonly baseDir: string;
  readonly nodes: SwarmdProcess[];
  managerToken = '';
  workerToken = '';

  private constructor(baseDir: string, nodes: SwarmdProcess[]) {
    this.baseDir = baseDir;
    this.nodes = nodes;
  }

  /**
   * Starts `managers` managers: one init, the others join it; resolves when all report a leader. A port
   * found free can be taken by another test before a manager binds it, so a failed start is tried again
   * on fresh ports (twice at most).
   */
  static async start(options: SwarmdClusterOptions): Promise<SwarmdCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await SwarmdCluster.#startOnce(options);
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }

  static async #startOnce(options: SwarmdClusterOptions): Promise<SwarmdCluster> {
    const base = options.baseDir ?? (await mkdtemp('/tmp/swc-'));
    const ports = await freeLoopbackPorts(options.managers * 2);
    const nodes = Array.from(
      { length: options.managers },
      (_, i) =>
        new SwarmdProcess(
          `m${i + 1}`,
          join(base, `m${i + 1}`),
          `127.0.0.1:${ports[2 * i]}`,
          `127.0.0.1:${ports[2 * i + 1]}`,
        ),
    );
    const cluster = new SwarmdCluster(base, nodes);
    try {
      const [first, ...rest] = nodes as [SwarmdProcess, ...SwarmdProcess[]];
      first.start([
        'init',
        '--state-dir',
        first.stateDir,
        '--listen-addr',
        first.listenAddr,
        '--http-addr',
        first.httpAddr,
      ]);
      await cluster.waitHealthy([first]);
      await waitUntil(
        'the join command on stdout',
        () => first.stdout.some((l) => /swarmd join --token SWMTKN-1-/.test(l)),
        10_000,
      );
      const joinLine = first.stdout.find((l) => /swarmd join --token SWMTKN-1-/.test(l)) ?? '';
      cluster.managerToken = /--token (\S+)/.exec(joinLine)?.[1] ?? '';
      const workerLine = first.stdout.filter((l) => /swarmd join --token SWMTKN-1-/.test(l))[1] ?? '';
      cluster.workerToken = /--token (\S+)/.exec(workerLine)?.[1] ?? '';
      for (const n of rest) {
        n.start([
          'join',
          '--token',
          cluster.managerToken,
          '--state-dir',
          n.stateDir,
          '--listen-addr',
          n.listenAddr,
          '--http-addr',
          n.httpAddr,
          first.listenAddr,
        ]);
        await cluster.waitHealthy([n]);
      }
      await cluster.waitHealthy();
      return cluster;
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
  }

  /** Waits until each of `nodes` (default: all running) serves /healthz with a known leader. */
  async waitHealthy(
    nodes: SwarmdProcess[] = this.nodes.filter((n) => n.running),
    timeoutMs = 30_000,
  ): Promise<void> {
    for (const n of nodes) {
      await waitUntil(
        `${n.name} healthy with a leader`,
        async () => {
          if (!n.running) throw new Error(`${n.name} exited:\n${n.stderr.slice(-20).join('\n')}`);
          const h = await n.health();
          return h !== null && h.status === 'ok' && (h.leaderId !== null || h.role === 'worker');
        },
        timeoutMs,
      );
    }
  }

  async leader(): Promise<SwarmdProcess> {
    let found: SwarmdProcess | undefined;
    await waitUntil(
      'a leader',
      async () => {
        for (const n of this.nodes) {
          if (!n.running) continue;
          if ((await n.health())?.isLeader) {
            found = n;
            return true;
          }
        }
        return false;
      },
      30_000,
    );
    return found as SwarmdProcess;
  }

  async followers(): Promise<SwarmdProcess[]> {
    const l = await this.leader();
    return this.managers().filter((n) => n !== l && n.running);
  }

  /**
   * Adds a worker: `swarmd join` with the worker token through the first manager; resolves once its agent
   * has a session. Killed and cleaned up with the others by {@link destroy}.
   */
  async addWorker(name: string): Promise<SwarmdProcess> {
    const [httpPort] = await freeLoopbackPorts(1);
    const w = new SwarmdProcess(name, join(this.baseDir, name), '', `127.0.0.1:${httpPort}`);
    this.nodes.push(w);
    const first = this.nodes[0] as SwarmdProcess;
    w.start([
      'join',
      '--token',
      this.workerToken,
      '--state-dir',
      w.stateDir,
      '--http-addr',
      w.httpAddr,
      first.listenAddr,
    ]);
    await this.waitHealthy([w]);
    return w;
  }

  /** The running managers (workers have no raft and no leader). */
  managers(): SwarmdProcess[] {
    return this.nodes.filter((n) => n.listenAddr !== '');
  }

  /** Starts a stopped node again with `swarmd run`. */
  restart(n: SwarmdProcess): void {
    n.start(['run', '--state-dir', n.stateDir, '--http-addr', n.httpAddr]);
  }

  /**
   * Kills every process by PID, then every container their agents left (containers outlive swarmd by
   * design), their cgroups, and the base dir.
   */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill('SIGKILL')));
    for (const n of this.nodes) await removeContainers(n);
    await rm(this.baseDir, { recursive: true, force: true });
  }
}
