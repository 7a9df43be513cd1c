// swarmctl as a whole: the command tree and its help, exit statuses (0, 1, 2), where it finds the
// manager, and end-to-end runs of the real program (node <build>/cli/main.js, as bin/swarmctl runs it)
// against a real Control API over a Unix socket.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { type ControlHarness, startControlHarness, testCluster } from '../testing/index.js';
import { main, type ProcessIo } from './main.js';
import { runCli, startCli, until } from './testing/index.js';

const open: { close(): unknown }[] = [];
const dirs: string[] = [];
const processes: { kill(): void }[] = [];
test.after.always(async () => {
  for (const p of processes) p.kill();
  for (const o of open.reverse()) await o.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'swarmctl-'));
  dirs.push(d);
  return d;
}

/** swarmctl in this process, with its output captured. */
async function inProcess(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: ProcessIo = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    notice: () => {},
    env,
    cwd: '/',
    readStdin: () => Promise.resolve(Buffer.alloc(0)),
    readFile: () => Promise.reject(new Error('no files here')),
    onInterrupt: () => () => {},
    now: () => Date.now(),
    nodeVersion: 'v20.0.0',
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

async function harness(): Promise<{ h: ControlHarness; socket: string }> {
  const h = await startControlHarness();
  open.push(h);
  await h.store.update((tx) => {
    tx.clusters.create({
      ...testCluster('c1'.padEnd(25, '0')),
      joinTokens: { worker: 'SWMTKN-1-w', manager: 'SWMTKN-1-m' },
    });
  });
  return { h, socket: h.address.replace(/^unix:/, '') };
}

const TREE: Record<string, string[]> = {
  service: ['create', 'update', 'scale', 'ls', 'inspect', 'logs', 'ps', 'rm'],
  task: ['ls', 'inspect'],
  node: ['ls', 'inspect', 'update', 'drain', 'activate', 'pause', 'promote', 'demote', 'rm'],
  cluster: ['inspect', 'update', 'unlock-key'],
  secret: ['create', 'ls', 'inspect', 'rm'],
  config: ['create', 'ls', 'inspect', 'rm'],
  network: ['create', 'ls', 'inspect', 'rm'],
  'join-token': [],
  events: [],
  version: [],
};

test('--help lists every command; every command has complete help, with examples for create and update', async (t) => {
  const top = await inProcess(['--help']);
  t.is(top.code, 0);
  for (const name of Object.keys(TREE)) t.regex(top.stdout, new RegExp(`^  ${name}\\b`, 'm'), name);
  for (const flag of ['--socket', '--host', '--format', '--timeout', 'SWARM_SOCKET'])
    t.true(top.stdout.includes(flag), flag);
  for (const [noun, verbs] of Object.entries(TREE)) {
    const group = await inProcess([noun, '--help']);
    t.is(group.code, 0, noun);
    t.regex(group.stdout, new RegExp(`^Usage: swarmctl ${noun}`), noun);
    for (const verb of verbs) {
      t.regex(group.stdout, new RegExp(`^  ${verb}\\b`, 'm'), `${noun} ${verb}`);
      const help = await inProcess([noun, verb, '--help']);
      t.is(help.code, 0, `${noun} ${verb}`);
      t.regex(help.stdout, new RegExp(`^Usage: swarmctl ${noun}\\S* ${verb}`), `${noun} ${verb}`);
      if (verb === 'create' || verb === 'update')
        t.regex(help.stdout, /\nExamples?:\n {2}swarmctl /, `${noun} ${verb}`);
    }
  }
  const create = await inProcess(['service', 'create', '--help']);
  for (const flag of [
    '--replicas',
    '--mode',
    '--env',
    '--workdir',
    '--user',
    '--hostname',
    '--label',
    '--container-label',
    '--limit-cpu',
    '--limit-memory',
    '--limit-pids',
    '--reserve-cpu',
    '--reserve-memory',
    '--restart-condition',
    '--restart-delay',
    '--restart-max-attempts',
    '--restart-window',
    '--update-parallelism',
    '--update-delay',
    '--update-failure-action',
    '--update-monitor',
    '--update-max-failure-ratio',
    '--update-order',
    '--rollback-parallelism',
    '--rollback-order',
    '--constraint',
    '--placement-pref',
    '--replicas-max-per-node',
    '--publish',
    '--mount',
    '--secret',
    '--config',
    '--stop-grace-period',
    '--stop-signal',
    '--health-cmd',
    '--health-interval',
    '--health-timeout',
    '--health-retries',
    '--health-start-period',
    '--no-healthcheck',
    '--read-only',
    '--cap-add',
    '--cap-drop',
    '--detach',
  ])
    t.true(create.stdout.includes(flag), flag);
  const update = await inProcess(['service', 'update', '--help']);
  for (const flag of [
    '--env-add',
    '--env-rm',
    '--label-add',
    '--label-rm',
    '--constraint-add',
    '--constraint-rm',
    '--force',
    '--publish-rm',
    '--no-read-only',
  ])
    t.true(update.stdout.includes(flag), flag);
  const version = await inProcess(['version']);
  t.is(version.stdout, 'swarmctl 0.1.0\nNode.js v20.0.0\nAPI swarmd.control.Control\n');
  t.deepEqual(JSON.parse((await inProcess(['version', '--format', 'json'])).stdout).swarmctl, '0.1.0');
});

test('usage errors exit 2 and name the flag or argument', async (t) => {
  const cases: [string[], RegExp][] = [
    [
      ['service', 'create', 'web'],
      /^swarmctl: required option '--image <image>' not specified\nSee 'swarmctl service create --help'\.\n$/,
    ],
    [['service', 'ls', '--bogus'], /^swarmctl: unknown option '--bogus'/],
    [
      ['service', 'create', 'web', '--image', 'host', '--mode', 'batch'],
      /option '--mode <mode>' argument 'batch' is invalid/,
    ],
    [
      ['service', 'create', 'web', '--image', 'host', '--limit-memory', '64q'],
      /^swarmctl: --limit-memory: must be a size such as 64m, 512k or 1g, got "64q"\nSee 'swarmctl service create --help'\.\n$/,
    ],
    [
      ['service', 'create', 'web', '--image', 'host', '--update-delay', '10'],
      /^swarmctl: --update-delay: must be a duration such as 5s, 100ms or 1m30s, got "10"\n/,
    ],
    [
      ['service', 'create', 'web', '--image', 'host', '--limit-cpu', 'lots'],
      /^swarmctl: --limit-cpu: must be a number of CPUs/,
    ],
    [
      ['service', 'create', 'web', '--image', 'host', '-p', '80:99999'],
      /^swarmctl: --publish: a port must be a number between 1 and 65535, got "99999"/,
    ],
    [
      ['service', 'create', 'web', '--image', 'host', '--mount', 'type=bind,src=/a'],
      /^swarmctl: --mount: target=PATH is required/,
    ],
    [
      ['service', 'create', 'web', '--image', 'host', '--secret', 'pw,mode=999'],
      /^swarmctl: --secret: mode must be octal/,
    ],
    [
      ['service', 'create', 'web', '--image', 'host', '-e', 'NOVALUE'],
      /^swarmctl: --env: must be KEY=VALUE, got "NOVALUE"/,
    ],
    [
      ['service', 'create', 'web', '--image', 'host', '--replicas', 'three'],
      /^swarmctl: --replicas: must be a whole number/,
    ],
    [
      ['service', 'update', 'web', '--env-add', 'X'],
      /^swarmctl: --env-add: must be KEY=VALUE, got "X"\nSee 'swarmctl service update --help'\.\n$/,
    ],
    [['service', 'scale', 'web'], /^swarmctl: SERVICE=REPLICAS: must be a service and a number of replicas/],
    [['service', 'ls', '-f', 'colour=red'], /^swarmctl: --filter: must be KEY=VALUE with KEY one of/],
    [
      ['join-token', 'admin'],
      /value 'admin' is invalid for argument 'ROLE'\. Allowed choices are worker, manager/,
    ],
    [
      ['node', 'update', 'n1', '--availability', 'off'],
      /option '--availability <availability>' argument 'off' is invalid/,
    ],
    [['cluster', 'update', '--cert-expiry', '90 days'], /^swarmctl: --cert-expiry: must be a duration/],
    [['events', '-f', 'kind=pod'], /^swarmctl: --filter kind: must be one of cluster, node/],
    [['--host', 'nohost', 'node', 'ls'], /^swarmctl: --host: must be HOST:PORT/],
    [
      ['--host', '10.0.0.1:4242', '-s', '/x.sock', 'node', 'ls'],
      /^swarmctl: --host: cannot be given with --socket/,
    ],
    [['--timeout', 'soon', 'node', 'ls'], /^swarmctl: --timeout: must be a duration/],
    [['--format', 'yaml', 'node', 'ls'], /argument 'yaml' is invalid\. Allowed choices are table, json/],
    [['nodes'], /^swarmctl: unknown command 'nodes'/],
    [['service'], /^Usage: swarmctl service/],
  ];
  for (const [argv, stderr] of cases) {
    const r = await inProcess(argv);
    t.is(r.code, 2, argv.join(' '));
    t.regex(r.stderr, stderr, argv.join(' '));
    t.is(r.stdout, '', argv.join(' '));
  }
});

test('no manager at the socket: exit 1, the socket named, --socket and --host suggested', async (t) => {
  const dir = tempDir();
  const sock = join(dir, 'swarmd.sock');
  const byFlag = await inProcess(['-s', sock, 'service', 'ls']);
  t.is(byFlag.code, 1);
  t.is(
    byFlag.stderr,
    `swarmctl: Cannot connect to the manager at the socket ${sock}: there is no socket there; is swarmd running with this state dir? Point swarmctl at a manager with --socket PATH (or $SWARM_SOCKET) or --host HOST:PORT\n`,
  );
  const byEnv = await inProcess(['node', 'ls'], { SWARM_SOCKET: sock });
  t.regex(byEnv.stderr, new RegExp(`at the socket ${sock}:`));
  const byDefault = await inProcess(['node', 'ls']);
  t.regex(byDefault.stderr, /at the socket \/var\/lib\/swarmd\/swarmd\.sock: /);
});

test('end to end: create → ls → inspect → update → scale → ps → rm through the real program', async (t) => {
  const { h, socket } = await harness();
  const cli = (...args: string[]) => runCli(['-s', socket, ...args]);
  const created = await cli(
    'service',
    'create',
    '--detach',
    'web',
    '--image',
    'host',
    '--replicas',
    '2',
    '-e',
    'A=1',
    '--limit-memory',
    '64m',
    '--',
    'sleep',
    '100',
  );
  t.is(created.code, 0, created.stderr);
  const id = created.stdout.trim();
  t.regex(id, /^[0-9a-z]{25}$/);

  const ls = await runCli(['service', 'ls'], { env: { SWARM_SOCKET: socket } });
  t.is(ls.code, 0, ls.stderr);
  t.regex(ls.stdout, new RegExp(`^${id.slice(0, 12)}\\s+web\\s+replicated\\s+0/2\\s+host$`, 'm'));

  const json = await cli('--format', 'json', 'service', 'ls');
  const services = JSON.parse(json.stdout);
  t.is(services.length, 1);
  t.is(services[0].spec.task.container.args.join(' '), 'sleep 100');

  const inspect = await cli('service', 'inspect', 'web', '--format', 'json');
  const before = JSON.parse(inspect.stdout);
  t.is(before.id, id);
  t.is(before.spec.task.resources.limits.memoryBytes, String(64 * 2 ** 20));

  const update = await cli('service', 'update', '-d', 'web', '--env-add', 'B=2', '--limit-cpu', '0.5');
  t.is(update.code, 0, update.stderr);
  const after = (await h.call('GetService', { serviceId: id })).service;
  t.deepEqual(after?.spec?.task?.container?.env, ['A=1', 'B=2']);
  t.is(after?.spec?.task?.resources?.limits?.memoryBytes, String(64 * 2 ** 20));
  t.is(after?.spec?.task?.resources?.limits?.nanoCpus, '500000000');

  const same = await cli('service', 'update', 'web', '--env-add', 'B=2');
  t.is(same.code, 1);
  t.is(same.stderr, 'swarmctl: Cannot update service "web": no changes detected\n');

  const scale = await cli('service', 'scale', '-d', 'web=4');
  t.is(scale.stdout, 'web scaled to 4\n');
  t.is((await h.call('GetService', { serviceId: id })).service?.spec?.replicated?.replicas, '4');

  const ps = await cli('service', 'ps', 'web');
  t.is(ps.code, 0, ps.stderr);
  t.regex(ps.stdout, /^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR\n$/);

  const invalid = await cli('service', 'update', 'web', '--replicas', '100001');
  t.is(invalid.code, 1);
  t.regex(
    invalid.stderr,
    /^swarmctl: Cannot update service "web": .*must be between 0 and 100000, got 100001\n$/,
  );

  const rm = await cli('service', 'rm', 'web');
  t.is(rm.stdout, 'web\n');
  const gone = await cli('service', 'inspect', 'web');
  t.is(gone.code, 1);
  t.is(gone.stderr, 'swarmctl: Cannot get service "web": no service has this id, name or id prefix\n');
  t.is((await cli('--format', 'json', 'service', 'ls')).stdout, '[]\n');
});

test('end to end: secrets from stdin and from a file, never printed; join-token -q', async (t) => {
  const { socket } = await harness();
  const cli = (args: string[], stdin?: string) =>
    runCli(['-s', socket, ...args], stdin === undefined ? {} : { stdin });
  const secret = 'hunter2-is-not-a-password';
  const fromStdin = await cli(['secret', 'create', 'pw'], secret);
  t.is(fromStdin.code, 0, fromStdin.stderr);
  const file = join(tempDir(), 'key.pem');
  writeFileSync(file, `${secret}-file`);
  const fromFile = await cli(['secret', 'create', 'key', '-f', file]);
  t.is(fromFile.code, 0, fromFile.stderr);
  const outputs = [
    fromStdin.stdout,
    fromFile.stdout,
    (await cli(['secret', 'ls'])).stdout,
    (await cli(['secret', 'inspect', 'pw', 'key'])).stdout,
    (await cli(['--format', 'json', 'secret', 'inspect', 'pw'])).stdout,
    (await cli(['--format', 'json', 'secret', 'ls'])).stdout,
  ].join('\n');
  t.regex(outputs, /\bpw\b/);
  t.false(outputs.includes(secret));
  t.false(outputs.includes(Buffer.from(secret).toString('base64')));
  const token = await cli(['join-token', '-q', 'manager']);
  t.is(token.stdout, 'SWMTKN-1-m\n');
  const rotated = await cli(['join-token', '-q', '--rotate', 'worker']);
  t.regex(rotated.stdout, /^SWMTKN-1-\S+\n$/);
  t.not(rotated.stdout, 'SWMTKN-1-w\n');
});

test('end to end: events prints a create and a remove, and Ctrl-C ends it with status 0', async (t) => {
  const { h, socket } = await harness();
  const events = startCli(['-s', socket, 'events', '--filter', 'kind=service']);
  processes.push(events);
  await until(
    () => h.store.watcherCount > 0 || events.child.exitCode !== null,
    'swarmctl events to subscribe',
  );
  t.is(events.child.exitCode, null, events.stderr());
  const created = await runCli(['-s', socket, 'service', 'create', '-d', 'web', '--image', 'host']);
  const id = created.stdout.trim();
  await runCli(['-s', socket, 'service', 'rm', 'web']);
  await events.waitForOutput(`service remove ${id}`);
  const result = await events.interrupt();
  t.is(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  t.is(lines.length, 2);
  t.regex(
    lines[0] ?? '',
    new RegExp(`^\\S+ service create ${id} \\(name=web, mode=replicated, version=\\d+\\)$`),
  );
  t.regex(
    lines[1] ?? '',
    new RegExp(`^\\S+ service remove ${id} \\(name=web, mode=replicated, version=\\d+\\)$`),
  );
  t.is(result.stderr, '', 'no notice when stderr is not a terminal');
});

test('end to end: usage errors and connection errors from the real program', async (t) => {
  const usage = await runCli(['service', 'create', 'web', '--image', 'host', '--restart-delay', '5']);
  t.is(usage.code, 2);
  t.is(
    usage.stderr,
    'swarmctl: --restart-delay: must be a duration such as 5s, 100ms or 1m30s, got "5"\nSee \'swarmctl service create --help\'.\n',
  );
  const sock = join(tempDir(), 'none.sock');
  const conn = await runCli(['node', 'ls'], { env: { SWARM_SOCKET: sock } });
  t.is(conn.code, 1);
  t.regex(
    conn.stderr,
    new RegExp(`^swarmctl: Cannot connect to the manager at the socket ${sock}: .*--socket PATH`),
  );
  const help = await runCli(['--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /^Usage: swarmctl /);
});
