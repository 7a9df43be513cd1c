import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import type { dispatcherpb, Task, TaskState } from '../../proto/index.js';
import { testCluster, testNode, testService, testTask } from '../store/testing/index.js';
import { DispatcherHarness, type DispatcherHarnessOptions, refusal } from './testing/index.js';

const web = testService({ id: 'svc-web', name: 'web' });

async function setup(
  options: DispatcherHarnessOptions = {},
): Promise<{ h: DispatcherHarness; sessionId: string }> {
  const h = await DispatcherHarness.start(options);
  await h.store.update((tx) => {
    tx.clusters.create(testCluster('cluster1'));
    tx.nodes.create(testNode({ id: 'n1', hostname: 'n1' }));
    tx.nodes.create(testNode({ id: 'n2', hostname: 'n2' }));
    tx.services.create(web);
    for (const id of ['t1', 't2', 't3'])
      tx.tasks.create(testTask({ id, service: web, nodeId: 'n1', state: 'ASSIGNED' }));
    tx.tasks.create(testTask({ id: 'other', service: web, nodeId: 'n2', state: 'ASSIGNED' }));
  });
  h.run();
  const s = await h.session('n1');
  return { h, sessionId: s.sessionId };
}

function get(h: DispatcherHarness, id: string): Task {
  const t = h.store.view((tx) => tx.tasks.get(id));
  if (t === undefined) throw new Error(`no task ${id}`);
  return t;
}

function upd(taskId: string, state: TaskState | string, extra: Partial<dispatcherpb.TaskStatusUpdate> = {}) {
  return { taskId, state, timestamp: 1_700_000_000_000, message: `now ${state}`, ...extra };
}

test('status updates are written, with container and restarts, before the call returns', async (t) => {
  const started: number[] = [];
  const { h, sessionId } = await setup({
    options: { metrics: { heartbeat() {}, heartbeatsMissed() {}, taskStarted: (s) => void started.push(s) } },
  });
  t.teardown(() => h.close());
  await h.updateStatus('n1', sessionId, [
    upd('t1', 'ACCEPTED'),
    upd('t1', 'PREPARING'),
    upd('t1', 'RUNNING', { container: { containerId: 'c1', pid: 4242, exitCode: 0, oomKilled: false } }),
    upd('t2', 'FAILED', {
      err: 'exit status 1',
      container: { containerId: 'c2', pid: 0, exitCode: 1, oomKilled: true },
    }),
  ]);
  const t1 = get(h, 't1');
  t.is(t1.status.state, 'RUNNING');
  t.is(t1.status.message, 'now RUNNING');
  t.is(t1.status.timestamp, 1_700_000_000_000);
  t.deepEqual(t1.status.container, { containerId: 'c1', pid: 4242, exitCode: 0, oomKilled: false });
  const t2 = get(h, 't2');
  t.is(t2.status.state, 'FAILED');
  t.is(t2.status.err, 'exit status 1');
  t.true(t2.status.container?.oomKilled);
  t.is(get(h, 't3').status.state, 'ASSIGNED');

  // An in-place restart: same state, one more restart.
  await h.updateStatus('n1', sessionId, [
    upd('t1', 'RUNNING', {
      restarts: 1,
      container: { containerId: 'c1', pid: 4343, exitCode: 0, oomKilled: false },
    }),
  ]);
  t.is(get(h, 't1').status.restarts, 1);
  t.is(get(h, 't1').status.container?.pid, 4343);
  // One first RUNNING (t1), measured from the task's creation; the restart in place is not another.
  t.is(started.length, 1);
  t.true((started[0] ?? -1) >= 0);
  // A timestamp of 0 is the manager's clock.
  await h.updateStatus('n1', sessionId, [upd('t3', 'ACCEPTED', { timestamp: 0 })]);
  t.is(get(h, 't3').status.timestamp, h.clock.now());
});

test('only forward moves are taken; stale updates are ignored silently', async (t) => {
  const { h, sessionId } = await setup();
  t.teardown(() => h.close());
  await h.updateStatus('n1', sessionId, [upd('t1', 'RUNNING')]);
  const before = get(h, 't1');
  await h.updateStatus('n1', sessionId, [upd('t1', 'PREPARING'), upd('t1', 'RUNNING')]);
  t.is(get(h, 't1'), before, 'not written at all');
  // In one call, out of order: the forward ones win.
  await h.updateStatus('n1', sessionId, [
    upd('t2', 'STARTING'),
    upd('t2', 'PREPARING'),
    upd('t2', 'RUNNING'),
  ]);
  t.is(get(h, 't2').status.state, 'RUNNING');
  // A task deleted since the agent learnt of it is skipped (the reaper may have removed it).
  await h.store.update((tx) => tx.tasks.delete('t3'));
  await h.updateStatus('n1', sessionId, [upd('t3', 'RUNNING'), upd('t1', 'COMPLETE')]);
  t.is(get(h, 't1').status.state, 'COMPLETE');
});

test('an invalid update refuses the whole call, naming the item and field, and writes nothing', async (t) => {
  const { h, sessionId } = await setup({ options: { maxUpdatesPerCall: 5 } });
  t.teardown(() => h.close());
  const cases: Array<{ updates: dispatcherpb.TaskStatusUpdate[]; field: RegExp }> = [
    {
      updates: [upd('t1', 'RUNNING'), upd('t2', 'BOGUS')],
      field: /updates\[1\]\.state: must be a task state from ACCEPTED to REJECTED, got "BOGUS"/,
    },
    { updates: [upd('t1', 'RUNNING'), upd('t2', 'ASSIGNED')], field: /updates\[1\]\.state/ },
    { updates: [upd('t1', 'RUNNING'), upd('t2', 'REMOVE')], field: /updates\[1\]\.state/ },
    {
      updates: [upd('t1', 'RUNNING'), upd('other', 'RUNNING')],
      field: /updates\[1\]\.task_id: task "other" is not assigned to this node/,
    },
    { updates: [upd('t1', 'RUNNING'), upd('', 'RUNNING')], field: /updates\[1\]\.task_id: is required/ },
    { updates: [upd('t1', 'RUNNING', { timestamp: -5 })], field: /updates\[0\]\.timestamp/ },
    {
      updates: [upd('t1', 'RUNNING', { timestamp: 1_700_000_000_000 + 2 * 86_400_000 })],
      field: /updates\[0\]\.timestamp/,
    },
    {
      updates: [upd('t1', 'RUNNING', { message: 'x'.repeat(5000) })],
      field: /updates\[0\]\.message: must be at most 4096 characters/,
    },
    { updates: [upd('t1', 'RUNNING', { err: 'x'.repeat(5000) })], field: /updates\[0\]\.err/ },
    { updates: [upd('t1', 'RUNNING', { restarts: -1 })], field: /updates\[0\]\.restarts/ },
    {
      updates: [
        upd('t1', 'RUNNING', { container: { containerId: 'c', pid: -1, exitCode: 0, oomKilled: false } }),
      ],
      field: /updates\[0\]\.container\.pid/,
    },
    {
      updates: Array.from({ length: 6 }, () => upd('t1', 'RUNNING')),
      field: /updates: must hold at most 5 updates, got 6/,
    },
  ];
  for (const c of cases) {
    const err = await refusal(h.updateStatus('n1', sessionId, c.updates));
    t.is(err.status, grpc.status.INVALID_ARGUMENT);
    t.is(err.code, 'ERR_DISPATCHER_INVALID_REQUEST');
    t.regex(err.message, c.field);
  }
  t.is(get(h, 't1').status.state, 'ASSIGNED');
  t.is(get(h, 't2').status.state, 'ASSIGNED');
  t.is(get(h, 'other').status.state, 'ASSIGNED');
});

test('concurrent calls are written in batches; a call of 10,000 updates is fine', async (t) => {
  const { h, sessionId } = await setup();
  t.teardown(() => h.close());
  await h.store.update((tx) => {
    for (let i = 0; i < 2000; i++)
      tx.tasks.create(testTask({ id: `bulk${i}`, service: web, nodeId: 'n1', state: 'ASSIGNED' }));
  });
  let commits = 0;
  const w = h.store.watch({ kinds: ['task'] });
  t.teardown(() => w.close());
  const states: TaskState[] = ['ACCEPTED', 'PREPARING', 'READY', 'STARTING', 'RUNNING'];
  const calls = [];
  for (let c = 0; c < 40; c++) calls.push(h.updateStatus('n1', sessionId, [upd(`bulk${c}`, 'RUNNING')]));
  await Promise.all(calls);
  // Five steps of 2,000 tasks in one call of 10,000 updates.
  await h.updateStatus(
    'n1',
    sessionId,
    states.flatMap((s) => Array.from({ length: 2000 }, (_, i) => upd(`bulk${i}`, s))),
  );
  for (const e of w.take()) if (e.action === 'commit') commits++;
  const all = h.store.view((tx) => tx.tasks.find().filter((x) => x.id.startsWith('bulk')));
  t.true(all.every((x) => x.status.state === 'RUNNING'));
  // 40 calls and 10,000 updates: 2,000 task writes, in transactions of at most 200 tasks each.
  t.true(commits <= 40 + 10, `${commits} commits`);
});
