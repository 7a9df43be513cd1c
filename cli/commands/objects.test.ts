// cluster, join-token, secret, config and network commands in-process against a real Control API.
import test from 'ava';
import { type ControlHarness, startControlHarness, testCluster, testNode } from '../../testing/index.js';
import { NoChangesError } from '../errors.js';
import { type TestContext, type TestContextOptions, testContext } from '../testing/index.js';
import { clusterInspect } from './cluster/inspect.js';
import { clusterUpdate } from './cluster/update.js';
import { configCreate } from './config/create.js';
import { configInspect } from './config/inspect.js';
import { configLs } from './config/ls.js';
import { configRm } from './config/rm.js';
import { joinToken } from './join-token/join-token.js';
import { networkCreate } from './network/create.js';
import { networkInspect } from './network/inspect.js';
import { networkLs } from './network/ls.js';
import { networkRm } from './network/rm.js';
import { secretCreate } from './secret/create.js';
import { secretInspect } from './secret/inspect.js';
import { secretLs } from './secret/ls.js';
import { secretRm } from './secret/rm.js';
import { serviceCreate } from './service/create.js';

const open: { close(): unknown }[] = [];
test.after.always(async () => {
  for (const o of open.reverse()) await o.close();
});

const CLUSTER_ID = 'c1'.padEnd(25, '0');
const SECRET = 'correct horse battery staple';

async function setup(): Promise<ControlHarness> {
  const h = await startControlHarness();
  open.push(h);
  await h.store.update((tx) => {
    tx.clusters.create({
      ...testCluster(CLUSTER_ID),
      joinTokens: { worker: 'SWMTKN-1-w', manager: 'SWMTKN-1-m' },
    });
    const m = testNode({ id: 'm1'.padEnd(25, '0'), hostname: 'mgr', role: 'manager' });
    tx.nodes.create({
      ...m,
      managerStatus: { raftId: '1', addr: '10.0.0.1:4242', leader: true, reachability: 'reachable' },
    });
  });
  return h;
}

function ctxOf(h: ControlHarness, options: TestContextOptions = {}): TestContext {
  const ctx = testContext(h.address, { now: () => h.clock.now(), ...options });
  open.push(ctx);
  return ctx;
}

test('cluster inspect shows the settings; update changes only the flags given', async (t) => {
  const h = await setup();
  const ctx = ctxOf(h);
  await clusterInspect(ctx, undefined);
  const text = ctx.output();
  t.regex(text, /^Name: +default$/m);
  t.regex(text, /^ Task history retention limit: +5$/m);
  t.regex(text, /^ Heartbeat period: +5s$/m);
  t.regex(text, /^ Node certificate expiry: +2160h0m0s$/m);
  t.regex(text, /^ Snapshot interval: +10000$/m);
  t.notRegex(text, /SWMTKN/, 'the join tokens are for join-token');
  ctx.clear();
  await clusterUpdate(ctx, undefined, { taskHistoryLimit: '10', dispatcherHeartbeat: '10s' });
  t.is(ctx.output(), `${CLUSTER_ID}\n`);
  const { cluster } = await h.call('GetCluster', { clusterId: 'default' });
  t.is(cluster?.spec?.taskHistoryRetentionLimit, '10');
  t.is(cluster?.spec?.dispatcher?.heartbeatPeriodMs, '10000');
  t.is(cluster?.spec?.raft?.snapshotInterval, '10000');
  t.is(cluster?.spec?.caConfig?.nodeCertExpiryMs, String(90 * 24 * 3600 * 1000));
  await t.throwsAsync(clusterUpdate(ctx, 'default', { taskHistoryLimit: '10' }), {
    instanceOf: NoChangesError,
  });
  await t.throwsAsync(clusterUpdate(ctx, 'default', { certExpiry: '10m' }), {
    message: /^Cannot update cluster "default": spec\.caConfig\.nodeCertExpiryMs: /,
  });
  await t.throwsAsync(clusterUpdate(ctx, 'default', { dispatcherHeartbeat: 'often' }), {
    message: /^--dispatcher-heartbeat: must be a duration/,
  });
  const json = ctxOf(h, { format: 'json' });
  await clusterInspect(json, 'default');
  t.is(JSON.parse(json.output()).spec.taskHistoryRetentionLimit, '10');
});

test('join-token: the command to join, -q for the token alone, --rotate for a new one', async (t) => {
  const h = await setup();
  const ctx = ctxOf(h);
  await joinToken(ctx, 'manager', {});
  t.is(
    ctx.output(),
    'To add a manager to this cluster, run the following command on the new node:\n\n    swarmd join --token SWMTKN-1-m 10.0.0.1:4242\n\n',
  );
  ctx.clear();
  await joinToken(ctx, 'worker', { quiet: true });
  t.is(ctx.output(), 'SWMTKN-1-w\n');
  ctx.clear();
  await joinToken(ctx, 'worker', { quiet: true, rotate: true });
  const rotated = ctx.output().trim();
  t.not(rotated, 'SWMTKN-1-w');
  t.regex(rotated, /^SWMTKN-1-/);
  const { joinTokens } = await h.call('GetJoinTokens', {});
  t.deepEqual(joinTokens, { worker: rotated, manager: 'SWMTKN-1-m' });
  ctx.clear();
  await joinToken(ctx, 'manager', { rotate: true });
  t.regex(ctx.output(), /^Successfully rotated the manager join token\.\n\nTo add a manager/);
  const json = ctxOf(h, { format: 'json' });
  await joinToken(json, 'worker', {});
  t.deepEqual(JSON.parse(json.output()), { role: 'worker', token: rotated });
});

test('secret create from stdin and from a file; its data is never printed', async (t) => {
  const h = await setup();
  const ctx = ctxOf(h, { stdin: SECRET, files: { '/k/db.key': `${SECRET}-file` } });
  await secretCreate(ctx, 'db-password', { label: ['env=prod'] });
  await secretCreate(ctx, 'db-key', { file: '/k/db.key' });
  await secretCreate(ctx, 'db-again', { file: '-' });
  const ids = ctx.output().trim().split('\n');
  t.is(ids.length, 3);
  const stored = h.store.view((tx) =>
    tx.secrets.find().map((s) => [s.spec.annotations.name, Buffer.from(s.spec.data).toString()]),
  );
  t.deepEqual(Object.fromEntries(stored), {
    'db-password': SECRET,
    'db-key': `${SECRET}-file`,
    'db-again': SECRET,
  });
  const everything: string[] = [];
  for (const format of ['table', 'json'] as const) {
    const c = ctxOf(h, { format });
    await secretLs(c, {});
    await secretInspect(c, ['db-password', 'db-key']);
    everything.push(c.output());
  }
  const quiet = ctxOf(h);
  await secretLs(quiet, { quiet: true });
  t.deepEqual(quiet.output().trim().split('\n').sort(), [...ids].sort());
  const all = everything.join('\n');
  t.false(all.includes(SECRET), 'no secret data in any output');
  t.false(all.includes(Buffer.from(SECRET).toString('base64')));
  t.regex(everything[0] ?? '', /^ID\s+NAME\s+CREATED\s+UPDATED$/m);
  t.regex(everything[0] ?? '', /^Labels: +env=prod$/m);
  const json = JSON.parse((everything[1] ?? '').slice((everything[1] ?? '').indexOf('\n]') + 2));
  t.true(Array.isArray(json));
  t.is(json[0].spec.data, undefined);
  await t.throwsAsync(secretCreate(ctxOf(h, { stdin: '' }), 'empty', {}), {
    message: /^Cannot create secret "empty": /,
  });
  await t.throwsAsync(secretCreate(ctx, 'x', { file: '/missing' }), { message: /ENOENT/ });
  await t.throwsAsync(secretCreate(ctx, 'db-password', {}), {
    message: /name conflicts with an existing secret/,
  });
});

test('secrets and configs in use cannot be removed; config data is shown', async (t) => {
  const h = await setup();
  const ctx = ctxOf(h, { stdin: 'listen 80;\n' });
  await secretCreate(ctx, 'pw', {});
  await configCreate(ctx, 'nginx', {});
  await serviceCreate(ctx, 'web', [], {
    detach: true,
    image: 'host',
    secret: ['pw'],
    config: ['nginx,target=/etc/nginx.conf'],
  });
  await t.throwsAsync(secretRm(ctx, ['pw']), {
    message: 'Cannot remove secret "pw": it is in use by service "web"',
  });
  await t.throwsAsync(configRm(ctx, ['nginx']), {
    message: 'Cannot remove config "nginx": it is in use by service "web"',
  });
  ctx.clear();
  await configInspect(ctx, ['nginx']);
  t.regex(ctx.output(), /^Data:\nlisten 80;\n$/m);
  ctx.clear();
  await configLs(ctx, {});
  t.regex(
    ctx.output(),
    /^ID\s+NAME\s+CREATED\s+UPDATED\n\w{12}\s+nginx\s+Less than a second ago\s+Less than a second ago\n$/,
  );
  const json = ctxOf(h, { format: 'json' });
  await configInspect(json, ['nginx']);
  t.is(Buffer.from(JSON.parse(json.output()).spec.data, 'base64').toString(), 'listen 80;\n');
  await h.call('RemoveService', { serviceId: 'web' });
  ctx.clear();
  await secretRm(ctx, ['pw']);
  await configRm(ctx, ['nginx']);
  t.is(ctx.output(), 'pw\nnginx\n');
});

test('network create, ls, inspect and rm', async (t) => {
  const h = await setup();
  const ctx = ctxOf(h);
  await networkCreate(ctx, 'backend', {
    driver: 'bridge',
    subnet: ['10.0.9.0/24'],
    gateway: ['10.0.9.1'],
    attachable: true,
  });
  const id = ctx.output().trim();
  ctx.clear();
  await networkLs(ctx, {});
  t.regex(
    ctx.output(),
    new RegExp(`^${id.slice(0, 12)}\\s+backend\\s+bridge\\s+10\\.0\\.9\\.0/24\\s+yes$`, 'm'),
  );
  ctx.clear();
  await networkInspect(ctx, ['backend']);
  t.regex(ctx.output(), /^ - 10\.0\.9\.0\/24 gateway 10\.0\.9\.1$/m);
  await t.throwsAsync(
    networkCreate(ctx, 'bad', { subnet: ['10.0.0.0/8'], gateway: ['10.0.0.1', '10.0.0.2'] }),
    {
      message: /^--gateway: each gateway belongs to a --subnet/,
    },
  );
  await t.throwsAsync(networkCreate(ctx, 'bad', { subnet: ['10.0.0.1/8'] }), {
    message: /^Cannot create network "bad": /,
  });
  ctx.clear();
  await networkRm(ctx, ['backend']);
  t.is(ctx.output(), 'backend\n');
  t.deepEqual((await h.call('ListNetworks', {})).networks, []);
});
