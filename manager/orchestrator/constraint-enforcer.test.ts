import test from 'ava';
import type { Node, Service } from '../../proto/index.js';
import { Harness } from './testing/harness.js';

const SVC = 'svc00000000000000000000001';

function labelled(labels: Record<string, string>): (n: Node) => Node {
  return (n) => ({ ...n, spec: { ...n.spec, annotations: { ...n.spec.annotations, labels } } });
}

test("a node that no longer matches a task's constraints loses it, and the slot is refilled elsewhere", async (t) => {
  const h = new Harness();
  await h.addNodes('node-a', 'node-b');
  await h.updateNode('node-a', labelled({ disk: 'ssd' }));
  await h.addService({ id: SVC, name: 'db', replicas: 1 }, (s: Service) => ({
    ...s,
    spec: {
      ...s.spec,
      task: {
        ...s.spec.task,
        placement: { ...s.spec.task.placement, constraints: ['node.labels.disk==ssd'] },
      },
    },
  }));
  h.start();
  await h.settled();
  // The fake scheduler ignores constraints: place it on node-a by hand, as the real one would.
  await h.store.update((tx) => {
    const task = tx.tasks.find().find((x) => x.serviceId === SVC);
    if (task) tx.tasks.update({ ...task, nodeId: 'node-a', status: { ...task.status, state: 'ASSIGNED' } });
  });
  await h.converge();
  const task = h.inSlot(SVC, 1);
  t.is(task.nodeId, 'node-a');
  t.is(task.status.state, 'RUNNING');

  await h.updateNode('node-a', labelled({ disk: 'hdd' }));
  await h.settled();
  t.is(h.task(task.id).desiredState, 'SHUTDOWN');
  const next = h.inSlot(SVC, 1);
  t.not(next.id, task.id);
  t.is(next.nodeId, '', 'for the scheduler to place where it fits');
  await h.stop();
});

test("a node whose resources no longer cover its tasks' reservations loses the newest", async (t) => {
  const h = new Harness();
  await h.addNodes('node-a');
  await h.addService({ id: SVC, name: 'big', replicas: 3 }, (s: Service) => ({
    ...s,
    spec: {
      ...s.spec,
      task: {
        ...s.spec.task,
        resources: { ...s.spec.task.resources, reservations: { nanoCpus: 1e9, memoryBytes: 0 } },
      },
    },
  }));
  h.start();
  await h.converge();
  t.is(h.wanted(SVC).filter((x) => x.status.state === 'RUNNING').length, 3);
  await h.updateNode('node-a', (n) => ({
    ...n,
    description: n.description && {
      ...n.description,
      resources: { ...n.description.resources, nanoCpus: 2e9 },
    },
  }));
  await h.settled();
  const shut = h.tasks(SVC).filter((x) => x.desiredState === 'SHUTDOWN');
  t.is(shut.length, 1);
  t.is(h.wanted(SVC).length, 3, 'its slot got a replacement');
  await h.stop();
});
