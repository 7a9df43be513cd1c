// Regression tests for defects a security review found: each test is one attack or race, on the real
// kernel, with the runtime's answer.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import { cgroupDirsFor } from './cgroup-paths.js';
import { ContainerNotFoundError } from './errors.js';
import { readBundleSpec, writeBundle } from './oci/index.js';
import { OciRuntime } from './oci-runtime.js';
import { swarmRuntimePath } from './paths.js';
import { TestHost } from './testing/test-host.js';

let host: TestHost;
test.before(async () => {
  host = await TestHost.create();
});
test.after.always(async () => {
  await host?.cleanup();
});

const rt = swarmRuntimePath();

function cli(...args: string[]) {
  return spawnSync(rt, ['--root', host.runtime.root, ...args], { encoding: 'utf8' });
}

async function started(args: string[]): Promise<string> {
  const id = host.id('h');
  const bundle = await host.bundle({ args }, id);
  await host.runtime.create(id, { bundle });
  await host.runtime.start(id);
  return id;
}

test("`exec` does not hand the caller's open files to the process it starts", async (t) => {
  const id = await started(['sleep', '600']);
  try {
    const hostRoot = openSync('/', 'r');
    try {
      const r = spawnSync(
        rt,
        ['--root', host.runtime.root, 'exec', id, '--', '/bin/sh', '-c', 'ls /proc/$$/fd; true'],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe', hostRoot],
        },
      );
      t.is(r.status, 0, r.stderr);
      // 0, 1, 2 and the directory ls itself reads; no fd 3 pointing at the host's root.
      t.false(r.stdout.split('\n').includes('3') && r.stdout.split('\n').length > 5, r.stdout);
      t.notRegex(r.stdout, /^3$/m);
    } finally {
      closeSync(hostRoot);
    }
  } finally {
    await host.runtime.delete(id, { force: true });
  }
});

test('`exec` tells its own failure apart from a command that prints JSON and fails', async (t) => {
  const id = await started(['sleep', '600']);
  try {
    const r = await host.runtime.exec(id, [
      '/bin/sh',
      '-c',
      'echo \'{"level":"error","msg":"fake"}\' >&2; exit 3',
    ]);
    t.is(r.exitCode, 3);
    t.regex(r.stderr, /fake/);
    await t.throwsAsync(host.runtime.exec(id, ['no-such-program']), {
      code: 'ERR_RUNTIME_COMMAND',
      message: /process.args\[0\]: executable file `no-such-program` not found/,
    });
  } finally {
    await host.runtime.delete(id, { force: true });
  }
});

test('`delete --force` racing `create` never leaves a container, cgroup or process behind', async (t) => {
  for (let i = 0; i < 10; i++) {
    const id = `race-${i}`;
    const bundle = await host.bundle({ args: ['sleep', '600'] }, id);
    const create = new Promise<number | null>((resolve) => {
      spawn(rt, ['--root', host.runtime.root, 'create', '--bundle', bundle, id], { stdio: 'ignore' }).on(
        'exit',
        resolve,
      );
    });
    // Delete as soon as the container's directory exists, while the create is still going on.
    for (;;) {
      const names = await readdir(host.runtime.root).catch(() => [] as string[]);
      if (names.includes(id)) break;
      await new Promise((r) => setImmediate(r));
    }
    const deleted = cli('delete', '--force', id);
    await create;
    t.is(deleted.status, 0, deleted.stderr);
    // Whatever the create said, the delete came after it and removed everything.
    t.false((await readdir(host.runtime.root)).includes(id));
    const dirs = await cgroupDirsFor(`${host.cgroupParent}/${id}`);
    for (const dir of Object.values(dirs)) await t.throwsAsync(lstat(dir), { code: 'ENOENT' }, dir);
  }
});

test('a /dev bind mount is not written into, and a linux.devices symlink cannot reach the host', async (t) => {
  const fakeDev = join(host.dir, 'fakedev');
  await mkdir(fakeDev);
  await writeFile(join(fakeDev, 'null'), 'a regular file');
  const id = host.id('dev');
  const bundle = await host.bundle({ args: ['true'] }, id);
  const spec = await readBundleSpec(bundle);
  spec.mounts = [
    ...(spec.mounts ?? []).filter((m) => !m.destination.startsWith('/dev')),
    { destination: '/dev', type: 'bind', source: fakeDev, options: ['rbind'] },
  ];
  await writeBundle(bundle, spec);
  await host.runtime.create(id, { bundle }).catch(() => undefined);
  await host.runtime.delete(id, { force: true });
  t.is(await readFile(join(fakeDev, 'null'), 'utf8'), 'a regular file');
  t.deepEqual((await readdir(fakeDev)).sort(), ['null']);

  // An image whose /dev/net is a symlink to a host path, with a device under it.
  const victim = join(host.dir, 'victim');
  await mkdir(victim);
  await writeFile(join(victim, 'tun'), 'precious');
  const rootfs = join(host.dir, 'hostile-rootfs');
  spawnSync('cp', ['-a', host.rootfs, rootfs]);
  await mkdir(join(rootfs, 'dev'), { recursive: true });
  await symlink(victim, join(rootfs, 'dev', 'net'));
  const id2 = host.id('dev');
  const bundle2 = await host.bundle({ args: ['true'], rootPath: rootfs }, id2);
  const spec2 = await readBundleSpec(bundle2);
  spec2.mounts = (spec2.mounts ?? []).filter((m) => !m.destination.startsWith('/dev'));
  spec2.linux = { ...spec2.linux, devices: [{ path: '/dev/net/tun', type: 'c', major: 10, minor: 200 }] };
  await writeBundle(bundle2, spec2);
  await host.runtime.create(id2, { bundle: bundle2 }).catch(() => undefined);
  await host.runtime.delete(id2, { force: true });
  t.is(await readFile(join(victim, 'tun'), 'utf8'), 'precious');
});

test('a container cannot take a cgroup that exists, even one of a stopped container of another root', async (t) => {
  const other = new OciRuntime({ root: join(host.dir, 'rt-other') });
  const id = host.id('cg');
  const bundle = await host.bundle({ args: ['true'] }, id);
  await host.runtime.create(id, { bundle });
  const waiting = host.runtime.wait(id);
  await host.runtime.start(id);
  await waiting;
  try {
    await t.throwsAsync(other.create(id, { bundle }), {
      message: /linux.cgroupsPath: cgroup `.*` already exists/,
    });
    t.deepEqual(await other.list(), []);
  } finally {
    await host.runtime.delete(id);
  }
});

test('abandoned `wait` connections do not pile up in the shim', async (t) => {
  const id = await started(['sleep', '600']);
  const sock = join(host.runtime.containerDir(id), 'shim.sock');
  for (let i = 0; i < 100; i++) {
    await new Promise<void>((resolve, reject) => {
      const c = connect(sock, () => {
        c.write('wait\n');
        c.destroy();
        resolve();
      });
      c.on('error', reject);
    });
  }
  const exit = await host.runtime.stop(id, { graceMs: 100 });
  t.is(exit.signal, 'SIGKILL');
  await host.runtime.delete(id);
});

test('a create that fails on --pid-file leaves nothing, and the id can be used again', async (t) => {
  const id = host.id('pid');
  const bundle = await host.bundle({ args: ['true'] }, id);
  const r = cli('create', '--bundle', bundle, '--pid-file', '/nonexistent/dir/pid', id);
  t.is(r.status, 1);
  t.regex(r.stderr, /--pid-file `\/nonexistent\/dir\/pid`: its directory does not exist/);
  // The root may not exist yet when this is the file's first create: nothing was left either way.
  t.false((await readdir(host.runtime.root).catch(() => [] as string[])).includes(id));
  const pidFile = join(host.dir, `${id}.pid`);
  t.is(cli('create', '--bundle', bundle, '--pid-file', pidFile, id).status, 0);
  t.regex(await readFile(pidFile, 'utf8'), /^\d+$/);
  t.deepEqual(
    (await readdir(host.dir)).filter((n) => n.includes('.tmp')),
    [],
    'no temporary file is left',
  );
  await host.runtime.delete(id);
});

test('like crun: delete a created container, force-delete a missing one, exec into a created one', async (t) => {
  const id = host.id('crun');
  const bundle = await host.bundle({ args: ['true'] }, id);
  await host.runtime.create(id, { bundle });
  const r = await host.runtime.exec(id, ['/bin/sh', '-c', 'echo in-created']);
  t.is(r.stdout, 'in-created\n');
  await host.runtime.delete(id);
  t.is(cli('delete', '--force', 'never-existed').status, 0);
  await t.throwsAsync(host.runtime.delete('never-existed'), { instanceOf: ContainerNotFoundError });
});

test('`exec` uses the config validated at create, not the bundle as edited since', async (t) => {
  const id = host.id('cfg');
  const bundle = await host.bundle({ args: ['sleep', '600'] }, id);
  await host.runtime.create(id, { bundle });
  try {
    await host.runtime.start(id);
    const spec = await readBundleSpec(bundle);
    const all = {
      ...spec.process?.capabilities,
      effective: ['CAP_SYS_ADMIN'],
      bounding: ['CAP_SYS_ADMIN'],
      permitted: ['CAP_SYS_ADMIN'],
    };
    await writeFile(
      join(bundle, 'config.json'),
      JSON.stringify({ ...spec, process: { ...spec.process, capabilities: all, noNewPrivileges: false } }),
    );
    const r = await host.runtime.exec(id, ['rn-probe', 'caps']);
    t.is(r.stdout, 'CapEff:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\n');
  } finally {
    await host.runtime.delete(id, { force: true });
  }
});
