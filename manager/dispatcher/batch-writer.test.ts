import test from 'ava';
import { FakeClock } from '../../common/testing/index.js';
import { MemoryStore } from '../store/index.js';
import { MockProposer, testService, testTask } from '../store/testing/index.js';
import { BatchWriter } from './batch-writer.js';

const web = testService({ id: 'svc', name: 'web' });

function setup() {
  const clock = new FakeClock();
  const proposer = new MockProposer({ mode: 'manual' });
  const store = new MemoryStore({ clock, proposer });
  proposer.attach(store);
  const writer = new BatchWriter<{ id: string; slot: number }>({
    store,
    maxItems: 100,
    write: (tx, item) => {
      const t = tx.tasks.get(item.id);
      if (t === undefined) throw new Error(`no task ${item.id}`);
      tx.tasks.update({ ...t, slot: item.slot });
    },
  });
  return { store, proposer, writer };
}

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !pred(); i++) await new Promise((r) => setImmediate(r));
  if (!pred()) throw new Error('condition never held');
}

test('items of one tick share a transaction; items arriving during a write go together in the next', async (t) => {
  const { store, proposer, writer } = setup();
  const create = store.update((tx) => {
    for (let i = 0; i < 10; i++) tx.tasks.create(testTask({ id: `t${i}`, service: web }));
  });
  await until(() => proposer.pending === 1);
  proposer.commitNext();
  await create;
  const a = writer.submit([{ id: 't0', slot: 10 }]);
  const b = writer.submit([
    { id: 't1', slot: 11 },
    { id: 't2', slot: 12 },
  ]);
  await until(() => proposer.pending === 1);
  // While the first write is in flight, three more calls arrive.
  const c = writer.submit([{ id: 't3', slot: 13 }]);
  const d = writer.submit([{ id: 't4', slot: 14 }]);
  const e = writer.submit([
    { id: 'missing', slot: 1 },
    { id: 't5', slot: 15 },
  ]);
  t.is(writer.queued, 4);
  proposer.commitNext();
  await Promise.all([a, b]);
  await until(() => proposer.pending === 1);
  t.is(writer.queued, 0);
  proposer.commitNext();
  await Promise.all([c, d]);
  await t.throwsAsync(e, { message: 'no task missing' });
  await writer.idle();
  t.is(proposer.pending, 0);
  t.deepEqual(
    store.view((tx) => ['t0', 't1', 't2', 't3', 't4', 't5'].map((id) => tx.tasks.get(id)?.slot)),
    // t5 came after a failed item of its own submission: skipped.
    [10, 11, 12, 13, 14, 1],
  );
});

test('a failed commit fails its calls; close refuses queued and later items', async (t) => {
  const { store, proposer, writer } = setup();
  const create = store.update((tx) => tx.tasks.create(testTask({ id: 't0', service: web })));
  await until(() => proposer.pending === 1);
  proposer.commitNext();
  await create;
  proposer.failNext(new Error('lost quorum'));
  t.is(proposer.pending, 0);
  await t.throwsAsync(writer.submit([{ id: 't0', slot: 2 }]), { message: 'lost quorum' });
  const queued = writer.submit([{ id: 't0', slot: 3 }]);
  writer.close(new Error('stopped'));
  await t.throwsAsync(queued, { message: 'stopped' });
  await t.throwsAsync(writer.submit([{ id: 't0', slot: 4 }]), { message: 'stopped' });
  t.is(
    store.view((tx) => tx.tasks.get('t0')?.slot),
    1,
  );
});
