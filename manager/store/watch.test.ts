import test from 'ava';
import { FakeClock } from '../../common/testing/index.js';
import type { Service, Task } from '../../proto/index.js';
import { byServiceId } from './by.js';
import { WatcherOverflowError } from './errors.js';
import { MemoryStore } from './memory-store.js';
import { testNode, testService, testTask } from './testing/index.js';
import type { StoreEvent } from './types.js';

function describe(e: StoreEvent): string {
  if (e.action === 'commit' || e.action === 'restore') return `${e.action} ${e.version}`;
  return `${e.action} ${e.kind} ${e.object.id}`;
}

const web = testService({ id: 'svc-web', name: 'web' });

function newStore(maxWatchQueue?: number): MemoryStore {
  return new MemoryStore({
    clock: new FakeClock(),
    ...(maxWatchQueue === undefined ? {} : { maxWatchQueue }),
  });
}

test('events arrive in apply order, each transaction ending with a commit of its version', async (t) => {
  const store = newStore();
  const w = store.watch();
  await store.update((tx) => {
    tx.services.create(web);
    tx.tasks.create(testTask({ id: 't1', service: web }));
  });
  await store.update((tx) => {
    const task = tx.tasks.get('t1') as Task;
    tx.tasks.update({ ...task, nodeId: 'n1' });
  });
  await store.update((tx) => tx.tasks.delete('t1'));
  t.deepEqual(w.take().map(describe), [
    'create service svc-web',
    'create task t1',
    'commit 1',
    'update task t1',
    'commit 2',
    'delete task t1',
    'commit 3',
  ]);
});

test('update events carry the old and the new object; delete events the deleted object', async (t) => {
  const store = newStore();
  await store.update((tx) => tx.services.create(web));
  const w = store.watch();
  await store.update((tx) => {
    const s = tx.services.get('svc-web') as Service;
    tx.services.update({ ...s, specVersion: 9 });
  });
  await store.update((tx) => tx.services.delete('svc-web'));
  const [upd, , del] = w.take();
  if (upd?.action !== 'update' || upd.kind !== 'service') return t.fail('not an update');
  t.is(upd.old.specVersion, 1);
  t.is(upd.old.meta.version, 1);
  t.is(upd.object.specVersion, 9);
  t.is(upd.object.meta.version, 2);
  if (del?.action !== 'delete' || del.kind !== 'service') return t.fail('not a delete');
  t.is(del.object.specVersion, 9);
  t.is(del.old, null);
  t.true(Object.isFrozen(upd.object));
});

test('a watcher gets only the events after it subscribed', async (t) => {
  const store = newStore();
  await store.update((tx) => tx.services.create(web));
  const w = store.watch();
  await store.update((tx) => tx.nodes.create(testNode({ id: 'n1', hostname: 'h' })));
  t.deepEqual(w.take().map(describe), ['create node n1', 'commit 2']);
});

test('the async iterator yields events as they come and ends on close', async (t) => {
  const store = newStore();
  const w = store.watch();
  const seen: string[] = [];
  const reader = (async () => {
    for await (const e of w) {
      seen.push(describe(e));
      if (e.action === 'commit' && e.version === 2) break;
    }
  })();
  await store.update((tx) => tx.services.create(web));
  await store.update((tx) => tx.nodes.create(testNode({ id: 'n1', hostname: 'h' })));
  await reader;
  t.deepEqual(seen, ['create service svc-web', 'commit 1', 'create node n1', 'commit 2']);
  t.true(w.closed, 'break closes the watcher');
  t.is(store.watcherCount, 0);
});

test('filters by kind, action and predicate; a commit follows only transactions with matching events', async (t) => {
  const store = newStore();
  const tasks = store.watch({ kinds: ['task'] });
  const creates = store.watch({ actions: ['create'] });
  const nodeA = store.watch({
    kinds: ['task'],
    filter: (e) => e.kind === 'task' && e.object.nodeId === 'node-a',
  });
  await store.update((tx) => tx.services.create(web));
  await store.update((tx) => {
    tx.tasks.create(testTask({ id: 't1', service: web, nodeId: 'node-a' }));
    tx.tasks.create(testTask({ id: 't2', service: web, nodeId: 'node-b' }));
  });
  await store.update((tx) => {
    const t2 = tx.tasks.get('t2') as Task;
    tx.tasks.update({ ...t2, desiredState: 'SHUTDOWN' });
  });
  t.deepEqual(tasks.take().map(describe), [
    'create task t1',
    'create task t2',
    'commit 2',
    'update task t2',
    'commit 3',
  ]);
  t.deepEqual(creates.take().map(describe), [
    'create service svc-web',
    'commit 1',
    'create task t1',
    'create task t2',
    'commit 2',
  ]);
  t.deepEqual(nodeA.take().map(describe), ['create task t1', 'commit 2']);
});

test('viewAndWatch: the watcher gets exactly the events after the view', async (t) => {
  const store = newStore();
  await store.update((tx) => {
    tx.services.create(web);
    tx.tasks.create(testTask({ id: 't1', service: web }));
  });
  const pending = store.update((tx) => tx.tasks.create(testTask({ id: 't2', service: web, slot: 2 })));
  // The update above is queued behind the write lock; the view sees the state before it.
  const { result, watcher } = store.viewAndWatch((tx) =>
    tx.tasks.find(byServiceId('svc-web')).map((x) => x.id),
  );
  await pending;
  t.deepEqual(result, ['t1']);
  t.deepEqual(watcher.take().map(describe), ['create task t2', 'commit 2']);
});

test('a slow watcher is closed with WatcherOverflowError at its bound; the others are unaffected', async (t) => {
  const store = newStore(10);
  const slow = store.watch();
  const tight = store.watch({ maxQueue: 3 });
  const fast = store.watch();
  const fastSeen: string[] = [];
  for (let i = 0; i < 6; i++) {
    await store.update((tx) => tx.nodes.create(testNode({ id: `n${i}`, hostname: `h${i}` })));
    fastSeen.push(...fast.take().map(describe));
  }
  t.true(slow.closed);
  t.true(tight.closed);
  t.false(fast.closed);
  t.is(fastSeen.length, 12);
  t.is(store.watcherCount, 1);
  const err = await t.throwsAsync(slow.next(), { instanceOf: WatcherOverflowError });
  t.is(err?.code, 'ERR_STORE_WATCHER_OVERFLOW');
  t.is(
    err?.message,
    'Cannot deliver store events to a watcher: its queue reached 10 events, so it was closed',
  );
  t.deepEqual(await slow.next(), { done: true, value: undefined }, 'the error is reported once');
  t.throws(() => tight.take(), { instanceOf: WatcherOverflowError });
  t.deepEqual(tight.take(), []);
  // A for-await loop over an overflowed watcher throws.
  const again = store.watch({ maxQueue: 1 });
  await store.update((tx) => tx.nodes.create(testNode({ id: 'nx', hostname: 'hx' })));
  await t.throwsAsync(
    (async () => {
      for await (const _ of again) {
        // never reached: the watcher overflowed before the loop started
      }
    })(),
    { instanceOf: WatcherOverflowError },
  );
});

test('a reader waiting in next() never overflows: events go straight to it', async (t) => {
  const store = newStore(1);
  const w = store.watch();
  const first = w.next();
  await store.update((tx) => tx.services.create(web));
  t.deepEqual(describe((await first).value as StoreEvent), 'create service svc-web');
  t.false(w.closed, 'the commit fits in the queue');
  t.deepEqual(w.take().map(describe), ['commit 1']);
});

test('a watcher whose filter throws is closed with that error; the store and other watchers go on', async (t) => {
  const store = newStore();
  const bad = store.watch({
    filter: () => {
      throw new Error('bad filter');
    },
  });
  const good = store.watch();
  await store.update((tx) => tx.services.create(web));
  t.true(bad.closed);
  await t.throwsAsync(bad.next(), { message: 'bad filter' });
  t.deepEqual(good.take().map(describe), ['create service svc-web', 'commit 1']);
});

test('ready() waits for an event without consuming it', async (t) => {
  const store = newStore();
  const w = store.watch();
  const ready = w.ready();
  await store.update((tx) => tx.services.create(web));
  await ready;
  t.deepEqual(w.take().map(describe), ['create service svc-web', 'commit 1']);
  w.close();
  await w.ready();
  t.true(w.closed);
});

test('watch options are checked', (t) => {
  const store = newStore();
  t.throws(() => store.watch({ maxQueue: 0 }), {
    instanceOf: RangeError,
    message: 'maxQueue must be a positive integer, got 0',
  });
  t.throws(() => new MemoryStore({ maxWatchQueue: -1 }), { instanceOf: RangeError });
  t.throws(() => new MemoryStore({ maxChangesPerTransaction: 1.5 }), { instanceOf: RangeError });
  t.throws(() => new MemoryStore({ proposer: {} as never }), { instanceOf: TypeError });
});

test('events narrow by kind, then by action', async (t) => {
  const store = newStore();
  const w = store.watch();
  await store.update((tx) => tx.tasks.create(testTask({ id: 't1', service: web, nodeId: 'n7' })));
  const nodes: string[] = [];
  for (const e of w.take()) {
    switch (e.kind) {
      case 'task':
        nodes.push(e.object.nodeId);
        if (e.action === 'update') nodes.push(e.old.nodeId);
        break;
      case undefined:
        nodes.push(e.action);
        break;
    }
  }
  t.deepEqual(nodes, ['n7', 'commit']);
});
