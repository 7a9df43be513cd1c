import test from 'ava';
import { FakeClock } from '../../common/testing/index.js';
import type { Service } from '../../proto/index.js';
import { byLabels, byName, byNodeId, byServiceId } from './by.js';
import { SnapshotDecodeError } from './errors.js';
import { MemoryStore } from './memory-store.js';
import {
  testCluster,
  testConfig,
  testNetwork,
  testNode,
  testSecret,
  testService,
  testTask,
} from './testing/index.js';

async function populated(): Promise<MemoryStore> {
  const store = new MemoryStore({ clock: new FakeClock() });
  const web = testService({ id: 'svc-web', name: 'web', labels: { tier: 'front' } });
  await store.update((tx) => {
    tx.clusters.create(testCluster('cl'));
    tx.nodes.create(testNode({ id: 'n1', hostname: 'h1', labels: { zone: 'a' } }));
    tx.services.create(web);
    tx.secrets.create(testSecret('sec', 'db', new Uint8Array([1, 2, 3, 0, 255])));
    tx.configs.create(testConfig('cfg', 'conf', 'key=value\n'));
    tx.networks.create(testNetwork('net', 'overlay-1'));
    for (let i = 1; i <= 4; i++)
      tx.tasks.create(testTask({ id: `t${i}`, service: web, slot: i, nodeId: i % 2 ? 'n1' : '' }));
  });
  await store.update((tx) => tx.tasks.delete('t4'));
  return store;
}

test('snapshot + restore gives back the same store', async (t) => {
  const store = await populated();
  const bytes = store.snapshot();
  const copy = new MemoryStore();
  copy.restore(bytes);
  t.is(copy.version, store.version);
  t.deepEqual(copy.snapshot(), bytes);
  t.deepEqual(copy.checkConsistency(), []);
  copy.view((tx) => {
    t.deepEqual(
      tx.tasks
        .find(byServiceId('svc-web'))
        .map((x) => x.id)
        .sort(),
      ['t1', 't2', 't3'],
    );
    t.deepEqual(
      tx.tasks
        .find(byNodeId('n1'))
        .map((x) => x.id)
        .sort(),
      ['t1', 't3'],
    );
    t.is(tx.services.find(byLabels({ tier: 'front' }))[0]?.id, 'svc-web');
    t.deepEqual([...(tx.secrets.get('sec')?.spec.data ?? [])], [1, 2, 3, 0, 255]);
    t.true(tx.secrets.get('sec')?.spec.data instanceof Uint8Array);
    t.is(new TextDecoder().decode(tx.configs.resolve('conf')?.spec.data), 'key=value\n');
    t.true(Object.isFrozen(tx.nodes.get('n1')?.spec));
    t.deepEqual(
      tx.services.get('svc-web'),
      store.view((v) => v.services.get('svc-web')),
    );
  });
  // The restored store goes on from the snapshot's version.
  await copy.update((tx) => tx.tasks.delete('t1'));
  t.is(copy.version, store.version + 1);
});

test('the encoding is deterministic: key order and insertion order do not matter', async (t) => {
  const a = new MemoryStore({ clock: new FakeClock() });
  const b = new MemoryStore({ clock: new FakeClock() });
  const s1 = testService({ id: 's1', name: 'one', labels: { x: '1', a: '2' } });
  const s2 = testService({ id: 's2', name: 'two' });
  // The same objects with their keys in reverse order.
  const reversed = (o: object): object =>
    Array.isArray(o)
      ? o.map((v) => (v !== null && typeof v === 'object' ? reversed(v) : v))
      : Object.fromEntries(
          Object.entries(o)
            .reverse()
            .map(([k, v]) => [k, v !== null && typeof v === 'object' ? reversed(v) : v]),
        );
  await a.update((tx) => {
    tx.services.create(s1);
    tx.services.create(s2);
  });
  await b.update((tx) => {
    tx.services.create(reversed(s2) as Service);
    tx.services.create(reversed(s1) as Service);
  });
  t.deepEqual(a.snapshot(), b.snapshot());
  t.deepEqual(a.snapshot(), a.snapshot());
});

test('restore replaces everything, rebuilds the indexes, and signals watchers', async (t) => {
  const source = await populated();
  const target = new MemoryStore({ clock: new FakeClock() });
  await target.update((tx) => {
    tx.services.create(testService({ id: 'other', name: 'web' }));
    tx.nodes.create(testNode({ id: 'n9', hostname: 'h9' }));
  });
  const w = target.watch({ kinds: ['node'] });
  target.restore(source.snapshot());
  t.deepEqual(w.take(), [{ action: 'restore', version: source.version }], 'even a filtered watcher gets it');
  target.view((tx) => {
    t.is(tx.nodes.get('n9'), undefined);
    t.is(tx.services.resolve('web')?.id, 'svc-web');
    t.deepEqual(
      tx.services.find(byName('web')).map((s) => s.id),
      ['svc-web'],
    );
  });
  t.deepEqual(target.checkConsistency(), []);
  // An empty store's snapshot empties a store.
  target.restore(new MemoryStore().snapshot());
  t.is(
    target.view((tx) => tx.tasks.count() + tx.services.count()),
    0,
  );
  t.is(target.version, 0);
});

test('restore refuses what is not a valid snapshot and leaves the store unchanged', async (t) => {
  const store = await populated();
  const before = store.snapshot();
  const text = new TextDecoder().decode(before);
  const bad = (s: string): Uint8Array => new TextEncoder().encode(s);
  const cases: [Uint8Array, string][] = [
    [bad('not json'), /^Cannot restore store snapshot: Unexpected token/.source],
    [new Uint8Array([0xff, 0xfe]), 'The encoded data was not valid for encoding utf-8'],
    [bad('{"format":"other"}'), 'it is not a swarmd store snapshot'],
    [bad('{"format":"swarmd-store","formatVersion":2}'), 'unknown snapshot format version 2'],
    [bad('{"format":"swarmd-store","formatVersion":1,"version":-1}'), 'it has no valid version'],
    [
      bad('{"format":"swarmd-store","formatVersion":1,"version":1,"objects":{"task":{}}}'),
      'its tasks are not a list',
    ],
    [bad(text.replace('"id":"t2"', '"id":"t1"')), 'task "t1" appears twice'],
    [bad(text.replace('"data":"AQIDAP8="', '"data":7')), 'secret has no base64 spec.data'],
  ];
  for (const [data, message] of cases) {
    const err = t.throws(() => store.restore(data), { instanceOf: SnapshotDecodeError });
    t.is(err?.code, 'ERR_STORE_SNAPSHOT_DECODE');
    if (message.startsWith('^')) t.regex(err?.message ?? '', new RegExp(message));
    else t.is(err?.message, `Cannot restore store snapshot: ${message}`);
  }
  // Duplicate names of a unique kind.
  const two = new MemoryStore({ clock: new FakeClock() });
  await two.update((tx) => {
    tx.services.create(testService({ id: 'a', name: 'x' }));
    tx.services.create(testService({ id: 'b', name: 'y' }));
  });
  const dup = new TextDecoder().decode(two.snapshot()).replace('"name":"y"', '"name":"X"');
  t.throws(() => store.restore(bad(dup)), {
    message: 'Cannot restore store snapshot: two services are named "X"',
  });
  t.deepEqual(store.snapshot(), before);
});

test('snapshotAsync gives the bytes of the state at its call, while writes go on', async (t) => {
  const store = await populated();
  const want = store.snapshot();
  const pending = store.snapshotAsync(2);
  await store.update((tx) => tx.tasks.delete('t1'));
  await store.update((tx) => tx.nodes.delete('n1'));
  t.deepEqual(await pending, want);
  t.notDeepEqual(store.snapshot(), want);
});
