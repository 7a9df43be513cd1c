import test from 'ava';
import { FakeClock } from '../../common/testing/index.js';
import type { Service } from '../../proto/index.js';
import { byServiceId } from './by.js';
import { encodeStoreActions } from './codec.js';
import {
  IdConflictError,
  InvalidActionError,
  NameConflictError,
  NotFoundError,
  VersionConflictError,
} from './errors.js';
import { MemoryStore } from './memory-store.js';
import { MockProposer, testSecret, testService, testTask } from './testing/index.js';
import type { StoreAction, StoreEvent } from './types.js';

const web = testService({ id: 'svc-web', name: 'web' });

/** A leader and two followers on one MockProposer; the followers' clocks disagree with the leader's. */
function cluster(options: ConstructorParameters<typeof MockProposer>[0] = {}) {
  const clock = new FakeClock(5_000);
  const proposer = new MockProposer({ ...options, ...(options.delayMs === undefined ? {} : { clock }) });
  const leader = new MemoryStore({ clock, proposer });
  const followers = [
    new MemoryStore({ clock: new FakeClock(99) }),
    new MemoryStore({ clock: new FakeClock(7) }),
  ];
  proposer.attach(leader, ...followers);
  return { clock, proposer, leader, followers };
}

/** Waits (on real microtasks and immediates, never on time) until `pred` holds. */
async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (pred()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition never held');
}

test('update proposes, and every store applies the entry with the same version and times', async (t) => {
  const { leader, followers, proposer, clock } = cluster();
  proposer.skip(4);
  await leader.update((tx) => {
    tx.services.create(web);
    tx.tasks.create(testTask({ id: 't1', service: web }));
  });
  clock.advance(1000);
  await leader.update((tx) => {
    const s = tx.services.get('svc-web') as Service;
    tx.services.update({ ...s, specVersion: 2 });
  });
  t.is(proposer.log.length, 2);
  t.deepEqual(
    proposer.log.map((e) => e.index),
    [5, 6],
  );
  for (const store of [leader, ...followers]) {
    t.is(store.version, 6);
    const s = store.view((tx) => tx.services.get('svc-web'));
    t.deepEqual(s?.meta, { version: 6, createdAt: 5_000, updatedAt: 6_000 }, 'times come from the entry');
    t.is(store.view((tx) => tx.tasks.get('t1'))?.meta.version, 5);
  }
  const bytes = leader.snapshot();
  for (const f of followers) t.deepEqual(f.snapshot(), bytes);
});

test('update resolves only after the local apply, and watchers saw the events by then', async (t) => {
  const { leader, proposer } = cluster({ mode: 'manual' });
  const w = leader.watch();
  let done = false;
  const p = leader
    .update((tx) => tx.services.create(web))
    .then(() => {
      done = true;
    });
  await until(() => proposer.pending === 1);
  t.false(done);
  t.is(
    leader.view((tx) => tx.services.count()),
    0,
    'nothing applied before the commit',
  );
  t.deepEqual(w.take(), []);
  proposer.commitNext();
  await p;
  t.is(
    leader.view((tx) => tx.services.count()),
    1,
  );
  t.deepEqual(
    w.take().map((e) => e.action),
    ['create', 'commit'],
  );
});

test('a failed proposal leaves no change and emits nothing', async (t) => {
  const { leader, followers, proposer } = cluster();
  await leader.update((tx) => tx.services.create(web));
  const w = leader.watch();
  const before = leader.snapshot();
  proposer.failNext(new Error('not the leader'));
  await t.throwsAsync(
    leader.update((tx) => tx.services.delete('svc-web')),
    { message: 'not the leader' },
  );
  t.deepEqual(leader.snapshot(), before);
  for (const f of followers) t.deepEqual(f.snapshot(), before);
  t.deepEqual(w.take(), []);
  // A dropped proposal (manual mode) likewise.
  const manual = cluster({ mode: 'manual' });
  const p = manual.leader.update((tx) => tx.services.create(web));
  await until(() => manual.proposer.pending === 1);
  manual.proposer.dropNext(new Error('superseded'));
  await t.throwsAsync(p, { message: 'superseded' });
  t.is(manual.leader.version, 0);
  // The store stays usable.
  await leader.update((tx) => tx.services.delete('svc-web'));
  t.is(
    leader.view((tx) => tx.services.count()),
    0,
  );
});

test('an entry that conflicts at apply time is refused whole, identically on every store', async (t) => {
  const { leader, followers, proposer } = cluster({ mode: 'manual' });
  const first = leader.update((tx) => {
    tx.services.create(web);
  });
  await until(() => proposer.pending === 1);
  proposer.commitNext();
  await first;
  const svc = leader.view((tx) => tx.services.get('svc-web') as Service);
  // The leader proposes an update; before it commits, an entry from an earlier leader updates the service.
  const mine = leader.update((tx) => {
    tx.services.update({ ...svc, specVersion: 2 });
    tx.tasks.create(testTask({ id: 't1', service: web }));
  });
  await until(() => proposer.pending === 1);
  const foreign = proposer.deliver([
    { action: 'update', kind: 'service', object: { ...svc, specVersion: 7 }, timestamp: 1 },
  ]);
  t.true(foreign.ok);
  const w = leader.watch();
  const result = proposer.commitNext();
  t.false(result?.ok);
  const err = await t.throwsAsync(mine, { instanceOf: VersionConflictError });
  t.is(
    err?.message,
    'Cannot update service "svc-web": version 1 is out of date, the service is at version 2',
  );
  for (const store of [leader, ...followers]) {
    t.is(store.view((tx) => tx.services.get('svc-web'))?.specVersion, 7);
    t.is(
      store.view((tx) => tx.tasks.count()),
      0,
      'the whole entry was refused',
    );
    t.is(store.version, 3, 'the refused entry still took its index');
  }
  t.deepEqual(w.take(), [], 'a refused entry emits nothing');
  t.deepEqual(followers[0]?.snapshot(), leader.snapshot());
});

test('apply re-checks names, ids and existence against the state at its index', (t) => {
  const store = new MemoryStore();
  const create = (id: string, name: string): StoreAction => ({
    action: 'create',
    kind: 'service',
    object: testService({ id, name }),
    timestamp: 10,
  });
  t.true(store.apply([create('s1', 'web')], 1).ok);
  const nameClash = store.apply([create('s2', 'Web')], 2);
  t.true(!nameClash.ok && nameClash.error instanceof NameConflictError);
  const idClash = store.apply([create('s1', 'other')], 3);
  t.true(!idClash.ok && idClash.error instanceof IdConflictError);
  const missing = store.apply([{ action: 'delete', kind: 'service', id: 'nope', timestamp: 10 }], 4);
  t.true(!missing.ok && missing.error instanceof NotFoundError);
  // Within one entry, later actions see earlier ones: delete frees the name, create then update works.
  const ok = store.apply(
    [
      { action: 'delete', kind: 'service', id: 's1', timestamp: 10 },
      create('s3', 'web'),
      {
        action: 'update',
        kind: 'service',
        object: {
          ...testService({ id: 's3', name: 'web' }),
          meta: { version: 5, createdAt: 0, updatedAt: 0 },
        },
        timestamp: 11,
      },
    ],
    5,
  );
  t.deepEqual(ok, { ok: true, version: 5 });
  t.deepEqual(store.view((tx) => tx.services.get('s3'))?.meta, { version: 5, createdAt: 10, updatedAt: 11 });
  const bad = store.apply(
    [{ action: 'create', kind: 'gadget', object: web, timestamp: 1 } as unknown as StoreAction],
    6,
  );
  t.true(!bad.ok && bad.error instanceof InvalidActionError);
  t.is(!bad.ok ? bad.error.message : '', 'Cannot apply store action 0: unknown kind "gadget"');
  const nan = store.apply(
    [{ action: 'create', kind: 'service', object: { ...web, specVersion: Number.NaN }, timestamp: 1 }],
    7,
  );
  t.true(!nan.ok && nan.error instanceof InvalidActionError);
  t.is(store.version, 7);
  t.deepEqual(store.checkConsistency(), []);
});

test('apply refuses an index that does not advance', (t) => {
  const store = new MemoryStore();
  store.apply([], 3);
  t.throws(() => store.apply([], 3), {
    instanceOf: RangeError,
    message: 'Cannot apply store entry 3: the store is already at version 3',
  });
  t.throws(() => store.applyEncoded(new Uint8Array(), 2), { instanceOf: RangeError });
});

test('applyEncoded refuses bytes that do not decode, as a result', (t) => {
  const store = new MemoryStore();
  const r = store.applyEncoded(new TextEncoder().encode('{"nope":1}'), 1);
  t.false(r.ok);
  t.true(!r.ok && r.error instanceof InvalidActionError);
  t.is(store.version, 1);
  const ok = store.applyEncoded(
    encodeStoreActions([{ action: 'create', kind: 'service', object: web, timestamp: 3 }]),
    2,
  );
  t.true(ok.ok);
});

test('a follower fed the leader log ends identical, bytes of secrets included', async (t) => {
  const { leader, proposer } = cluster();
  await leader.update((tx) => {
    tx.services.create(web);
    tx.secrets.create(testSecret('sec-1', 'db', new Uint8Array([0, 1, 2, 255])));
  });
  await leader.batch(async (b) => {
    for (let i = 1; i <= 30; i++)
      await b.update((tx) => tx.tasks.create(testTask({ id: `t${i}`, service: web, slot: i })));
  });
  await leader.update((tx) => tx.tasks.delete('t3'));
  const late = new MemoryStore();
  for (const e of proposer.log) late.apply(e.actions, e.index);
  t.deepEqual(late.snapshot(), leader.snapshot());
  t.deepEqual([...(late.view((tx) => tx.secrets.get('sec-1'))?.spec.data ?? [])], [0, 1, 2, 255]);
  t.is(
    late.view((tx) => tx.tasks.count(byServiceId('svc-web'))),
    29,
  );
});

test('without encoding, stores share the action objects and still end identical', async (t) => {
  const proposer = new MockProposer({ encode: false });
  const a = new MemoryStore({ proposer, clock: new FakeClock() });
  const b = new MemoryStore();
  proposer.attach(a, b);
  await a.update((tx) => tx.secrets.create(testSecret('s', 'pw', 'x')));
  t.deepEqual(a.snapshot(), b.snapshot());
  t.is(proposer.log[0]?.data, null);
});

test('delay mode commits on the fake clock', async (t) => {
  const { leader, proposer, clock } = cluster({ delayMs: 50 });
  const events: StoreEvent[] = [];
  const w = leader.watch();
  const p = leader.update((tx) => tx.services.create(web));
  await until(() => proposer.proposals === 1);
  clock.advance(49);
  t.is(proposer.pending, 1);
  clock.advance(1);
  await p;
  events.push(...w.take());
  t.deepEqual(
    events.map((e) => e.action),
    ['create', 'commit'],
  );
});

test('MockProposer checks its options and needs a store', async (t) => {
  t.throws(() => new MockProposer({ delayMs: 5 }), { instanceOf: TypeError });
  const lonely = new MockProposer();
  const store = new MemoryStore({ proposer: lonely });
  await t.throwsAsync(
    store.update((tx) => tx.services.create(web)),
    { message: 'MockProposer: no store attached' },
  );
  lonely.attach(store);
  lonely.detach(store);
  t.is(lonely.commitNext(), undefined);
});
