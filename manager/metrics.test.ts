// The manager's metrics: the cluster gauges are what the store holds at the scrape, the raft gauges what
// the member reports, and the hooks count into the families their names promise; then a real manager
// (raft, WAL, its own store) feeds them while it writes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Registry } from 'prom-client';
import { FakeClock } from '../common/testing/index.js';
import { Manager } from './manager.js';
import { ManagerMetrics } from './metrics.js';
import { MemoryStore } from './store/index.js';
import { testNode, testService, testTask } from './store/testing/index.js';

/** The value of one sample of `name` whose labels include `labels`, or undefined. */
async function sample(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  const v = metric?.values.find((x) =>
    (x as { metricName?: string }).metricName === undefined ||
    (x as { metricName?: string }).metricName === name
      ? Object.entries(labels).every(([k, val]) => String((x.labels as Record<string, unknown>)[k]) === val)
      : false,
  );
  return v?.value;
}

test('the cluster gauges count what the store holds at each scrape', async (t) => {
  const registry = new Registry();
  const metrics = new ManagerMetrics(registry);
  const store = new MemoryStore({ clock: new FakeClock() });
  metrics.bind({ store: () => store, dispatcherSessions: () => 4 });
  const web = testService({ id: 's1', name: 'web', replicas: 3 });
  const agent = testService({ id: 's2', name: 'agent', global: true });
  await store.update((tx) => {
    tx.nodes.create(testNode({ id: 'n1', hostname: 'a', role: 'manager' }));
    tx.nodes.create({
      ...testNode({ id: 'n2', hostname: 'b' }),
      status: { state: 'down', message: '', addr: '' },
    });
    tx.nodes.create(testNode({ id: 'n3', hostname: 'c', availability: 'drain' }));
    tx.services.create(web);
    tx.services.create(agent);
    tx.tasks.create(testTask({ id: 't1', service: web, slot: 1, nodeId: 'n1', state: 'RUNNING' }));
    tx.tasks.create(testTask({ id: 't2', service: web, slot: 2, nodeId: 'n1', state: 'RUNNING' }));
    tx.tasks.create({
      ...testTask({ id: 't3', service: web, slot: 3, state: 'PENDING' }),
      schedulingMessage: 'no suitable node',
    });
    tx.tasks.create(
      testTask({ id: 't4', service: agent, nodeId: 'n1', state: 'FAILED', desiredState: 'SHUTDOWN' }),
    );
  });
  t.is(
    await sample(registry, 'swarmd_nodes', { state: 'ready', availability: 'active', role: 'manager' }),
    1,
  );
  t.is(await sample(registry, 'swarmd_nodes', { state: 'down', availability: 'active', role: 'worker' }), 1);
  t.is(await sample(registry, 'swarmd_nodes', { state: 'ready', availability: 'drain', role: 'worker' }), 1);
  t.is(await sample(registry, 'swarmd_services', { mode: 'replicated' }), 1);
  t.is(await sample(registry, 'swarmd_services', { mode: 'global' }), 1);
  t.is(await sample(registry, 'swarmd_tasks', { service: 'web', state: 'running' }), 2);
  t.is(await sample(registry, 'swarmd_tasks', { service: 'web', state: 'pending' }), 1);
  t.is(
    await sample(registry, 'swarmd_tasks', { service: 'agent', state: 'failed', desired_state: 'shutdown' }),
    1,
  );
  t.is(
    await sample(registry, 'swarmd_tasks', { service: 'web', state: 'running', desired_state: 'running' }),
    2,
  );
  t.is(await sample(registry, 'swarmd_scheduler_unschedulable_tasks'), 1);
  t.is(await sample(registry, 'swarmd_dispatcher_sessions'), 4);

  // A later scrape sees the store as it is then: no stale label sets.
  await store.update((tx) => {
    tx.tasks.delete('t1');
    tx.tasks.delete('t3');
    tx.nodes.delete('n2');
  });
  t.is(await sample(registry, 'swarmd_tasks', { service: 'web', state: 'running' }), 1);
  t.is(await sample(registry, 'swarmd_tasks', { service: 'web', state: 'pending' }), undefined);
  t.is(await sample(registry, 'swarmd_nodes', { state: 'down' }), undefined);
  t.is(await sample(registry, 'swarmd_scheduler_unschedulable_tasks'), 0);
});

test('the hooks count into their families; raft gauges read the member', async (t) => {
  const registry = new Registry();
  const metrics = new ManagerMetrics(registry);
  metrics.bind({ raft: () => ({ term: 7, isLeader: true, leaderKnown: true, commit: 42, applied: 41 }) });
  metrics.replication.proposalCommitted();
  metrics.replication.proposalCommitted();
  metrics.replication.proposalFailed();
  metrics.replication.leaderChanged();
  metrics.replication.walSynced(0.003);
  metrics.replication.snapshotSaved();
  metrics.placed(5);
  metrics.dispatcher.heartbeat();
  metrics.dispatcher.heartbeatsMissed();
  metrics.dispatcher.taskStarted(0.25);
  const text = await registry.metrics();
  for (const line of [
    'swarmd_raft_term 7',
    'swarmd_raft_leader 1',
    'swarmd_raft_has_leader 1',
    'swarmd_raft_commit_index 42',
    'swarmd_raft_applied_index 41',
    'swarmd_raft_proposals_committed_total 2',
    'swarmd_raft_proposals_failed_total 1',
    'swarmd_raft_leader_changes_total 1',
    'swarmd_raft_wal_fsync_duration_seconds_count 1',
    'swarmd_raft_wal_fsync_duration_seconds_bucket{le="0.004"} 1',
    'swarmd_raft_wal_fsync_duration_seconds_bucket{le="0.002"} 0',
    'swarmd_raft_snapshots_total 1',
    'swarmd_scheduler_placements_total 5',
    'swarmd_dispatcher_heartbeats_total 1',
    'swarmd_dispatcher_missed_heartbeats_total 1',
    'swarmd_scheduler_latency_seconds_count 1',
    'swarmd_scheduler_latency_seconds_sum 0.25',
  ])
    t.true(text.split('\n').includes(line), `missing "${line}" in:\n${text}`);
});

test('a running manager feeds its raft metrics: proposals, WAL syncs, leadership, indexes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-metrics-'));
  const registry = new Registry();
  const m = new Manager({
    stateDir: join(dir, 'm1'),
    mode: 'init',
    listenAddr: '127.0.0.1:0',
    hostname: 'm1',
    raft: { tickMs: 50, electionTicks: 10 },
    registry,
  });
  const done = m.run();
  done.catch(() => {});
  try {
    await m.whenStarted();
    await m.waitForCluster(10_000);
    const before = (await sample(registry, 'swarmd_raft_proposals_committed_total')) ?? 0;
    await m.store.update((tx) => {
      tx.services.create(testService({ id: 'svc1', name: 'web' }));
    });
    t.true(((await sample(registry, 'swarmd_raft_proposals_committed_total')) ?? 0) > before);
    t.is(await sample(registry, 'swarmd_raft_leader'), 1);
    t.is(await sample(registry, 'swarmd_raft_has_leader'), 1);
    t.true(((await sample(registry, 'swarmd_raft_leader_changes_total')) ?? 0) >= 1);
    const st = m.status();
    t.is(await sample(registry, 'swarmd_raft_term'), st.term);
    t.true(((await sample(registry, 'swarmd_raft_applied_index')) ?? 0) >= st.applied - 1);
    const syncs = (
      await registry.getSingleMetric('swarmd_raft_wal_fsync_duration_seconds')?.get()
    )?.values.find(
      (v) => (v as { metricName?: string }).metricName === 'swarmd_raft_wal_fsync_duration_seconds_count',
    );
    t.true((syncs?.value ?? 0) > 0);
    t.is(await sample(registry, 'swarmd_services', { mode: 'replicated' }), 1);
    t.is(await sample(registry, 'swarmd_nodes', { state: 'ready', role: 'manager' }), 1);
  } finally {
    await m.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
