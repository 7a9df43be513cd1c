import test from 'ava';
import type { dispatcherpb, Secret, Task, TaskState } from '../../proto/index.js';
import type { WriteTx } from '../store/index.js';
import { testCluster, testNode, testSecret, testService, testTask } from '../store/testing/index.js';
import { DispatcherHarness, type StreamReader } from './testing/index.js';

type Msg = dispatcherpb.AssignmentsMessage__Output;

const web = testService({ id: 'svc-web', name: 'web' });
const db = testService({
  id: 'svc-db',
  name: 'db',
  secrets: [{ secretId: 'sec1', secretName: 'pw', target: 'pw', uid: '0', gid: '0', mode: 0o400 }],
});

function task(id: string, nodeId: string, state: TaskState = 'ASSIGNED', service = web): Task {
  return testTask({ id, service, nodeId, state });
}

async function setup(): Promise<{
  h: DispatcherHarness;
  a: StreamReader<Msg>;
  complete: Msg;
  sessionId: string;
}> {
  const h = await DispatcherHarness.start();
  await h.store.update((tx) => {
    tx.clusters.create(testCluster('cluster1'));
    tx.nodes.create(testNode({ id: 'n1', hostname: 'n1' }));
    tx.nodes.create(testNode({ id: 'n2', hostname: 'n2' }));
    tx.services.create(web);
    tx.services.create(db);
    tx.secrets.create(testSecret('sec1', 'pw', 's3cr3t'));
  });
  h.run();
  const s = await h.session('n1');
  const a = h.assignments('n1', s.sessionId);
  const complete = await a.next('the complete set');
  return { h, a, complete, sessionId: s.sessionId };
}

/** The changes of a message as `ACTION kind id` strings, in order. */
function summary(m: Msg): string[] {
  return m.changes.map((c) => `${c.action} ${c.kind} ${c.id}`);
}

function decoded<T>(c: dispatcherpb.AssignmentChange__Output): T {
  return JSON.parse(c.object.toString('utf8')) as T;
}

function setDesired(tx: WriteTx, id: string, desiredState: TaskState): void {
  const t = tx.tasks.get(id);
  if (t === undefined) throw new Error(`no task ${id}`);
  tx.tasks.update({ ...t, desiredState });
}

function setState(tx: WriteTx, id: string, state: TaskState): void {
  const t = tx.tasks.get(id);
  if (t === undefined) throw new Error(`no task ${id}`);
  tx.tasks.update({ ...t, status: { ...t.status, state } });
}

test('the set streams as COMPLETE, then one INCREMENTAL per store commit, with sequence numbers', async (t) => {
  const { h, a, complete } = await setup();
  t.teardown(() => h.close());
  t.is(complete.type, 'COMPLETE');
  t.is(complete.appliesTo, '0');
  t.is(complete.resultsIn, '1');
  t.deepEqual(complete.changes, []);

  // Three assigned tasks of n1 in one commit; a task of n2 and a pending one are not n1's business.
  await h.store.update((tx) => {
    tx.tasks.create(task('t1', 'n1'));
    tx.tasks.create(task('t2', 'n1'));
    tx.tasks.create(task('t3', 'n1'));
    tx.tasks.create(task('t4', 'n2'));
    tx.tasks.create(task('t5', 'n1', 'PENDING'));
  });
  const m1 = await a.next('the three tasks');
  t.is(m1.type, 'INCREMENTAL');
  t.is(m1.appliesTo, '1');
  t.is(m1.resultsIn, '2');
  t.deepEqual(summary(m1).sort(), ['UPDATE task t1', 'UPDATE task t2', 'UPDATE task t3']);
  const t1 = decoded<Task>(m1.changes.find((c) => c.id === 't1') as dispatcherpb.AssignmentChange__Output);
  t.is(t1.serviceId, 'svc-web');
  t.is(t1.desiredState, 'RUNNING');
  t.true(t1.meta.version > 0);

  // The scheduler assigns the pending one: it joins the set.
  await h.store.update((tx) => setState(tx, 't5', 'ASSIGNED'));
  const m2 = await a.next('t5');
  t.deepEqual(summary(m2), ['UPDATE task t5']);
  t.is(m2.appliesTo, '2');
  t.is(m2.resultsIn, '3');

  // Status-only writes (the agent's own reports) are not echoed; a desired-state change is.
  await h.store.update((tx) => setState(tx, 't1', 'RUNNING'));
  await h.store.update((tx) => setDesired(tx, 't2', 'SHUTDOWN'));
  const m3 = await a.next('t2 shut down');
  t.deepEqual(summary(m3), ['UPDATE task t2']);
  t.is(m3.appliesTo, '3');
  t.is(decoded<Task>(m3.changes[0] as dispatcherpb.AssignmentChange__Output).desiredState, 'SHUTDOWN');

  // Once the agent reports it stopped, nothing is left to do: REMOVE. A deleted task: REMOVE.
  await h.store.update((tx) => setState(tx, 't2', 'SHUTDOWN'));
  const m4 = await a.next('t2 removed');
  t.deepEqual(summary(m4), ['REMOVE task t2']);
  t.deepEqual(m4.changes[0]?.object.length, 0);
  await h.store.update((tx) => tx.tasks.delete('t3'));
  const m5 = await a.next('t3 removed');
  t.deepEqual(summary(m5), ['REMOVE task t3']);
  t.is(m5.appliesTo, '5');
  t.is(m5.resultsIn, '6');
  t.is(a.pending, 0);

  // A failed task still desired RUNNING stays in the set (the agent may restart it in place).
  await h.store.update((tx) => setState(tx, 't5', 'FAILED'));
  await h.store.update((tx) => tx.tasks.delete('t4'));
  await h.store.update((tx) => tx.tasks.create(task('t6', 'n1')));
  t.deepEqual(summary(await a.next('t6')), ['UPDATE task t6']);
});

test('a stream opened later starts with the whole set', async (t) => {
  const { h, sessionId } = await setup();
  t.teardown(() => h.close());
  await h.store.update((tx) => {
    tx.tasks.create(task('t1', 'n1', 'RUNNING'));
    tx.tasks.create({ ...task('t2', 'n1', 'COMPLETE'), desiredState: 'SHUTDOWN' });
    tx.tasks.create({ ...task('t3', 'n1', 'RUNNING'), desiredState: 'SHUTDOWN' });
  });
  const again = h.assignments('n1', sessionId);
  const m = await again.next('the complete set');
  t.is(m.type, 'COMPLETE');
  t.deepEqual(summary(m).sort(), ['UPDATE task t1', 'UPDATE task t3']);
});

test('secrets of assigned tasks are sent once, before their tasks, and removed when no task needs them', async (t) => {
  const { h, a } = await setup();
  t.teardown(() => h.close());
  await h.store.update((tx) => tx.tasks.create(task('d1', 'n1', 'ASSIGNED', db)));
  const m1 = await a.next('d1 and its secret');
  t.deepEqual(summary(m1), ['UPDATE secret sec1', 'UPDATE task d1']);
  const secret = decoded<Omit<Secret, 'spec'> & { spec: Omit<Secret['spec'], 'data'> & { data: string } }>(
    m1.changes[0] as dispatcherpb.AssignmentChange__Output,
  );
  t.is(Buffer.from(secret.spec.data, 'base64').toString('utf8'), 's3cr3t');
  t.is(secret.spec.annotations.name, 'pw');

  await h.store.update((tx) => tx.tasks.create(task('d2', 'n1', 'ASSIGNED', db)));
  t.deepEqual(summary(await a.next('d2')), ['UPDATE task d2']);
  await h.store.update((tx) => tx.tasks.delete('d1'));
  t.deepEqual(summary(await a.next('d1 removed')), ['REMOVE task d1']);
  // A secret's change is sent to the nodes that hold it.
  await h.store.update((tx) => {
    const s = tx.secrets.get('sec1') as Secret;
    tx.secrets.update({ ...s, spec: { ...s.spec, annotations: { name: 'pw', labels: { rotated: 'yes' } } } });
  });
  t.deepEqual(summary(await a.next('the secret updated')), ['UPDATE secret sec1']);
  await h.store.update((tx) => setDesired(tx, 'd2', 'SHUTDOWN'));
  t.deepEqual(summary(await a.next('d2 shutdown')), ['UPDATE task d2']);
  await h.store.update((tx) => setState(tx, 'd2', 'SHUTDOWN'));
  t.deepEqual(summary(await a.next('d2 and the secret removed')), ['REMOVE task d2', 'REMOVE secret sec1']);
});

test('many tasks written in one commit become one message; a big set streams complete', async (t) => {
  const { h, a, sessionId } = await setup();
  t.teardown(() => h.close());
  await h.store.update((tx) => {
    for (let i = 0; i < 60; i++) tx.tasks.create(task(`bulk${i}`, 'n1'));
  });
  const m = await a.next('60 tasks');
  t.is(m.changes.length, 60);
  t.is(m.resultsIn, '2');
  // A scheduler-sized batch over several transactions: every task arrives, each exactly once.
  await h.store.batch(async (b) => {
    for (let i = 0; i < 500; i++) await b.update((tx) => tx.tasks.create(task(`more${i}`, 'n1')));
  });
  const seen = new Set<string>();
  let last = m;
  while (seen.size < 500) {
    const next = await a.next('more tasks');
    t.is(next.appliesTo, last.resultsIn);
    for (const c of next.changes) {
      t.false(seen.has(c.id));
      seen.add(c.id);
    }
    last = next;
  }
  const complete = await h.assignments('n1', sessionId).next('the complete set');
  t.is(complete.changes.length, 560);
});

test('the streams of a session end with it', async (t) => {
  const { h, a } = await setup();
  t.teardown(() => h.close());
  const ended = a.ended();
  await h.session('n1'); // supersedes
  const err = await ended;
  t.is(err?.code, 5);
});
