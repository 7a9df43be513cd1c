// The node commands in-process against a real Control API: ls, inspect, update, the availability and
// role verbs, and rm, with the manager's refusals shown as they are.
import test from 'ava';
import type { controlpb } from '../../../proto/index.js';
import { type ControlHarness, startControlHarness, testNode } from '../../../testing/index.js';
import { NoChangesError } from '../../errors.js';
import { type TestContext, testContext } from '../../testing/index.js';
import { nodeActivate } from './activate.js';
import { nodeDemote } from './demote.js';
import { nodeDrain } from './drain.js';
import { nodeInspect } from './inspect.js';
import { nodeLs } from './ls.js';
import { nodePause } from './pause.js';
import { nodePromote } from './promote.js';
import { nodeRm } from './rm.js';
import { nodeUpdate } from './update.js';

const open: { close(): unknown }[] = [];
test.after.always(async () => {
  for (const o of open.reverse()) await o.close();
});

const m1 = 'm1'.padEnd(25, '0');
const w1 = 'w1'.padEnd(25, '0');
const w2 = 'w2'.padEnd(25, '0');

/** A leader manager and two workers (w2 down). */
async function setup(format: 'table' | 'json' = 'table'): Promise<{ h: ControlHarness; ctx: TestContext }> {
  const h = await startControlHarness();
  open.push(h);
  await h.store.update((tx) => {
    const m = testNode({ id: m1, hostname: 'mgr', role: 'manager' });
    tx.nodes.create({
      ...m,
      managerStatus: { raftId: '1', addr: '10.0.0.1:4242', leader: true, reachability: 'reachable' },
    });
    tx.nodes.create(testNode({ id: w1, hostname: 'alpha', labels: { zone: 'a' } }));
    const w = testNode({ id: w2, hostname: 'beta' });
    tx.nodes.create({ ...w, status: { ...w.status, state: 'down' } });
  });
  const ctx = testContext(h.address, { format, now: () => h.clock.now() });
  open.push(ctx);
  return { h, ctx };
}

async function node(h: ControlHarness, ref: string): Promise<controlpb.Node__Output> {
  return (await h.call('GetNode', { nodeId: ref })).node as controlpb.Node__Output;
}

test('ls: ID HOSTNAME STATUS AVAILABILITY ROLE MANAGER STATUS, with filters', async (t) => {
  const { ctx } = await setup();
  await nodeLs(ctx, {});
  t.is(
    ctx.output(),
    [
      'ID             HOSTNAME   STATUS   AVAILABILITY   ROLE      MANAGER STATUS',
      'w10000000000   alpha      Ready    Active         worker',
      'w20000000000   beta       Down     Active         worker',
      'm10000000000   mgr        Ready    Active         manager   Leader',
      '',
    ].join('\n'),
  );
  ctx.clear();
  await nodeLs(ctx, { quiet: true, filter: ['role=manager'] });
  t.is(ctx.output(), `${m1}\n`);
  ctx.clear();
  await nodeLs(ctx, { quiet: true, filter: ['label=zone=a'] });
  t.is(ctx.output(), `${w1}\n`);
  await t.throwsAsync(nodeLs(ctx, { filter: ['role=boss'] }), {
    message: '--filter role: must be one of worker, manager, got "boss"',
  });
});

test('inspect: summary by hostname or id prefix; JSON of the object', async (t) => {
  const { h, ctx } = await setup();
  await nodeInspect(ctx, ['mgr']);
  const text = ctx.output();
  t.regex(text, new RegExp(`^ID: +${m1}$`, 'm'));
  t.regex(
    text,
    /^Manager Status:\n Address: +10\.0\.0\.1:4242\n Raft ID: +1\n Leader: +Yes\n Reachability: +Reachable$/m,
  );
  t.regex(text, /^ CPUs: +4$/m);
  t.regex(text, /^ Memory: +8GiB$/m);
  const json = testContext(h.address, { format: 'json' });
  open.push(json);
  await nodeInspect(json, ['w1']);
  const parsed = JSON.parse(json.output());
  t.is(parsed.id, w1);
  t.is(parsed.spec.availability, 'NODE_AVAILABILITY_ACTIVE');
  await t.throwsAsync(nodeInspect(ctx, ['delta']), {
    message: 'Cannot get node "delta": no node has this id, name or id prefix',
  });
});

test('update: availability, role and labels; nothing given is "no changes detected"', async (t) => {
  const { h, ctx } = await setup();
  await nodeUpdate(ctx, 'alpha', { availability: 'pause', labelAdd: ['ssd', 'zone=b'], labelRm: [] });
  t.is(ctx.output(), `${w1}\n`);
  const n = await node(h, w1);
  t.is(n.spec?.availability, 'NODE_AVAILABILITY_PAUSE');
  t.deepEqual(n.spec?.annotations?.labels, { zone: 'b', ssd: '' });
  await nodeUpdate(ctx, 'alpha', { labelRm: ['zone'] });
  t.deepEqual((await node(h, w1)).spec?.annotations?.labels, { ssd: '' });
  await t.throwsAsync(nodeUpdate(ctx, 'alpha', {}), { instanceOf: NoChangesError });
  await t.throwsAsync(nodeUpdate(ctx, 'alpha', { availability: 'pause' }), {
    message: 'Cannot update node "alpha": no changes detected',
  });
  await t.throwsAsync(nodeUpdate(ctx, 'alpha', { labelAdd: ['=x'] }), { message: /^--label-add: / });
});

test('drain, pause, activate: set the availability, say when there was nothing to do', async (t) => {
  const { h, ctx } = await setup();
  await nodeDrain(ctx, ['alpha']);
  t.is((await node(h, w1)).spec?.availability, 'NODE_AVAILABILITY_DRAIN');
  await nodeDrain(ctx, ['alpha']);
  await nodePause(ctx, ['alpha', 'beta']);
  await nodeActivate(ctx, ['alpha']);
  t.is(
    ctx.output(),
    [
      'Node alpha drained: its tasks move to other nodes.',
      'Node alpha is already drained.',
      'Node alpha paused: it keeps its tasks and takes no new ones.',
      'Node beta paused: it keeps its tasks and takes no new ones.',
      'Node alpha is active: it takes new tasks.',
      '',
    ].join('\n'),
  );
  t.is((await node(h, w1)).spec?.availability, 'NODE_AVAILABILITY_ACTIVE');
  t.is((await node(h, w2)).spec?.availability, 'NODE_AVAILABILITY_PAUSE');
});

test("promote and demote; demoting the last manager shows the manager's refusal", async (t) => {
  const { h, ctx } = await setup();
  await t.throwsAsync(nodeDemote(ctx, ['mgr']), {
    message: 'Cannot demote node "mgr": it is the last manager of the cluster',
  });
  t.is((await node(h, m1)).spec?.desiredRole, 'NODE_ROLE_MANAGER');
  await nodePromote(ctx, ['alpha']);
  t.is((await node(h, w1)).spec?.desiredRole, 'NODE_ROLE_MANAGER');
  await nodePromote(ctx, ['alpha']);
  await nodeDemote(ctx, ['mgr']);
  t.is((await node(h, m1)).spec?.desiredRole, 'NODE_ROLE_WORKER');
  t.is(
    ctx.output(),
    [
      'Node alpha promoted to a manager in the cluster.',
      'Node alpha is already a manager.',
      'Manager mgr demoted in the cluster.',
      '',
    ].join('\n'),
  );
});

test('rm: refuses a manager and a ready node without --force; removes a down one', async (t) => {
  const { h, ctx } = await setup();
  await t.throwsAsync(nodeRm(ctx, ['mgr'], {}), {
    message: 'Cannot remove node "mgr": it is a manager; demote it first',
  });
  await t.throwsAsync(nodeRm(ctx, ['alpha'], {}), {
    message: 'Cannot remove node "alpha": it is ready, not down; stop it first or remove it with force',
  });
  await nodeRm(ctx, ['beta'], {});
  await nodeRm(ctx, ['alpha'], { force: true });
  t.is(ctx.output(), 'beta\nalpha\n');
  t.deepEqual(
    (await h.call('ListNodes', {})).nodes.map((n) => n.id),
    [m1],
  );
});
