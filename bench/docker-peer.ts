/**
 * The Docker peer of `npm run bench -- cluster` (issue 6): (a) and (b) with `docker service create` on a
 * single-node swarm, measured the way our side is measured.
 *
 * Docker is kept off the host: `dockerd` (Debian's docker.io, CLI `/usr/bin/docker`) runs inside a network
 * namespace of its own that has only `lo`, and inside the mount namespace `ip netns exec` gives it, where a
 * wrapper puts a tmpfs over `/run` (containerd's shim sockets and docker's plugin dir would otherwise land
 * in the host's `/run`) and mounts the host's cgroup hierarchies again (`ip netns exec` remounts `/sys`,
 * which hides them). Its data root, exec root (with containerd's state), pidfile, socket, trust key and
 * daemon config live in one temp dir; its containers' cgroups sit under a parent named after this process.
 * The image is a `docker import` of a busybox rootfs and services use `--no-resolve-image` with
 * `DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1` in the daemon's environment, so nothing is pulled.
 *
 * (a) ms from the `docker service create --replicas N` call until N tasks are RUNNING (polled on the Engine
 *     API over the socket); (b) `kill -9` of one task's container process until a new task in the same
 *     slot is RUNNING, with swarm's defaults (restart delay 5 s): median of `crashRuns`.
 *
 * Afterwards, also on failure: `swarm leave --force`, dockerd stopped by its PID (SIGTERM, then SIGKILL),
 * every process left in its mount or network namespace or in its cgroups killed by PID, mounts under the
 * temp dir unmounted, the netns, the cgroups and the temp dir removed.
 *
 * Alone: `npx tsx bench/docker-peer.ts [--replicas N] [--crash-runs N]` prints the result as JSON.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import {
  access,
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  readlink,
  rm,
  rmdir,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { positiveIntArg } from './cli-args.js';

export interface DockerPeerOptions {
  replicas: number;
  crashRuns: number;
  log?: (s: string) => void;
}

export interface DockerPeerFigures {
  create_running_ms: number;
  crash_repair_median_ms: number;
  crash_runs: number;
  docker_version: string;
}

export type DockerPeerResult = DockerPeerFigures | { unavailable: string };

const DOCKER = '/usr/bin/docker';
const DOCKERD_CANDIDATES = ['/usr/sbin/dockerd', '/usr/bin/dockerd'];
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const IMAGE = 'swb-busybox:latest';
const SERVICE = 'swb';
const API = '/v1.41';
const NETNS_DIR = '/run/netns';

/** What a failed step says; becomes the `unavailable` reason. */
class PeerError extends Error {}

interface Peer {
  ns: string;
  nsCreated: boolean;
  /** How /run/netns was before `ip netns add`, which makes it a shared bind mount (and the dir) on first use. */
  netnsDirBefore: 'absent' | 'dir' | 'mount' | undefined;
  dir: string | undefined;
  sock: string;
  cgroupParent: string;
  dockerd: ChildProcess | undefined;
  dockerdExited: Promise<void> | undefined;
  exitInfo: string | undefined;
  pid: number | undefined;
  mntNs: string | undefined;
  netNs: string | undefined;
}

interface TaskJson {
  ID: string;
  Slot?: number;
  DesiredState?: string;
  Status?: { State?: string; ContainerStatus?: { ContainerID?: string; PID?: number } };
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  file: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        const why = err !== null && code === null ? `${err.message}\n` : '';
        resolve({ code, stdout: String(stdout), stderr: why + String(stderr) });
      },
    );
  });
}

async function must(what: string, r: Promise<RunResult>): Promise<string> {
  const res = await r;
  if (res.code !== 0)
    throw new PeerError(`${what} failed (exit ${res.code}): ${res.stderr.trim() || res.stdout.trim()}`);
  return res.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether `p` settles within `ms`; the timer is cleared so that it does not hold the process open. */
async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function pollUntil(
  what: string,
  pred: () => Promise<boolean>,
  timeoutMs: number,
  everyMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      if (await pred()) return;
    } catch (err) {
      if (err instanceof PeerError) throw err;
      last = err;
    }
    if (performance.now() > deadline)
      throw new PeerError(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === null ? '' : `: ${String(last)}`}`,
      );
    await sleep(everyMs);
  }
}

function api<T>(sock: string, method: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path: API + path, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 400) {
          reject(new Error(`${method} ${path}: HTTP ${res.statusCode} ${body.trim()}`));
          return;
        }
        try {
          resolve((body === '' ? null : JSON.parse(body)) as T);
        } catch {
          resolve(body as T);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function firstExecutable(paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) {
    try {
      await access(p, fsc.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

const shq = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

interface MountLine {
  source: string;
  target: string;
  fstype: string;
  options: string;
}

async function hostMounts(): Promise<MountLine[]> {
  const text = await readFile('/proc/self/mounts', 'utf8');
  const unoctal = (s: string): string =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [source = '', target = '', fstype = '', options = ''] = l.split(' ');
      return { source: unoctal(source), target: unoctal(target), fstype, options };
    });
}

/** The cgroup hierarchies' mount points, as the host has them. */
async function cgroupMountPoints(): Promise<string[]> {
  return (await hostMounts())
    .filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2')
    .map((m) => m.target);
}

/**
 * The wrapper run by `ip netns exec`: that command gives a new mount namespace (a slave of the host's, so
 * nothing mounted here shows on the host) and a fresh sysfs, which hides /sys/fs/cgroup; mount the host's
 * hierarchies again as they are, and a private /run, then exec dockerd.
 */
async function startScript(): Promise<string> {
  const lines = ['set -e', 'mount -t tmpfs -o mode=755 swb-run /run'];
  for (const m of await hostMounts()) {
    if (m.target !== '/sys/fs/cgroup' && !m.target.startsWith('/sys/fs/cgroup/')) continue;
    if (m.target !== '/sys/fs/cgroup') lines.push(`mkdir -p ${shq(m.target)}`);
    if (m.fstype === 'tmpfs') lines.push(`mount -t tmpfs -o mode=755 swb-cgroup ${shq(m.target)}`);
    else if (m.fstype === 'cgroup' || m.fstype === 'cgroup2')
      lines.push(`mount -t ${m.fstype} -o ${shq(m.options)} ${shq(m.source)} ${shq(m.target)}`);
  }
  lines.push('exec "$@"', '');
  return lines.join('\n');
}

/** The reason dockerd gave for dying, from its log. */
async function dockerdReason(logPath: string): Promise<string> {
  let text = '';
  try {
    text = await readFile(logPath, 'utf8');
  } catch {
    return 'no log';
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const fatal = lines.filter((l) =>
    /failed to start daemon|level=fatal|^[A-Za-z].*: .*(denied|not permitted|not found|No such)/i.test(l),
  );
  const pick = fatal.length > 0 ? fatal.slice(-3) : lines.filter((l) => /level=error/.test(l)).slice(-3);
  return (pick.length > 0 ? pick : lines.slice(-3)).join(' | ') || 'empty log';
}

async function nsOf(pid: number, kind: 'mnt' | 'net'): Promise<string | undefined> {
  try {
    return await readlink(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

async function cgroupPids(peer: Peer): Promise<Set<number>> {
  const pids = new Set<number>();
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const l of (await readFile(join(dir, 'cgroup.procs'), 'utf8')).split('\n'))
        if (l !== '') pids.add(Number(l));
    } catch {}
    for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name));
  };
  for (const mp of await cgroupMountPoints()) await walk(join(mp, peer.cgroupParent));
  return pids;
}

/** Every process that is ours to end: in dockerd's mount or network namespace, or in its cgroups. */
async function leftoverPids(peer: Peer): Promise<number[]> {
  const found = await cgroupPids(peer);
  if (peer.mntNs !== undefined || peer.netNs !== undefined) {
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      const [mnt, net] = await Promise.all([nsOf(pid, 'mnt'), nsOf(pid, 'net')]);
      if ((mnt !== undefined && mnt === peer.mntNs) || (net !== undefined && net === peer.netNs))
        found.add(pid);
    }
  }
  found.delete(process.pid);
  return [...found].sort((a, b) => a - b);
}

/** The process's start time (clock ticks since boot), which tells it from a later one with the same PID. */
async function startTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

async function rmdirTree(dir: string): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) await rmdirTree(join(dir, e.name));
  for (let i = 0; ; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      // A cgroup stays busy for a moment after its last process is reaped.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      if (i >= 50) throw err;
      await sleep(100);
    }
  }
}

async function startDockerd(peer: Peer, dockerd: string, log: (s: string) => void): Promise<string> {
  const dir = peer.dir as string;
  peer.netnsDirBefore = !(await exists(NETNS_DIR))
    ? 'absent'
    : (await hostMounts()).some((m) => m.target === NETNS_DIR)
      ? 'mount'
      : 'dir';
  await must('ip netns add', run('ip', ['netns', 'add', peer.ns]));
  peer.nsCreated = true;
  // Known before dockerd runs, so that cleanup finds containerd and its shims even if dockerd dies early.
  peer.netNs = `net:[${(await stat(`${NETNS_DIR}/${peer.ns}`)).ino}]`;
  await must('ip link set lo up', run('ip', ['-n', peer.ns, 'link', 'set', 'lo', 'up']));
  for (const d of ['data', 'exec', 'cli']) await mkdir(join(dir, d), { recursive: true });
  // A config key only (no flag): otherwise dockerd writes its trust key to /etc/docker/key.json on the host.
  await writeFile(
    join(dir, 'daemon.json'),
    `${JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') })}\n`,
  );
  const script = join(dir, 'start.sh');
  await writeFile(script, await startScript());
  await chmod(script, 0o755);
  const logPath = join(dir, 'dockerd.log');
  const logFile = await open(logPath, 'a');
  const args = [
    'netns',
    'exec',
    peer.ns,
    '/bin/sh',
    script,
    dockerd,
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(dir, 'exec'),
    '--pidfile',
    join(dir, 'dockerd.pid'),
    '-H',
    `unix://${peer.sock}`,
    '--config-file',
    join(dir, 'daemon.json'),
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    '--ip-masq=false',
    '--cgroup-parent',
    `/${peer.cgroupParent}`,
    '--shutdown-timeout',
    '2',
  ];
  const child = spawn('ip', args, {
    stdio: ['ignore', logFile.fd, logFile.fd],
    env: { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' },
  });
  await logFile.close();
  peer.dockerd = child;
  // `ip netns exec` and the wrapper both exec, so the child is dockerd itself.
  peer.pid = child.pid;
  peer.dockerdExited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      peer.exitInfo = signal !== null ? `signal ${signal}` : `exit ${code}`;
      resolve();
    });
    child.once('error', (err) => {
      peer.exitInfo = `spawn error: ${err.message}`;
      resolve();
    });
  });
  log(`dockerd: pid ${child.pid} in netns ${peer.ns}, root ${dir}`);
  try {
    await pollUntil(
      'dockerd to answer /_ping',
      async () => {
        if (peer.exitInfo !== undefined)
          throw new PeerError(`dockerd exited (${peer.exitInfo}): ${await dockerdReason(logPath)}`);
        return (await api<string>(peer.sock, 'GET', '/_ping')) === 'OK';
      },
      60_000,
      50,
    );
  } catch (err) {
    if (err instanceof PeerError && peer.exitInfo === undefined)
      throw new PeerError(`${err.message}; dockerd log: ${await dockerdReason(logPath)}`);
    throw err;
  }
  if (peer.pid !== undefined) {
    peer.mntNs = await nsOf(peer.pid, 'mnt');
    const net = await nsOf(peer.pid, 'net');
    if (net !== peer.netNs)
      throw new PeerError(`dockerd runs in ${net}, not in netns ${peer.ns} (${peer.netNs})`);
  }
  const version = await api<{ Version?: string }>(peer.sock, 'GET', '/version');
  return version.Version ?? 'unknown';
}

async function importBusybox(peer: Peer, busybox: string, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = peer.dir as string;
  const rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await copyFile(busybox, join(rootfs, 'bin', 'busybox'));
  await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
  const applets = (await must('busybox --list', run(busybox, ['--list'])))
    .split('\n')
    .filter((a) => /^[\w.[-]+$/.test(a));
  for (const a of applets)
    if (a !== 'busybox') await symlink('busybox', join(rootfs, 'bin', a)).catch(() => {});
  const tar = join(dir, 'rootfs.tar');
  await must('tar of the busybox rootfs', run('tar', ['-C', rootfs, '-cf', tar, '.']));
  await must('docker import', run(DOCKER, ['import', tar, IMAGE], { env }));
}

async function tasks(peer: Peer): Promise<TaskJson[]> {
  if (peer.exitInfo !== undefined) {
    // A signal came from outside and says it all; an exit status is explained by the log.
    const why = peer.exitInfo.startsWith('signal')
      ? ''
      : `: ${await dockerdReason(join(peer.dir as string, 'dockerd.log'))}`;
    throw new PeerError(`dockerd exited in the middle of the run (${peer.exitInfo})${why}`);
  }
  const filters = encodeURIComponent(JSON.stringify({ service: [SERVICE], 'desired-state': ['running'] }));
  return api<TaskJson[]>(peer.sock, 'GET', `/tasks?filters=${filters}`);
}

const isRunning = (t: TaskJson): boolean => t.Status?.State === 'running';

/** A PID is killed only when it is one of this dockerd's containers, i.e. in its cgroups. */
async function inOurCgroups(peer: Peer, pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cgroup`, 'utf8')).includes(`/${peer.cgroupParent}/`);
  } catch {
    return false;
  }
}

async function measure(
  peer: Peer,
  opts: DockerPeerOptions,
  env: NodeJS.ProcessEnv,
  log: (s: string) => void,
): Promise<{ createMs: number; repairs: number[] }> {
  const n = opts.replicas;
  const t0 = performance.now();
  await must(
    'docker service create',
    run(
      DOCKER,
      [
        'service',
        'create',
        '--detach',
        '--no-resolve-image',
        '--replicas',
        String(n),
        '--name',
        SERVICE,
        IMAGE,
        'sleep',
        '3600',
      ],
      { env },
    ),
  );
  await pollUntil(
    `${n} tasks RUNNING`,
    async () => (await tasks(peer)).filter(isRunning).length === n,
    300_000,
    10,
  );
  const createMs = performance.now() - t0;
  log(`docker (a): ${n} replicas running after ${Math.round(createMs)} ms`);

  const repairs: number[] = [];
  for (let i = 0; i < opts.crashRuns; i++) {
    await pollUntil(
      `${n} tasks RUNNING before crash ${i + 1}`,
      async () => (await tasks(peer)).filter(isRunning).length === n,
      120_000,
      10,
    );
    const running = (await tasks(peer)).filter(isRunning).sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0));
    const victim = running[i % running.length] as TaskJson;
    let pid = victim.Status?.ContainerStatus?.PID ?? 0;
    const cid = victim.Status?.ContainerStatus?.ContainerID;
    if (pid <= 0 && cid !== undefined)
      pid =
        (await api<{ State?: { Pid?: number } }>(peer.sock, 'GET', `/containers/${cid}/json`)).State?.Pid ??
        0;
    if (pid <= 0 || !(await inOurCgroups(peer, pid)))
      throw new PeerError(
        `task ${victim.ID} (slot ${victim.Slot}) has no container process of ours (pid ${pid})`,
      );
    const k0 = performance.now();
    process.kill(pid, 'SIGKILL');
    await pollUntil(
      `a replacement of task ${victim.ID} in slot ${victim.Slot} RUNNING`,
      async () =>
        (await tasks(peer)).some((t) => t.Slot === victim.Slot && t.ID !== victim.ID && isRunning(t)),
      120_000,
      5,
    );
    const ms = performance.now() - k0;
    repairs.push(ms);
    log(
      `docker (b) ${i + 1}/${opts.crashRuns}: slot ${victim.Slot} running again after ${Math.round(ms)} ms`,
    );
  }
  return { createMs, repairs };
}

async function teardown(peer: Peer, env: NodeJS.ProcessEnv, log: (s: string) => void): Promise<void> {
  const step = async (what: string, f: () => Promise<void>): Promise<void> => {
    const t0 = performance.now();
    try {
      await f();
      log(`docker cleanup: ${what} (${Math.round(performance.now() - t0)} ms)`);
    } catch (err) {
      log(`docker cleanup: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const pid = peer.pid;
  // Taken while dockerd still runs: its shims outlive it, and when they exit they wait, as zombies, for
  // PID 1 (which reaps late on some hosts) to collect them.
  const seen = new Map<number, string>();
  await step('list processes', async () => {
    for (const p of await leftoverPids(peer)) {
      const t = await startTime(p);
      if (t !== undefined) seen.set(p, t);
    }
  });
  if (pid !== undefined && peer.exitInfo === undefined) {
    await step('swarm leave', async () => {
      const r = await run(DOCKER, ['swarm', 'leave', '--force'], { env, timeoutMs: 30_000 });
      if (r.code !== 0 && !/not part of a swarm/.test(r.stderr)) throw new Error(r.stderr.trim());
    });
    await step('stop dockerd', async () => {
      process.kill(pid, 'SIGTERM');
      const exited = peer.dockerdExited ?? Promise.resolve();
      if (!(await within(exited, 20_000))) {
        log(`docker cleanup: dockerd ${pid} still running 20 s after SIGTERM; SIGKILL`);
        process.kill(pid, 'SIGKILL');
        await within(exited, 5_000);
      }
    });
  }
  await step('end leftover processes', async () => {
    for (let i = 0; i < 100; i++) {
      const left = [];
      for (const p of await leftoverPids(peer)) if (await alive(p)) left.push(p);
      if (left.length === 0) return;
      if (i === 0) log(`docker cleanup: SIGKILL to leftover pids ${left.join(' ')}`);
      for (const p of left) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {}
      }
      await sleep(100);
    }
    throw new Error(`processes still alive: ${(await leftoverPids(peer)).join(' ')}`);
  });
  await step('wait for zombies to be reaped', async () => {
    const unreaped = async (): Promise<number[]> => {
      const left = [];
      for (const [p, t] of seen) if ((await startTime(p)) === t) left.push(p);
      return left;
    };
    for (let i = 0; i < 150; i++) {
      if ((await unreaped()).length === 0) return;
      await sleep(100);
    }
    throw new Error(`not reaped after 15 s (zombies of PID 1): ${(await unreaped()).join(' ')}`);
  });
  if (peer.dir !== undefined) {
    const dir = peer.dir;
    await step('unmount', async () => {
      const under = (await hostMounts()).filter((m) => m.target === dir || m.target.startsWith(`${dir}/`));
      for (const m of under.reverse()) {
        const r = await run('umount', ['-R', m.target]);
        if (r.code !== 0) await run('umount', ['-R', '-l', m.target]);
      }
    });
  }
  if (peer.nsCreated)
    await step(
      'ip netns del',
      async () => void (await must('ip netns del', run('ip', ['netns', 'del', peer.ns]))),
    );
  if (peer.netnsDirBefore === 'absent' || peer.netnsDirBefore === 'dir')
    await step(`restore ${NETNS_DIR}`, async () => {
      if ((await readdir(NETNS_DIR)).length > 0) return; // someone else's netns came meanwhile: theirs now
      // Not lazy: this fails, harmlessly, when a netns is mounted there after all.
      if ((await hostMounts()).some((m) => m.target === NETNS_DIR))
        await must('umount', run('umount', [NETNS_DIR]));
      if (peer.netnsDirBefore === 'absent') await rmdir(NETNS_DIR);
    });
  await step('remove cgroups', async () => {
    for (const mp of await cgroupMountPoints()) await rmdirTree(join(mp, peer.cgroupParent));
  });
  if (peer.dir !== undefined) {
    const dir = peer.dir;
    await step('remove temp dir', () => rm(dir, { recursive: true, force: true, maxRetries: 5 }));
  }
  const left = await leftOnHost(peer);
  log(
    left.length === 0
      ? 'docker cleanup: nothing left on the host'
      : `docker cleanup: LEFT ON THE HOST: ${left.join('; ')}`,
  );
}

/** What this run could have left behind and did: processes, mounts, the netns, cgroups, the temp dir. */
async function leftOnHost(peer: Peer): Promise<string[]> {
  const left: string[] = [];
  const pids = [];
  for (const p of await leftoverPids(peer)) if (await alive(p)) pids.push(p);
  if (pids.length > 0) left.push(`processes ${pids.join(' ')}`);
  const dir = peer.dir;
  if (dir !== undefined) {
    const mounts = (await hostMounts()).filter((m) => m.target === dir || m.target.startsWith(`${dir}/`));
    if (mounts.length > 0) left.push(`mounts ${mounts.map((m) => m.target).join(' ')}`);
    if (await exists(dir)) left.push(`dir ${dir}`);
  }
  if (await exists(`${NETNS_DIR}/${peer.ns}`)) left.push(`netns ${peer.ns}`);
  if (peer.netnsDirBefore !== 'mount' && (await hostMounts()).some((m) => m.target === NETNS_DIR))
    left.push(`the ${NETNS_DIR} bind mount made by ip netns add`);
  for (const mp of await cgroupMountPoints()) {
    const cg = join(mp, peer.cgroupParent);
    if (await exists(cg)) left.push(`cgroup ${cg}`);
  }
  return left;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/**
 * Runs (a) and (b) against dockerd's swarm mode; `{unavailable}` with the reason when Docker is missing or
 * cannot run here, or a step fails. Never throws.
 */
export async function runDockerPeer(opts: DockerPeerOptions): Promise<DockerPeerResult> {
  const log = opts.log ?? (() => {});
  if (!Number.isInteger(opts.replicas) || opts.replicas < 1)
    return { unavailable: `replicas must be a positive integer, got ${opts.replicas}` };
  if (!Number.isInteger(opts.crashRuns) || opts.crashRuns < 1)
    return { unavailable: `crashRuns must be a positive integer, got ${opts.crashRuns}` };
  if (process.platform !== 'linux')
    return { unavailable: `Docker peer needs Linux, this is ${process.platform}` };
  if (process.getuid?.() !== 0) return { unavailable: 'Docker peer needs root (network namespace, dockerd)' };
  if ((await firstExecutable([DOCKER])) === undefined)
    return { unavailable: `${DOCKER} is missing (apt-get install docker.io)` };
  const dockerd = await firstExecutable(DOCKERD_CANDIDATES);
  if (dockerd === undefined) return { unavailable: `dockerd is missing (${DOCKERD_CANDIDATES.join(', ')})` };
  const busybox = await firstExecutable(BUSYBOX_CANDIDATES);
  if (busybox === undefined) return { unavailable: `busybox is missing (${BUSYBOX_CANDIDATES.join(', ')})` };
  if ((await run('ip', ['-V'])).code !== 0) return { unavailable: 'iproute2 `ip` is missing' };

  const peer: Peer = {
    ns: `swb-docker-${process.pid}`,
    nsCreated: false,
    netnsDirBefore: undefined,
    dir: undefined,
    sock: '',
    cgroupParent: `swb-docker-${process.pid}`,
    dockerd: undefined,
    dockerdExited: undefined,
    exitInfo: undefined,
    pid: undefined,
    mntNs: undefined,
    netNs: undefined,
  };
  let env: NodeJS.ProcessEnv = process.env;
  try {
    peer.dir = await mkdtemp('/tmp/swb-docker-');
    peer.sock = join(peer.dir, 'docker.sock');
    env = {
      ...process.env,
      DOCKER_HOST: `unix://${peer.sock}`,
      DOCKER_CONFIG: join(peer.dir, 'cli'),
      DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1',
    };
    const version = await startDockerd(peer, dockerd, log);
    log(`dockerd ${version} up`);
    await must('docker swarm init', run(DOCKER, ['swarm', 'init', '--advertise-addr', '127.0.0.1'], { env }));
    await importBusybox(peer, busybox, env);
    const { createMs, repairs } = await measure(peer, opts, env, log);
    return {
      create_running_ms: createMs,
      crash_repair_median_ms: median(repairs),
      crash_runs: repairs.length,
      docker_version: version,
    };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log(`docker peer: ${reason}`);
    return { unavailable: reason };
  } finally {
    await teardown(peer, env, log);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const num = (name: string, dflt: number): number => positiveIntArg(argv, name, dflt);
  const result = await runDockerPeer({
    replicas: num('--replicas', 50),
    crashRuns: num('--crash-runs', 20),
    log: (s) => console.error(`[${(performance.now() / 1000).toFixed(1)} s] ${s}`),
  });
  console.log(JSON.stringify(result));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
