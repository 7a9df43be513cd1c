import test from 'ava';
import { FakeClock } from '../../common/testing/index.js';
import type { Node, Service, Task, TaskState } from '../../proto/index.js';
import { byServiceId, byTaskState, MemoryStore } from '../store/index.js';
import { MockProposer, testCluster, testService, testTask } from '../store/testing/index.js';
import { Scheduler } from './scheduler.js';
import { node, type SpecInit, spec } from './testing/fixtures.js';

const GiB = 2 ** 30;

interface Harness {
  clock: FakeClock;
  store: MemoryStore;
  scheduler: Scheduler;
  running: Promise<void>;
}

function start(store: MemoryStore, clock: FakeClock): Harness {
  const scheduler = new Scheduler({ store, clock, debounceMs: 5, maxDelayMs: 50 });
  const running = scheduler.run();
  return { clock, store, scheduler, running };
}

function setup(): Harness {
  const clock = new FakeClock();
  return start(new MemoryStore({ clock }), clock);
}

async function teardown(h: Harness): Promise<void> {
  await h.scheduler.stop();
  await h.running;
  h.store.close();
}

/** Lets the scheduler react and moves fake time on, until `cond` holds (bounded). */
async function settle(h: Harness, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
    h.clock.advance(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function service(id: string, init: SpecInit = {}, extra: Partial<Service['spec']> = {}): Service {
  const s = testService({ id, name: id });
  return { ...s, spec: { ...s.spec, task: spec(init), ...extra } };
}

function pendingTasks(
  s: Service,
  count: number,
  from = 1,
  options: { nodeId?: string; desiredState?: TaskState } = {},
): Task[] {
  const out: Task[] = [];
  for (let i = from; i < from + count; i++)
    out.push(testTask({ id: `${s.id}-${i}`, service: s, slot: i, state: 'PENDING', ...options }));
  return out;
}

async function create(
  store: MemoryStore,
  objects: { nodes?: Node[]; services?: Service[]; tasks?: Task[] },
): Promise<void> {
  await store.batch(async (b) => {
    for (const n of objects.nodes ?? []) await b.update((tx) => tx.nodes.create(n));
    for (const s of objects.services ?? []) await b.update((tx) => tx.services.create(s));
    for (const t of objects.tasks ?? []) await b.update((tx) => tx.tasks.create(t));
  });
}

const tasksOf = (store: MemoryStore, serviceId: string): Task[] =>
  store.view((tx) => tx.tasks.find(byServiceId(serviceId)));

const assigned = (store: MemoryStore, serviceId: string): Task[] =>
  tasksOf(store, serviceId).filter((t) => t.status.state === 'ASSIGNED');

function perNode(tasks: readonly Task[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tasks) if (t.status.state === 'ASSIGNED') out[t.nodeId] = (out[t.nodeId] ?? 0) + 1;
  return out;
}

async function updateNode(store: MemoryStore, id: string, fn: (n: Node) => Node): Promise<void> {
  await store.update((tx) => {
    const n = tx.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    tx.nodes.update(fn(n));
  });
}

const three = () => [node({ id: 'a' }), node({ id: 'b' }), node({ id: 'c' })];

test('assigns PENDING tasks evenly and writes ASSIGNED with the node, a message and the time', async (t) => {
  const h = setup();
  const web = service('web');
  await create(h.store, { nodes: three(), services: [web], tasks: pendingTasks(web, 6) });
  await settle(h, () => assigned(h.store, 'web').length === 6, '6 tasks assigned');
  const tasks = tasksOf(h.store, 'web');
  t.deepEqual(perNode(tasks), { a: 2, b: 2, c: 2 });
  for (const task of tasks) {
    t.is(task.status.message, 'scheduler assigned task to node');
    t.is(task.schedulingMessage, '');
    t.true(task.status.timestamp >= 1_700_000_000_000 && task.status.timestamp <= h.clock.now());
    t.is(task.desiredState, 'RUNNING');
  }
  t.is(h.scheduler.stats.assigned, 6);
  await teardown(h);
});

test('tasks already running count: a new service spreads by its own tasks, then by the totals', async (t) => {
  const h = setup();
  const db = service('db');
  const web = service('web');
  const running = [
    testTask({ id: 'db-1', service: db, slot: 1, nodeId: 'a', state: 'RUNNING' }),
    testTask({ id: 'db-2', service: db, slot: 2, nodeId: 'a', state: 'RUNNING' }),
    testTask({ id: 'db-3', service: db, slot: 3, nodeId: 'b', state: 'RUNNING' }),
  ];
  await create(h.store, {
    nodes: three(),
    services: [db, web],
    tasks: [...running, ...pendingTasks(web, 4)],
  });
  await settle(h, () => assigned(h.store, 'web').length === 4, '4 tasks assigned');
  t.deepEqual(perNode(tasksOf(h.store, 'web')), { c: 2, b: 1, a: 1 });
  await teardown(h);
});

test('constraints on role, labels and hostname; a task no node satisfies stays PENDING with the reason', async (t) => {
  const h = setup();
  const nodes = [
    node({ id: 'm1', hostname: 'mgr', role: 'manager' }),
    node({ id: 'w1', hostname: 'wa', labels: { zone: 'a' } }),
    node({ id: 'w2', hostname: 'wb', labels: { zone: 'b' } }),
  ];
  const onManager = service('onmgr', { constraints: ['node.role==manager'] });
  const inZoneA = service('zonea', { constraints: ['node.labels.zone==a'] });
  const notWa = service('notwa', { constraints: ['node.hostname!=wa', 'node.role==worker'] });
  const nowhere = service('nowhere', { constraints: ['node.labels.zone==c'] });
  await create(h.store, {
    nodes,
    services: [onManager, inZoneA, notWa, nowhere],
    tasks: [
      ...pendingTasks(onManager, 2),
      ...pendingTasks(inZoneA, 2),
      ...pendingTasks(notWa, 2),
      ...pendingTasks(nowhere, 1),
    ],
  });
  await settle(
    h,
    () => tasksOf(h.store, 'nowhere')[0]?.schedulingMessage !== '' && assigned(h.store, 'notwa').length === 2,
    'decisions',
  );
  t.deepEqual(perNode(tasksOf(h.store, 'onmgr')), { m1: 2 });
  t.deepEqual(perNode(tasksOf(h.store, 'zonea')), { w1: 2 });
  t.deepEqual(perNode(tasksOf(h.store, 'notwa')), { w2: 2 });
  const left = tasksOf(h.store, 'nowhere')[0];
  t.is(left?.status.state, 'PENDING');
  t.is(left?.nodeId, '');
  t.is(left?.schedulingMessage, 'no suitable node (3 nodes do not satisfy the constraints)');
  await teardown(h);
});

test('a PENDING task is placed once a label makes a node fit, or a suitable node joins', async (t) => {
  const h = setup();
  const s = service('s', { constraints: ['node.labels.gpu==yes'] });
  await create(h.store, { nodes: [node({ id: 'a' })], services: [s], tasks: pendingTasks(s, 2) });
  await settle(h, () => tasksOf(h.store, 's').every((x) => x.schedulingMessage !== ''), 'reasons');
  t.is(
    tasksOf(h.store, 's')[0]?.schedulingMessage,
    'no suitable node (1 node does not satisfy the constraints)',
  );
  const passes = h.scheduler.stats.passes;
  await updateNode(h.store, 'a', (n) => ({
    ...n,
    spec: { ...n.spec, annotations: { ...n.spec.annotations, labels: { gpu: 'yes' } } },
  }));
  await settle(h, () => assigned(h.store, 's').length === 2, 'placed after the label');
  t.true(h.scheduler.stats.passes > passes);
  t.deepEqual(perNode(tasksOf(h.store, 's')), { a: 2 });
  t.true(tasksOf(h.store, 's').every((x) => x.schedulingMessage === ''));

  const late = service('late');
  await create(h.store, { services: [late], tasks: pendingTasks(late, 1) });
  await updateNode(h.store, 'a', (n) => ({ ...n, spec: { ...n.spec, availability: 'drain' } }));
  await settle(h, () => tasksOf(h.store, 'late')[0]?.schedulingMessage !== '', 'reason');
  t.is(
    tasksOf(h.store, 'late')[0]?.schedulingMessage,
    'no suitable node (1 node not available for new tasks)',
  );
  await create(h.store, { nodes: [node({ id: 'b' })] });
  await settle(h, () => assigned(h.store, 'late').length === 1, 'placed on the new node');
  t.is(tasksOf(h.store, 'late')[0]?.nodeId, 'b');
  await teardown(h);
});

test('with no nodes at all, tasks wait and are placed when the first node joins', async (t) => {
  const h = setup();
  const s = service('s');
  await create(h.store, { services: [s], tasks: pendingTasks(s, 3) });
  await settle(h, () => tasksOf(h.store, 's').every((x) => x.schedulingMessage !== ''), 'reasons');
  t.is(tasksOf(h.store, 's')[0]?.schedulingMessage, 'no suitable node (the cluster has no nodes)');
  await create(h.store, { nodes: [node({ id: 'a' })] });
  await settle(h, () => assigned(h.store, 's').length === 3, 'assigned');
  await teardown(h);
});

test('resources: reservations fill a node; a task ending frees room for a pending one', async (t) => {
  const h = setup();
  const s = service('s', { memoryBytes: 3 * GiB, nanoCpus: 1e9 });
  await create(h.store, {
    nodes: [node({ id: 'a' }), node({ id: 'b', memoryBytes: 4 * GiB })],
    services: [s],
    tasks: pendingTasks(s, 4),
  });
  await settle(h, () => tasksOf(h.store, 's').some((x) => x.schedulingMessage !== ''), 'a reason');
  t.deepEqual(perNode(tasksOf(h.store, 's')), { a: 2, b: 1 });
  const waiting = tasksOf(h.store, 's').filter((x) => x.status.state === 'PENDING');
  t.is(waiting.length, 1);
  t.is(waiting[0]?.schedulingMessage, 'no suitable node (2 nodes have insufficient memory)');
  // A task on b fails: its memory is free again.
  const onB = tasksOf(h.store, 's').find((x) => x.nodeId === 'b') as Task;
  await h.store.update((tx) => tx.tasks.update({ ...onB, status: { ...onB.status, state: 'FAILED' } }));
  await settle(
    h,
    () => tasksOf(h.store, 's').filter((x) => x.status.state === 'ASSIGNED').length === 3,
    'placed',
  );
  t.is(
    tasksOf(h.store, waiting[0]?.id === undefined ? '' : 's').find((x) => x.id === waiting[0]?.id)?.nodeId,
    'b',
  );
  await teardown(h);
});

test('max replicas per node', async (t) => {
  const h = setup();
  const s = service('s', { maxReplicasPerNode: 2 });
  await create(h.store, { nodes: three(), services: [s], tasks: pendingTasks(s, 7) });
  await settle(h, () => tasksOf(h.store, 's').some((x) => x.schedulingMessage !== ''), 'a reason');
  t.deepEqual(perNode(tasksOf(h.store, 's')), { a: 2, b: 2, c: 2 });
  t.is(
    tasksOf(h.store, 's').find((x) => x.status.state === 'PENDING')?.schedulingMessage,
    'no suitable node (3 nodes have reached the max replicas per node (2))',
  );
  await teardown(h);
});

test('host ports: a host-mode published port is used once per node, across services', async (t) => {
  const h = setup();
  const port = {
    name: 'http',
    protocol: 'tcp',
    targetPort: 80,
    publishedPort: 8080,
    publishMode: 'host',
  } as const;
  const one = service('one', {}, { endpoint: { ports: [port] } });
  const two = service('two', {}, { endpoint: { ports: [port] } });
  const ingress = service('ingress', {}, { endpoint: { ports: [{ ...port, publishMode: 'ingress' }] } });
  await create(h.store, { nodes: three(), services: [one, two, ingress], tasks: pendingTasks(one, 2) });
  await settle(h, () => assigned(h.store, 'one').length === 2, 'one placed');
  const usedByOne = new Set(assigned(h.store, 'one').map((x) => x.nodeId));
  t.is(usedByOne.size, 2);
  await create(h.store, { tasks: [...pendingTasks(two, 2), ...pendingTasks(ingress, 3)] });
  await settle(
    h,
    () =>
      assigned(h.store, 'ingress').length === 3 &&
      tasksOf(h.store, 'two').some((x) => x.schedulingMessage !== ''),
    'two decided',
  );
  const placedTwo = assigned(h.store, 'two');
  t.is(placedTwo.length, 1);
  t.false(usedByOne.has(placedTwo[0]?.nodeId ?? ''));
  t.is(
    tasksOf(h.store, 'two').find((x) => x.status.state === 'PENDING')?.schedulingMessage,
    'no suitable node (3 nodes have a conflicting host port (tcp/8080))',
  );
  t.deepEqual(perNode(tasksOf(h.store, 'ingress')), { a: 1, b: 1, c: 1 });
  await teardown(h);
});

test('placement preferences: 2 zones of 1 and 3 nodes, 4 tasks → 2 per zone', async (t) => {
  const h = setup();
  const s = service('s', { preferences: ['node.labels.zone'] });
  const nodes = [
    node({ id: 'a1', labels: { zone: 'a' } }),
    node({ id: 'b1', labels: { zone: 'b' } }),
    node({ id: 'b2', labels: { zone: 'b' } }),
    node({ id: 'b3', labels: { zone: 'b' } }),
  ];
  await create(h.store, { nodes, services: [s], tasks: pendingTasks(s, 4) });
  await settle(h, () => assigned(h.store, 's').length === 4, 'assigned');
  const counts = perNode(tasksOf(h.store, 's'));
  t.is(counts.a1, 2);
  t.is((counts.b1 ?? 0) + (counts.b2 ?? 0) + (counts.b3 ?? 0), 2);
  await teardown(h);
});

test('drained, paused and down nodes get nothing', async (t) => {
  const h = setup();
  const s = service('s');
  const nodes = [
    node({ id: 'drained', availability: 'drain' }),
    node({ id: 'paused', availability: 'pause' }),
    node({ id: 'down', state: 'down' }),
    node({ id: 'ok' }),
  ];
  await create(h.store, { nodes, services: [s], tasks: pendingTasks(s, 5) });
  await settle(h, () => assigned(h.store, 's').length === 5, 'assigned');
  t.deepEqual(perNode(tasksOf(h.store, 's')), { ok: 5 });
  await updateNode(h.store, 'ok', (n) => ({ ...n, status: { ...n.status, state: 'down' } }));
  const more = pendingTasks(s, 1, 6);
  await create(h.store, { tasks: more });
  await settle(h, () => tasksOf(h.store, 's').some((x) => x.schedulingMessage !== ''), 'a reason');
  t.is(
    tasksOf(h.store, 's').find((x) => x.id === more[0]?.id)?.schedulingMessage,
    'no suitable node (4 nodes not available for new tasks)',
  );
  await teardown(h);
});

test('the message lists every filter that failed, exactly as swarmkit words it', async (t) => {
  const h = setup();
  const s = service('s', { memoryBytes: 2 * GiB });
  const nodes = [
    node({ id: 'down', state: 'down' }),
    node({ id: 'x', memoryBytes: GiB }),
    node({ id: 'y', memoryBytes: GiB }),
  ];
  await create(h.store, { nodes, services: [s], tasks: pendingTasks(s, 1) });
  await settle(h, () => tasksOf(h.store, 's')[0]?.schedulingMessage !== '', 'a reason');
  t.is(
    tasksOf(h.store, 's')[0]?.schedulingMessage,
    'no suitable node (1 node not available for new tasks; 2 nodes have insufficient memory)',
  );
  t.is(tasksOf(h.store, 's')[0]?.status.state, 'PENDING');
  await teardown(h);
});

test('a global task with a preset node that does not fit stays PENDING with the reason; one that fits is assigned', async (t) => {
  const h = setup();
  const g = service('g', { memoryBytes: 2 * GiB }, { mode: { global: {} } });
  const nodes = [node({ id: 'big' }), node({ id: 'small', memoryBytes: GiB })];
  const tasks = [
    testTask({ id: 'g-big', service: g, nodeId: 'big', state: 'PENDING' }),
    testTask({ id: 'g-small', service: g, nodeId: 'small', state: 'PENDING' }),
  ];
  await create(h.store, { nodes, services: [g], tasks });
  await settle(
    h,
    () => tasksOf(h.store, 'g').every((x) => x.status.state === 'ASSIGNED' || x.schedulingMessage !== ''),
    'decisions',
  );
  const byId = new Map(tasksOf(h.store, 'g').map((x) => [x.id, x]));
  t.is(byId.get('g-big')?.status.state, 'ASSIGNED');
  t.is(byId.get('g-big')?.nodeId, 'big');
  t.is(byId.get('g-small')?.status.state, 'PENDING');
  t.is(byId.get('g-small')?.nodeId, 'small', 'a global task keeps its node');
  t.is(byId.get('g-small')?.schedulingMessage, 'no suitable node (1 node has insufficient memory)');
  // The node grows: the task fits now.
  await updateNode(h.store, 'small', (n) => ({
    ...n,
    description:
      n.description === null
        ? null
        : { ...n.description, resources: { nanoCpus: 4e9, memoryBytes: 4 * GiB } },
  }));
  await settle(h, () => assigned(h.store, 'g').length === 2, 'both assigned');
  await teardown(h);
});

test('desired state: READY (a delayed restart) is placed in advance; SHUTDOWN is not', async (t) => {
  const h = setup();
  const s = service('s');
  const ready = pendingTasks(s, 1, 1, { desiredState: 'READY' });
  const shutdown = pendingTasks(s, 1, 2, { desiredState: 'SHUTDOWN' });
  const marker = service('marker');
  await create(h.store, {
    nodes: [node({ id: 'a' })],
    services: [s, marker],
    tasks: [...ready, ...shutdown],
  });
  await settle(h, () => assigned(h.store, 's').length === 1, 'ready assigned');
  // A later task placed proves a pass ran after the SHUTDOWN one was seen.
  await create(h.store, { tasks: pendingTasks(marker, 1) });
  await settle(h, () => assigned(h.store, 'marker').length === 1, 'marker assigned');
  const byId = new Map(tasksOf(h.store, 's').map((x) => [x.id, x]));
  t.is(byId.get('s-1')?.status.state, 'ASSIGNED');
  t.is(byId.get('s-2')?.status.state, 'PENDING');
  t.is(byId.get('s-2')?.schedulingMessage, '');
  await teardown(h);
});

test('a task changed while its assignment was in flight: the write is refused, the loop goes on and retries', async (t) => {
  const clock = new FakeClock();
  const proposer = new MockProposer({ mode: 'manual' });
  const store = new MemoryStore({ clock, proposer });
  proposer.attach(store);
  const s = service('s');
  let created = false;
  const creating = create(store, { nodes: three(), services: [s], tasks: pendingTasks(s, 3) }).then(() => {
    created = true;
  });
  for (let i = 0; i < 100 && !created; i++) {
    proposer.commitAll();
    await new Promise((r) => setImmediate(r));
  }
  await creating;
  const h = start(store, clock);
  // Wait for the scheduler's proposal, then let another writer's change to s-1 commit first.
  await settle(h, () => proposer.pending > 0, 'a proposal');
  const s1 = store.view((tx) => tx.tasks.get('s-1')) as Task;
  proposer.deliver([
    {
      action: 'update',
      kind: 'task',
      object: { ...s1, serviceAnnotations: { ...s1.serviceAnnotations, labels: { x: 'y' } } },
      timestamp: clock.now(),
    },
  ]);
  proposer.commitAll();
  await settle(
    h,
    () => {
      proposer.commitAll();
      return store.view((tx) => tx.tasks.count(byTaskState('ASSIGNED'))) === 3;
    },
    'all assigned after the retry',
  );
  t.true(h.scheduler.stats.resyncs >= 2, 'the failed pass rebuilt the state');
  t.deepEqual(perNode(tasksOf(store, 's')), { a: 1, b: 1, c: 1 });
  t.deepEqual(store.view((tx) => tx.tasks.get('s-1'))?.serviceAnnotations.labels, { x: 'y' });
  const stopping = h.scheduler.stop();
  proposer.commitAll();
  await stopping;
  await h.running;
  store.close();
});

test('a task updated by someone else just before its assignment is written is not clobbered', async (t) => {
  const h = setup();
  const s = service('s');
  await create(h.store, { nodes: three(), services: [s], tasks: pendingTasks(s, 1) });
  for (let i = 0; i < 100 && h.scheduler.stats.pending !== 1; i++) await new Promise((r) => setImmediate(r));
  t.is(h.scheduler.stats.pending, 1);
  // The pass starts (debounce timer) while this write is on its way: its decision is made on the old task.
  const updating = h.store.update((tx) => {
    const task = tx.tasks.get('s-1') as Task;
    tx.tasks.update({
      ...task,
      serviceAnnotations: { ...task.serviceAnnotations, labels: { edited: 'yes' } },
    });
  });
  h.clock.advance(5);
  await updating;
  await settle(h, () => assigned(h.store, 's').length === 1, 'assigned');
  const task = h.store.view((tx) => tx.tasks.get('s-1'));
  t.deepEqual(task?.serviceAnnotations.labels, { edited: 'yes' }, 'the other write survived');
  t.is(h.scheduler.stats.resyncs, 1, 'no failed pass: the stale decision was skipped, not refused');
  t.true(h.scheduler.stats.passes >= 2, 'the first decision was dropped and made again');
  t.is(h.scheduler.stats.assigned, 1);
  await teardown(h);
});

test('a proposal that fails does not stop the loop', async (t) => {
  const clock = new FakeClock();
  const proposer = new MockProposer();
  const store = new MemoryStore({ clock, proposer });
  proposer.attach(store);
  const h = start(store, clock);
  const s = service('s');
  await create(store, { nodes: three(), services: [s] });
  proposer.failNext(new Error('not the leader'));
  await create(store, { tasks: pendingTasks(s, 3) }).catch(() => {});
  // The first create failed: create again, then fail the scheduler's first write.
  await create(store, { tasks: pendingTasks(s, 3) });
  proposer.failNext(new Error('not the leader'));
  await settle(h, () => assigned(store, 's').length === 3, 'assigned after the failure');
  t.true(h.scheduler.stats.resyncs >= 2);
  await teardown(h);
});

test('10 000 tasks of 10 services over 100 nodes: counts exact', async (t) => {
  const h = setup();
  const nodes = Array.from({ length: 100 }, (_, i) => node({ id: `n${String(i).padStart(3, '0')}` }));
  const services = Array.from({ length: 10 }, (_, i) => service(`s${i}`, { memoryBytes: 1024 }));
  await create(h.store, { nodes, services, tasks: services.flatMap((s) => pendingTasks(s, 1000)) });
  await settle(
    h,
    () => h.store.view((tx) => tx.tasks.count(byTaskState('ASSIGNED'))) === 10_000,
    'all assigned',
  );
  const all = h.store.view((tx) => tx.tasks.find());
  const counts = Object.values(perNode(all));
  t.is(counts.length, 100);
  t.true(
    counts.every((n) => n === 100),
    'each node 100 tasks',
  );
  for (const s of services)
    t.true(
      Object.values(perNode(tasksOf(h.store, s.id))).every((n) => n === 10),
      `${s.id}: 10 per node`,
    );
  await teardown(h);
});

test('stop is idempotent; run resolves on abort, and when the store closes', async (t) => {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  await store.update((tx) => tx.clusters.create(testCluster('c1')));
  const a = new Scheduler({ store, clock });
  const controller = new AbortController();
  const running = a.run(controller.signal);
  controller.abort();
  await running;
  await a.stop();
  await a.stop();
  t.throws(() => a.run(), { code: 'ERR_ILLEGAL_STATE' });
  const b = new Scheduler({ store, clock });
  const runningB = b.run();
  store.close();
  await runningB;
  t.pass();
});

test('options are validated', (t) => {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  t.throws(() => new Scheduler({ store, clock, debounceMs: -1 }), { message: /debounceMs must be/ });
  t.throws(() => new Scheduler({ store, clock, debounceMs: 10, maxDelayMs: 5 }), {
    message: /maxDelayMs must be ≥ debounceMs/,
  });
});
