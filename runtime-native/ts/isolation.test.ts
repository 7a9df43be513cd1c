// What a container may see and do, on the real kernel: namespaces, limits, privileges, filesystem.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { streamText } from './container-log.js';
import type { LocalContainerOptions } from './local-containers.js';
import { TestHost } from './testing/test-host.js';
import { pollUntil, waitForFile } from './testing/wait-for.js';

let host: TestHost;
test.before(async () => {
  host = await TestHost.create();
});
test.after.always(async () => {
  await host?.cleanup();
});

type Opts = Omit<LocalContainerOptions, 'image' | 'args'>;

/** Runs `sh -c script` in a busybox container (overlay over the test rootfs) and returns its output. */
async function sh(script: string, options: Opts = {}) {
  const r = await host.containers.run(host.id(), {
    image: { kind: 'rootfs', path: host.rootfs },
    args: ['/bin/sh', '-c', script],
    ...options,
  });
  return { exit: r.exit, stdout: streamText(r.logs, 'stdout'), stderr: streamText(r.logs, 'stderr') };
}

test('a container is PID 1 of its own pid namespace and sees none of the host processes', async (t) => {
  const r = await sh('echo $$; ls /proc | grep -E "^[0-9]+$" | tr "\\n" " "');
  const [pid, procs] = r.stdout.split('\n');
  t.is(pid, '1');
  const pids = (procs ?? '').trim().split(' ').map(Number);
  t.true(pids.includes(1));
  t.true(pids.length <= 4, `the container sees ${pids.length} processes: ${procs}`);
  t.false(pids.includes(process.pid));
});

test('a container has the hostname of its spec in its own uts namespace', async (t) => {
  const r = await sh('hostname', { hostname: 'web-1' });
  t.is(r.stdout, 'web-1\n');
  t.not((await readFile('/proc/sys/kernel/hostname', 'utf8')).trim(), 'web-1');
});

test('a new network namespace holds only the loopback interface', async (t) => {
  const r = await sh('tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "');
  t.deepEqual(r.stdout.trim().split('\n'), ['lo']);
});

test('mounts made inside a container are invisible to the host', async (t) => {
  const id = host.id('m');
  await host.containers.create(id, {
    image: { kind: 'rootfs', path: host.rootfs },
    args: [
      '/bin/sh',
      '-c',
      'mount -t tmpfs swarmd-marker /mnt && grep -c swarmd-marker /proc/mounts && exec sleep 600',
    ],
    capAdd: ['SYS_ADMIN'],
  });
  try {
    await host.runtime.start(id);
    await waitForFile(host.containers.logPath(id), /"log":"1\\n"/);
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    t.false(mountinfo.includes('swarmd-marker'), 'the container tmpfs shows on the host');
    // The container's own /proc and /dev mounts live in its namespace only.
    const rootfs = join(host.containers.bundleDir(id), 'rootfs');
    t.false(mountinfo.split('\n').some((l) => l.includes(`${rootfs}/proc`) || l.includes(`${rootfs}/dev`)));
  } finally {
    await host.containers.remove(id, { force: true });
  }
});

test('a memory limit OOM-kills a hog and the exit record says OOM, not just 137', async (t) => {
  const r = await sh('exec rn-probe hog 256', { resources: { memoryBytes: 32 * 1024 * 1024 } });
  t.true(r.exit.oomKilled);
  t.is(r.exit.signal, 'SIGKILL');
  t.is(r.exit.exitCode, 137);
  t.true(r.exit.oomKills >= 1);
});

test('an OOM kill of a process other than the init is still reported', async (t) => {
  const r = await sh('rn-probe hog 256; echo hog ended $?', { resources: { memoryBytes: 32 * 1024 * 1024 } });
  t.is(r.exit.exitCode, 0, 'the init itself exits normally');
  t.regex(r.stdout, /hog ended 137/);
  t.true(r.exit.oomKilled);
});

test('a container that ends normally is not reported as OOM-killed', async (t) => {
  const r = await sh('exit 3', { resources: { memoryBytes: 32 * 1024 * 1024 } });
  t.deepEqual([r.exit.exitCode, r.exit.signal, r.exit.oomKilled], [3, null, false]);
});

test('a CPU quota throttles the container (cgroup throttling counters)', async (t) => {
  const id = host.id('cpu');
  await host.containers.create(id, {
    image: { kind: 'rootfs', path: host.rootfs },
    args: ['rn-probe', 'spin'],
    resources: { cpuQuotaUs: 10_000, cpuPeriodUs: 100_000 },
  });
  try {
    await host.runtime.start(id);
    // nr_throttled counts a throttling when it starts, throttled_time when it ends: wait for both.
    const stats = await pollUntil(
      () => host.runtime.stats(id),
      (s) => s.cpuThrottledPeriods > 0 && s.cpuThrottledNs > 0,
    );
    t.true(stats.cpuPeriods >= stats.cpuThrottledPeriods);
    t.true(stats.cpuThrottledNs > 0);
  } finally {
    await host.containers.remove(id, { force: true });
  }
});

test('a pids limit stops a fork bomb', async (t) => {
  const r = await sh('rn-probe forks 60', { resources: { pidsLimit: 20 } });
  const m = /forks ok=(\d+) failed=(\d+) errno=(\d+)/.exec(r.stdout);
  t.truthy(m, r.stdout + r.stderr);
  t.true(Number(m?.[1]) < 20);
  t.true(Number(m?.[2]) > 0);
  t.is(Number(m?.[3]), 11, 'EAGAIN');
});

test('capabilities are reduced to the default set, with no_new_privs and seccomp on', async (t) => {
  const r = await sh('rn-probe caps');
  t.is(r.stdout, 'CapEff:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\n');
});

test('the default seccomp profile refuses a denied syscall that the capabilities allow', async (t) => {
  const confined = await sh('rn-probe keyctl');
  t.is(confined.stdout, 'errno 1\n');
  const unconfined = await sh('rn-probe keyctl', { seccomp: 'unconfined' });
  t.not(unconfined.stdout, 'errno 1\n', 'without seccomp the call is not refused with EPERM');
});

test('the device allow-list refuses mknod of a host device although CAP_MKNOD is held', async (t) => {
  const r = await sh(
    'rn-probe mknod /tmp/mem; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok',
    {
      mounts: [{ destination: '/tmp', type: 'tmpfs' }],
    },
  );
  t.is(r.stdout, 'errno 1\n4\nnull-ok\n');
});

test('a read-only root refuses writes while private tmpfs stays writable', async (t) => {
  const r = await sh('touch /x 2>&1; touch /tmp/y && echo tmp-ok', {
    readonlyRoot: true,
    mounts: [{ destination: '/tmp', type: 'tmpfs' }],
  });
  t.regex(r.stdout, /Read-only file system/);
  t.regex(r.stdout, /tmp-ok/);
});

test('masked paths read empty and /proc/sys is read-only', async (t) => {
  const r = await sh(
    'wc -c < /proc/keys; ls -A /sys/firmware | wc -l; (echo 1 > /proc/sys/kernel/ns_last_pid) 2>&1 || true',
  );
  const [keys, firmware, write] = r.stdout.split('\n');
  t.is(keys?.trim(), '0');
  t.is(firmware?.trim(), '0');
  t.regex(write ?? '', /Read-only file system/);
});

test('the host image runs the host programs read-only with private /tmp and /etc', async (t) => {
  const r = await host.containers.run(host.id('h'), {
    image: { kind: 'host' },
    hostname: 'hosted',
    args: [
      '/bin/sh',
      '-c',
      'cat /etc/hostname; test -x /usr/bin/env && echo usr-ok; touch /usr/x 2>&1; echo t > /tmp/t && cat /tmp/t; id -u',
    ],
  });
  const out = streamText(r.logs, 'stdout');
  t.is(r.exit.exitCode, 0, out + streamText(r.logs, 'stderr'));
  t.regex(out, /^hosted\nusr-ok\n.*Read-only file system\nt\n0\n$/s);
});

test('a rootfs folder gets a private writable layer and stays untouched', async (t) => {
  const id = host.id('ov');
  await host.containers.create(id, {
    image: { kind: 'rootfs', path: host.rootfs },
    args: ['/bin/sh', '-c', 'echo private > /root/written && rm /bin/true && echo done'],
  });
  try {
    const waiting = host.runtime.wait(id);
    await host.runtime.start(id);
    t.is((await waiting).exitCode, 0);
    const upper = join(host.containers.bundleDir(id), 'upper');
    t.is(await readFile(join(upper, 'root', 'written'), 'utf8'), 'private\n');
    await t.throwsAsync(readFile(join(host.rootfs, 'root', 'written')));
    t.truthy(await readFile(join(host.rootfs, 'bin', 'busybox')).then((b) => b.length));
  } finally {
    await host.containers.remove(id, { force: true });
  }
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  t.false(mountinfo.includes(host.containers.bundleDir(id)), 'the overlay mount is gone');
});
