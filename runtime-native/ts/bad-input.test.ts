// Bad and hostile input to swarm-runtime, through its real command line (and the OciRuntime binding where
// its typed errors matter). Every refusal must exit with status 1, print one line that names the field (or
// the argument) and the rule, and leave nothing behind: no state entry, no cgroup in any hierarchy, no
// process, no mount. The cases run serially so that the runtime root and the mount table each test reads
// are its own.
//
// The valid baseline comes from the TypeScript spec builder; the bad documents are that baseline mutated
// afterwards (or raw text), because the builder refuses most of these inputs itself.
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { errorCode } from '../../common/index.js';
import { cgroupDirsFor } from './cgroup-paths.js';
import { ContainerExistsError, ContainerNotFoundError, RuntimeCommandError } from './errors.js';
import {
  buildContainerSpec,
  type OciMountType,
  type OciNamespaceType,
  type OciRlimitType,
  type OciSeccompAction,
  type OciSpec,
  writeBundle,
} from './oci/index.js';
import { swarmRuntimePath } from './paths.js';
import { type CommandResult, spawnCommand } from './spawn-command.js';
import { TestHost } from './testing/test-host.js';

let host: TestHost;
test.before(async () => {
  host = await TestHost.create();
});
test.after.always(async () => {
  await host?.cleanup();
});

const BINARY = swarmRuntimePath();
/** What swarm-runtime itself keeps in its root besides one directory per container. */
const ROOT_BOOKKEEPING = new Set(['.swarm-runtime', '.seccomp-cache']);

/** The raw command line against the test host's root (or another). */
function cli(args: readonly string[], root = host.runtime.root): Promise<CommandResult> {
  return spawnCommand(BINARY, ['--root', root, ...args]);
}

/** A spec object that may hold what OciSpec does not allow: the cases below add unknown fields to it. */
type LooseSpec = OciSpec & Record<string, unknown>;

function loose(v: object): Record<string, unknown> {
  return v as Record<string, unknown>;
}

interface Bundle {
  name: string;
  dir: string;
  cgroupsPath: string;
}

/** The valid baseline for `name`: busybox root, its own cgroup below the host's parent. */
function baseline(name: string, args: readonly string[] = ['sleep', '600']): LooseSpec {
  return buildContainerSpec({
    args,
    rootPath: host.rootfs,
    cgroupsPath: `${host.cgroupParent}/${name}`,
    hostname: name,
  }) as LooseSpec;
}

function bundleOf(name: string): Bundle {
  return { name, dir: join(host.dir, 'bundles', name), cgroupsPath: `${host.cgroupParent}/${name}` };
}

async function specBundle(name: string, mutate: (spec: LooseSpec) => void = () => {}): Promise<Bundle> {
  const spec = baseline(name);
  mutate(spec);
  const b = bundleOf(name);
  await writeBundle(b.dir, spec);
  return b;
}

/** A bundle whose config.json is `text` as is (or, with `null`, has no config.json). */
async function rawBundle(name: string, text: string | null): Promise<Bundle> {
  const b = bundleOf(name);
  await mkdir(b.dir, { recursive: true });
  if (text !== null) await writeFile(join(b.dir, 'config.json'), text);
  return b;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw err;
  }
}

async function rootEntries(root = host.runtime.root): Promise<string[]> {
  try {
    return (await readdir(root)).filter((e) => !ROOT_BOOKKEEPING.has(e)).sort();
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw err;
  }
}

function mountinfo(): Promise<string[]> {
  return readFile('/proc/self/mountinfo', 'utf8').then((t) => t.split('\n').filter(Boolean));
}

/**
 * Processes that belong to a bundle: any whose arguments include the bundle directory or the id (a leaked
 * `create` or shim), or that sits in the bundle's cgroup (a leaked container process).
 */
async function processesOf(needles: readonly string[], cgroupsPath: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const [cmdline, cgroups] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
      readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => ''),
    ]);
    const args = cmdline.split('\0');
    const inCgroup = cgroups
      .split('\n')
      .some((l) => l.endsWith(`:${cgroupsPath}`) || l.includes(`:${cgroupsPath}/`));
    if (inCgroup || args.some((a) => needles.includes(a))) found.push(`${pid}: ${args.join(' ').trim()}`);
  }
  return found;
}

/** Waits (at most 5 s) until no process of the bundle is left, and returns what is left then. */
async function settledProcessesOf(needles: readonly string[], cgroupsPath: string): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const left = await processesOf(needles, cgroupsPath);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Leftovers {
  /** The id the refused command named. */
  id: string;
  bundle: Bundle;
  mountsBefore: readonly string[];
  /** Containers that must still be in the root (a duplicate id's first container). */
  keep?: readonly string[];
  root?: string;
}

/** Nothing of the refused command is left: state entry, cgroups, processes, mounts. */
async function assertNothingLeft(t: ExecutionContext, left: Leftovers): Promise<void> {
  const { id, bundle } = left;
  t.deepEqual(
    await rootEntries(left.root),
    [...(left.keep ?? [])].sort(),
    'the runtime root holds a new entry',
  );
  for (const [hierarchy, dir] of Object.entries(await cgroupDirsFor(bundle.cgroupsPath)))
    t.false(await exists(dir), `a ${hierarchy} cgroup was left at ${dir}`);
  // The id names a leaked create or shim, unless it is a container that must stay (a duplicate's first).
  const idIsOurs = id.length > 2 && !(left.keep ?? []).includes(id);
  const needles = [bundle.dir, ...(idIsOurs ? [id] : [])];
  t.deepEqual(await settledProcessesOf(needles, bundle.cgroupsPath), [], 'processes were left running');
  // Other test files run meanwhile and may mount in their own /tmp/swt-* directories or add network
  // namespaces under /run/netns: those lines are theirs. Every other new line counts, ours first (a
  // leaked container mount would lie below this host's directory, where the rootfs is).
  const before = new Set(left.mountsBefore);
  const foreign = (l: string) =>
    (l.includes('/tmp/swt-') && !l.includes(host.dir)) || l.includes(' /run/netns/');
  const added = (await mountinfo()).filter((l) => !before.has(l) && !foreign(l));
  t.deepEqual(added, [], 'the host mount table grew');
}

/** The command failed as swarm-runtime fails: status 1, nothing on stdout, one line on stderr. */
function refusedWith(t: ExecutionContext, r: CommandResult, message: RegExp): void {
  t.is(r.code, 1, `exit status (stderr: ${r.stderr})`);
  t.is(r.stdout, '');
  t.is(r.stderr.split('\n').filter(Boolean).length, 1, `one error line, got:\n${r.stderr}`);
  t.regex(r.stderr.trim(), message);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `config.json: <field>: <rule>`, the field written out exactly. */
function specError(field: string, rule: RegExp): RegExp {
  return new RegExp(`^config\\.json: ${escapeRegExp(field)}: ${rule.source}$`);
}

/** Creates `bundle` as `id`, expects the refusal, then checks that nothing was left. */
async function refusedCreate(
  t: ExecutionContext,
  bundle: Bundle,
  message: RegExp,
  id = bundle.name,
): Promise<void> {
  const mountsBefore = await mountinfo();
  const r = await cli(['create', '--bundle', bundle.dir, id]);
  refusedWith(t, r, message);
  await assertNothingLeft(t, { id, bundle, mountsBefore });
}

/** One case: a mutation of the valid baseline, and the field and rule the refusal must name. */
function badSpec(title: string, mutate: (spec: LooseSpec) => { field: string; rule: RegExp }): void {
  test.serial(`\`swarm-runtime create\` ${title}`, async (t) => {
    let expected: { field: string; rule: RegExp } | undefined;
    const bundle = await specBundle(host.id('s'), (s) => {
      expected = mutate(s);
    });
    if (expected === undefined) throw new Error('the mutation named no field');
    await refusedCreate(t, bundle, specError(expected.field, expected.rule));
  });
}

/** A long-running valid container, for the cases that need one to exist. */
async function running(prefix: string): Promise<{ id: string; bundle: Bundle; pid: number }> {
  const id = host.id(prefix);
  const bundle = await specBundle(id);
  await host.runtime.create(id, { bundle: bundle.dir });
  await host.runtime.start(id);
  const state = await host.runtime.state(id);
  return { id, bundle, pid: state.pid };
}

async function assertStillRunning(t: ExecutionContext, c: { id: string; pid: number }): Promise<void> {
  const state = await host.runtime.state(c.id);
  t.is(state.status, 'running');
  t.is(state.pid, c.pid);
  t.notThrows(() => process.kill(c.pid, 0), 'the init is gone');
}

// ---- the baseline -----------------------------------------------------------------------------------

test.serial('the baseline bundle the cases mutate is accepted, and its delete leaves nothing', async (t) => {
  const mountsBefore = await mountinfo();
  const c = await running('base');
  t.true(await exists(join(host.runtime.root, c.id)));
  await host.runtime.delete(c.id, { force: true });
  await assertNothingLeft(t, { id: c.id, bundle: c.bundle, mountsBefore });
});

// ---- config.json: the fields ------------------------------------------------------------------------

badSpec('refuses a bundle without root.path, naming the field', (s) => {
  delete loose(s.root).path;
  return { field: 'root.path', rule: /required field is missing/ };
});

badSpec('refuses a root.path that is a file, naming the field', (s) => {
  s.root.path = '/etc/passwd';
  return { field: 'root.path', rule: /`\/etc\/passwd` is not a directory/ };
});

badSpec('refuses a relative mount destination, naming the field', (s) => {
  const i = s.mounts.push({ destination: 'rel/x', type: 'tmpfs', source: 'tmpfs' }) - 1;
  return { field: `mounts[${i}].destination`, rule: /must be an absolute path, got "rel\/x"/ };
});

badSpec('refuses a mount destination that climbs out with "..", naming the field', (s) => {
  const i = s.mounts.push({ destination: '/tmp/../../etc', type: 'tmpfs', source: 'tmpfs' }) - 1;
  return {
    field: `mounts[${i}].destination`,
    rule: /must not contain a "\.\." component, got "\/tmp\/\.\.\/\.\.\/etc"/,
  };
});

badSpec('refuses a "cgroup" mount (the host cgroup tree), naming the field', (s) => {
  const i =
    s.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup' as OciMountType, source: 'cgroup' }) - 1;
  return {
    field: `mounts[${i}].type`,
    rule: /not supported by swarm-runtime \(supported: .*\), got "cgroup"/,
  };
});

badSpec('refuses a bind mount whose source does not exist, naming the field', (s) => {
  const i =
    s.mounts.push({ destination: '/mnt', type: 'bind', source: '/nonexistent/x', options: ['rbind'] }) - 1;
  return { field: `mounts[${i}].source`, rule: /`\/nonexistent\/x` does not exist/ };
});

badSpec('refuses an unknown namespace type, naming the field', (s) => {
  const i = s.linux.namespaces.push({ type: 'foo' as OciNamespaceType }) - 1;
  return {
    field: `linux.namespaces[${i}].type`,
    rule: /unknown namespace type \(allowed: pid, network, mount, ipc, uts, cgroup\), got "foo"/,
  };
});

badSpec('refuses a user namespace as not supported, naming the field', (s) => {
  const i = s.linux.namespaces.push({ type: 'user' as OciNamespaceType }) - 1;
  return {
    field: `linux.namespaces[${i}].type`,
    rule: /"user" namespaces are not supported by swarm-runtime/,
  };
});

badSpec("refuses to join the host's pid namespace by path, naming the field", (s) => {
  const i = s.linux.namespaces.findIndex((n) => n.type === 'pid');
  s.linux.namespaces[i] = { type: 'pid', path: '/proc/1/ns/pid' };
  return {
    field: `linux.namespaces[${i}].path`,
    rule: /joining an existing pid namespace is not supported by swarm-runtime .*/,
  };
});

badSpec('refuses a bundle without a mount namespace (its mounts would land on the host)', (s) => {
  s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'mount');
  return { field: 'linux.namespaces', rule: /a new mount namespace is required by swarm-runtime .*/ };
});

badSpec('refuses process.terminal true, naming the field', (s) => {
  loose(s.process).terminal = true;
  return { field: 'process.terminal', rule: /terminals are not supported by swarm-runtime/ };
});

badSpec('refuses empty process.args, naming the field', (s) => {
  s.process.args = [];
  return { field: 'process.args', rule: /must hold at least one argument/ };
});

badSpec('refuses a relative process.cwd, naming the field', (s) => {
  s.process.cwd = 'tmp';
  return { field: 'process.cwd', rule: /must be an absolute path, got "tmp"/ };
});

badSpec("refuses an env entry without '=', naming the entry", (s) => {
  const i = s.process.env.push('NO_EQUALS_SIGN') - 1;
  return { field: `process.env[${i}]`, rule: /must be KEY=value, got "NO_EQUALS_SIGN"/ };
});

badSpec('refuses a negative memory limit, naming the field', (s) => {
  s.linux.resources = { ...s.linux.resources, memory: { limit: -5 } };
  return {
    field: 'linux.resources.memory.limit',
    rule: /must be -1 \(unlimited\) or a positive number of bytes, got -5/,
  };
});

badSpec('refuses a memory+swap limit below the memory limit, naming the field', (s) => {
  s.linux.resources = { ...s.linux.resources, memory: { limit: 64 << 20, swap: 32 << 20 } };
  return {
    field: 'linux.resources.memory.swap',
    rule: /must be -1 \(unlimited\) or at least memory\.limit \(67108864\), .*got 33554432/,
  };
});

badSpec('refuses cpu shares above the kernel range, naming the field', (s) => {
  s.linux.resources = { ...s.linux.resources, cpu: { shares: 1_000_000 } };
  return {
    field: 'linux.resources.cpu.shares',
    rule: /must be 0 \(unset\) or between 2 and 262144, got 1000000/,
  };
});

badSpec('refuses a negative pids limit, naming the field', (s) => {
  s.linux.resources = { ...s.linux.resources, pids: { limit: -2 } };
  return {
    field: 'linux.resources.pids.limit',
    rule: /must be -1 \(unlimited\) or a positive number, got -2/,
  };
});

badSpec('refuses an unknown capability, naming the entry', (s) => {
  const caps = s.process.capabilities;
  if (caps === undefined) throw new Error('the baseline has no capabilities');
  const i = caps.effective.push('CAP_FOO') - 1;
  return { field: `process.capabilities.effective[${i}]`, rule: /unknown capability, got "CAP_FOO"/ };
});

badSpec('refuses an unknown rlimit type, naming the field', (s) => {
  s.process.rlimits = [{ type: 'RLIMIT_FOO' as OciRlimitType, soft: 1, hard: 1 }];
  return { field: 'process.rlimits[0].type', rule: /unknown resource .*, got "RLIMIT_FOO"/ };
});

badSpec('refuses a soft rlimit above the hard one, naming the field', (s) => {
  s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 10 }];
  return { field: 'process.rlimits[0].soft', rule: /must not be above the hard limit \(10\), got 100/ };
});

badSpec('refuses a hostname without a uts namespace of its own (it would rename the host)', (s) => {
  s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'uts');
  return { field: 'hostname', rule: /needs a new uts namespace in linux\.namespaces/ };
});

badSpec('refuses a sysctl that is not namespaced (vm.swappiness), naming it', (s) => {
  s.linux.sysctl = { 'vm.swappiness': '10' };
  return {
    field: 'linux.sysctl',
    rule: /"vm\.swappiness" is not namespaced and cannot be set for a container/,
  };
});

badSpec('refuses a sysctl key that would climb out of /proc/sys, naming it', (s) => {
  s.linux.sysctl = { 'net/../../../etc/x': '1' };
  return { field: 'linux.sysctl', rule: /invalid key "net\/\.\.\/\.\.\/\.\.\/etc\/x"/ };
});

badSpec('refuses an unknown seccomp action, naming the field', (s) => {
  if (s.linux.seccomp === undefined) throw new Error('the baseline has no seccomp profile');
  s.linux.seccomp.defaultAction = 'SCMP_ACT_FOO' as OciSeccompAction;
  return { field: 'linux.seccomp.defaultAction', rule: /unknown action \(allowed: .*\), got "SCMP_ACT_FOO"/ };
});

badSpec('refuses a cgroupsPath that climbs out with "..", naming the field', (s) => {
  s.linux.cgroupsPath = '/../../escaped';
  return {
    field: 'linux.cgroupsPath',
    rule: /must not contain a "\.\." component, got "\/\.\.\/\.\.\/escaped"/,
  };
});

badSpec('refuses an unknown top-level field, naming it', (s) => {
  s.noSuchField = 1;
  return { field: 'noSuchField', rule: /unknown field/ };
});

badSpec('refuses hooks (host commands run by the runtime) as not supported', (s) => {
  s.hooks = { prestart: [{ path: '/bin/true' }] };
  return { field: 'hooks', rule: /not supported by swarm-runtime/ };
});

badSpec('refuses an unknown field inside linux, naming it', (s) => {
  loose(s.linux).noSuchField = true;
  return { field: 'linux.noSuchField', rule: /unknown field/ };
});

badSpec('refuses an ociVersion other than 1.x, naming the field', (s) => {
  s.ociVersion = '2.0.0';
  return { field: 'ociVersion', rule: /must be a 1\.x version such as "1\.0\.2", got "2\.0\.0"/ };
});

// ---- failures after validation ----------------------------------------------------------------------

test.serial(
  '`swarm-runtime create` fails when process.args[0] is not in PATH, naming the field, and leaves nothing',
  async (t) => {
    const name = host.id('nx');
    const bundle = bundleOf(name);
    await writeBundle(bundle.dir, baseline(name, ['no-such-program', '--flag']));
    // The container's init gets as far as looking the program up: namespaces, cgroups and mounts exist
    // by then and must all be undone.
    await refusedCreate(
      t,
      bundle,
      /^process\.args\[0\]: executable file `no-such-program` not found in \$PATH/,
    );
  },
);

test.serial(
  '`swarm-runtime create` refuses a valid id whose shim socket path would not fit, and leaves nothing',
  async (t) => {
    // 128 characters is the longest id; under this root its socket path is longer than sun_path's 107.
    const id = `l${'o'.repeat(127)}`;
    const bundle = await specBundle(host.id('long'));
    await refusedCreate(t, bundle, /^shim socket `.*\/shim\.sock`: the path is longer than 107 bytes$/, id);
  },
);

test.serial(
  'OciRuntime.create reports a refused bundle as RuntimeCommandError with the runtime message and status 1',
  async (t) => {
    const bundle = await specBundle(host.id('ts'), (s) => {
      s.process.cwd = 'relative';
    });
    const mountsBefore = await mountinfo();
    const err = await t.throwsAsync(host.runtime.create(bundle.name, { bundle: bundle.dir }), {
      instanceOf: RuntimeCommandError,
    });
    t.is(err?.exitCode, 1);
    t.is(err?.op, 'create');
    t.regex(err?.message ?? '', /config\.json: process\.cwd: must be an absolute path, got "relative"/);
    await assertNothingLeft(t, { id: bundle.name, bundle, mountsBefore });
  },
);

// ---- the bundle itself ------------------------------------------------------------------------------

test.serial('`swarm-runtime create` refuses a bundle without config.json, naming the file', async (t) => {
  const bundle = await rawBundle(host.id('r'), null);
  await refusedCreate(
    t,
    bundle,
    new RegExp(
      `^config\\.json: open \`${escapeRegExp(bundle.dir)}/config\\.json\`: No such file or directory$`,
    ),
  );
});

test.serial('`swarm-runtime create` refuses a config.json that is not JSON, saying where', async (t) => {
  const bundle = await rawBundle(host.id('r'), '{"ociVersion": "1.0.2", "root": ');
  await refusedCreate(
    t,
    bundle,
    new RegExp(
      `^config\\.json: parse \`${escapeRegExp(bundle.dir)}/config\\.json\`: line 1 column 33: unexpected end of input`,
    ),
  );
});

test.serial('`swarm-runtime create` refuses a config.json that is a JSON array', async (t) => {
  const bundle = await rawBundle(host.id('r'), '[1, 2, 3]\n');
  await refusedCreate(t, bundle, /^config\.json: the document must be an object, got an array$/);
});

test.serial('`swarm-runtime create` refuses a config.json that is a directory', async (t) => {
  const bundle = await rawBundle(host.id('r'), null);
  await mkdir(join(bundle.dir, 'config.json'));
  await refusedCreate(
    t,
    bundle,
    new RegExp(`^config\\.json: read \`${escapeRegExp(bundle.dir)}/config\\.json\`: Is a directory$`),
  );
});

test.serial('`swarm-runtime create` refuses a bundle directory that does not exist', async (t) => {
  const bundle = bundleOf(host.id('r'));
  await refusedCreate(
    t,
    bundle,
    new RegExp(`^bundle \`${escapeRegExp(bundle.dir)}\`: No such file or directory$`),
  );
});

// ---- ids --------------------------------------------------------------------------------------------

test.serial(
  '`swarm-runtime create` refuses a duplicate id, and the first container is unharmed',
  async (t) => {
    const first = await running('dup');
    try {
      const other = await specBundle(host.id('dup2'));
      const mountsBefore = await mountinfo();
      const r = await cli(['create', '--bundle', other.dir, first.id]);
      refusedWith(t, r, new RegExp(`^container \`${escapeRegExp(first.id)}\` already exists$`));
      await assertNothingLeft(t, { id: first.id, bundle: other, mountsBefore, keep: [first.id] });
      await t.throwsAsync(host.runtime.create(first.id, { bundle: other.dir }), {
        instanceOf: ContainerExistsError,
      });
      await assertStillRunning(t, first);
      t.true(
        await exists(join(host.runtime.root, first.id, 'shim.sock')),
        "the first container's shim is gone",
      );
    } finally {
      await host.runtime.delete(first.id, { force: true });
    }
  },
);

for (const [what, id, rule] of [
  ["with '/'", 'a/b', /only letters, digits, '_', '\.' and '-' are allowed/],
  ["'..'", '..', /must not start with '\.' or '-'/],
  ['longer than 128 characters', 'x'.repeat(129), /longer than 128 characters/],
  ['that is empty', '', /must not be empty/],
] as const) {
  test.serial(`\`swarm-runtime create\` refuses an id ${what}, saying why`, async (t) => {
    const bundle = await specBundle(host.id('id'));
    const shown = id.length > 32 ? `${id.slice(0, 32)}...` : id;
    await refusedCreate(
      t,
      bundle,
      new RegExp(`^invalid container id \`${escapeRegExp(shown)}\`: ${rule.source}$`),
      id,
    );
    t.false(await exists(join(host.runtime.root, 'a')), 'a directory was made for the first part of "a/b"');
  });
}

// ---- commands on containers -------------------------------------------------------------------------

test.serial('`swarm-runtime kill` refuses an unknown signal, and the container keeps running', async (t) => {
  const c = await running('sig');
  try {
    for (const sig of ['SIGFOO', '65', 'RTMAX-99']) {
      const r = await cli(['kill', c.id, sig]);
      refusedWith(t, r, new RegExp(`^kill: unknown signal \`${escapeRegExp(sig)}\`$`));
    }
    await t.throwsAsync(host.runtime.kill(c.id, 'NOTASIGNAL' as NodeJS.Signals), {
      instanceOf: RuntimeCommandError,
      message: /unknown signal `NOTASIGNAL`/,
    });
    await assertStillRunning(t, c);
  } finally {
    await host.runtime.delete(c.id, { force: true });
  }
});

for (const command of ['start', 'kill', 'delete', 'state'] as const) {
  test.serial(`\`swarm-runtime ${command}\` of an id that does not exist says so`, async (t) => {
    const id = host.id('ghost');
    const bundle = bundleOf(id);
    const mountsBefore = await mountinfo();
    refusedWith(
      t,
      await cli([command, id]),
      new RegExp(`^container \`${escapeRegExp(id)}\` does not exist$`),
    );
    const json = await spawnCommand(BINARY, [
      '--root',
      host.runtime.root,
      '--log-format',
      'json',
      command,
      id,
    ]);
    t.is(json.code, 1);
    t.like(JSON.parse(json.stderr) as object, { level: 'error', errno: 2 });
    const call = {
      start: () => host.runtime.start(id),
      kill: () => host.runtime.kill(id),
      delete: () => host.runtime.delete(id),
      state: () => host.runtime.state(id),
    }[command];
    await t.throwsAsync(call(), { instanceOf: ContainerNotFoundError });
    await assertNothingLeft(t, { id, bundle, mountsBefore });
  });
}

test.serial(
  '`swarm-runtime delete` refuses a running container without --force, and it keeps running',
  async (t) => {
    const c = await running('del');
    try {
      const r = await cli(['delete', c.id]);
      refusedWith(
        t,
        r,
        new RegExp(
          `^cannot delete container \`${escapeRegExp(c.id)}\`: it is running \\(stop it first, or use --force\\)$`,
        ),
      );
      await assertStillRunning(t, c);
      for (const dir of Object.values((await host.runtime.state(c.id)).cgroups ?? {}))
        t.true(await exists(dir), `the cgroup ${dir} was removed`);
    } finally {
      await host.runtime.delete(c.id, { force: true });
    }
  },
);

test.serial(
  "`swarm-runtime create` refuses a cgroupsPath that holds another container's processes, which keeps running",
  async (t) => {
    // Sharing the cgroup would let the newcomer's delete (which kills everything in its cgroup and removes
    // it) kill the first container. runc refuses this ("container's cgroup is not empty").
    const first = await running('cg');
    const intruder = host.id('cgx');
    try {
      const bundle = await specBundle(intruder, (s) => {
        s.linux.cgroupsPath = first.bundle.cgroupsPath;
      });
      const r = await cli(['create', '--bundle', bundle.dir, intruder]);
      refusedWith(t, r, /^config\.json: linux\.cgroupsPath: .*/);
      t.deepEqual(await rootEntries(), [first.id]);
      await assertStillRunning(t, first);
    } finally {
      await cli(['delete', '--force', intruder]);
      await host.runtime.delete(first.id, { force: true });
    }
  },
);

// ---- the state root ---------------------------------------------------------------------------------

/** Every file below `dir` with its content, to prove a refused command touched nothing. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    out[path] = e.isFile() ? await readFile(path, 'utf8') : e.isDirectory() ? '<dir>' : '<other>';
  }
  return out;
}

test.serial(
  '`swarm-runtime` refuses a --root that is a non-empty directory it did not make, and touches nothing in it',
  async (t) => {
    const root = join(host.dir, 'not-ours');
    await mkdir(join(root, 'victim'), { recursive: true });
    await writeFile(join(root, 'notes.txt'), 'keep me\n');
    await writeFile(join(root, 'victim', 'state.json'), '{"pid": 1}\n');
    const before = await snapshot(root);
    const bundle = await specBundle(host.id('root'));
    const mountsBefore = await mountinfo();
    const notOurs = new RegExp(
      `^state root \`${escapeRegExp(root)}\` is not .*a swarm-runtime state directory`,
    );
    refusedWith(t, await cli(['create', '--bundle', bundle.dir, bundle.name], root), notOurs);
    // A hostile --root must not turn `delete --force` into a recursive delete of someone else's files.
    refusedWith(t, await cli(['delete', '--force', 'victim'], root), notOurs);
    refusedWith(t, await cli(['kill', 'victim', 'KILL'], root), notOurs);
    refusedWith(t, await cli(['list'], root), notOurs);
    t.deepEqual(await snapshot(root), before);
    await assertNothingLeft(t, {
      id: bundle.name,
      bundle,
      mountsBefore,
      root,
      keep: ['notes.txt', 'victim'],
    });
  },
);

test.serial('`swarm-runtime` refuses a --root that is a file, and leaves the file as it was', async (t) => {
  const root = join(host.dir, 'root-file');
  await writeFile(root, 'not a directory\n');
  const bundle = await specBundle(host.id('rootf'));
  const mountsBefore = await mountinfo();
  const r = await cli(['create', '--bundle', bundle.dir, bundle.name], root);
  refusedWith(t, r, new RegExp(`^state root \`${escapeRegExp(root)}\`: Not a directory$`));
  refusedWith(
    t,
    await cli(['state', bundle.name], root),
    new RegExp(`^state root \`${escapeRegExp(root)}\`: Not a directory$`),
  );
  t.is(await readFile(root, 'utf8'), 'not a directory\n');
  await assertNothingLeft(t, { id: bundle.name, bundle, mountsBefore });
});

test.serial('`swarm-runtime` refuses a relative --root, naming the option', async (t) => {
  const bundle = await specBundle(host.id('rel'));
  const r = await spawnCommand(BINARY, [
    '--root',
    'relative/root',
    'create',
    '--bundle',
    bundle.dir,
    bundle.name,
  ]);
  refusedWith(t, r, /^--root: must be an absolute path, got `relative\/root`$/);
});
