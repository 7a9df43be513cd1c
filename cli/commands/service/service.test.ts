// The service commands in-process, against a real Control API over a Unix socket and a real store:
// create → ls → inspect → update → scale → ps → rm, JSON output, and the errors people see.
import test from 'ava';
import { ControlStatusError } from '../../../common/index.js';
import type { controlpb } from '../../../proto/index.js';
import {
  type ControlHarness,
  startControlHarness,
  testNode,
  testService,
  testTask,
} from '../../../testing/index.js';
import { NoChangesError, UpdateConflictError } from '../../errors.js';
import { type TestContext, testContext } from '../../testing/index.js';
import { serviceCreate } from './create.js';
import { serviceInspect } from './inspect.js';
import { serviceLs } from './ls.js';
import { servicePs } from './ps.js';
import { serviceRm } from './rm.js';
import { serviceScale } from './scale.js';
import { serviceUpdate } from './update.js';

const open: { close(): unknown }[] = [];
test.after.always(async () => {
  for (const o of open.reverse()) await o.close();
});

async function setup(format: 'table' | 'json' = 'table'): Promise<{ h: ControlHarness; ctx: TestContext }> {
  const h = await startControlHarness();
  open.push(h);
  const ctx = testContext(h.address, { format, now: () => h.clock.now() });
  open.push(ctx);
  return { h, ctx };
}

async function getSpec(h: ControlHarness, ref: string): Promise<controlpb.Service__Output> {
  const { service } = await h.call('GetService', { serviceId: ref });
  return service as controlpb.Service__Output;
}

test('create prints the id; ls shows ID NAME MODE REPLICAS IMAGE with running/desired', async (t) => {
  const { h, ctx } = await setup();
  await serviceCreate(ctx, 'web', ['sleep', '100'], {
    detach: true,
    image: 'host',
    replicas: '3',
    limitMemory: '64m',
  });
  const id = ctx.output().trim();
  t.regex(id, /^[0-9a-z]{25}$/);
  const web = await getSpec(h, 'web');
  t.is(web.id, id);
  t.deepEqual(web.spec?.task?.container?.args, ['sleep', '100']);
  t.is(web.spec?.task?.resources?.limits?.memoryBytes, String(64 * 2 ** 20));
  t.is(
    web.spec?.task?.restartPolicy?.condition,
    'RESTART_CONDITION_ANY',
    'defaults filled in by the manager',
  );

  await serviceCreate(ctx, 'agent', [], {
    detach: true,
    image: '/srv/rootfs',
    mode: 'global',
    constraint: ['node.labels.zone==a'],
  });
  // Two running tasks of web on live nodes, one on a down node, one not running; three nodes, two in zone a
  // (one of them drained).
  const n1 = 'n1'.padEnd(25, '0');
  const n2 = 'n2'.padEnd(25, '0');
  const n3 = 'n3'.padEnd(25, '0');
  await h.store.update((tx) => {
    tx.nodes.create(testNode({ id: n1, hostname: 'alpha', labels: { zone: 'a' } }));
    tx.nodes.create(testNode({ id: n2, hostname: 'beta', labels: { zone: 'a' }, availability: 'drain' }));
    const down = testNode({ id: n3, hostname: 'gamma' });
    tx.nodes.create({ ...down, status: { ...down.status, state: 'down' } });
    const service = tx.services.get(id);
    if (service === undefined) throw new Error('no service');
    tx.tasks.create(testTask({ id: 't1'.padEnd(25, '0'), service, slot: 1, nodeId: n1, state: 'RUNNING' }));
    tx.tasks.create(testTask({ id: 't2'.padEnd(25, '0'), service, slot: 2, nodeId: n2, state: 'RUNNING' }));
    tx.tasks.create(testTask({ id: 't3'.padEnd(25, '0'), service, slot: 3, nodeId: n3, state: 'RUNNING' }));
    tx.tasks.create(testTask({ id: 't4'.padEnd(25, '0'), service, slot: 3, nodeId: n1, state: 'PREPARING' }));
  });
  ctx.clear();
  await serviceLs(ctx, {});
  const lines = ctx.output().trimEnd().split('\n');
  t.regex(lines[0] ?? '', /^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE$/);
  const agent = (await getSpec(h, 'agent')).id;
  t.regex(lines[1] ?? '', new RegExp(`^${agent.slice(0, 12)}\\s+agent\\s+global\\s+0/1\\s+/srv/rootfs$`));
  t.regex(lines[2] ?? '', new RegExp(`^${id.slice(0, 12)}\\s+web\\s+replicated\\s+2/3\\s+host$`));
  ctx.clear();
  await serviceLs(ctx, { trunc: false });
  t.true(ctx.output().includes(id));
  ctx.clear();
  await serviceLs(ctx, { quiet: true, filter: ['name=we'] });
  t.is(ctx.output(), `${id}\n`);
  ctx.clear();
  await serviceLs(ctx, { quiet: true, filter: ['mode=global'] });
  t.is(ctx.output(), `${agent}\n`);
});

test('inspect: a readable summary, or the full object as JSON', async (t) => {
  const { ctx } = await setup();
  await serviceCreate(ctx, 'web', ['serve'], {
    detach: true,
    image: 'host',
    replicas: '2',
    env: ['A=1'],
    publish: ['8080:80'],
    limitCpu: '0.5',
    constraint: ['node.role==worker'],
    restartDelay: '5s',
  });
  ctx.clear();
  await serviceInspect(ctx, ['web']);
  const text = ctx.output();
  for (const line of [
    /^Name: +web$/m,
    /^Mode: +replicated\n Replicas: +2$/m,
    /^ Image: +host$/m,
    /^ Args: +serve$/m,
    /^ {2}- A=1$/m,
    /^ - 8080:80\/tcp \(host\)$/m,
    /^ {2}CPUs: +0.5$/m,
    /^ Constraints: +node.role==worker$/m,
    /^ Delay: +5s$/m,
    /^ Parallelism: +1$/m,
    /^ Monitoring period: +5s$/m,
  ])
    t.regex(text, line);
  const json = testContext(ctx.client.target.address, { format: 'json' });
  open.push(json);
  await serviceInspect(json, ['web']);
  const parsed = JSON.parse(json.output());
  t.is(parsed.spec.annotations.name, 'web');
  t.is(parsed.spec.replicated.replicas, '2');
  t.false(
    Object.keys(parsed.spec.replicated).some((k) => k.startsWith('_')),
    'no decoder bookkeeping',
  );
  json.clear();
  await serviceInspect(json, ['web', 'web']);
  t.is(JSON.parse(json.output()).length, 2);
  json.clear();
  await serviceLs(json, {});
  const list = JSON.parse(json.output());
  t.true(Array.isArray(list));
  t.is(list[0].id, parsed.id);
});

test('update changes only the flags given, keeps the rest, and bumps the version', async (t) => {
  const { h, ctx } = await setup();
  await serviceCreate(ctx, 'web', ['a'], {
    detach: true,
    image: 'host',
    replicas: '2',
    env: ['A=1', 'B=2'],
    label: ['tier=web'],
    limitMemory: '64m',
    updateParallelism: '3',
  });
  const before = await getSpec(h, 'web');
  ctx.clear();
  await serviceUpdate(ctx, 'web', [], {
    detach: true,
    envAdd: ['C=3'],
    envRm: ['A'],
    limitCpu: '1',
    updateDelay: '10s',
  });
  t.is(ctx.output(), `${before.id}\n`);
  const after = await getSpec(h, 'web');
  t.not(after.meta?.version?.index, before.meta?.version?.index);
  t.is(after.specVersion, String(Number(before.specVersion) + 1));
  t.deepEqual(after.spec?.task?.container?.env, ['B=2', 'C=3']);
  t.is(after.spec?.task?.resources?.limits?.nanoCpus, '1000000000');
  t.is(after.spec?.update?.delayMs, '10000');
  // Everything else as it was.
  t.is(after.spec?.task?.resources?.limits?.memoryBytes, before.spec?.task?.resources?.limits?.memoryBytes);
  t.is(after.spec?.update?.parallelism, '3');
  t.is(after.spec?.replicated?.replicas, '2');
  t.deepEqual(after.spec?.annotations?.labels, { tier: 'web' });
  t.deepEqual(after.spec?.task?.container?.args, ['a']);
  t.deepEqual(after.previousSpec?.task?.container?.env, ['A=1', 'B=2']);
});

test('update: "no changes detected" sends nothing; --force redeploys', async (t) => {
  const { h, ctx } = await setup();
  await serviceCreate(ctx, 'web', [], { detach: true, image: 'host', replicas: '2' });
  const before = await getSpec(h, 'web');
  const nothing = await t.throwsAsync(serviceUpdate(ctx, 'web', [], { detach: true }), {
    instanceOf: NoChangesError,
  });
  t.is(nothing?.message, 'Cannot update service "web": no changes detected');
  await t.throwsAsync(serviceUpdate(ctx, 'web', [], { detach: true, replicas: '2', image: 'host' }), {
    message: 'Cannot update service "web": no changes detected',
  });
  // Options commander fills in for every call (a negatable --no-healthcheck) change nothing either.
  await t.throwsAsync(serviceUpdate(ctx, 'web', [], { healthcheck: true, detach: true }), {
    instanceOf: NoChangesError,
  });
  t.is((await getSpec(h, 'web')).meta?.version?.index, before.meta?.version?.index);
  await serviceUpdate(ctx, 'web', [], { detach: true, force: true });
  const forced = await getSpec(h, 'web');
  t.is(forced.spec?.task?.forceUpdate, '1');
});

test('update: a concurrent write is a conflict that says to run the command again', async (t) => {
  const { h, ctx } = await setup();
  await serviceCreate(ctx, 'web', [], { detach: true, image: 'host' });
  // Someone else updates the service between our read and our write: the store is written directly
  // when the manager answers our GetService.
  const original = h.control.getService.bind(h.control);
  h.control.getService = async (ref: string) => {
    const read = await original(ref);
    await h.store.update((tx) => {
      const s = tx.services.get(read.id);
      if (s) tx.services.update({ ...s, specVersion: s.specVersion + 1 });
    });
    return read;
  };
  try {
    const err = await t.throwsAsync(serviceUpdate(ctx, 'web', [], { detach: true, replicas: '4' }), {
      instanceOf: UpdateConflictError,
    });
    t.is(
      err?.message,
      'Cannot update service "web": someone else updated it since it was read, so nothing was changed; run the command again to apply the change to the new version',
    );
    t.true(err?.cause instanceof ControlStatusError);
  } finally {
    h.control.getService = original;
  }
  await serviceUpdate(ctx, 'web', [], { detach: true, replicas: '4' });
  t.is((await getSpec(h, 'web')).spec?.replicated?.replicas, '4');
});

test("update: the manager's validation errors are shown as they are", async (t) => {
  const { ctx } = await setup();
  await serviceCreate(ctx, 'web', [], { detach: true, image: 'host' });
  const err = await t.throwsAsync(
    serviceUpdate(ctx, 'web', [], {
      detach: true,
      replicas: '100001',
      constraintAdd: ['node.lables.zone==a'],
    }),
  );
  t.true(err instanceof ControlStatusError);
  t.regex(err?.message ?? '', /^Cannot update service "web": /);
  t.regex(err?.message ?? '', /replicas: must be between 0 and 100000, got 100001/);
  t.regex(err?.message ?? '', /"node\.lables\.zone==a": unknown key "node\.lables"/);
  await t.throwsAsync(serviceCreate(ctx, 'web', [], { detach: true, image: 'host' }), {
    message: 'Cannot create service "web": name conflicts with an existing service',
  });
});

test('scale sets replicas, leaves equal ones alone, refuses global services and bad arguments', async (t) => {
  const { h, ctx } = await setup();
  await serviceCreate(ctx, 'web', [], { detach: true, image: 'host' });
  await serviceCreate(ctx, 'api', [], { detach: true, image: 'host', replicas: '2' });
  await serviceCreate(ctx, 'agent', [], { detach: true, image: 'host', mode: 'global' });
  const api = await getSpec(h, 'api');
  ctx.clear();
  await serviceScale(ctx, ['web=3', 'api=2'], { detach: true });
  t.is(ctx.output(), 'web scaled to 3\napi scaled to 2\n');
  t.is((await getSpec(h, 'web')).spec?.replicated?.replicas, '3');
  t.is((await getSpec(h, 'api')).meta?.version?.index, api.meta?.version?.index, 'unchanged: not written');
  await t.throwsAsync(serviceScale(ctx, ['agent=2']), {
    message: 'Cannot scale service "agent": it is global (one task per node); only replicated services scale',
  });
  await t.throwsAsync(serviceScale(ctx, ['web=4', 'api']), {
    message: 'SERVICE=REPLICAS: must be a service and a number of replicas, such as web=3, got "api"',
  });
  t.is((await getSpec(h, 'web')).spec?.replicated?.replicas, '3', 'nothing scaled when an argument is bad');
  await t.throwsAsync(serviceScale(ctx, ['web=x']), {
    message: /^SERVICE=REPLICAS "web=x": must be a whole number/,
  });
  await t.throwsAsync(serviceScale(ctx, ['nope=1']), { message: /Cannot get service "nope"/ });
});

test('ps lists tasks by slot then newest, with history under the newest; rm removes', async (t) => {
  const { h, ctx } = await setup();
  await serviceCreate(ctx, 'web', [], { detach: true, image: 'host', replicas: '2' });
  const id = ctx.output().trim();
  const n1 = 'n1'.padEnd(25, '0');
  await h.store.update((tx) => {
    tx.nodes.create(testNode({ id: n1, hostname: 'alpha' }));
  });
  const service = h.store.view((tx) => tx.services.get(id));
  if (service === undefined) throw new Error('no service');
  const task = (n: string, slot: number, state: 'RUNNING' | 'FAILED', desired: 'RUNNING' | 'SHUTDOWN') =>
    testTask({ id: n.padEnd(25, '0'), service, slot, nodeId: n1, state, desiredState: desired });
  await h.store.update((tx) => {
    const a2 = task('a2', 2, 'RUNNING', 'RUNNING');
    tx.tasks.create({ ...a2, status: { ...a2.status, restarts: 2 } });
    tx.tasks.create(task('a1old', 1, 'FAILED', 'SHUTDOWN'));
    tx.tasks.create({
      ...testTask({ id: 'a3'.padEnd(25, '0'), service, slot: 3, state: 'PENDING' }),
      schedulingMessage: 'no suitable node (1 node not available for new tasks)',
    });
  });
  h.clock.advance(2000);
  await h.store.update((tx) => {
    tx.tasks.create(task('a1new', 1, 'RUNNING', 'RUNNING'));
    const old = tx.tasks.get('a1old'.padEnd(25, '0'));
    if (old)
      tx.tasks.update({
        ...old,
        status: { ...old.status, err: 'task: non-zero exit (1)', timestamp: 1_700_000_000_000 },
      });
  });
  ctx.clear();
  await servicePs(ctx, ['web'], {});
  const lines = ctx.output().trimEnd().split('\n');
  t.regex(lines[0] ?? '', /^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR$/);
  t.regex(
    lines[1] ?? '',
    /^a1new0000000\s+web\.1\s+host\s+alpha\s+Running\s+Running Less than a second ago$/,
  );
  t.regex(
    lines[2] ?? '',
    /^a1old0000000\s+ \\_ web\.1\s+host\s+alpha\s+Shutdown\s+Failed 2 seconds ago\s+task: non-zero exit \(1\)$/,
  );
  t.regex(lines[3] ?? '', /^a20000000000\s+web\.2\s+host\s+alpha\s+Running\s+Running .* \(2 restarts\)$/);
  t.regex(
    lines[4] ?? '',
    /^a30000000000\s+web\.3\s+host\s+Running\s+Pending .*no suitable node \(1 node not available for new/,
  );
  ctx.clear();
  await servicePs(ctx, ['web'], { quiet: true, filter: ['desired-state=running'] });
  t.deepEqual(ctx.output().trim().split('\n').sort(), [
    'a1new'.padEnd(25, '0'),
    'a2'.padEnd(25, '0'),
    'a3'.padEnd(25, '0'),
  ]);
  await t.throwsAsync(servicePs(ctx, ['web'], { filter: ['desired-state=sleeping'] }), {
    message: /^--filter desired-state: must be one of new, pending/,
  });
  ctx.clear();
  await serviceRm(ctx, ['web']);
  t.is(ctx.output(), 'web\n');
  await t.throwsAsync(serviceInspect(ctx, ['web']), {
    message: 'Cannot get service "web": no service has this id, name or id prefix',
  });
});

test('an ambiguous id prefix lists the matches', async (t) => {
  const { h, ctx } = await setup();
  const a = 'abc1'.padEnd(25, '0');
  const b = 'abc2'.padEnd(25, '0');
  await h.store.update((tx) => {
    tx.services.create(testService({ id: a, name: 'a' }));
    tx.services.create(testService({ id: b, name: 'b' }));
  });
  await t.throwsAsync(serviceInspect(ctx, ['abc']), {
    message: `Cannot resolve service "abc": 2 services match it by id prefix: ${a}, ${b}`,
  });
  ctx.clear();
  await serviceInspect(ctx, ['abc2']);
  t.regex(ctx.output(), new RegExp(`^ID: +${b}$`, 'm'));
});
