/**
 * The netns test cluster of `deploy/testnet` driven from tests: every host a network namespace on a
 * private bridge running its own `swarmd`, faults made by the script (kills, partitions at the switch,
 * frame loss). This module runs the script as an operator would and reads what tests check: each host's
 * /healthz (through its namespace) and the containers its runtime really runs.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { OciRuntime } from '../runtime-native/ts/index.js';

const SCRIPT = new URL('../../deploy/testnet', import.meta.url).pathname;

export interface TestnetHost {
  name: string;
  role: 'manager' | 'worker';
  addr: string;
  pid: number | null;
  running: boolean;
  health: string;
  leader: boolean;
  /** A manager's Unix socket (swarmctl --socket), null for a worker. */
  socket: string | null;
}

/** A host's /healthz body (managers: raft and store; workers: the agent's session). */
export interface TestnetHealth {
  status: string;
  nodeId?: string;
  isLeader?: boolean;
  leaderId?: string | null;
  term?: number;
  commit?: number;
  applied?: number;
  store?: { version: number; objects: Record<string, number> } | null;
  session?: { manager: string; nodeId: string } | null;
}

export class TestnetError extends Error {
  readonly code = 'ERR_TESTNET';
  constructor(args: readonly string[], exitCode: number | null, stderr: string) {
    super(
      `deploy/testnet ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-15).join('\n')}`,
    );
    this.name = 'TestnetError';
  }
}

export class Testnet {
  readonly name: string;
  readonly dir: string;

  private constructor(name: string, dir: string) {
    this.name = name;
    this.dir = dir;
  }

  /**
   * Brings up `managers` managers and `workers` workers (`deploy/testnet up`); on failure the script has
   * already removed what it made.
   * @param name [a-z0-9]{1,8}, unique among the clusters that exist at the same time
   */
  static async up(name: string, managers: number, workers: number): Promise<Testnet> {
    const net = Testnet.existing(name);
    await net.run('up', '--managers', String(managers), '--workers', String(workers));
    return net;
  }

  /** The cluster `name` as this module names its dir, whether it is up or not (for `down`). */
  static existing(name: string): Testnet {
    return new Testnet(name, `/tmp/swtnet-${name}`);
  }

  /** Runs a verb of the script; resolves with its stdout. @throws TestnetError when it exits non-zero */
  run(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        SCRIPT,
        args,
        {
          env: { ...process.env, TESTNET_NAME: this.name, TESTNET_DIR: this.dir },
          maxBuffer: 16 << 20,
          timeout: 180_000,
        },
        (err, stdout, stderr) => {
          if (err === null) resolve(stdout);
          else
            reject(
              new TestnetError(
                args,
                typeof err.code === 'number' ? err.code : null,
                `${stderr}${err.message}`,
              ),
            );
        },
      );
    });
  }

  async hosts(): Promise<TestnetHost[]> {
    return (JSON.parse(await this.run('status', '--json')) as { hosts: TestnetHost[] }).hosts;
  }

  async host(name: string): Promise<TestnetHost> {
    const h = (await this.hosts()).find((x) => x.name === name);
    if (h === undefined) throw new Error(`no host ${name} in testnet ${this.name}`);
    return h;
  }

  /** The manager's Unix socket (a path: reachable from this namespace). */
  socket(host: string): string {
    return join(this.dir, host, 'state', 'swarmd.sock');
  }

  /** The host's /healthz, fetched inside its namespace; null when it does not answer. */
  async health(host: string, addr: string): Promise<TestnetHealth | null> {
    try {
      const out = await this.run(
        'exec',
        host,
        'curl',
        '-s',
        '--max-time',
        '2',
        `http://${addr}:4243/healthz`,
      );
      return JSON.parse(out) as TestnetHealth;
    } catch {
      return null;
    }
  }

  /** The ids of the containers the host's runtime runs now (the truth, whatever the managers think). */
  async containers(host: string): Promise<string[]> {
    const runtime = new OciRuntime({ root: join(this.dir, host, 'runtime') });
    const all = await runtime.list().catch(() => []);
    return all.filter((c) => c.status === 'running').map((c) => c.id);
  }

  kill(hosts: string[], options: { all?: boolean } = {}): Promise<string> {
    return this.run('kill', ...(options.all === true ? ['--all'] : []), ...hosts);
  }

  start(...hosts: string[]): Promise<string> {
    return this.run('start', ...hosts);
  }

  restart(...hosts: string[]): Promise<string> {
    return this.run('restart', ...hosts);
  }

  partition(...hosts: string[]): Promise<string> {
    return this.run('partition', ...hosts);
  }

  heal(): Promise<string> {
    return this.run('heal');
  }

  loss(percent: number): Promise<string> {
    return this.run('loss', String(percent));
  }

  /** Starts Prometheus in the monitor host (`testnet prometheus`): resolves once it scraped every host. */
  prometheus(): Promise<string> {
    return this.run('prometheus');
  }

  /** An instant PromQL query through `testnet query`: each series' labels and value. */
  async query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const answer = JSON.parse(await this.run('query', expr)) as {
      status: string;
      data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (answer.status !== 'success' || answer.data.resultType !== 'vector')
      throw new Error(`query ${expr}: unexpected answer ${JSON.stringify(answer).slice(0, 300)}`);
    return answer.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** Removes everything the cluster made (idempotent). */
  down(): Promise<string> {
    return this.run('down');
  }
}
