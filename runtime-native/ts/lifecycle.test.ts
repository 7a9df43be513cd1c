// The container lifecycle through the CLI and the binding: exec, stop, the shim's independence, logs,
// stats, the foreground run, the v2 cgroup driver and create/delete cycles that leave nothing behind.
import { spawn, spawnSync } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { cgroupDirsFor } from './cgroup-paths.js';
import { readContainerLog, streamText } from './container-log.js';
import { OciRuntime } from './oci-runtime.js';
import { swarmRuntimePath } from './paths.js';
import { TestHost } from './testing/test-host.js';
import { waitForFile } from './testing/wait-for.js';

let host: TestHost;
test.before(async () => {
  host = await TestHost.create();
});
test.after.always(async () => {
  await host?.cleanup();
});

/** Creates and starts a container from a fresh bundle; returns its id. */
async function started(
  args: string[],
  options: Parameters<TestHost['bundle']>[0] extends infer O ? Omit<O & object, 'args'> : never = {},
) {
  const id = host.id('l');
  const bundle = await host.bundle({ args, ...options }, id);
  await host.runtime.create(id, { bundle });
  await host.runtime.start(id);
  return id;
}

test('`exec` runs inside the container: its namespaces, cgroups, capabilities, no_new_privs and seccomp', async (t) => {
  const id = await started(['sleep', '600'], { resources: { pidsLimit: 20 } });
  try {
    const r = await host.runtime.exec(id, [
      '/bin/sh',
      '-c',
      'echo $$; hostname; cut -d: -f3 /proc/self/cgroup | sort -u; rn-probe caps',
    ]);
    const [pid, hostname, cgroup, ...caps] = r.stdout.trim().split('\n');
    t.is(r.exitCode, 0, r.stderr);
    t.true(Number(pid) < 10, `pid ${pid} is from the container's pid namespace`);
    t.is(hostname, id);
    t.is(cgroup, '/', 'every hierarchy shows the container cgroup as the namespace root');
    t.deepEqual(caps, ['CapEff:\t00000000a80425fb', 'NoNewPrivs:\t1', 'Seccomp:\t2']);
    const bomb = await host.runtime.exec(id, ['rn-probe', 'forks', '40']);
    const m = /forks ok=(\d+) failed=(\d+)/.exec(bomb.stdout);
    t.true(
      Number(m?.[1]) < 20 && Number(m?.[2]) > 0,
      `the exec'd process counts against pids.max: ${bomb.stdout}`,
    );
    const status = await host.runtime.exec(id, ['/bin/sh', '-c', 'exit 5']);
    t.is(status.exitCode, 5);
  } finally {
    await host.runtime.delete(id, { force: true });
  }
});

test('`stop` sends SIGTERM, then SIGKILL to an init that ignores it', async (t) => {
  const stubborn = await started(['rn-probe', 'ignore-term']);
  await waitForFile(join(host.runtime.containerDir(stubborn), 'container.log'), /ignoring SIGTERM/);
  const killed = await host.runtime.stop(stubborn, { graceMs: 200 });
  t.is(killed.signal, 'SIGKILL');
  t.is(killed.exitCode, 137);
  await host.runtime.delete(stubborn);
  const polite = await started([
    '/bin/sh',
    '-c',
    'trap "exit 0" TERM; echo ready; while :; do sleep 1; done',
  ]);
  await waitForFile(join(host.runtime.containerDir(polite), 'container.log'), /ready/);
  const ended = await host.runtime.stop(polite, { graceMs: 10_000 });
  t.deepEqual([ended.exitCode, ended.signal], [0, null]);
  await host.runtime.delete(polite);
});

test('the shim outlives a SIGKILLed caller, and the end is still recorded', async (t) => {
  const id = host.id('orphan');
  const bundle = await host.bundle({ args: ['sleep', '600'] }, id);
  const rt = swarmRuntimePath();
  const root = host.runtime.root;
  // The "agent": creates and starts the container, then is killed with SIGKILL, with its process group.
  const agent = spawn(
    '/bin/sh',
    [
      '-c',
      `${rt} --root ${root} create --bundle ${bundle} ${id} && ${rt} --root ${root} start ${id} && echo started && exec sleep 600`,
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    agent.stdout.on('data', (b: Buffer) => b.toString().includes('started') && resolve());
    agent.on('exit', (code) => reject(new Error(`the agent exited with ${code}`)));
  });
  const agentExit = new Promise((resolve) => agent.on('exit', resolve));
  process.kill(-(agent.pid as number), 'SIGKILL');
  await agentExit;
  const state = await host.runtime.state(id);
  t.is(state.status, 'running');
  await host.runtime.kill(id, 'SIGKILL');
  const exit = await host.runtime.wait(id);
  t.deepEqual([exit.signal, exit.exitCode], ['SIGKILL', 137]);
  const recorded = JSON.parse(await readFile(join(host.runtime.containerDir(id), 'exit.json'), 'utf8')) as {
    signal: number;
  };
  t.is(recorded.signal, 9);
  await host.runtime.delete(id);
});

test('output is logged as JSON lines per stream and rotated by size', async (t) => {
  const id = host.id('log');
  const bundle = await host.bundle(
    {
      args: [
        '/bin/sh',
        '-c',
        'i=0; while [ $i -lt 300 ]; do echo "line $i of the test output, padded to make it longer"; i=$((i+1)); done; echo oops >&2',
      ],
    },
    id,
  );
  const logPath = join(host.dir, `${id}.log`);
  await host.runtime.create(id, { bundle, containerLog: logPath, logMaxBytes: 4096, logMaxFiles: 3 });
  const waiting = host.runtime.wait(id);
  await host.runtime.start(id);
  t.is((await waiting).exitCode, 0);
  const sizes = await Promise.all(
    [logPath, `${logPath}.1`, `${logPath}.2`].map(async (p) => (await stat(p)).size),
  );
  for (const s of sizes) t.true(s <= 4096, `a log file holds ${s} bytes`);
  await t.throwsAsync(stat(`${logPath}.3`), { code: 'ENOENT' });
  const records = await readContainerLog(logPath);
  for (const r of records) t.regex(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  const out = streamText(records, 'stdout').trim().split('\n');
  t.is(out.at(-1), 'line 299 of the test output, padded to make it longer');
  t.true(out.length < 300, 'the oldest lines were rotated away');
  t.is(streamText(records, 'stderr'), 'oops\n');
  await host.runtime.delete(id);
});

test('`state`, `list` and `stats` report a running container and how it ended', async (t) => {
  const id = await started(['sleep', '600'], { resources: { memoryBytes: 64 * 1024 * 1024, pidsLimit: 50 } });
  const state = await host.runtime.state(id);
  t.is(state.status, 'running');
  t.true(state.pid > 1);
  t.truthy(state.cgroups?.memory);
  t.true((await host.runtime.list()).some((c) => c.id === id && c.status === 'running'));
  const stats = await host.runtime.stats(id);
  t.is(stats.memoryLimitBytes, 64 * 1024 * 1024);
  t.is(stats.pidsLimit, 50);
  t.true(stats.pidsCurrent >= 1);
  t.true(stats.memoryUsageBytes > 0);
  t.true(stats.cpuUsageNs > 0);
  await host.runtime.kill(id, 'SIGKILL');
  await host.runtime.wait(id);
  const stopped = await host.runtime.state(id);
  t.is(stopped.status, 'stopped');
  t.is(stopped.exit?.signal, 'SIGKILL');
  await host.runtime.delete(id);
  await t.throwsAsync(host.runtime.state(id), { code: 'ERR_RUNTIME_NOT_FOUND' });
});

test('`run` stays in the foreground with the container stdio and exits with its status', async (t) => {
  const id = host.id('fg');
  const bundle = await host.bundle(
    { args: ['/bin/sh', '-c', 'echo to-stdout; echo to-stderr >&2; exit 7'] },
    id,
  );
  const r = spawnSync(swarmRuntimePath(), ['--root', host.runtime.root, 'run', '--bundle', bundle, id], {
    encoding: 'utf8',
  });
  t.is(r.status, 7);
  t.is(r.stdout, 'to-stdout\n');
  t.is(r.stderr, 'to-stderr\n');
  // Signals to `run` reach the container's init.
  const sid = `${id}s`;
  const sbundle = await host.bundle(
    { args: ['/bin/sh', '-c', 'trap "exit 9" TERM; echo ready; while :; do sleep 1; done'] },
    sid,
  );
  const child = spawn(swarmRuntimePath(), ['--root', host.runtime.root, 'run', '--bundle', sbundle, sid], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const code = new Promise((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve()),
  );
  child.kill('SIGTERM');
  t.is(await code, 9);
  t.false((await readdir(host.runtime.root)).includes(id), 'run removes the container when it ends');
});

test('the v2 cgroup driver runs containers on the cgroup2 hierarchy', async (t) => {
  const v2 = new OciRuntime({ root: join(host.dir, 'rt-v2'), cgroupDriver: 'v2' });
  const id = host.id('v2');
  const bundle = await host.bundle({ args: ['sleep', '600'] }, id);
  await v2.create(id, { bundle });
  try {
    await v2.start(id);
    const state = await v2.state(id);
    t.deepEqual(Object.keys(state.cgroups ?? {}), ['unified']);
    const procs = await readFile(join(state.cgroups?.unified ?? '', 'cgroup.procs'), 'utf8');
    t.true(procs.split('\n').includes(String(state.pid)));
    await v2.kill(id, 'SIGKILL', { all: true });
    t.is((await v2.wait(id)).signal, 'SIGKILL');
  } finally {
    await v2.delete(id, { force: true });
  }
});

test('concurrent creates on a fresh state root all succeed', async (t) => {
  const fresh = new OciRuntime({ root: join(host.dir, 'rt-fresh') });
  const ids = Array.from({ length: 8 }, (_, i) => `par-${i}`);
  const bundles = await Promise.all(ids.map((id) => host.bundle({ args: ['/bin/true'] }, id)));
  try {
    await Promise.all(ids.map((id, i) => fresh.create(id, { bundle: bundles[i] as string })));
    t.deepEqual(
      (await fresh.list()).map((c) => c.status),
      ids.map(() => 'created'),
    );
    await Promise.all(ids.map((id) => fresh.delete(id)));
    t.deepEqual(await fresh.list(), []);
  } finally {
    await Promise.all(ids.map((id) => fresh.delete(id, { force: true })));
  }
});

function countFds(): Promise<number> {
  return readdir('/proc/self/fd').then((f) => f.length);
}

test.serial(
  '1,000 create/start/wait/delete cycles leave no mounts, cgroups, processes, fds or state',
  async (t) => {
    const bundle = await host.bundle({ args: ['/bin/true'] }, 'cycle');
    // Only this test's mounts: other test files run containers (and their overlay mounts) meanwhile, in the
    // same host mount namespace.
    const ours = async (): Promise<string[]> =>
      (await readFile('/proc/self/mountinfo', 'utf8'))
        .split('\n')
        .filter((l) => l.includes(host.dir) || l.includes(host.runtime.root) || /\bcycle-\d/.test(l));
    const mountsBefore = await ours();
    const fdsBefore = await countFds();
    for (let i = 0; i < 1000; i++) {
      const id = `cycle-${i}`;
      await host.runtime.create(id, { bundle });
      const waiting = host.runtime.wait(id);
      await host.runtime.start(id);
      const exit = await waiting;
      if (exit.exitCode !== 0) t.fail(`cycle ${i} exited with ${exit.exitCode}`);
      await host.runtime.delete(id);
    }
    t.deepEqual(
      (await readdir(host.runtime.root)).filter((n) => n.startsWith('cycle')),
      [],
    );
    t.deepEqual(await ours(), mountsBefore);
    // A leak would show 1,000 times over; an fd or two that Node or libuv open or close meanwhile (a child
    // pipe closing late) is not one.
    const fdsAfter = await countFds();
    t.true(Math.abs(fdsAfter - fdsBefore) <= 2, `fds before ${fdsBefore}, after ${fdsAfter}`);
    const dirs = await cgroupDirsFor(`${host.cgroupParent}`);
    for (const dir of new Set(Object.values(dirs))) {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      t.deepEqual(
        entries.filter((e) => e.isDirectory()).map((e) => e.name),
        [],
        `cgroups left in ${dir}`,
      );
    }
    const shims = [];
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const exe = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (exe.includes(host.runtime.root)) shims.push(pid);
    }
    t.deepEqual(shims, [], 'no shim or container process is left');
  },
);
