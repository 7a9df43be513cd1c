// `swarmd container run` as a user runs it: the real binary, the host image, real limits.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { packageRoot, removeCgroupParent } from '../runtime-native/ts/index.js';

let dir: string;
const cgroupParent = `/swarmd-test-run-${process.pid}`;
test.before(async () => {
  dir = await mkdtemp('/tmp/swt-run-');
});
test.after.always(async () => {
  await removeCgroupParent(cgroupParent);
  await rm(dir, { recursive: true, force: true });
});

function swarmd(...args: string[]) {
  const bin = join(packageRoot(), 'bin', 'swarmd');
  const globals = [
    '--state-dir',
    join(dir, 'state'),
    '--runtime-root',
    join(dir, 'rt'),
    '--cgroup-parent',
    cgroupParent,
  ];
  return spawnSync(bin, [...globals, ...args], { encoding: 'utf8' });
}

test('`swarmd container run` streams the output of an isolated host-image container and its exit code', async (t) => {
  const r = swarmd(
    'container',
    'run',
    '--name',
    'hello',
    '--hostname',
    'demo',
    '--',
    'sh',
    '-c',
    'echo "I am $(hostname), pid $$"; echo oops >&2; exit 4',
  );
  t.is(r.stdout, 'I am demo, pid 1\n');
  t.regex(r.stderr, /^oops\ncontainer hello exited with code 4 \(finished .*\)\n$/);
  t.is(r.status, 4);
  t.deepEqual(await readdir(join(dir, 'state', 'containers')), [], 'the container is removed');
  t.deepEqual(
    (await readdir(join(dir, 'rt'))).filter((n) => !n.startsWith('.')),
    [],
  );
});

test('`swarmd container run --memory` reports an OOM kill', (t) => {
  const r = swarmd(
    'container',
    'run',
    '--memory',
    '32m',
    '--',
    'sh',
    '-c',
    'x=$(head -c 200m /dev/zero | tr "\\0" a); echo survived',
  );
  t.is(r.status, 137);
  t.regex(
    r.stderr,
    /was killed by SIGKILL; the kernel's OOM killer ended \d+ process\(es\) at its memory limit/,
  );
});

test('`swarmd container run` refuses bad flags with exit code 2, naming the flag', (t) => {
  const cases: [string[], RegExp][] = [
    [['--memory', '3x'], /^swarmd: --memory: must be a size such as 64m/],
    [['--cpus', '-1'], /^swarmd: --cpus: must be a number of CPUs/],
    [['--pids', '0'], /^swarmd: --pids: must be between 1 and 4194304, got 0/],
    [['--image', 'relative'], /^swarmd: --image: must be "host" or the absolute path/],
    [['--name', '../x'], /^swarmd: id: must be 1 to 128 letters/],
    [['--env', 'NOEQUALS'], /^swarmd: env\[0\]: must be KEY=value/],
  ];
  for (const [flags, message] of cases) {
    const r = swarmd('container', 'run', ...flags, '--', 'true');
    t.regex(r.stderr, message, flags.join(' '));
    t.not(r.status, 0);
  }
  const none = swarmd('container', 'run');
  t.regex(none.stderr, /missing required argument 'command'/);
});
