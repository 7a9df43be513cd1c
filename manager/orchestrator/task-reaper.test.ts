import test from 'ava';
import { Harness } from './testing/harness.js';

const SVC = 'svc00000000000000000000001';

test('the reaper keeps the last taskHistoryRetentionLimit dead tasks per slot', async (t) => {
  const h = new Harness();
  await h.addCluster(5);
  await h.addNodes('node-a');
  await h.addService({ id: SVC, name: 'web', replicas: 2 }, (s) => ({
    ...s,
    spec: {
      ...s.spec,
      task: { ...s.spec.task, restartPolicy: { ...s.spec.task.restartPolicy, delayMs: 0 } },
    },
  }));
  h.start();
  await h.converge();
  const failed: string[] = [];
  for (let i = 0; i < 8; i++) {
    const task = h.inSlot(SVC, 1);
    failed.push(task.id);
    await h.end(task.id, 'FAILED');
    await h.converge();
  }
  const slot1 = h.tasks(SVC).filter((x) => x.slot === 1);
  t.is(slot1.length, 6, 'one live task and 5 dead ones');
  t.deepEqual(
    slot1
      .filter((x) => x.desiredState === 'SHUTDOWN')
      .map((x) => x.id)
      .sort(),
    failed.slice(3).sort(),
    'the newest dead tasks are kept',
  );
  t.is(h.tasks(SVC).filter((x) => x.slot === 2).length, 1, 'other slots untouched');

  // A lower limit applies at once.
  await h.store.update((tx) => {
    const c = tx.clusters.find()[0];
    if (c) tx.clusters.update({ ...c, spec: { ...c.spec, taskHistoryRetentionLimit: 1 } });
  });
  await h.settled();
  t.is(h.tasks(SVC).filter((x) => x.slot === 1).length, 2);
  await h.stop();
});

test("the reaper keeps a given-up slot marker and deletes a deleted service's tasks once over", async (t) => {
  const h = new Harness();
  await h.addCluster(0);
  await h.addNodes('node-a');
  await h.addService({ id: SVC, name: 'web', replicas: 1 }, (s) => ({
    ...s,
    spec: {
      ...s.spec,
      task: { ...s.spec.task, restartPolicy: { ...s.spec.task.restartPolicy, condition: 'none' } },
    },
  }));
  h.start();
  await h.converge();
  const task = h.inSlot(SVC, 1);
  await h.end(task.id, 'COMPLETE');
  await h.converge();
  t.is(h.task(task.id).desiredState, 'COMPLETE', 'kept even with a history of 0');

  // A deleted service: its never-placed task goes at once, its placed one once the agent stopped it.
  await h.addService({ id: 'svc00000000000000000000002', name: 'api', replicas: 2 });
  await h.settled();
  await h.cluster.schedule();
  await h.settled();
  await h.store.update((tx) => tx.services.delete(SVC));
  await h.store.update((tx) => tx.services.delete('svc00000000000000000000002'));
  await h.settled();
  t.deepEqual(h.tasks(SVC), []);
  const placed = h.tasks('svc00000000000000000000002');
  t.true(placed.length > 0 && placed.every((x) => x.desiredState === 'REMOVE' && x.nodeId !== ''));
  await h.converge();
  t.deepEqual(h.tasks('svc00000000000000000000002'), []);
  await h.stop();
});
