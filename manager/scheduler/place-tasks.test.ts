import test from 'ava';
import type { Decision } from './place-tasks.js';
import { placeTasks } from './place-tasks.js';
import { batch, node, nodeSet, spec } from './testing/fixtures.js';

const GiB = 2 ** 30;

/** Tasks placed per node id. */
function perNode(decisions: readonly Decision[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of decisions) if (d.placed) out[d.nodeId] = (out[d.nodeId] ?? 0) + 1;
  return out;
}

function reasons(decisions: readonly Decision[]): string[] {
  return [...new Set(decisions.flatMap((d) => (d.placed ? [] : [d.reason])))];
}

const three = () => [node({ id: 'a' }), node({ id: 'b' }), node({ id: 'c' })];

test('spreads a batch evenly: 6 tasks on 3 nodes go 2/2/2', (t) => {
  const d = placeTasks(nodeSet(three()).nodes, batch('web', spec(), 6));
  t.deepEqual(perNode(d), { a: 2, b: 2, c: 2 });
  t.deepEqual(
    d.map((x) => x.taskId),
    ['web-t0', 'web-t1', 'web-t2', 'web-t3', 'web-t4', 'web-t5'],
  );
});

test('spread counts the service first, then breaks ties on the total tasks of the node', (t) => {
  const usage = (nodeId: string, serviceId: string) => ({
    nodeId,
    serviceId,
    nanoCpus: 0,
    memoryBytes: 0,
    hostPorts: [],
  });
  // a runs 2 tasks of another service, b runs 1, c none; a already runs 1 task of web.
  const set = nodeSet(three(), [usage('a', 'db'), usage('a', 'db'), usage('b', 'db'), usage('a', 'web')]);
  const one = placeTasks(set.nodes, batch('web', spec(), 1));
  t.deepEqual(perNode(one), { c: 1 }, 'b and c have no web task; c has fewer tasks in all');
  const four = placeTasks(set.nodes, batch('web', spec(), 4));
  // c (0 web, 0) → b (0 web, 1) → c (1 web, 1) → then a, b, c all hold 1 web: b (1 web, 2) < a (1 web, 3)
  t.deepEqual(perNode(four), { c: 2, b: 2 });
  const five = placeTasks(set.nodes, batch('web', spec(), 5));
  t.deepEqual(perNode(five), { a: 1, b: 2, c: 2 });
});

test('constraints: role, labels, hostname', (t) => {
  const nodes = [
    node({ id: 'm1', hostname: 'host-m1', role: 'manager', labels: { zone: 'a' } }),
    node({ id: 'w1', hostname: 'host-w1', labels: { zone: 'a' } }),
    node({ id: 'w2', hostname: 'host-w2', labels: { zone: 'b' } }),
  ];
  const set = nodeSet(nodes);
  t.deepEqual(perNode(placeTasks(set.nodes, batch('s', spec({ constraints: ['node.role==manager'] }), 2))), {
    m1: 2,
  });
  t.deepEqual(perNode(placeTasks(set.nodes, batch('s', spec({ constraints: ['node.role!=manager'] }), 2))), {
    w1: 1,
    w2: 1,
  });
  t.deepEqual(
    perNode(
      placeTasks(
        set.nodes,
        batch('s', spec({ constraints: ['node.labels.zone==a', 'node.role==worker'] }), 3),
      ),
    ),
    { w1: 3 },
  );
  t.deepEqual(
    perNode(placeTasks(set.nodes, batch('s', spec({ constraints: ['node.hostname!=host-w1'] }), 2))),
    { m1: 1, w2: 1 },
  );
  const none = placeTasks(set.nodes, batch('s', spec({ constraints: ['node.labels.zone==c'] }), 2));
  t.deepEqual(reasons(none), ['no suitable node (3 nodes do not satisfy the constraints)']);
});

test('resources: memory and CPU reservations against what is free; a node fills up', (t) => {
  const set = nodeSet(three(), [
    { nodeId: 'a', serviceId: 'db', nanoCpus: 0, memoryBytes: 4 * GiB, hostPorts: [] },
  ]);
  // 8 GiB nodes, a has 4 GiB reserved: room for 1 task of 3 GiB on a, 2 on b and c.
  const mem = placeTasks(set.nodes, batch('s', spec({ memoryBytes: 3 * GiB }), 6));
  t.deepEqual(perNode(mem), { a: 1, b: 2, c: 2 });
  t.deepEqual(reasons(mem), ['no suitable node (3 nodes have insufficient memory)']);
  // 4 CPUs per node, 1.5 CPU each: 2 per node.
  const cpu = placeTasks(set.nodes, batch('s', spec({ nanoCpus: 1.5e9 }), 7));
  t.deepEqual(perNode(cpu), { a: 2, b: 2, c: 2 });
  t.deepEqual(reasons(cpu), ['no suitable node (3 nodes have insufficient CPU)']);
  const huge = placeTasks(set.nodes, batch('s', spec({ memoryBytes: 9 * GiB }), 1));
  t.deepEqual(reasons(huge), ['no suitable node (3 nodes have insufficient memory)']);
});

test('max replicas per node', (t) => {
  const set = nodeSet(three(), [{ nodeId: 'a', serviceId: 's', nanoCpus: 0, memoryBytes: 0, hostPorts: [] }]);
  const d = placeTasks(set.nodes, batch('s', spec({ maxReplicasPerNode: 2 }), 6));
  t.deepEqual(perNode(d), { a: 1, b: 2, c: 2 });
  t.deepEqual(reasons(d), ['no suitable node (3 nodes have reached the max replicas per node (2))']);
});

test('host ports: one task per node, none where the port is taken', (t) => {
  const set = nodeSet(three(), [
    { nodeId: 'a', serviceId: 'other', nanoCpus: 0, memoryBytes: 0, hostPorts: ['tcp/8080'] },
  ]);
  const d = placeTasks(set.nodes, batch('s', spec(), 3, { hostPorts: ['tcp/8080'] }));
  t.deepEqual(perNode(d), { b: 1, c: 1 });
  t.deepEqual(reasons(d), ['no suitable node (3 nodes have a conflicting host port (tcp/8080))']);
  const udp = placeTasks(set.nodes, batch('s', spec(), 3, { hostPorts: ['udp/8080'] }));
  t.deepEqual(perNode(udp), { a: 1, b: 1, c: 1 }, 'another protocol does not conflict');
});

test('preferences: 2 zones of 1 and 3 nodes, 4 tasks → 2 per zone', (t) => {
  const set = nodeSet([
    node({ id: 'a1', labels: { zone: 'a' } }),
    node({ id: 'b1', labels: { zone: 'b' } }),
    node({ id: 'b2', labels: { zone: 'b' } }),
    node({ id: 'b3', labels: { zone: 'b' } }),
  ]);
  const d = placeTasks(set.nodes, batch('s', spec({ preferences: ['node.labels.zone'] }), 4));
  const byNode = perNode(d);
  t.is(byNode.a1, 2);
  t.is((byNode.b1 ?? 0) + (byNode.b2 ?? 0) + (byNode.b3 ?? 0), 2);
  t.true(Object.values(byNode).every((n) => n <= 2));
});

test('preferences nest: zones first, then racks inside each zone; nodes without the label form a group', (t) => {
  const set = nodeSet([
    node({ id: 'a-r1-1', labels: { zone: 'a', rack: '1' } }),
    node({ id: 'a-r1-2', labels: { zone: 'a', rack: '1' } }),
    node({ id: 'a-r1-3', labels: { zone: 'a', rack: '1' } }),
    node({ id: 'a-r2-1', labels: { zone: 'a', rack: '2' } }),
    node({ id: 'b-r1-1', labels: { zone: 'b', rack: '1' } }),
    node({ id: 'none', labels: {} }),
  ]);
  const d = placeTasks(
    set.nodes,
    batch('s', spec({ preferences: ['node.labels.zone', 'node.labels.rack'] }), 6),
  );
  const byNode = perNode(d);
  t.is(byNode.none, 2, 'the unlabelled nodes are a zone of their own');
  t.is(byNode['b-r1-1'], 2);
  t.is(byNode['a-r2-1'], 1, 'zone a gets 2, one per rack');
  t.is((byNode['a-r1-1'] ?? 0) + (byNode['a-r1-2'] ?? 0) + (byNode['a-r1-3'] ?? 0), 1);
});

test('drained, paused and down nodes get nothing', (t) => {
  const set = nodeSet([
    node({ id: 'drained', availability: 'drain' }),
    node({ id: 'paused', availability: 'pause' }),
    node({ id: 'down', state: 'down' }),
    node({ id: 'unknown', state: 'unknown' }),
  ]);
  const d = placeTasks(set.nodes, batch('s', spec(), 2));
  t.deepEqual(perNode(d), {});
  t.deepEqual(reasons(d), ['no suitable node (4 nodes not available for new tasks)']);
  const withOne = nodeSet([...set.nodes.values()].map((i) => i.node).concat(node({ id: 'ok' })));
  t.deepEqual(perNode(placeTasks(withOne.nodes, batch('s', spec(), 2))), { ok: 2 });
});

test('the message counts each node under the first filter it fails, in pipeline order', (t) => {
  const set = nodeSet([
    node({ id: 'down', state: 'down' }),
    node({ id: 'small1', memoryBytes: GiB }),
    node({ id: 'small2', memoryBytes: GiB }),
  ]);
  const d = placeTasks(set.nodes, batch('s', spec({ memoryBytes: 2 * GiB }), 1));
  t.deepEqual(d, [
    {
      placed: false,
      taskId: 's-t0',
      reason: 'no suitable node (1 node not available for new tasks; 2 nodes have insufficient memory)',
    },
  ]);
  const empty = placeTasks(nodeSet([]).nodes, batch('s', spec(), 1));
  t.deepEqual(reasons(empty), ['no suitable node (the cluster has no nodes)']);
  const all = nodeSet(
    [
      node({ id: 'n1', state: 'down' }),
      node({ id: 'n2', memoryBytes: GiB }),
      node({ id: 'n3', nanoCpus: 1e8 }),
      node({ id: 'n4', labels: { zone: 'b' } }),
      node({ id: 'n5', labels: { zone: 'a' } }),
      node({ id: 'n6', labels: { zone: 'a' } }),
    ],
    [{ nodeId: 'n6', serviceId: 's', nanoCpus: 0, memoryBytes: 0, hostPorts: [] }],
  );
  const tasks = batch(
    's',
    spec({
      memoryBytes: 2 * GiB,
      nanoCpus: 1e9,
      constraints: ['node.labels.zone!=b'],
      maxReplicasPerNode: 1,
    }),
    2,
    {
      hostPorts: ['tcp/80'],
    },
  );
  t.deepEqual(reasons(placeTasks(all.nodes, tasks)), [
    'no suitable node (1 node not available for new tasks; 1 node has insufficient memory; 1 node has insufficient CPU; 1 node does not satisfy the constraints; 1 node has a conflicting host port (tcp/80); 1 node has reached the max replicas per node (1))',
  ]);
});

test('a task with a preset node (global) is only checked against that node', (t) => {
  const set = nodeSet([
    node({ id: 'big' }),
    node({ id: 'small', memoryBytes: GiB }),
    node({ id: 'down', state: 'down' }),
  ]);
  const d = placeTasks(
    set.nodes,
    batch('g', spec({ memoryBytes: 2 * GiB }), 4, { nodeIds: ['big', 'small', 'down', 'gone'] }),
  );
  t.deepEqual(d, [
    { placed: true, taskId: 'g-t0', nodeId: 'big' },
    { placed: false, taskId: 'g-t1', reason: 'no suitable node (1 node has insufficient memory)' },
    { placed: false, taskId: 'g-t2', reason: 'no suitable node (1 node not available for new tasks)' },
    { placed: false, taskId: 'g-t3', reason: 'no suitable node (1 node not available for new tasks)' },
  ]);
});

test('an unparsable constraint leaves every task of the batch pending with the parser problem', (t) => {
  const d = placeTasks(nodeSet(three()).nodes, batch('s', spec({ constraints: ['zone'] }), 2));
  t.is(d.filter((x) => x.placed).length, 0);
  t.regex(reasons(d)[0] ?? '', /^cannot place the task: Cannot parse constraint "zone"/);
});

test('10 000 tasks over 100 nodes: exactly 100 each', (t) => {
  const nodes = [];
  for (let i = 0; i < 100; i++) nodes.push(node({ id: `n${String(i).padStart(3, '0')}` }));
  const d = placeTasks(nodeSet(nodes).nodes, batch('s', spec({ memoryBytes: 1024 }), 10_000));
  const counts = Object.values(perNode(d));
  t.is(counts.length, 100);
  t.true(counts.every((n) => n === 100));
});

test('placeTasks does not change the node set it reads', (t) => {
  const set = nodeSet(three());
  placeTasks(set.nodes, batch('s', spec({ memoryBytes: GiB }), 5));
  for (const info of set.nodes.values()) {
    t.is(info.totalTasks, 0);
    t.is(info.reservedMemoryBytes, 0);
  }
});
