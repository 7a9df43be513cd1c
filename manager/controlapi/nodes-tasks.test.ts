// Nodes and tasks through the Control API, over a real socket. The nodes and tasks are written into the
// store directly, as the dispatcher and the orchestrators will.
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import type { Node, NodeState, TaskState } from '../../proto/index.js';
import { testNode, testService, testTask } from '../store/testing/index.js';
import { assertStatus, type ControlHarness, startControlHarness } from './testing/index.js';

const harnesses: ControlHarness[] = [];

test.after.always(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
});

const m1 = 'm1'.padEnd(25, '0');
const w1 = 'w1'.padEnd(25, '0');
const w2 = 'w2'.padEnd(25, '0');
const w3 = 'w3'.padEnd(25, '0');

function withState(n: Node, state: NodeState): Node {
  return { ...n, status: { ...n.status, state } };
}

/** A manager and three workers (w3 down, w2 drained) in a fresh harness. */
async function cluster(): Promise<ControlHarness> {
  const h = await startControlHarness();
  harnesses.push(h);
  await h.store.update((tx) => {
    tx.nodes.create(testNode({ id: m1, hostname: 'mgr', role: 'manager' }));
    tx.nodes.create(testNode({ id: w1, hostname: 'alpha', labels: { zone: 'a' } }));
    tx.nodes.create(testNode({ id: w2, hostname: 'beta', availability: 'drain', labels: { zone: 'b' } }));
    tx.nodes.create(withState(testNode({ id: w3, hostname: 'alpha', name: 'gamma' }), 'down'));
  });
  return h;
}

test('GetNode resolves ids, names, hostnames and id prefixes; NOT_FOUND otherwise', async (t) => {
  const h = await cluster();
  t.is((await h.call('GetNode', { nodeId: w2 })).node?.description?.hostname, 'beta');
  t.is((await h.call('GetNode', { nodeId: 'beta' })).node?.id, w2);
  t.is((await h.call('GetNode', { nodeId: 'gamma' })).node?.id, w3);
  t.is((await h.call('GetNode', { nodeId: 'm1' })).node?.id, m1);
  const node = (await h.call('GetNode', { nodeId: 'mgr' })).node;
  t.is(node?.role, 'NODE_ROLE_MANAGER');
  t.is(node?.spec?.availability, 'NODE_AVAILABILITY_ACTIVE');
  t.is(node?.status?.state, 'NODE_STATE_READY');
  t.deepEqual(node?.description?.platform, { os: 'linux', architecture: 'x86_64' });
  await assertStatus(
    t,
    h.call('GetNode', { nodeId: 'delta' }),
    grpc.status.NOT_FOUND,
    'Cannot get node "delta": no node has this id, name or id prefix',
  );
});

test('ListNodes filters by role, availability, labels and name prefix, sorted by name', async (t) => {
  const h = await cluster();
  const list = async (req: Parameters<typeof h.call<'ListNodes'>>[1]) =>
    (await h.call('ListNodes', req)).nodes.map((n) => n.id);
  t.deepEqual(await list({}), [w1, w2, w3, m1]);
  t.deepEqual(await list({ roles: ['NODE_ROLE_MANAGER'] }), [m1]);
  t.deepEqual(await list({ roles: ['NODE_ROLE_WORKER'], availabilities: ['NODE_AVAILABILITY_DRAIN'] }), [w2]);
  t.deepEqual(await list({ filters: { labels: { zone: '' } } }), [w1, w2]);
  t.deepEqual(await list({ filters: { namePrefixes: ['al', 'g'] } }), [w1, w3]);
  await assertStatus(
    t,
    h.call('ListNodes', { roles: [7 as unknown as 'NODE_ROLE_WORKER'] }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot list nodes: roles[0]: unknown value 7',
  );
});

test('a hostname two nodes share is an ambiguous reference', async (t) => {
  const h = await cluster();
  await h.store.update((tx) => {
    tx.nodes.create(testNode({ id: 'x100000000000000000000000', hostname: 'alpha' }));
  });
  await assertStatus(
    t,
    h.call('GetNode', { nodeId: 'alpha' }),
    grpc.status.INVALID_ARGUMENT,
    `Cannot resolve node "alpha": 2 nodes match it by name: ${w1}, x100000000000000000000000`,
  );
});

test('UpdateNode drains, labels and promotes a node with the version read; a stale version is ABORTED', async (t) => {
  const h = await cluster();
  const read = (await h.call('GetNode', { nodeId: w1 })).node;
  const { node } = await h.call('UpdateNode', {
    nodeId: 'w1',
    nodeVersion: read?.meta?.version ?? null,
    spec: {
      annotations: { name: '', labels: { zone: 'c', ssd: 'true' } },
      availability: 'NODE_AVAILABILITY_DRAIN',
      desiredRole: 'NODE_ROLE_MANAGER',
    },
  });
  t.is(node?.spec?.availability, 'NODE_AVAILABILITY_DRAIN');
  t.is(node?.spec?.desiredRole, 'NODE_ROLE_MANAGER');
  t.is(node?.role, 'NODE_ROLE_WORKER', 'the role changes when the node is promoted, not here');
  t.deepEqual(node?.spec?.annotations?.labels, { ssd: 'true', zone: 'c' });
  // Unspecified role and availability keep the current ones.
  const again = await h.call('UpdateNode', {
    nodeId: w1,
    nodeVersion: node?.meta?.version ?? null,
    spec: { annotations: { name: 'renamed' } },
  });
  t.is(again.node?.spec?.availability, 'NODE_AVAILABILITY_DRAIN');
  t.is(again.node?.spec?.desiredRole, 'NODE_ROLE_MANAGER');
  t.is(again.node?.spec?.annotations?.name, 'renamed');
  await assertStatus(
    t,
    h.call('UpdateNode', { nodeId: w1, nodeVersion: read?.meta?.version ?? null, spec: {} }),
    grpc.status.ABORTED,
  );
});

test('UpdateNode refuses an unknown availability, a bad name and demoting the last manager', async (t) => {
  const h = await cluster();
  const mgr = (await h.call('GetNode', { nodeId: m1 })).node;
  const worker = (await h.call('GetNode', { nodeId: w1 })).node;
  await assertStatus(
    t,
    h.call('UpdateNode', {
      nodeId: w1,
      nodeVersion: worker?.meta?.version ?? null,
      spec: {
        availability: 9 as unknown as 'NODE_AVAILABILITY_ACTIVE',
        annotations: { name: '-x', labels: { '': 'v' } },
      },
    }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot update node "alpha": spec.annotations.name: must be 1–63 characters of [a-zA-Z0-9_.-] starting with a letter or digit, got "-x"; ' +
      'spec.annotations.labels[""]: key must not be empty; spec.availability: must be one of active|pause|drain, got 9',
  );
  await assertStatus(
    t,
    h.call('UpdateNode', {
      nodeId: m1,
      nodeVersion: mgr?.meta?.version ?? null,
      spec: { desiredRole: 'NODE_ROLE_WORKER' },
    }),
    grpc.status.FAILED_PRECONDITION,
    'Cannot demote node "mgr": it is the last manager of the cluster',
  );
  await assertStatus(
    t,
    h.call('UpdateNode', { nodeId: m1, spec: {} }),
    grpc.status.INVALID_ARGUMENT,
    `Cannot update node "${m1}": node_version is required (the version read)`,
  );
});

test('RemoveNode refuses a manager and a ready node without force; removes a down node, or any with force', async (t) => {
  const h = await cluster();
  await assertStatus(
    t,
    h.call('RemoveNode', { nodeId: 'mgr', force: true }),
    grpc.status.FAILED_PRECONDITION,
    'Cannot remove node "mgr": it is a manager; demote it first',
  );
  await assertStatus(
    t,
    h.call('RemoveNode', { nodeId: 'beta' }),
    grpc.status.FAILED_PRECONDITION,
    'Cannot remove node "beta": it is ready, not down; stop it first or remove it with force',
  );
  await h.call('RemoveNode', { nodeId: 'gamma' });
  await h.call('RemoveNode', { nodeId: 'beta', force: true });
  t.deepEqual(
    (await h.call('ListNodes', {})).nodes.map((n) => n.id),
    [w1, m1],
  );
  await assertStatus(t, h.call('RemoveNode', { nodeId: 'gamma' }), grpc.status.NOT_FOUND);
});

test('GetTask and ListTasks: by id prefix and name; filters by service, node and desired state', async (t) => {
  const h = await cluster();
  const web = testService({ id: 'sweb'.padEnd(25, '0'), name: 'web', labels: { tier: 'front' } });
  const api = testService({ id: 'sapi'.padEnd(25, '0'), name: 'api' });
  const task = (
    id: string,
    service: typeof web,
    slot: number,
    nodeId: string,
    desiredState: TaskState = 'RUNNING',
  ) => testTask({ id: id.padEnd(25, '0'), service, slot, nodeId, desiredState });
  await h.store.update((tx) => {
    tx.services.create(web);
    tx.services.create(api);
    tx.tasks.create(task('t1', web, 1, w1));
    tx.tasks.create(task('t2', web, 2, w2, 'SHUTDOWN'));
    tx.tasks.create(task('t3', web, 2, w1));
    tx.tasks.create(task('t4', api, 1, ''));
  });
  const t1 = 't1'.padEnd(25, '0');
  const got = (await h.call('GetTask', { taskId: 't1' })).task;
  t.is(got?.id, t1);
  t.is(got?.serviceId, web.id);
  t.is(got?.slot, '1');
  t.is(got?.desiredState, 'TASK_STATE_RUNNING');
  t.is(got?.status?.state, 'TASK_STATE_NEW');
  t.is(got?.spec?.container?.image, 'host');
  t.is((await h.call('GetTask', { taskId: `web.1.${t1}` })).task?.id, t1);
  await assertStatus(
    t,
    h.call('GetTask', { taskId: 'zz' }),
    grpc.status.NOT_FOUND,
    'Cannot get task "zz": no task has this id, name or id prefix',
  );

  const list = async (req: Parameters<typeof h.call<'ListTasks'>>[1]) =>
    (await h.call('ListTasks', req)).tasks.map((x) => x.id.slice(0, 2));
  t.deepEqual(await list({}), ['t4', 't1', 't2', 't3']);
  t.deepEqual(await list({ serviceIds: ['web'] }), ['t1', 't2', 't3']);
  t.deepEqual(await list({ serviceIds: [api.id.slice(0, 4), 'nope'] }), ['t4']);
  t.deepEqual(await list({ nodeIds: [w1] }), ['t1', 't3']);
  t.deepEqual(await list({ nodeIds: ['beta'], serviceIds: ['web'] }), ['t2']);
  t.deepEqual(await list({ desiredStates: ['TASK_STATE_SHUTDOWN'] }), ['t2']);
  t.deepEqual(await list({ desiredStates: ['TASK_STATE_RUNNING'], filters: { namePrefixes: ['web.2.'] } }), [
    't3',
  ]);
  t.deepEqual(await list({ filters: { labels: { tier: 'front' } } }), ['t1', 't2', 't3']);
  await assertStatus(
    t,
    h.call('ListTasks', { desiredStates: [1 as unknown as 'TASK_STATE_NEW'] }),
    grpc.status.INVALID_ARGUMENT,
    'Cannot list tasks: desired_states[0]: unknown value 1',
  );
});
