import test from 'ava';
import { canonicalJson, decodeStoreActions, encodeStoreActions } from './codec.js';
import { InvalidActionError } from './errors.js';
import { MemoryStore } from './memory-store.js';
import { testSecret, testService } from './testing/index.js';
import type { StoreAction } from './types.js';

test('actions round-trip through the entry encoding, bytes included', (t) => {
  const actions: StoreAction[] = [
    { action: 'create', kind: 'service', object: testService({ id: 's', name: 'web' }), timestamp: 12 },
    {
      action: 'update',
      kind: 'secret',
      object: testSecret('k', 'pw', new Uint8Array([0, 128, 255])),
      timestamp: 13,
    },
    { action: 'delete', kind: 'task', id: 't', timestamp: 14 },
  ];
  const decoded = decodeStoreActions(encodeStoreActions(actions));
  t.deepEqual(decoded, actions);
  const secret = decoded[1];
  t.true(
    secret?.action === 'update' && secret.kind === 'secret' && secret.object.spec.data instanceof Uint8Array,
  );
  t.false(
    secret?.action === 'update' && secret.kind === 'secret' && Buffer.isBuffer(secret.object.spec.data),
    'a plain Uint8Array',
  );
  // The actions themselves are untouched.
  t.true(
    actions[1]?.action === 'update' &&
      actions[1].kind === 'secret' &&
      actions[1].object.spec.data instanceof Uint8Array,
  );
});

test('decode refuses malformed entries with InvalidActionError', (t) => {
  const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
  const cases: [Uint8Array, string][] = [
    [new TextEncoder().encode('{'), 'Cannot apply store entry: it is not UTF-8 JSON'],
    [enc({ v: 2, actions: [] }), 'Cannot apply store entry: unknown entry format 2'],
    [enc({ v: 1 }), 'Cannot apply store entry: it has no list of actions'],
    [enc({ v: 1, actions: [null] }), 'Cannot apply store action 0: it is not an object'],
    [
      enc({ v: 1, actions: [{ action: 'create', kind: 'task', timestamp: 1, object: { id: '' } }] }),
      'Cannot apply store action 0: the task has no id',
    ],
    [
      enc({ v: 1, actions: [{ action: 'update', kind: 'task', timestamp: 1, object: { id: 'x' } }] }),
      'Cannot apply store action 0: task "x" has no meta.version',
    ],
    [
      enc({ v: 1, actions: [{ action: 'delete', kind: 'task', timestamp: 1 }] }),
      'Cannot apply store action 0: the task to delete has no id',
    ],
    [
      enc({ v: 1, actions: [{ action: 'upsert', kind: 'task', timestamp: 1 }] }),
      'Cannot apply store action 0: unknown action "upsert"',
    ],
    [
      enc({ v: 1, actions: [{ action: 'delete', kind: 'task', id: 'x' }] }),
      'Cannot apply store action 0: its timestamp is not a finite number',
    ],
    [
      enc({
        v: 1,
        actions: [
          { action: 'create', kind: 'secret', timestamp: 1, object: { id: 'x', spec: { data: '!!' } } },
        ],
      }),
      'Cannot apply store action 0: secret has no base64 spec.data',
    ],
  ];
  for (const [data, message] of cases) {
    const err = t.throws(() => decodeStoreActions(data), { instanceOf: InvalidActionError });
    t.is(err?.message, message);
    t.is(err?.code, 'ERR_STORE_INVALID_ACTION');
  }
});

test('canonicalJson sorts keys at every depth and matches JSON otherwise', (t) => {
  t.is(
    canonicalJson({ b: 1, a: [{ d: true, c: null }, 'x"y'], e: -0 }),
    '{"a":[{"c":null,"d":true},"x\\"y"],"b":1,"e":0}',
  );
  const v = { n: 1.5e300, s: 'é\u0000', arr: [1, [2, []]], o: {} };
  t.deepEqual(JSON.parse(canonicalJson(v)), v);
  t.throws(() => canonicalJson({ x: Number.POSITIVE_INFINITY }), { instanceOf: TypeError });
  t.throws(() => canonicalJson({ x: () => 1 }), { instanceOf: TypeError });
});

test('a snapshot body is canonical JSON of its content', (t) => {
  const store = new MemoryStore();
  store.apply(
    [
      { action: 'create', kind: 'secret', object: testSecret('k', 'pw', new Uint8Array([9])), timestamp: 1 },
      { action: 'create', kind: 'service', object: testService({ id: 'b', name: 'b' }), timestamp: 1 },
      { action: 'create', kind: 'service', object: testService({ id: 'a', name: 'a' }), timestamp: 1 },
    ],
    4,
  );
  const text = new TextDecoder().decode(store.snapshot());
  t.is(canonicalJson(JSON.parse(text)), text);
  const body = JSON.parse(text) as { version: number; objects: Record<string, { id: string }[]> };
  t.is(body.version, 4);
  t.deepEqual(Object.keys(body.objects), [
    'cluster',
    'config',
    'network',
    'node',
    'secret',
    'service',
    'task',
  ]);
  t.deepEqual(
    body.objects.service?.map((s) => s.id),
    ['a', 'b'],
  );
});
