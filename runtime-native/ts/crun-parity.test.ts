// The same bundles under swarm-runtime and under crun give the same observable results: output, exit code,
// signal and OOM verdict. Each case builds one bundle per runtime from the same options, runs it (create,
// start, wait, read the log, delete) and compares. Every case also checks the result itself, so that both
// runtimes being wrong the same way still fails.
//
// crun refuses this host's hybrid cgroup layout (the cgroup2 mount holds hugetlb), so it runs through
// hybridCgroupWrapper: a private mount namespace with /sys/fs/cgroup/unified unmounted. OciRuntime wraps
// its containers in swarm-runtime's shim, which owns their output, `wait` and exit record, as for ours.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { readContainerLog, streamText } from './container-log.js';
import { RuntimeCommandError } from './errors.js';
import { type ContainerSpecOptions, capabilityMask, DEFAULT_CAPABILITIES } from './oci/index.js';
import { hybridCgroupWrapper, TestHost } from './testing/test-host.js';

const CRUN = '/usr/bin/crun';

let ours: TestHost;
let crun: TestHost;
test.before(async () => {
  try {
    await access(CRUN);
  } catch {
    throw new Error(`${CRUN} is missing: run scripts/install-deps (as root) to install crun and runc`);
  }
  ours = await TestHost.create();
  // The wrapper lives in ours' directory, which is removed after crun's containers are.
  const wrapper = await hybridCgroupWrapper(ours.dir, 'crun');
  crun = await TestHost.create({ binary: wrapper, kind: 'crun' });
});
test.after.always(async () => {
  await crun?.cleanup();
  await ours?.cleanup();
});

type CaseOptions = Partial<ContainerSpecOptions> & { args: readonly string[] };

/** What a container showed: its output streams and how it ended. */
interface Outcome {
  stdout: string;
  stderr: string;
  exitCode: number;
  signal: NodeJS.Signals | null;
  oomKilled: boolean;
}

/** Runs one bundle to its end under `h`'s runtime; `control`, when given, acts on it once started. */
async function runUnder(
  h: TestHost,
  options: CaseOptions,
  control?: (h: TestHost, id: string) => Promise<void>,
): Promise<Outcome> {
  const id = h.id('p');
  const bundle = await h.bundle(options, id);
  await h.runtime.create(id, { bundle });
  try {
    const exited = h.runtime.wait(id);
    exited.catch(() => undefined); // awaited below; a failed start must not leave it unhandled
    await h.runtime.start(id);
    if (control) await control(h, id);
    const exit = await exited;
    const logs = await readContainerLog(join(h.runtime.containerDir(id), 'container.log'));
    return {
      stdout: streamText(logs, 'stdout'),
      stderr: streamText(logs, 'stderr'),
      exitCode: exit.exitCode,
      signal: exit.signal,
      oomKilled: exit.oomKilled,
    };
  } finally {
    await h.runtime.delete(id, { force: true });
  }
}

/** The case under both runtimes, one after the other. */
async function both(
  options: CaseOptions,
  control?: (h: TestHost, id: string) => Promise<void>,
): Promise<{ ours: Outcome; crun: Outcome }> {
  const a = await runUnder(ours, options, control);
  const b = await runUnder(crun, options, control);
  return { ours: a, crun: b };
}

/** Same outcome under both, and that outcome is `expected` (fields left out are only compared). */
function same(t: ExecutionContext, r: { ours: Outcome; crun: Outcome }, expected: Partial<Outcome>): void {
  t.deepEqual(r.crun, r.ours, 'crun and swarm-runtime differ');
  t.like(r.ours, expected);
}

const sh = (script: string): readonly string[] => ['/bin/sh', '-c', script];
const ENDED = { exitCode: 0, signal: null, oomKilled: false } as const;

test('the same output on both streams and exit code 3 under swarm-runtime and crun', async (t) => {
  const r = await both({ args: sh('echo hello from the container; echo to stderr >&2; exit 3') });
  same(t, r, {
    stdout: 'hello from the container\n',
    stderr: 'to stderr\n',
    exitCode: 3,
    signal: null,
    oomKilled: false,
  });
});

test('the same hostname under swarm-runtime and crun', async (t) => {
  const r = await both({ args: ['hostname'], hostname: 'parity-host' });
  same(t, r, { ...ENDED, stdout: 'parity-host\n', stderr: '' });
});

test('the same user, working directory and environment under swarm-runtime and crun', async (t) => {
  const r = await both({
    args: sh('id; pwd; echo "$GREETING"'),
    user: { uid: 65534, gid: 65534 },
    cwd: '/tmp',
    env: ['GREETING=hi there'],
  });
  same(t, r, { ...ENDED, stdout: 'uid=65534(nobody) gid=65534(nogroup)\n/tmp\nhi there\n' });
});

test('the init is PID 1 and ps shows only the container processes, under both runtimes', async (t) => {
  // `exit 0` keeps sh alive as PID 1 while ps runs (sh would otherwise exec its last command).
  const r = await both({ args: sh('echo $$; ps -o pid,comm; exit 0') });
  same(t, r, { ...ENDED, stderr: '' });
  const [pid, header, ...procs] = r.ours.stdout.trim().split('\n');
  t.is(pid, '1');
  t.regex(header ?? '', /PID\s+COMMAND/);
  t.deepEqual(
    procs.map((l) => l.trim().split(/\s+/)[1]),
    ['sh', 'ps'],
  );
  t.regex(procs[0] ?? '', /^\s*1 sh$/);
});

test('the same CapEff, NoNewPrivs and Seccomp mode under both runtimes', async (t) => {
  const r = await both({ args: ['rn-probe', 'caps'] });
  const capEff = capabilityMask(DEFAULT_CAPABILITIES).toString(16).padStart(16, '0');
  same(t, r, { ...ENDED, stdout: `CapEff:\t${capEff}\nNoNewPrivs:\t1\nSeccomp:\t2\n`, stderr: '' });
});

test('the same device nodes in /dev under both runtimes (crun adds a dangling /dev/core link)', async (t) => {
  const r = await both({
    args: sh('ls /dev; for f in /dev/* /dev/pts/*; do stat -c "%n %F %t:%T %a %u:%g" "$f"; done'),
  });
  // crun always links /dev/core to /proc/kcore; this kernel has no /proc/kcore (PROC_KCORE is not set),
  // so the link dangles. runc makes it only when /proc/kcore exists, and swarm-runtime never does. It is
  // the only difference tolerated here, and only as that symlink.
  const coreLines = r.crun.stdout.split('\n').filter((l) => l === 'core' || l.startsWith('/dev/core '));
  t.deepEqual(coreLines, ['core', '/dev/core symbolic link 0:0 777 0:0']);
  const crunWithoutCore = {
    ...r.crun,
    stdout: r.crun.stdout
      .split('\n')
      .filter((l) => !coreLines.includes(l))
      .join('\n'),
  };
  same(t, { ours: r.ours, crun: crunWithoutCore }, { ...ENDED, stderr: '' });
  const nodes = r.ours.stdout.split('\n').filter((l) => l.includes(' character special file '));
  t.deepEqual(nodes, [
    '/dev/full character special file 1:7 666 0:0',
    '/dev/null character special file 1:3 666 0:0',
    '/dev/random character special file 1:8 666 0:0',
    '/dev/tty character special file 5:0 666 0:0',
    '/dev/urandom character special file 1:9 666 0:0',
    '/dev/zero character special file 1:5 666 0:0',
    '/dev/pts/ptmx character special file 5:2 666 0:0',
  ]);
});

test('the same set of mount points inside the container under both runtimes', async (t) => {
  const r = await both({ args: sh("cut -d' ' -f2 /proc/mounts | sort") });
  // Compared as sets: the order of /proc/mounts is the order each runtime mounted in. Mount options are
  // not compared; they differ in two harmless ways (crun remounts the /dev/null binds over masked files
  // read-only and drops nosuid/nodev/noexec on the read-only /proc paths, which the proc mount below
  // them has anyway).
  t.deepEqual(new Set(r.crun.stdout.split('\n')), new Set(r.ours.stdout.split('\n')));
  t.like(r.ours, ENDED);
  t.like(r.crun, ENDED);
  const points = r.ours.stdout.trim().split('\n');
  for (const p of ['/', '/dev', '/dev/mqueue', '/dev/pts', '/dev/shm', '/proc', '/proc/sys', '/sys'])
    t.true(points.includes(p), `${p} is not mounted`);
  t.false(
    points.some((p) => p.startsWith('/sys/fs/cgroup')),
    'a cgroup hierarchy is mounted in the container',
  );
});

test('only the loopback interface in /proc/net/dev under both runtimes', async (t) => {
  const r = await both({ args: sh('tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "') });
  same(t, r, { ...ENDED, stdout: 'lo\n', stderr: '' });
});

test('keyctl is refused by seccomp with EPERM under both runtimes', async (t) => {
  const r = await both({ args: ['rn-probe', 'keyctl'] });
  same(t, r, { ...ENDED, stdout: 'errno 1\n', stderr: '' });
});

test('masked and read-only /proc paths behave the same under both runtimes', async (t) => {
  const r = await both({
    args: sh('wc -c < /proc/keys; echo x > /proc/sys/kernel/domainname; echo $?'),
  });
  same(t, r, {
    ...ENDED,
    stdout: '0\n1\n',
    stderr: "/bin/sh: can't create /proc/sys/kernel/domainname: Read-only file system\n",
  });
});

test('mknod of /dev/mem (1:1): swarm-runtime refuses it with EPERM; crun lets it be made but never opened', async (t) => {
  // A genuine difference, and crun's doing: after the spec's device rules crun always appends its own
  // defaults, which start with `c *:* m` and `b *:* m` (crun 1.8.1, src/libcrun/cgroup-resources.c,
  // default_devices[]), so under crun no config.json can stop mknod while CAP_MKNOD is held. The spec's
  // rules refuse read and write on 1:1 under both, and that part is the same.
  const r = await both({
    args: sh('rn-probe mknod /tmp/mem; if [ -e /tmp/mem ]; then head -c 1 /tmp/mem > /dev/null; fi'),
  });
  t.like(r.ours, { ...ENDED, stdout: 'errno 1\n', stderr: '' });
  t.like(r.crun, {
    exitCode: 1,
    signal: null,
    stdout: 'ok\n',
    stderr: 'head: /tmp/mem: Operation not permitted\n',
  });
});

test('a read-only root refuses writes under both runtimes', async (t) => {
  const r = await both({ args: sh('touch /x; echo $?; touch /tmp/x; echo $?'), readonlyRoot: true });
  same(t, r, {
    ...ENDED,
    stdout: '1\n1\n',
    stderr: 'touch: /x: Read-only file system\ntouch: /tmp/x: Read-only file system\n',
  });
});

test('a 32 MiB memory limit OOM-kills a 256 MiB hog and both runtimes report oomKilled', async (t) => {
  const r = await both({ args: ['rn-probe', 'hog', '256'], resources: { memoryBytes: 32 * 1024 * 1024 } });
  // The progress lines depend on how far the hog got before the kill: only the end is compared.
  const end = (o: Outcome) => ({ exitCode: o.exitCode, signal: o.signal, oomKilled: o.oomKilled });
  t.deepEqual(end(r.crun), end(r.ours), 'crun and swarm-runtime differ');
  t.deepEqual(end(r.ours), { exitCode: 137, signal: 'SIGKILL', oomKilled: true });
  t.notRegex(r.ours.stdout + r.crun.stdout, /done 256 MiB/);
});

test('a container killed by SIGKILL reports signal SIGKILL and exit code 137 under both runtimes', async (t) => {
  const r = await both({ args: ['sleep', '600'] }, (h, id) => h.runtime.kill(id, 'SIGKILL'));
  same(t, r, { stdout: '', stderr: '', exitCode: 137, signal: 'SIGKILL', oomKilled: false });
});

test('a program missing from PATH fails create under both runtimes for the same reason, keeping nothing', async (t) => {
  for (const h of [ours, crun]) {
    const id = h.id('nf');
    const bundle = await h.bundle({ args: ['no-such-program'] }, id);
    const err = await t.throwsAsync(h.runtime.create(id, { bundle }), { instanceOf: RuntimeCommandError });
    t.is(err?.exitCode, 1, h.runtime.kind);
    t.regex(err?.message ?? '', /executable file `no-such-program` not found in \$PATH/, h.runtime.kind);
    t.deepEqual(
      (await h.runtime.list()).filter((c) => c.id === id),
      [],
      `${h.runtime.kind} kept the container`,
    );
  }
});
