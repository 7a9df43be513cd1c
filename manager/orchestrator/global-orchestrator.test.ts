import test from 'ava';
import type { Node, Service } from '../../proto/index.js';
import { Harness } from './testing/harness.js';

const SVC = 'svc00000000000000000000001';

function nodesOf(h: Harness): string[] {
  return h
    .wanted(SVC)
    .map((t) => t.nodeId)
    .sort();
}

function labelled(labels: Record<string, string>): (n: Node) => Node {
  return (n) => ({ ...n, spec: { ...n.spec, annotations: { ...n.spec.annotations, labels } } });
}

function constrained(...constraints: string[]): (s: Service) => Service {
  return (s) => ({
    ...s,
    spec: {
      ...s.spec,
      task: { ...s.spec.task, placement: { ...s.spec.task.placement, constraints } },
    },
  });
}

test('a global service runs one task per node, born with its node, and follows nodes joining and leaving', async (t) => {
  const h = new Harness();
  await h.addNodes('node-a', 'node-b');
  await h.addService({ id: SVC, name: 'agent', global: true });
  h.start();
  await h.settled();
  const first = h.wanted(SVC);
  t.deepEqual(nodesOf(h), ['node-a', 'node-b']);
  t.true(first.every((x) => x.slot === 0 && x.status.state === 'PENDING' && x.desiredState === 'RUNNING'));
  await h.converge();
  t.true(h.wanted(SVC).every((x) => x.status.state === 'RUNNING'));

  await h.addNodes('node-c');
  await h.converge();
  t.deepEqual(nodesOf(h), ['node-a', 'node-b', 'node-c']);

  const onB = h.wanted(SVC).find((x) => x.nodeId === 'node-b');
  await h.store.update((tx) => tx.nodes.delete('node-b'));
  await h.settled();
  t.deepEqual(nodesOf(h), ['node-a', 'node-c']);
  t.is(onB && h.task(onB.id).desiredState, 'SHUTDOWN');
  await h.stop();
});

test('a drained or DOWN node loses its global task and gets a new one when it is back; pause keeps it', async (t) => {
  const h = new Harness();
  await h.addNodes('node-a', 'node-b');
  await h.addService({ id: SVC, name: 'agent', global: true });
  h.start();
  await h.converge();

  await h.updateNode('node-a', (n) => ({ ...n, spec: { ...n.spec, availability: 'drain' } }));
  await h.converge();
  t.deepEqual(nodesOf(h), ['node-b']);
  await h.updateNode('node-a', (n) => ({ ...n, spec: { ...n.spec, availability: 'active' } }));
  await h.converge();
  t.deepEqual(nodesOf(h), ['node-a', 'node-b']);

  const onB = h.wanted(SVC).find((x) => x.nodeId === 'node-b');
  await h.updateNode('node-b', (n) => ({ ...n, spec: { ...n.spec, availability: 'pause' } }));
  await h.converge();
  t.deepEqual(nodesOf(h), ['node-a', 'node-b']);
  t.is(h.wanted(SVC).find((x) => x.nodeId === 'node-b')?.id, onB?.id, 'pause keeps the task');

  await h.updateNode('node-b', (n) => ({ ...n, status: { ...n.status, state: 'down' } }));
  await h.converge();
  t.deepEqual(nodesOf(h), ['node-a']);
  await h.updateNode('node-b', (n) => ({
    ...n,
    spec: { ...n.spec, availability: 'active' },
    status: { ...n.status, state: 'ready' },
  }));
  await h.converge();
  t.deepEqual(nodesOf(h), ['node-a', 'node-b']);
  t.is(onB && h.task(onB.id).status.state, 'SHUTDOWN', 'the returning node shut its old task down');
  await h.stop();
});

test('a global service follows label and role changes against its constraints', async (t) => {
  const h = new Harness();
  await h.addNodes('node-a', 'node-b', 'node-c');
  await h.updateNode('node-a', labelled({ zone: 'east' }));
  await h.addService(
    { id: SVC, name: 'agent', global: true },
    constrained('node.labels.zone==east', 'node.role==worker'),
  );
  h.start();
  await h.converge();
  t.deepEqual(nodesOf(h), ['node-a']);

  await h.updateNode('node-b', labelled({ zone: 'east' }));
  await h.converge();
  t.deepEqual(nodesOf(h), ['node-a', 'node-b']);

  await h.updateNode('node-a', labelled({ zone: 'west' }));
  await h.updateNode('node-b', (n) => ({ ...n, role: 'manager' }));
  await h.converge();
  t.deepEqual(nodesOf(h), []);
  await h.stop();
});

test('a global task restarts on its own node; a spec change replaces it there', async (t) => {
  const h = new Harness();
  await h.addNodes('node-a', 'node-b');
  await h.addService({ id: SVC, name: 'agent', global: true });
  h.start();
  await h.converge();
  const onA = h.wanted(SVC).find((x) => x.nodeId === 'node-a');
  if (onA === undefined) return t.fail('no task on node-a');
  await h.end(onA.id, 'FAILED');
  const next = h.wanted(SVC).find((x) => x.nodeId === 'node-a');
  t.not(next?.id, onA.id);
  t.is(next?.desiredState, 'RUNNING');
  t.is(h.task(onA.id).desiredState, 'SHUTDOWN');
  await h.converge();

  await h.updateService(SVC, (s) => ({
    ...s,
    spec: { ...s.spec, task: { ...s.spec.task, container: { ...s.spec.task.container, image: 'busybox' } } },
  }));
  await h.converge();
  const updated = h.wanted(SVC);
  t.deepEqual(nodesOf(h), ['node-a', 'node-b']);
  t.true(updated.every((x) => x.spec.container.image === 'busybox' && x.status.state === 'RUNNING'));

  await h.store.update((tx) => tx.services.delete(SVC));
  await h.settled();
  t.true(h.tasks(SVC).every((x) => x.desiredState === 'REMOVE'));
  await h.converge();
  t.deepEqual(h.tasks(SVC), []);
  await h.stop();
});
