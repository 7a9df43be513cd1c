import test from 'ava';
import type { Task } from '../../proto/index.js';
import { testService } from '../store/testing/index.js';
import { pickSlotsToRemove } from './replicated-orchestrator.js';
import { Harness } from './testing/harness.js';

const SVC = 'svc00000000000000000000001';

function slots(ts: readonly Task[]): number[] {
  return ts.map((t) => t.slot).sort((a, b) => a - b);
}

function perNode(ts: readonly Task[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ts) out[t.nodeId] = (out[t.nodeId] ?? 0) + 1;
  return out;
}

test('a new service gets slots 1..N of PENDING tasks copying its task spec', async (t) => {
  const h = new Harness();
  const svc = await h.addService({ id: SVC, name: 'web', replicas: 3 });
  h.start();
  await h.settled();
  const ts = h.wanted(SVC);
  t.deepEqual(slots(ts), [1, 2, 3]);
  for (const task of ts) {
    t.is(task.status.state, 'PENDING');
    t.is(task.nodeId, '');
    t.is(task.desiredState, 'RUNNING');
    t.deepEqual(task.spec, svc.spec.task);
    t.is(task.specVersion, 1);
    t.deepEqual(task.serviceAnnotations, svc.spec.annotations);
  }
  await h.stop();
});

test('scale up fills the missing slots; scale down removes tasks that are not running first, then from the fullest node', async (t) => {
  const h = new Harness();
  await h.addNodes('node-a', 'node-b');
  await h.addService({ id: SVC, name: 'web', replicas: 2 });
  h.start();
  await h.converge();
  t.deepEqual(slots(h.wanted(SVC)), [1, 2]);

  await h.scale(SVC, 5);
  await h.converge();
  const five = h.wanted(SVC);
  t.deepEqual(slots(five), [1, 2, 3, 4, 5]);
  t.true(five.every((x) => x.status.state === 'RUNNING'));

  // node-c joins; slot 6 is created but not scheduled yet (not running): it goes first.
  await h.scale(SVC, 6);
  await h.settled();
  const pending = h.inSlot(SVC, 6);
  t.is(pending.status.state, 'PENDING');
  await h.scale(SVC, 5);
  await h.settled();
  t.is(h.task(pending.id).desiredState, 'SHUTDOWN');
  t.deepEqual(slots(h.wanted(SVC)), [1, 2, 3, 4, 5]);

  // 5 running on two nodes (3 + 2): scaling to 3 takes from the node with 3 first, then one from each.
  const before = perNode(h.wanted(SVC));
  t.deepEqual(Object.values(before).sort(), [2, 3]);
  await h.scale(SVC, 3);
  await h.converge();
  const after = h.wanted(SVC);
  t.is(after.length, 3);
  t.deepEqual(Object.values(perNode(after)).sort(), [1, 2]);
  await h.stop();
});

test('pickSlotsToRemove: not running first, then the node with the most, then the highest slot', (t) => {
  const task = (slot: number, nodeId: string, state: 'RUNNING' | 'PENDING'): [number, Task[]] => [
    slot,
    [
      {
        slot,
        nodeId,
        desiredState: 'RUNNING',
        status: { state },
        meta: { createdAt: 0 },
        id: `t${slot}`,
      } as unknown as Task,
    ],
  ];
  const occupied = [
    task(1, 'a', 'RUNNING'),
    task(2, 'a', 'RUNNING'),
    task(3, 'a', 'RUNNING'),
    task(4, 'b', 'RUNNING'),
    task(5, '', 'PENDING'),
  ];
  t.deepEqual(pickSlotsToRemove(occupied, 1), [5]);
  t.deepEqual(pickSlotsToRemove(occupied, 2), [5, 3]);
  t.deepEqual(pickSlotsToRemove(occupied, 3), [5, 3, 2]);
  t.deepEqual(pickSlotsToRemove(occupied, 4), [5, 3, 2, 4]);
  t.deepEqual(pickSlotsToRemove(occupied, 0), []);
});

test('a spec change replaces every task; a scale alone does not', async (t) => {
  const h = new Harness();
  await h.addNodes('node-a');
  await h.addService({ id: SVC, name: 'web', replicas: 2 });
  h.start();
  await h.converge();
  const first = h.wanted(SVC).map((x) => x.id);

  await h.scale(SVC, 3);
  await h.converge();
  const scaled = h.wanted(SVC);
  t.true(
    first.every((id) => scaled.some((x) => x.id === id)),
    'scaling kept the existing tasks',
  );
  t.true(scaled.every((x) => x.specVersion === 1 || x.slot === 3));

  await h.updateService(SVC, (s) => ({
    ...s,
    spec: { ...s.spec, task: { ...s.spec.task, container: { ...s.spec.task.container, image: 'busybox' } } },
  }));
  await h.converge();
  const updated = h.wanted(SVC);
  t.deepEqual(slots(updated), [1, 2, 3]);
  t.true(updated.every((x) => x.spec.container.image === 'busybox' && x.specVersion === 3));
  t.true(updated.every((x) => x.status.state === 'RUNNING'));
  for (const x of scaled) t.is(h.task(x.id).status.state, 'SHUTDOWN');
  await h.stop();
});

test('a deleted service has its tasks marked REMOVE, and the reaper deletes them once shut down', async (t) => {
  const h = new Harness();
  await h.addNodes('node-a');
  await h.addService({ id: SVC, name: 'web', replicas: 2 });
  h.start();
  await h.converge();
  const ids = h.wanted(SVC).map((x) => x.id);
  await h.store.update((tx) => tx.services.delete(SVC));
  await h.settled();
  for (const id of ids) t.is(h.task(id).desiredState, 'REMOVE');
  await h.converge(); // the agent shuts them down, then the reaper deletes them
  t.deepEqual(h.tasks(SVC), []);
  await h.stop();
});

test('a drained node and a DOWN node have their tasks replaced on live nodes; a returning node shuts its old tasks down', async (t) => {
  const h = new Harness();
  await h.addNodes('node-a', 'node-b', 'node-c');
  await h.addService({ id: SVC, name: 'web', replicas: 6 });
  h.start();
  await h.converge();
  t.deepEqual(perNode(h.wanted(SVC)), { 'node-a': 2, 'node-b': 2, 'node-c': 2 });

  // drain
  const onA = h.wanted(SVC).filter((x) => x.nodeId === 'node-a');
  await h.updateNode('node-a', (n) => ({ ...n, spec: { ...n.spec, availability: 'drain' } }));
  await h.settled();
  for (const x of onA) t.is(h.task(x.id).desiredState, 'SHUTDOWN');
  const replacements = h.wanted(SVC).filter((x) => onA.some((o) => o.slot === x.slot));
  t.is(replacements.length, 2);
  t.true(replacements.every((x) => x.nodeId === '' && x.status.state === 'PENDING'));
  await h.converge();
  t.deepEqual(perNode(h.wanted(SVC)), { 'node-b': 3, 'node-c': 3 });
  for (const x of onA) t.is(h.task(x.id).status.state, 'SHUTDOWN');

  // pause keeps tasks
  await h.updateNode('node-a', (n) => ({ ...n, spec: { ...n.spec, availability: 'active' } }));
  await h.updateNode('node-b', (n) => ({ ...n, spec: { ...n.spec, availability: 'pause' } }));
  await h.converge();
  t.deepEqual(perNode(h.wanted(SVC)), { 'node-b': 3, 'node-c': 3 });

  // node-c goes DOWN: its tasks are replaced (on node-a, the only live active node)
  const onC = h.wanted(SVC).filter((x) => x.nodeId === 'node-c');
  await h.updateNode('node-c', (n) => ({ ...n, status: { ...n.status, state: 'down' } }));
  await h.converge();
  t.deepEqual(perNode(h.wanted(SVC)), { 'node-a': 3, 'node-b': 3 });
  for (const x of onC) {
    t.is(h.task(x.id).desiredState, 'SHUTDOWN');
    t.is(h.task(x.id).status.state, 'RUNNING', 'a dead node reports nothing');
  }

  // node-c comes back: its old tasks are not wanted, so its agent shuts them down; the count stays 6
  await h.updateNode('node-c', (n) => ({ ...n, status: { ...n.status, state: 'ready' } }));
  await h.converge();
  for (const x of onC) t.is(h.task(x.id).status.state, 'SHUTDOWN');
  t.is(h.wanted(SVC).length, 6);
  t.deepEqual(slots(h.wanted(SVC)), [1, 2, 3, 4, 5, 6]);
  await h.stop();
});

test('a leader change in the middle of a reconcile converges without duplicate tasks', async (t) => {
  // Small transactions so that the first leader is stopped between two of them.
  const h = new Harness({ maxChangesPerTransaction: 3 });
  await h.addNodes('node-a', 'node-b');
  const ids: string[] = [];
  await h.store.update((tx) => {
    for (let i = 0; i < 10; i++) {
      const id = `svc0000000000000000000${String(i).padStart(4, '0')}`;
      ids.push(id);
      tx.services.create(testService({ id, name: `s${i}`, replicas: 4 }));
    }
  });
  const firstWrite = new Promise<void>((resolve) => {
    const w = h.store.watch({ kinds: ['task'] });
    void w.next().then(() => {
      w.close();
      resolve();
    });
  });
  h.start();
  await firstWrite;
  await h.stop();
  const partial = ids.reduce((n, id) => n + h.tasks(id).length, 0);
  t.true(partial > 0 && partial < 40, `the first leader stopped mid-way (${partial} of 40 tasks)`);

  h.start(true);
  await h.converge();
  for (const id of ids) {
    const ts = h.tasks(id);
    t.is(ts.length, 4, `service ${id} has exactly its 4 tasks`);
    t.deepEqual(slots(ts), [1, 2, 3, 4]);
    t.true(ts.every((x) => x.status.state === 'RUNNING'));
  }
  await h.stop();
});
