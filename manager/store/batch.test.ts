import test from 'ava';
import { IllegalStateError } from '../../common/index.js';
import { FakeClock } from '../../common/testing/index.js';
import type { Task } from '../../proto/index.js';
import { byNodeId, byServiceId } from './by.js';
import { NotFoundError } from './errors.js';
import type { Batch } from './memory-store.js';
import { MemoryStore } from './memory-store.js';
import { MockProposer } from './testing/index.js';
import { testService, testTask } from './testing/objects.js';
import type { StoreEvent } from './types.js';

const web = testService({ id: 'svc-web', name: 'web' });

function setup(max = 10): { store: MemoryStore; proposer: MockProposer } {
  const proposer = new MockProposer();
  const store = new MemoryStore({ clock: new FakeClock(), proposer, maxChangesPerTransaction: max });
  proposer.attach(store);
  return { store, proposer };
}

function commits(events: readonly StoreEvent[]): number[] {
  return events.flatMap((e) => (e.action === 'commit' ? [e.version] : []));
}

test('batch groups items into transactions of maxChangesPerTransaction objects', async (t) => {
  const { store, proposer } = setup(10);
  await store.update((tx) => tx.services.create(web));
  const w = store.watch();
  const n = await store.batch(async (batch) => {
    for (let i = 1; i <= 25; i++)
      await batch.update((tx) => tx.tasks.create(testTask({ id: `t${i}`, service: web, slot: i })));
    return 25;
  });
  t.is(n, 25);
  t.is(
    store.view((tx) => tx.tasks.count(byServiceId('svc-web'))),
    25,
  );
  t.deepEqual(commits(w.take()), [2, 3, 4], '10 + 10 + 5');
  t.deepEqual(
    proposer.log.map((e) => e.actions.length),
    [1, 10, 10, 5],
  );
});

test('each batch item sees the writes of the items before it, committed or not', async (t) => {
  const { store } = setup(3);
  await store.update((tx) => {
    tx.services.create(web);
    tx.tasks.create(testTask({ id: 't1', service: web }));
  });
  await store.batch(async (batch) => {
    for (let i = 0; i < 7; i++)
      await batch.update((tx) => {
        const task = tx.tasks.get('t1') as Task;
        tx.tasks.update({ ...task, specVersion: task.specVersion + 1 });
      });
  });
  t.is(store.view((tx) => tx.tasks.get('t1'))?.specVersion, 8);
});

test('a failing item is undone alone; the batch goes on', async (t) => {
  const { store } = setup(100);
  await store.update((tx) => tx.services.create(web));
  const errors: unknown[] = [];
  await store.batch(async (batch) => {
    for (const id of ['t1', 't2', 't3']) {
      await batch
        .update((tx) => {
          tx.tasks.create(testTask({ id, service: web }));
          if (id === 't2') tx.tasks.delete('missing');
        })
        .catch((err: unknown) => errors.push(err));
    }
  });
  t.is(errors.length, 1);
  t.true(errors[0] instanceof NotFoundError);
  t.deepEqual(
    store
      .view((tx) => tx.tasks.find())
      .map((x) => x.id)
      .sort(),
    ['t1', 't3'],
  );
});

test('items may be queued without awaiting each (Promise.all)', async (t) => {
  const { store } = setup(4);
  await store.update((tx) => tx.services.create(web));
  await store.batch((batch) =>
    Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        batch.update((tx) => tx.tasks.create(testTask({ id: `t${i}`, service: web }))),
      ),
    ),
  );
  t.is(
    store.view((tx) => tx.tasks.count()),
    10,
  );
});

test('when the batch callback throws, the open transaction is dropped and earlier ones stay', async (t) => {
  const { store } = setup(2);
  await store.update((tx) => tx.services.create(web));
  await t.throwsAsync(
    store.batch(async (batch) => {
      for (let i = 1; i <= 3; i++)
        await batch.update((tx) => tx.tasks.create(testTask({ id: `t${i}`, service: web })));
      throw new Error('stop');
    }),
    { message: 'stop' },
  );
  t.deepEqual(
    store
      .view((tx) => tx.tasks.find())
      .map((x) => x.id)
      .sort(),
    ['t1', 't2'],
  );
  // The lock was released.
  await store.update((tx) => tx.tasks.create(testTask({ id: 't9', service: web })));
});

test('a failed commit fails the batch and every later item', async (t) => {
  const { store, proposer } = setup(2);
  await store.update((tx) => tx.services.create(web));
  let later: unknown;
  const err = await t.throwsAsync(
    store.batch(async (batch) => {
      await batch.update((tx) => tx.tasks.create(testTask({ id: 't1', service: web })));
      proposer.failNext(new Error('lost leadership'));
      await batch.update((tx) => tx.tasks.create(testTask({ id: 't2', service: web })));
      later = 'reached';
    }),
  );
  t.is(err?.message, 'lost leadership');
  t.is(later, undefined);
  t.is(
    store.view((tx) => tx.tasks.count()),
    0,
  );
  await store.update((tx) => tx.tasks.create(testTask({ id: 't3', service: web })));
  t.is(
    store.view((tx) => tx.tasks.count()),
    1,
  );
});

test('other writers interleave between the transactions of a batch', async (t) => {
  const proposer = new MockProposer({ mode: 'manual' });
  const store = new MemoryStore({ clock: new FakeClock(), proposer, maxChangesPerTransaction: 2 });
  proposer.attach(store);
  const first = store.update((tx) => tx.services.create(web));
  while (proposer.pending === 0) await new Promise((r) => setImmediate(r));
  proposer.commitAll();
  await first;
  const order: string[] = [];
  const batch = store.batch(async (b) => {
    await b.update((tx) => tx.tasks.create(testTask({ id: 'b1', service: web })));
    const second = b.update((tx) => tx.tasks.create(testTask({ id: 'b2', service: web })));
    // The batch's first transaction is now full and proposed; queue an outside write meanwhile.
    void store
      .update((tx) => tx.tasks.create(testTask({ id: 'x', service: web })))
      .then(() => order.push('x'));
    await second;
    order.push('b2');
    await b.update((tx) => tx.tasks.create(testTask({ id: 'b3', service: web })));
  });
  for (let i = 0; i < 20 && proposer.log.length < 4; i++) {
    await new Promise((r) => setImmediate(r));
    proposer.commitAll();
  }
  await batch;
  t.deepEqual(
    proposer.log.map((e) => e.actions.map((a) => (a.action === 'delete' ? a.id : a.object.id)).join(',')),
    ['svc-web', 'b1,b2', 'x', 'b3'],
  );
  t.deepEqual(order, ['b2', 'x']);
});

test('a batch object cannot be used after its callback returned', async (t) => {
  const { store } = setup();
  let kept: Batch | undefined;
  await store.batch((b) => {
    kept = b;
  });
  await t.throwsAsync(kept?.update(() => 1) ?? Promise.resolve(), { instanceOf: IllegalStateError });
});

test('flush commits the open transaction early', async (t) => {
  const { store } = setup(100);
  await store.update((tx) => tx.services.create(web));
  const w = store.watch();
  await store.batch(async (b) => {
    await b.update((tx) => tx.tasks.create(testTask({ id: 't1', service: web, nodeId: 'n1' })));
    await b.flush();
    t.deepEqual(commits(w.take()), [2]);
    await b.flush();
    await b.update((tx) => tx.tasks.create(testTask({ id: 't2', service: web, nodeId: 'n1' })));
  });
  t.deepEqual(commits(w.take()), [3]);
  t.is(
    store.view((tx) => tx.tasks.count(byNodeId('n1'))),
    2,
  );
});

test('a batch on a store closed meanwhile fails and releases the write lock', async (t) => {
  const { store } = setup();
  const blocker = store.update(() => undefined);
  const batch = store.batch(async (b) => {
    await b.update((tx) => tx.services.create(web));
  });
  store.close();
  // Both were waiting for the lock when the store closed.
  const [a, b] = await Promise.allSettled([blocker, batch]);
  t.is(a.status, 'rejected');
  t.true(b.status === 'rejected' && b.reason instanceof IllegalStateError);
  t.is(store.version, 0);
});
