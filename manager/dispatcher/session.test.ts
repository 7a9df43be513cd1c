import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { statusToError } from '../../common/index.js';
import type { Node } from '../../proto/index.js';
import { testCluster, testNode } from '../store/testing/index.js';
import { DispatcherHarness, refusal, testDescription } from './testing/index.js';

/** The cluster object with a 1 s heartbeat (the manager's default). */
function cluster(periodMs = 1000) {
  const c = testCluster('cluster1');
  return { ...c, spec: { ...c.spec, dispatcher: { heartbeatPeriodMs: periodMs } } };
}

/** A node as the CA writes it at join: known, state unknown, no description yet. */
function joined(id: string): Node {
  const n = testNode({ id, hostname: `host-${id}` });
  return { ...n, description: null, status: { state: 'unknown', message: '', addr: '' } };
}

/** Counts the dispatcher's metric hooks. */
function countingMetrics() {
  const n = { heartbeats: 0, missed: 0, started: [] as number[] };
  return {
    counts: n,
    metrics: {
      heartbeat: () => void n.heartbeats++,
      heartbeatsMissed: () => void n.missed++,
      taskStarted: (s: number) => void n.started.push(s),
    },
  };
}

async function setup(
  nodes: string[] = ['n1'],
  metrics = countingMetrics().metrics,
): Promise<DispatcherHarness> {
  const h = await DispatcherHarness.start({ options: { metrics } });
  await h.store.update((tx) => {
    tx.clusters.create(cluster());
    for (const id of nodes) tx.nodes.create(joined(id));
  });
  h.run();
  return h;
}

function node(h: DispatcherHarness, id: string): Node {
  const n = h.store.view((tx) => tx.nodes.get(id));
  if (n === undefined) throw new Error(`no node ${id}`);
  return n;
}

test('a session registers the node: description, ready, address, managers and a jittered period', async (t) => {
  const h = await setup();
  t.teardown(() => h.close());
  const s = await h.session('n1');
  t.is(s.first.nodeId, 'n1');
  t.is(s.first.sessionId.length, 25);
  t.deepEqual(s.first.managers, [{ nodeId: 'manager1', addr: '127.0.0.1:4242' }]);
  const period = Number(s.first.heartbeatPeriodMs);
  t.true(period >= 900 && period <= 1100, `period ${period}`);
  const n = node(h, 'n1');
  t.is(n.status.state, 'ready');
  t.is(n.status.addr, '127.0.0.1');
  t.deepEqual(n.description, {
    hostname: 'n1',
    platform: { os: 'linux', architecture: 'x86_64' },
    resources: { nanoCpus: 4e9, memoryBytes: 8 * 2 ** 30 },
    engine: { version: 'swarmd-test', labels: { disk: 'ssd' } },
  });
  t.is(h.dispatcher.sessionCount, 1);
});

test('heartbeats keep a node ready; the answer is the cluster period with at most 10 % jitter', async (t) => {
  const h = await setup();
  t.teardown(() => h.close());
  const s = await h.session('n1');
  const periods = new Set<number>();
  for (let i = 0; i < 10; i++) {
    h.clock.advance(2000); // two periods: within the grace of three
    const r = await h.heartbeat('n1', s.sessionId);
    const p = Number(r.periodMs);
    t.true(p >= 900 && p <= 1100, `period ${p}`);
    periods.add(p);
  }
  t.true(periods.size > 1, 'the jitter varies');
  t.is(node(h, 'n1').status.state, 'ready');
  t.is(s.reader.pending, 0);
  t.is(h.dispatcher.sessionCount, 1);
});

test('a node that misses its heartbeats is marked down and its session ends', async (t) => {
  const { counts, metrics } = countingMetrics();
  const h = await setup(['n1'], metrics);
  t.teardown(() => h.close());
  const s = await h.session('n1');
  await h.heartbeat('n1', s.sessionId);
  t.is(counts.heartbeats, 1);
  t.is(counts.missed, 0);
  const ended = s.reader.ended();
  h.clock.advance(3 * 1100 + 1);
  const err = statusToError((await ended) as grpc.ServiceError);
  t.is(err.status, grpc.status.NOT_FOUND);
  t.is(err.code, 'ERR_DISPATCHER_SESSION_UNKNOWN');
  t.is(err.fields.reason, 'expired');
  const down = await h.waitFor('n1 down', (tx) => {
    const n = tx.nodes.get('n1');
    return n?.status.state === 'down' ? n : undefined;
  });
  t.regex(down.status.message, /heartbeat failure: no heartbeat for \d+ ms/);
  t.is(counts.missed, 1);
  const hb = await refusal(h.heartbeat('n1', s.sessionId));
  t.is(hb.code, 'ERR_DISPATCHER_SESSION_UNKNOWN');
  // Down until it opens a session again.
  h.clock.advance(60_000);
  t.is(node(h, 'n1').status.state, 'down');
  await h.session('n1');
  t.is(node(h, 'n1').status.state, 'ready');
});

test('a new session of a node supersedes the old one', async (t) => {
  const h = await setup();
  t.teardown(() => h.close());
  const s1 = await h.session('n1');
  const s2 = await h.session('n1');
  t.not(s1.sessionId, s2.sessionId);
  const err = statusToError((await s1.reader.ended()) as grpc.ServiceError);
  t.is(err.status, grpc.status.NOT_FOUND);
  t.is(err.fields.reason, 'superseded');
  t.is((await refusal(h.heartbeat('n1', s1.sessionId))).status, grpc.status.NOT_FOUND);
  await h.heartbeat('n1', s2.sessionId);
  t.is(h.dispatcher.sessionCount, 1);
  t.is(node(h, 'n1').status.state, 'ready');
});

test('a node that is not in the store is refused, and a removed node loses its session', async (t) => {
  const h = await setup(['n1']);
  t.teardown(() => h.close());
  const err = statusToError((await h.sessionStream('ghost').ended()) as grpc.ServiceError);
  t.is(err.status, grpc.status.PERMISSION_DENIED);
  t.is(err.code, 'ERR_DISPATCHER_NODE_REMOVED');
  t.is(
    h.store.view((tx) => tx.nodes.get('ghost')),
    undefined,
    'no node is created',
  );

  const s = await h.session('n1');
  await h.store.update((tx) => tx.nodes.delete('n1'));
  const removed = statusToError((await s.reader.ended()) as grpc.ServiceError);
  t.is(removed.status, grpc.status.PERMISSION_DENIED);
  t.is(removed.code, 'ERR_DISPATCHER_NODE_REMOVED');
});

test('unknown sessions, and sessions of another node, are refused with NOT_FOUND', async (t) => {
  const h = await setup(['n1', 'n2']);
  t.teardown(() => h.close());
  const s1 = await h.session('n1');
  const unknown = await refusal(h.heartbeat('n1', 'nosuchsession'));
  t.is(unknown.status, grpc.status.NOT_FOUND);
  t.is(unknown.code, 'ERR_DISPATCHER_SESSION_UNKNOWN');
  t.regex(unknown.message, /open a new session/);
  t.is((await refusal(h.heartbeat('n2', s1.sessionId))).status, grpc.status.NOT_FOUND);
  t.is((await refusal(h.updateStatus('n2', s1.sessionId, []))).status, grpc.status.NOT_FOUND);
  const a = statusToError((await h.assignments('n2', s1.sessionId).ended()) as grpc.ServiceError);
  t.is(a.status, grpc.status.NOT_FOUND);
});

test('requests are validated: description fields, identity', async (t) => {
  const h = await setup();
  t.teardown(() => h.close());
  const noHost = statusToError(
    (await h.sessionStream('n1', { ...testDescription('n1'), hostname: '' }).ended()) as grpc.ServiceError,
  );
  t.is(noHost.status, grpc.status.INVALID_ARGUMENT);
  t.is(noHost.code, 'ERR_DISPATCHER_INVALID_REQUEST');
  t.regex(noHost.message, /description\.hostname: is required/);
  const noDesc = statusToError((await h.sessionStream('n1', null).ended()) as grpc.ServiceError);
  t.regex(noDesc.message, /description: is required/);
  const cpus = statusToError(
    (await h.sessionStream('n1', { ...testDescription('n1'), nanoCpus: -1 }).ended()) as grpc.ServiceError,
  );
  t.regex(cpus.message, /description\.nano_cpus: must be a non-negative integer, got -1/);
  t.is(node(h, 'n1').status.state, 'unknown', 'nothing written');

  const anonymous = await refusal(
    new Promise((resolve, reject) =>
      h.client.Heartbeat({ sessionId: 'x' }, (err, res) => (err === null ? resolve(res) : reject(err))),
    ),
  );
  t.is(anonymous.status, grpc.status.UNAUTHENTICATED);
});

test('a dispatcher that is not running answers UNAVAILABLE with the managers; stopping ends sessions', async (t) => {
  const h = await setup();
  t.teardown(() => h.close());
  const s = await h.session('n1');
  const a = h.assignments('n1', s.sessionId);
  await a.next('the complete set');
  await h.stopRun();
  for (const ended of [await s.reader.ended(), await a.ended()]) {
    const err = statusToError(ended as grpc.ServiceError);
    t.is(err.status, grpc.status.UNAVAILABLE);
    t.is(err.code, 'ERR_DISPATCHER_NOT_LEADER');
  }
  const refused = statusToError((await h.sessionStream('n1').ended()) as grpc.ServiceError);
  t.is(refused.status, grpc.status.UNAVAILABLE);
  t.is(refused.code, 'ERR_DISPATCHER_NOT_LEADER');
  t.deepEqual(refused.fields.managers, [{ nodeId: 'manager1', addr: '127.0.0.1:4242' }]);
  const hb = await refusal(h.heartbeat('n1', s.sessionId));
  t.is(hb.status, grpc.status.UNAVAILABLE);
  t.true(hb.temporary);
  // Stopping does not mark anyone down.
  h.clock.advance(60_000);
  t.is(node(h, 'n1').status.state, 'ready');
});

test('a new dispatcher gives ready nodes the reconnect grace (10 s) to open a session, then marks them down', async (t) => {
  const h = await DispatcherHarness.start();
  t.teardown(() => h.close());
  await h.store.update((tx) => {
    tx.clusters.create(cluster());
    tx.nodes.create(testNode({ id: 'gone', hostname: 'gone' }));
    tx.nodes.create(testNode({ id: 'back', hostname: 'back' }));
    tx.nodes.create({ ...joined('idle') });
  });
  h.run();
  h.clock.advance(6000);
  const s = await h.session('back');
  // Past the heartbeat grace (3 s), within the reconnect grace: agents of a vanished leader are slower.
  t.is(node(h, 'gone').status.state, 'ready');
  h.clock.advance(2000);
  await h.heartbeat('back', s.sessionId);
  h.clock.advance(2001);
  const gone = await h.waitFor('gone down', (tx) => {
    const n = tx.nodes.get('gone');
    return n?.status.state === 'down' ? n : undefined;
  });
  t.regex(gone.status.message, /did not reconnect within 10000 ms/);
  await h.heartbeat('back', s.sessionId);
  t.is(node(h, 'back').status.state, 'ready');
  t.is(node(h, 'idle').status.state, 'unknown', 'nodes that were not ready are left alone');
});

test('a node known unreachable (a silent manager) is marked down within a period, not after the reconnect grace', async (t) => {
  const h = await DispatcherHarness.start({ options: { unreachable: (nodeId) => nodeId === 'oldleader' } });
  t.teardown(() => h.close());
  await h.store.update((tx) => {
    tx.clusters.create(cluster());
    tx.nodes.create(testNode({ id: 'oldleader', hostname: 'oldleader', role: 'manager' }));
    tx.nodes.create(testNode({ id: 'slow', hostname: 'slow' }));
  });
  h.run();
  h.clock.advance(999);
  t.is(node(h, 'oldleader').status.state, 'ready');
  h.clock.advance(2);
  const down = await h.waitFor('oldleader down', (tx) => {
    const n = tx.nodes.get('oldleader');
    return n?.status.state === 'down' ? n : undefined;
  });
  t.regex(
    down.status.message,
    /did not reconnect after the dispatcher started, and its manager does not answer Raft/,
  );
  // The other one still has the rest of the reconnect grace.
  h.clock.advance(8000);
  t.is(node(h, 'slow').status.state, 'ready');
  h.clock.advance(1000);
  await h.waitFor('slow down', (tx) => (tx.nodes.get('slow')?.status.state === 'down' ? true : undefined));
});

test('the reconnect grace is never shorter than the heartbeat grace', async (t) => {
  const h = await DispatcherHarness.start({ options: { reconnectGraceMs: 1 } });
  t.teardown(() => h.close());
  await h.store.update((tx) => {
    tx.clusters.create(cluster());
    tx.nodes.create(testNode({ id: 'gone', hostname: 'gone' }));
  });
  h.run();
  h.clock.advance(2999);
  t.is(node(h, 'gone').status.state, 'ready');
  h.clock.advance(2);
  const gone = await h.waitFor('gone down', (tx) => {
    const n = tx.nodes.get('gone');
    return n?.status.state === 'down' ? n : undefined;
  });
  t.regex(gone.status.message, /did not reconnect within 3000 ms/);
});

test('the heartbeat period follows the cluster object, and changes are sent on the session stream', async (t) => {
  const h = await setup();
  t.teardown(() => h.close());
  const s = await h.session('n1');
  await h.store.update((tx) => {
    const c = tx.clusters.get('cluster1');
    if (c === undefined) throw new Error('no cluster');
    tx.clusters.update({ ...c, spec: { ...c.spec, dispatcher: { heartbeatPeriodMs: 4000 } } });
  });
  const m = await s.reader.next('a session message with the new period');
  t.is(m.sessionId, s.sessionId);
  const p = Number(m.heartbeatPeriodMs);
  t.true(p >= 3600 && p <= 4400, `period ${p}`);
  await h.heartbeat('n1', s.sessionId);
  h.managers.push({ nodeId: 'manager2', addr: '127.0.0.2:4242' });
  h.clock.advance(4400);
  const m2 = await s.reader.next('a session message with the new managers');
  t.is(m2.managers.length, 2);
  await h.heartbeat('n1', s.sessionId);
});

test('a closed session stream ends the session; the node is marked down only if it does not come back', async (t) => {
  const h = await setup(['n1', 'n2']);
  t.teardown(() => h.close());
  const s1 = await h.session('n1');
  const s2 = await h.session('n2');
  s1.reader.cancel();
  s2.reader.cancel();
  await h.until('both sessions closed', () => h.dispatcher.sessionCount === 0);
  t.is(node(h, 'n1').status.state, 'ready', 'a closed stream alone does not mark the node down');
  const again = await h.session('n2');
  h.clock.advance(2000);
  await h.heartbeat('n2', again.sessionId);
  h.clock.advance(1400);
  await h.waitFor('n1 down', (tx) => (tx.nodes.get('n1')?.status.state === 'down' ? true : undefined));
  t.is(node(h, 'n2').status.state, 'ready');
  t.is((await refusal(h.heartbeat('n1', s1.sessionId))).status, grpc.status.NOT_FOUND);
});
