/**
 * `npm run bench -- raft [--seconds N] [--failovers N] [--no-etcd]`: our Raft (3 kv-node processes, each a
 * ReplicatedNode over the key-value state machine, WAL with fsync on) against a 3-member etcd from Debian's
 * `etcd-server`, both on loopback, both driven from this Node process, with the same workload:
 *
 * - (a) one writer, one put in flight: ops/s, p50, p99;
 * - (b) 64 puts in flight: ops/s, p50, p99;
 * - (c) leader failover: kill -9 the leader, time until a put succeeds again (median of several runs;
 *   the killed member is restarted and caught up between runs).
 *
 * Puts are 256-byte values over 1000 keys, sent to the leader (ours: HTTP/1.1 keep-alive, one connection
 * per request in flight; etcd: the `etcd3` client, gRPC, retries and circuit breaker off). Default timing
 * on both: heartbeat 100 ms, election timeout 1 s (ours: tick 100 ms, election 10 ticks, pre-vote on;
 * etcd 3.4: pre-vote off). During a failover the writer tries the surviving members in turn (following
 * our not-leader answers) every 5 ms until a put succeeds; an etcd follower holds a put while it has no
 * leader instead of refusing it, so there a new attempt starts every 10 ms without waiting for the others.
 *
 * Every process is started here in temp dirs on loopback ports and killed by PID at the end. The last line
 * is one JSON object: {"bench":"raft","ours_ops":…,"etcd_ops":…,"ratio_ops":…,"ours_p99_ms":…,
 * "etcd_p99_ms":…,"failover_ms":…} (64 in flight; our failover median) plus the other figures.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { freeLoopbackPorts, KvCluster } from '../manager/replication/testing/index.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    failovers: { type: 'string', default: '5' },
    'no-etcd': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const FAILOVERS = Number(args.failovers);
const WARMUP_SECONDS = 3;
const KEYS = 1000;
const VALUE = Buffer.alloc(256, 0x61);

type Put = (key: string, value: Buffer) => Promise<unknown>;

interface LoadResult {
  ops: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

function pct(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `inflight` writers for `seconds`; latencies of successful puts. */
async function load(put: Put, inflight: number, seconds: number): Promise<LoadResult> {
  const lat: number[] = [];
  let errors = 0;
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (performance.now() < end) {
        const key = `key-${n++ % KEYS}`;
        const t = performance.now();
        try {
          await put(key, VALUE);
          lat.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const sorted = Float64Array.from(lat).sort();
  return {
    ops: Math.round(lat.length / elapsed),
    p50: round(pct(sorted, 50), 3),
    p99: round(pct(sorted, 99), 3),
    max: round(sorted[sorted.length - 1] ?? Number.NaN, 3),
    errors,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function report(system: string, phase: string, r: object): void {
  console.log(JSON.stringify({ system, phase, ...r }));
}

// ------------------------------------------------------------------ ours

async function benchOurs(): Promise<{ one: LoadResult; many: LoadResult; failovers: number[] }> {
  const all = new Set<KvCluster>();
  try {
    const c = await KvCluster.start(3, { tickMs: 100, logLevel: 'warn' }, all);
    let leader = await c.waitForLeader();
    const put: Put = (k, v) => c.client(leader).put(k, v);
    await load(put, 64, WARMUP_SECONDS);
    const one = await load(put, 1, SECONDS / 2);
    report('ours', '1 in flight', one);
    const many = await load(put, 64, SECONDS);
    report('ours', '64 in flight', many);
    const failovers: number[] = [];
    for (let run = 0; run < FAILOVERS; run++) {
      leader = await c.waitForLeader();
      // Keep writing up to the kill, as a busy cluster would be.
      await load(put, 8, 0.5);
      const killedAt = performance.now();
      await c.kill(leader);
      const r = await c.put(`failover-${run}`, VALUE, 30_000);
      const ms = performance.now() - killedAt;
      failovers.push(ms);
      report('ours', `failover ${run + 1}`, {
        ms: Math.round(ms),
        killed: String(leader),
        via: String(r.via),
      });
      await c.startNode(leader);
      await c.waitApplied(leader, r.revision, 30_000);
    }
    return { one, many, failovers };
  } finally {
    for (const c of all) await c.close();
  }
}

// ------------------------------------------------------------------ etcd

const ETCD = '/usr/bin/etcd';

/** Installs Debian's etcd-server when missing (as root), or says how. */
function ensureEtcd(): boolean {
  if (existsSync(ETCD)) return true;
  if (process.getuid?.() === 0) {
    console.error('bench/raft: installing etcd-server (apt-get) …');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    spawnSync('apt-get', ['install', '-y', '-qq', 'etcd-server', 'etcd-client'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (existsSync(ETCD)) return true;
  }
  console.error('bench/raft: etcd not found; install it with `apt-get install -y etcd-server etcd-client`');
  return false;
}

interface EtcdMember {
  name: string;
  dir: string;
  client: string;
  peer: string;
  proc: ChildProcess | null;
  exited: Promise<void>;
  etcd: Etcd3;
}

class EtcdCluster {
  readonly members: EtcdMember[] = [];
  readonly #base: string;
  readonly #all = new Set<ChildProcess>();

  private constructor(base: string) {
    this.#base = base;
  }

  static async start(): Promise<EtcdCluster> {
    const c = new EtcdCluster(await mkdtemp(join(tmpdir(), 'swarmd-etcd-')));
    const ports = await freeLoopbackPorts(6);
    for (let i = 0; i < 3; i++) {
      const name = `m${i + 1}`;
      const client = `http://127.0.0.1:${ports[2 * i]}`;
      c.members.push({
        name,
        dir: join(c.#base, name),
        client,
        peer: `http://127.0.0.1:${ports[2 * i + 1]}`,
        proc: null,
        exited: Promise.resolve(),
        etcd: EtcdCluster.#client(client),
      });
    }
    for (const m of c.members) c.startMember(m);
    await c.waitHealthy();
    return c;
  }

  static #client(url: string): Etcd3 {
    return new Etcd3({
      hosts: url,
      // Retries and the circuit breaker off: each call is one attempt, as with our client.
      faultHandling: { host: () => noop, global: noop },
    });
  }

  startMember(m: EtcdMember): void {
    const cluster = this.members.map((x) => `${x.name}=${x.peer}`).join(',');
    const proc = spawn(
      ETCD,
      [
        `--name=${m.name}`,
        `--data-dir=${m.dir}`,
        `--listen-client-urls=${m.client}`,
        `--advertise-client-urls=${m.client}`,
        `--listen-peer-urls=${m.peer}`,
        `--initial-advertise-peer-urls=${m.peer}`,
        `--initial-cluster=${cluster}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=bench-${process.pid}`,
        '--logger=zap',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    this.#all.add(proc);
    m.proc = proc;
    m.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
  }

  async kill(m: EtcdMember): Promise<void> {
    const p = m.proc;
    if (p?.pid === undefined) return;
    m.proc = null;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await m.exited;
  }

  /** The member every live member names as leader. */
  async leader(timeoutMs = 30_000): Promise<EtcdMember> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const live = this.members.filter((m) => m.proc !== null);
      try {
        const sts = await Promise.all(
          live.map((m) => m.etcd.maintenance.status({ deadline: Date.now() + 1000 })),
        );
        const leaderId = sts[0]?.leader;
        if (leaderId !== undefined && leaderId !== '0' && sts.every((s) => s.leader === leaderId)) {
          const i = sts.findIndex((s) => s.header.member_id === leaderId);
          if (i >= 0) return live[i] as EtcdMember;
        }
      } catch {
        // not ready yet
      }
      if (performance.now() > deadline) throw new Error('etcd: no leader');
      await sleep(20);
    }
  }

  async waitHealthy(): Promise<void> {
    await this.leader();
  }

  async close(): Promise<void> {
    for (const m of this.members) m.etcd.close();
    for (const p of this.#all)
      if (p.exitCode === null && p.signalCode === null && p.pid !== undefined) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    await Promise.all(this.members.map((m) => m.exited));
    await rm(this.#base, { recursive: true, force: true });
  }
}

/**
 * An etcd follower holds a put while it has no leader (until the call's deadline, or for good when the
 * leader changes), unlike ours, which refuses at once. So a new attempt starts every 10 ms, alternating
 * between the survivors, each with a 2 s deadline; the first to succeed ends the failover.
 */
function firstEtcdWrite(live: EtcdMember[], key: string, since: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    let k = 0;
    const attempt = (): void => {
      const m = live[k++ % live.length] as EtcdMember;
      m.etcd
        .put(key)
        .value(VALUE)
        .options({ deadline: Date.now() + 2000 })
        .exec()
        .then(
          () => {
            if (done) return;
            done = true;
            clearInterval(timer);
            resolve(m.name);
          },
          () => {},
        );
    };
    const timer = setInterval(() => {
      if (done) return;
      if (performance.now() - since > 30_000) {
        done = true;
        clearInterval(timer);
        reject(new Error('etcd: no write 30 s after the failover'));
        return;
      }
      attempt();
    }, 10);
    attempt();
  });
}

async function benchEtcd(): Promise<{ one: LoadResult; many: LoadResult; failovers: number[] }> {
  const c = await EtcdCluster.start();
  try {
    let leader = await c.leader();
    const put: Put = (k, v) => leader.etcd.put(k).value(v).exec();
    await load(put, 64, WARMUP_SECONDS);
    const one = await load(put, 1, SECONDS / 2);
    report('etcd', '1 in flight', one);
    const many = await load(put, 64, SECONDS);
    report('etcd', '64 in flight', many);
    const failovers: number[] = [];
    for (let run = 0; run < FAILOVERS; run++) {
      leader = await c.leader();
      await load(put, 8, 0.5);
      const killedAt = performance.now();
      await c.kill(leader);
      const via = await firstEtcdWrite(
        c.members.filter((m) => m.proc !== null),
        `failover-${run}`,
        killedAt,
      );
      const ms = performance.now() - killedAt;
      failovers.push(ms);
      report('etcd', `failover ${run + 1}`, { ms: Math.round(ms), killed: leader.name, via });
      c.startMember(leader);
      await c.waitHealthy();
      // The restarted member answers its status once it has rejoined.
      await leader.etcd.maintenance.status({ deadline: Date.now() + 10_000 });
    }
    return { one, many, failovers };
  } finally {
    await c.close();
  }
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const ours = await benchOurs();
  const haveEtcd = !args['no-etcd'] && ensureEtcd();
  const etcd = haveEtcd ? await benchEtcd() : null;
  const summary = {
    bench: 'raft',
    ours_ops: ours.many.ops,
    etcd_ops: etcd?.many.ops ?? null,
    ratio_ops: etcd === null ? null : round(ours.many.ops / etcd.many.ops),
    ours_p99_ms: ours.many.p99,
    etcd_p99_ms: etcd?.many.p99 ?? null,
    failover_ms: Math.round(median(ours.failovers)),
    etcd_failover_ms: etcd === null ? null : Math.round(median(etcd.failovers)),
    ours_p50_ms: ours.many.p50,
    etcd_p50_ms: etcd?.many.p50 ?? null,
    ours_ops_1: ours.one.ops,
    etcd_ops_1: etcd?.one.ops ?? null,
    ours_p50_ms_1: ours.one.p50,
    etcd_p50_ms_1: etcd?.one.p50 ?? null,
    ours_p99_ms_1: ours.one.p99,
    etcd_p99_ms_1: etcd?.one.p99 ?? null,
    failover_runs_ms: ours.failovers.map(Math.round),
    etcd_failover_runs_ms: etcd?.failovers.map(Math.round) ?? null,
  };
  console.log(JSON.stringify(summary));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
