// `swarmd init | join | run` as an operator runs them: real processes on loopback ports, each in its own
// temp state dir. Waits are polls of /healthz with a bound; nothing asserts on time. Every process this
// file starts is killed by PID in after.always.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { freeLoopbackPorts, waitUntil } from '../manager/replication/testing/index.js';

const ENTRY = fileURLToPath(new URL('./entry.js', import.meta.url));

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const procs = new Set<Proc>();
let base: string;

test.before(async () => {
  base = await mkdtemp(join(tmpdir(), 'swarmd-d-'));
});

test.after.always(async () => {
  await Promise.all(
    [...procs].map(async (p) => {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await p.exited;
      }
    }),
  );
  await rm(base, { recursive: true, force: true });
});

function swarmd(name: string, args: string[]): Proc {
  const child = spawn(process.execPath, [ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => stdout.push(l));
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (l) => {
    stderr.push(l);
    if (stderr.length > 300) stderr.shift();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const p: Proc = { name, child, pid: child.pid ?? -1, stdout, stderr, exited };
  procs.add(p);
  return p;
}

function running(p: Proc): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

interface Health {
  readonly code: number;
  readonly body: {
    status: string;
    nodeId: string;
    clusterId: string;
    raftId: string;
    isLeader: boolean;
    leaderId: string | null;
    members: { raftId: string; role: string }[];
    store: { version: number; objects: Record<string, number> } | null;
  };
}

async function health(httpPort: number): Promise<Health> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
  return { code: res.status, body: (await res.json()) as Health['body'] };
}

/** Waits until the processes serving `httpPorts` agree on one leader with `voters` voters; returns it. */
async function agreedLeader(
  httpPorts: number[],
  voters: number,
  exclude: string | null = null,
): Promise<string> {
  let leader = '';
  await waitUntil(
    `a leader over ${httpPorts.join(',')}`,
    async () => {
      const hs = await Promise.all(httpPorts.map(health));
      const l = hs.find((h) => h.body.isLeader);
      if (l === undefined || l.body.raftId === exclude) return false;
      if (!hs.every((h) => h.code === 200 && h.body.leaderId === l.body.raftId)) return false;
      if (l.body.members.filter((m) => m.role === 'voter').length !== voters) return false;
      leader = l.body.raftId;
      return true;
    },
    30_000,
    50,
  );
  return leader;
}

async function waitLine(p: Proc, re: RegExp): Promise<RegExpExecArray> {
  let m: RegExpExecArray | null = null;
  await waitUntil(
    `${p.name} to print ${re}`,
    () => {
      if (!running(p)) throw new Error(`${p.name} exited: ${p.stderr.slice(-5).join('\n')}`);
      for (const l of p.stdout) {
        m = re.exec(l);
        if (m !== null) return true;
      }
      return false;
    },
    30_000,
    20,
  );
  return m as unknown as RegExpExecArray;
}

async function exitOf(
  p: Proc,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  process.kill(p.pid, signal);
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${p.name} did not exit after ${signal}`)), 30_000);
  });
  try {
    return await Promise.race([p.exited, bound]);
  } finally {
    clearTimeout(timer);
  }
}

test.serial(
  'init, two joins, /healthz, kill -9 of the leader, stop all (exit 0), run all again',
  async (t) => {
    const ports = await freeLoopbackPorts(6);
    const cluster = ports.slice(0, 3).map((p) => `127.0.0.1:${p}`);
    const http = ports.slice(3);
    const dirs = [1, 2, 3].map((i) => join(base, `m${i}`));
    const flags = (i: number): string[] => [
      '--state-dir',
      dirs[i] as string,
      '--listen-addr',
      cluster[i] as string,
      '--http-addr',
      `127.0.0.1:${http[i]}`,
      '--log-level',
      'warn',
    ];

    const m1 = swarmd('m1', ['init', ...flags(0)]);
    const [, token, addr] = await waitLine(m1, /^ {4}swarmd join --token (SWMTKN-1-\S+) (\S+)$/);
    t.is(addr, cluster[0]);
    t.true(
      m1.stdout.some((l) =>
        /^Cluster [0-9a-z]{25} created; this node \([0-9a-z]{25}\) is its first manager\.$/.test(l),
      ),
    );
    t.true(m1.stdout.some((l) => l.includes('To add a worker to this cluster')));
    t.true(m1.stdout.some((l) => l.includes(`--socket ${join(dirs[0] as string, 'swarmd.sock')}`)));
    t.is((await stat(join(dirs[0] as string, 'swarmd.sock'))).mode & 0o777, 0o600);

    // A wrong token: exit 1, a clear message, and the state dir does not become a node.
    const wrong = `${(token as string).slice(0, -25)}${'0'.repeat(25)}`;
    const bad = spawnSync(
      process.execPath,
      [ENTRY, 'join', '--token', wrong, ...flags(1), cluster[0] as string],
      {
        encoding: 'utf8',
      },
    );
    t.is(bad.status, 1, bad.stderr);
    t.regex(
      bad.stderr,
      /swarmd: Cannot join the cluster: the token is not a current join token of this cluster/,
    );
    await t.throwsAsync(stat(join(dirs[1] as string, 'node.json')));

    const m2 = swarmd('m2', ['join', '--token', token as string, ...flags(1), cluster[0] as string]);
    await waitLine(m2, /joined cluster [0-9a-z]{25} as a manager/);
    // The third joins through the second (a follower relays to the leader).
    const m3 = swarmd('m3', ['join', '--token', token as string, ...flags(2), cluster[1] as string]);
    await waitLine(m3, /joined cluster/);
    const first = await agreedLeader(http, 3);
    const hs = await Promise.all(http.map(health));
    t.is(new Set(hs.map((h) => h.body.clusterId)).size, 1);
    t.is(new Set(hs.map((h) => h.body.nodeId)).size, 3);
    t.true(hs.every((h) => h.code === 200 && h.body.status === 'ok'));
    await waitUntil('3 Node objects everywhere', async () =>
      (await Promise.all(http.map(health))).every((h) => h.body.store?.objects.node === 3),
    );

    // /metrics on every manager: Prometheus text; one leader among them; the same three nodes, ready
    // once each one's agent has its session.
    const scrape = (): Promise<string[][]> =>
      Promise.all(
        http.map(async (p) => {
          const res = await fetch(`http://127.0.0.1:${p}/metrics`);
          t.is(res.status, 200);
          t.regex(res.headers.get('content-type') ?? '', /^text\/plain/);
          return (await res.text()).split('\n');
        }),
      );
    const allReady = 'swarmd_nodes{state="ready",availability="active",role="manager"} 3';
    let metrics: string[][] = [];
    await waitUntil('three ready managers and one leader in every /metrics', async () => {
      metrics = await scrape();
      return (
        metrics.every((m) => m.includes(allReady)) &&
        metrics.filter((m) => m.includes('swarmd_raft_leader 1')).length === 1
      );
    });
    hs.forEach((h, i) => {
      const m = metrics[i] as string[];
      t.true(m.includes(allReady), m.join('\n'));
      t.true(m.some((l) => l.startsWith(`swarmd_node_info{node_id="${h.body.nodeId}",`) && l.endsWith(' 1')));
      t.true(m.some((l) => l.startsWith('process_resident_memory_bytes ')));
    });

    // kill -9 the leader: the other two keep (elect) a leader.
    const procsById = new Map(hs.map((h, i) => [h.body.raftId, i]));
    const li = procsById.get(first) as number;
    const all = [m1, m2, m3];
    const killed = await exitOf(all[li] as Proc, 'SIGKILL');
    t.is(killed.signal, 'SIGKILL');
    const rest = [0, 1, 2].filter((i) => i !== li);
    const second = await agreedLeader(
      rest.map((i) => http[i] as number),
      3,
      first,
    );
    t.not(second, first);
    // It comes back with `swarmd run`, from its state dir alone.
    all[li] = swarmd(`m${li + 1}-back`, [
      'run',
      '--state-dir',
      dirs[li] as string,
      '--http-addr',
      `127.0.0.1:${http[li]}`,
      '--log-level',
      'warn',
    ]);
    await agreedLeader(http, 3);

    // Stop all three: SIGTERM, exit 0.
    for (const p of all) {
      const r = await exitOf(p, 'SIGTERM');
      t.deepEqual(r, { code: 0, signal: null }, `${p.name}: ${p.stderr.slice(-5).join('\n')}`);
    }
    for (const d of dirs) await t.throwsAsync(stat(join(d, 'swarmd.sock')), undefined, 'socket removed');

    // And again with `swarmd run`: the same cluster, its data back from disk.
    const again = dirs.map((d, i) =>
      swarmd(`m${i + 1}-again`, [
        'run',
        '--state-dir',
        d,
        '--http-addr',
        `127.0.0.1:${http[i]}`,
        '--log-level',
        'warn',
      ]),
    );
    await agreedLeader(http, 3);
    await waitUntil('the data back everywhere', async () =>
      (await Promise.all(http.map(health))).every(
        (h) => h.body.store?.objects.node === 3 && h.body.store.objects.cluster === 1,
      ),
    );
    const after = await Promise.all(http.map(health));
    t.deepEqual(
      after.map((h) => [h.body.nodeId, h.body.clusterId, h.body.raftId]),
      hs.map((h) => [h.body.nodeId, h.body.clusterId, h.body.raftId]),
    );
    for (const p of again) t.deepEqual(await exitOf(p, 'SIGTERM'), { code: 0, signal: null });
  },
);

test('bad flags exit 2 and name the flag', (t) => {
  const dir = join(base, 'flags');
  const cases: [string[], RegExp][] = [
    [
      ['init', '--state-dir', dir, '--listen-addr', 'nohost'],
      /^swarmd: --listen-addr: must be HOST:PORT or :PORT/,
    ],
    [
      ['init', '--state-dir', dir, '--listen-addr', '127.0.0.1:70000'],
      /^swarmd: --listen-addr: port must be in 0-65535/,
    ],
    [
      ['init', '--state-dir', dir, '--advertise-addr', '0.0.0.0:4242'],
      /^swarmd: --advertise-addr: must be an address other hosts can reach/,
    ],
    [['init', '--state-dir', dir, '--http-addr', 'x:y'], /^swarmd: --http-addr: must be HOST:PORT/],
    [
      ['init', '--state-dir', join(base, 'no', 'such', 'parent')],
      /^swarmd: --state-dir: the parent directory .* does not exist/,
    ],
    [['run', '--state-dir', join(base, 'missing')], /^swarmd: --state-dir: .* does not exist/],
    [
      ['join', '--state-dir', dir, '--token', 'nope', '127.0.0.1:4242'],
      /^swarmd: --token: must be a join token/,
    ],
    [['join', '--state-dir', dir, '127.0.0.1:4242'], /required option '--token <token>' not specified/],
    [
      ['join', '--state-dir', dir, '--token', `SWMTKN-1-${'a'.repeat(50)}-${'b'.repeat(25)}`, 'nowhere'],
      /^swarmd: MANAGER_ADDR: must be HOST:PORT/,
    ],
    [['init', '--log-level', 'loud'], /argument 'loud' is invalid/],
    [['init', '--no-such-flag'], /unknown option '--no-such-flag'/],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync(process.execPath, [ENTRY, ...args], { encoding: 'utf8' });
    t.regex(r.stderr, message, args.join(' '));
    t.is(r.status, 2, args.join(' '));
  }
});

/** `swarmd unlock` with `key` on its standard input. */
function unlock(dir: string, key: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [ENTRY, 'unlock', '--state-dir', dir], {
    input: `${key}\n`,
    encoding: 'utf8',
  });
}

test.serial(
  'init --autolock prints the unlock key; a restarted manager stays locked until swarmd unlock gets it',
  async (t) => {
    const [port, httpPort] = await freeLoopbackPorts(2);
    const dir = join(base, 'locked');
    const flags = ['--state-dir', dir, '--http-addr', `127.0.0.1:${httpPort}`, '--log-level', 'warn'];
    const m = swarmd('locked', ['init', '--autolock', '--listen-addr', `127.0.0.1:${port}`, ...flags]);
    const [, key] = await waitLine(m, /^ {4}(SWMKEY-1-\S+)$/);
    t.true(m.stdout.some((l) => l.startsWith('Autolock is on')));
    t.deepEqual(await exitOf(m, 'SIGTERM'), { code: 0, signal: null });

    const again = swarmd('locked-run', ['run', ...flags]);
    await waitLine(again, /^This manager is locked \(autolock\)/);
    t.is(
      await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => null),
      null,
      'nothing served while locked',
    );
    const wrong = unlock(dir, `SWMKEY-1-${Buffer.alloc(32, 9).toString('base64').replace(/=+$/, '')}`);
    t.is(wrong.status, 1);
    t.regex(wrong.stderr, /^swarmd: .*unlock key/m);
    const garbage = unlock(dir, 'not-a-key');
    t.is(garbage.status, 1);
    t.regex(garbage.stderr, /Invalid unlock key/);
    t.true(running(again), 'still waiting, locked');
    const right = unlock(dir, key as string);
    t.is(right.status, 0, right.stderr);
    await waitUntil(
      'the unlocked manager healthy',
      async () => (await health(httpPort as number).catch(() => null))?.code === 200,
      30_000,
    );
    t.deepEqual(await exitOf(again, 'SIGTERM'), { code: 0, signal: null });
  },
);
