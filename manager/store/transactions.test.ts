import test from 'ava';
import { IllegalStateError } from '../../common/index.js';
import { FakeClock } from '../../common/testing/index.js';
import type { Service, Task } from '../../proto/index.js';
import { byServiceId } from './by.js';
import { IdConflictError, NameConflictError, NotFoundError, VersionConflictError } from './errors.js';
import { MemoryStore } from './memory-store.js';
import { testCluster, testNetwork, testNode, testSecret, testService, testTask } from './testing/index.js';
import type { StoreEvent } from './types.js';

function setup(): { store: MemoryStore; clock: FakeClock } {
  const clock = new FakeClock(1_000_000);
  return { store: new MemoryStore({ clock }), clock };
}

const web = testService({ id: 'svc-web', name: 'web' });

test('create sets meta from the clock and the version from the local counter', async (t) => {
  const { store, clock } = setup();
  const staged = await store.update((tx) => tx.services.create(web));
  t.deepEqual(staged.meta, { version: 0, createdAt: 1_000_000, updatedAt: 1_000_000 }, 'staged: version 0');
  t.is(store.version, 1);
  clock.advance(500);
  await store.update((tx) => {
    const s = tx.services.get('svc-web') as Service;
    t.deepEqual(s.meta, { version: 1, createdAt: 1_000_000, updatedAt: 1_000_000 });
    tx.services.update({ ...s, specVersion: 2 });
  });
  const s = store.view((tx) => tx.services.get('svc-web'));
  t.deepEqual(s?.meta, { version: 2, createdAt: 1_000_000, updatedAt: 1_000_500 });
  t.is(s?.specVersion, 2);
  t.is(store.version, 2);
});

test('an update with a stale version fails with a conflict error naming the object', async (t) => {
  const { store } = setup();
  await store.update((tx) => tx.services.create(web));
  const read = store.view((tx) => tx.services.get('svc-web') as Service);
  await store.update((tx) => tx.services.update({ ...read, specVersion: 2 }));
  const err = await t.throwsAsync(
    store.update((tx) => tx.services.update({ ...read, specVersion: 3 })),
    {
      instanceOf: VersionConflictError,
    },
  );
  t.is(err?.code, 'ERR_STORE_VERSION_CONFLICT');
  t.is(
    err?.message,
    'Cannot update service "svc-web": version 1 is out of date, the service is at version 2',
  );
  t.is(err?.expected, 1);
  t.is(err?.actual, 2);
  t.is(err?.fields['service.id'], 'svc-web');
  t.is(store.view((tx) => tx.services.get('svc-web'))?.specVersion, 2);
});

test('a create with a taken name fails, case-insensitively, for the kinds with unique names', async (t) => {
  const { store } = setup();
  await store.update((tx) => {
    tx.services.create(web);
    tx.secrets.create(testSecret('sec-1', 'db'));
    tx.networks.create(testNetwork('net-1', 'ingress'));
    tx.clusters.create(testCluster('cl-1'));
  });
  const err = await t.throwsAsync(
    store.update((tx) => tx.services.create(testService({ id: 'svc-2', name: 'web' }))),
    {
      instanceOf: NameConflictError,
    },
  );
  t.is(err?.code, 'ERR_STORE_NAME_CONFLICT');
  t.is(err?.message, 'Cannot create service "web": name conflicts with an existing service');
  t.is(err?.existingId, 'svc-web');
  await t.throwsAsync(
    store.update((tx) => tx.services.create(testService({ id: 'svc-2', name: 'WEB' }))),
    {
      message: 'Cannot create service "WEB": name conflicts with an existing service',
    },
  );
  await t.throwsAsync(
    store.update((tx) => tx.secrets.create(testSecret('sec-2', 'db'))),
    { instanceOf: NameConflictError },
  );
  await t.throwsAsync(
    store.update((tx) => tx.networks.create(testNetwork('net-2', 'Ingress'))),
    {
      instanceOf: NameConflictError,
    },
  );
  await t.throwsAsync(
    store.update((tx) => tx.clusters.create(testCluster('cl-2'))),
    { instanceOf: NameConflictError },
  );
  // Node and task names are not unique.
  await store.update((tx) => {
    tx.nodes.create(testNode({ id: 'n1', hostname: 'h' }));
    tx.nodes.create(testNode({ id: 'n2', hostname: 'h' }));
  });
  t.is(
    store.view((tx) => tx.nodes.count()),
    2,
  );
});

test('a rename onto a taken name fails; a rename within one transaction may reuse a freed name', async (t) => {
  const { store } = setup();
  await store.update((tx) => {
    tx.services.create(web);
    tx.services.create(testService({ id: 'svc-api', name: 'api' }));
  });
  const api = store.view((tx) => tx.services.get('svc-api') as Service);
  const renamed = { ...api, spec: { ...api.spec, annotations: { name: 'web', labels: {} } } };
  const err = await t.throwsAsync(
    store.update((tx) => tx.services.update(renamed)),
    { instanceOf: NameConflictError },
  );
  t.is(err?.message, 'Cannot rename service "svc-api" to "web": name conflicts with an existing service');
  // Swap: web → old-web, then api → web, in one transaction.
  await store.update((tx) => {
    const w = tx.services.get('svc-web') as Service;
    tx.services.update({ ...w, spec: { ...w.spec, annotations: { name: 'old-web', labels: {} } } });
    tx.services.update(renamed);
  });
  t.is(store.view((tx) => tx.services.resolve('web'))?.id, 'svc-api');
  // Delete frees the name in the same transaction.
  await store.update((tx) => {
    tx.services.delete('svc-api');
    tx.services.create(testService({ id: 'svc-new', name: 'web' }));
  });
  t.is(store.view((tx) => tx.services.resolve('web'))?.id, 'svc-new');
  t.deepEqual(store.checkConsistency(), []);
});

test('a create with a taken id fails, also within the transaction', async (t) => {
  const { store } = setup();
  await store.update((tx) => tx.services.create(web));
  const err = await t.throwsAsync(
    store.update((tx) => tx.services.create(testService({ id: 'svc-web', name: 'other' }))),
    {
      instanceOf: IdConflictError,
    },
  );
  t.is(err?.code, 'ERR_STORE_ID_CONFLICT');
  t.is(err?.message, 'Cannot create service "svc-web": id conflicts with an existing service');
  await t.throwsAsync(
    store.update((tx) => {
      tx.nodes.create(testNode({ id: 'n1', hostname: 'a' }));
      tx.nodes.create(testNode({ id: 'n1', hostname: 'b' }));
    }),
    { instanceOf: IdConflictError },
  );
  // The same id in another kind is another object.
  await store.update((tx) => tx.nodes.create(testNode({ id: 'svc-web', hostname: 'x' })));
});

test('update and delete of a missing object fail with NotFoundError', async (t) => {
  const { store } = setup();
  const del = await t.throwsAsync(
    store.update((tx) => tx.services.delete('svc-web')),
    { instanceOf: NotFoundError },
  );
  t.is(del?.code, 'ERR_STORE_NOT_FOUND');
  t.is(del?.message, 'Cannot delete service "svc-web": no such service');
  const upd = await t.throwsAsync(
    store.update((tx) => tx.services.update(web)),
    { instanceOf: NotFoundError },
  );
  t.is(upd?.message, 'Cannot update service "svc-web": no such service');
  await store.update((tx) => tx.services.create(web));
  await t.throwsAsync(
    store.update((tx) => {
      tx.services.delete('svc-web');
      tx.services.delete('svc-web');
    }),
    { instanceOf: NotFoundError },
  );
  t.is(
    store.view((tx) => tx.services.count()),
    1,
  );
});

test('a failing transaction changes nothing and emits nothing', async (t) => {
  const { store } = setup();
  await store.update((tx) => tx.services.create(web));
  const watcher = store.watch();
  const before = store.snapshot();
  await t.throwsAsync(
    store.update((tx) => {
      tx.services.create(testService({ id: 'svc-2', name: 'two' }));
      tx.services.delete('svc-web');
      tx.nodes.create(testNode({ id: 'n1', hostname: 'h' }));
      throw new Error('boom');
    }),
    { message: 'boom' },
  );
  t.deepEqual(store.snapshot(), before);
  t.is(store.version, 1);
  t.deepEqual(watcher.take(), []);
  // A caught error inside the callback leaves the other writes in place.
  await store.update((tx) => {
    t.throws(() => tx.services.create(testService({ id: 'svc-3', name: 'web' })), {
      instanceOf: NameConflictError,
    });
    tx.services.create(testService({ id: 'svc-4', name: 'four' }));
  });
  t.deepEqual(
    watcher.take().map((e) => e.action),
    ['create', 'commit'],
  );
});

test('writes in one transaction coalesce to one action per object', async (t) => {
  const { store } = setup();
  await store.update((tx) => tx.services.create(web));
  const watcher = store.watch();
  await store.update((tx) => {
    tx.nodes.create(testNode({ id: 'n1', hostname: 'h' }));
    const n = tx.nodes.get('n1');
    if (n === undefined) throw new Error('not staged');
    tx.nodes.update({ ...n, spec: { ...n.spec, availability: 'drain' } });
    tx.nodes.create(testNode({ id: 'n2', hostname: 'gone' }));
    tx.nodes.delete('n2');
    const s = tx.services.get('svc-web') as Service;
    const s2 = tx.services.update({ ...s, specVersion: 5 });
    tx.services.update({ ...s2, specVersion: 6 });
  });
  const events = watcher.take();
  t.deepEqual(
    events.map((e) =>
      e.action === 'commit' || e.action === 'restore' ? e.action : `${e.action} ${e.kind} ${e.object.id}`,
    ),
    ['create node n1', 'update service svc-web', 'commit'],
  );
  const created = events[0];
  t.is(
    created?.action === 'create' && created.kind === 'node' ? created.object.spec.availability : null,
    'drain',
  );
  const svc = store.view((tx) => tx.services.get('svc-web'));
  t.is(svc?.specVersion, 6);
  t.is(svc?.meta.version, 2);
});

test('delete then create of one id in a transaction replaces the object', async (t) => {
  const { store, clock } = setup();
  await store.update((tx) => tx.services.create(web));
  clock.advance(10);
  const watcher = store.watch();
  await store.update((tx) => {
    tx.services.delete('svc-web');
    tx.services.create(testService({ id: 'svc-web', name: 'reborn' }));
  });
  t.deepEqual(
    watcher.take().map((e) => e.action),
    ['delete', 'create', 'commit'],
  );
  const s = store.view((tx) => tx.services.get('svc-web'));
  t.is(s?.spec.annotations.name, 'reborn');
  t.is(s?.meta.createdAt, 1_000_010);
});

test('an update that writes nothing proposes nothing and emits nothing', async (t) => {
  const { store } = setup();
  const watcher = store.watch();
  t.is(await store.update((tx) => tx.services.count()), 0);
  t.is(store.version, 0);
  t.deepEqual(watcher.take(), []);
});

test('objects read are frozen, deeply; objects written become frozen', async (t) => {
  const { store } = setup();
  const input = testService({ id: 'svc-web', name: 'web', labels: { a: '1' } });
  await store.update((tx) => tx.services.create(input));
  t.true(Object.isFrozen(input.spec.annotations.labels), 'the store took the object');
  const s = store.view((tx) => tx.services.get('svc-web') as Service);
  t.true(Object.isFrozen(s));
  t.true(Object.isFrozen(s.meta));
  t.true(Object.isFrozen(s.spec.task.container.env));
  t.throws(
    () => {
      (s.spec.annotations.labels as Record<string, string>).b = '2';
    },
    { instanceOf: TypeError },
  );
  t.throws(
    () => {
      s.spec.task.container.env.push('X=1');
    },
    { instanceOf: TypeError },
  );
  // Reads hand out the stored object itself: no copies.
  t.is(
    store.view((tx) => tx.services.get('svc-web')),
    s,
  );
});

test('secret bytes are copied in and out, so no reader or writer can change the stored data', async (t) => {
  const { store } = setup();
  const data = new TextEncoder().encode('hunter2');
  await store.update((tx) => tx.secrets.create(testSecret('sec-1', 'pw', data)));
  data[0] = 0;
  const read = store.view((tx) => tx.secrets.get('sec-1'));
  t.is(new TextDecoder().decode(read?.spec.data), 'hunter2');
  if (read !== undefined) read.spec.data[0] = 0;
  t.is(new TextDecoder().decode(store.view((tx) => tx.secrets.find()[0]?.spec.data)), 'hunter2');
  t.is(new TextDecoder().decode(store.view((tx) => tx.secrets.resolve('pw')?.spec.data)), 'hunter2');
});

test('values JSON cannot carry are refused with a TypeError naming the field', async (t) => {
  const { store } = setup();
  const svc = testService({ id: 'svc-1', name: 'x' });
  await t.throwsAsync(
    store.update((tx) => tx.services.create({ ...svc, specVersion: Number.NaN })),
    {
      instanceOf: TypeError,
      message: 'Cannot store service "svc-1": field "specVersion" is NaN, which JSON cannot carry',
    },
  );
  const undef = { ...svc, previousSpec: undefined } as unknown as Service;
  await t.throwsAsync(
    store.update((tx) => tx.services.create(undef)),
    {
      message: 'Cannot store service "svc-1": field "previousSpec" is undefined, which JSON cannot carry',
    },
  );
  const task = testTask({ id: 't1', service: svc });
  const dated = { ...task, status: { ...task.status, timestamp: new Date() } } as unknown as Task;
  await t.throwsAsync(
    store.update((tx) => tx.tasks.create(dated)),
    {
      message: 'Cannot store task "t1": field "status.timestamp" is not a plain object',
    },
  );
  const bytes = {
    ...task,
    spec: { ...task.spec, container: { ...task.spec.container, env: [new Uint8Array(1)] } },
  };
  await t.throwsAsync(
    store.update((tx) => tx.tasks.create(bytes as unknown as Task)),
    {
      message:
        'Cannot store task "t1": field "spec.container.env.0" holds bytes; only spec.data of secrets and configs may',
    },
  );
  await t.throwsAsync(
    store.update((tx) => tx.tasks.create({ ...task, id: '' })),
    {
      instanceOf: TypeError,
      message: 'Cannot create task: it has no id',
    },
  );
  t.is(store.version, 0);
});

test('callbacks must be synchronous, and a transaction ends with its callback', async (t) => {
  const { store } = setup();
  await t.throwsAsync(
    store.update(async (tx) => {
      tx.services.create(web);
    }),
    { instanceOf: TypeError, message: /callbacks must be synchronous/ },
  );
  t.is(store.version, 0, 'nothing was written');
  t.throws(() => store.view(async () => 1), { instanceOf: TypeError });
  const leaked = store.view((tx) => tx);
  t.throws(() => leaked.services.find(), { instanceOf: IllegalStateError });
  let kept: Parameters<Parameters<MemoryStore['update']>[0]>[0] | undefined;
  await store.update((tx) => {
    kept = tx;
  });
  t.throws(() => kept?.services.create(web), {
    instanceOf: IllegalStateError,
    message: 'Cannot use a store transaction after its callback returned',
  });
});

test('updates are serialized: each callback sees the writes of the ones before', async (t) => {
  const { store } = setup();
  await store.update((tx) => tx.services.create(web));
  const bumps = Array.from({ length: 20 }, () =>
    store.update((tx) => {
      const s = tx.services.get('svc-web') as Service;
      tx.services.update({ ...s, specVersion: s.specVersion + 1 });
    }),
  );
  await Promise.all(bumps);
  t.is(store.view((tx) => tx.services.get('svc-web'))?.specVersion, 21);
  t.is(store.version, 21);
});

test('view returns a consistent snapshot with the store version', async (t) => {
  const { store } = setup();
  await store.update((tx) => {
    tx.services.create(web);
    for (let i = 1; i <= 3; i++) tx.tasks.create(testTask({ id: `t${i}`, service: web, slot: i }));
  });
  const { version, n } = store.view((tx) => ({
    version: tx.version,
    n: tx.tasks.count(byServiceId('svc-web')),
  }));
  t.is(version, 1);
  t.is(n, 3);
});

test('a closed store refuses writes and ends its watchers', async (t) => {
  const { store } = setup();
  const w = store.watch();
  store.close();
  t.true(w.closed);
  t.deepEqual(await w.next(), { done: true, value: undefined });
  await t.throwsAsync(
    store.update((tx) => tx.services.create(web)),
    { instanceOf: IllegalStateError },
  );
  await t.throwsAsync(
    store.batch(() => undefined),
    { instanceOf: IllegalStateError },
  );
  t.true(store.watch().closed);
  const events: StoreEvent[] = [];
  for await (const e of w) events.push(e);
  t.deepEqual(events, []);
});
