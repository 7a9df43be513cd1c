import test from 'ava';
import { decodeKvCommand, encodeKvCommand, KvStateMachine } from './kv-state-machine.js';

test('`KvStateMachine` applies writes and compare-and-sets once per client sequence number', (t) => {
  const kv = new KvStateMachine();
  t.deepEqual(kv.apply({ kind: 'write', client: 1, seq: 1, key: 'x', value: 5 }), {
    duplicate: false,
    ok: true,
  });
  t.deepEqual(kv.apply({ kind: 'write', client: 1, seq: 1, key: 'x', value: 9 }), { duplicate: true });
  t.is(kv.get('x'), 5);
  t.deepEqual(kv.apply({ kind: 'cas', client: 2, seq: 1, key: 'x', expected: 4, value: 6 }), {
    duplicate: false,
    ok: false,
  });
  t.deepEqual(kv.apply({ kind: 'cas', client: 2, seq: 2, key: 'x', expected: 5, value: 6 }), {
    duplicate: false,
    ok: true,
  });
  t.is(kv.get('x'), 6);
  t.is(kv.get('y'), null);
});

test('`KvStateMachine` snapshots round-trip, and commands round-trip through entry data', (t) => {
  const kv = new KvStateMachine();
  kv.apply({ kind: 'write', client: 1, seq: 3, key: 'x', value: 5 });
  const copy = new KvStateMachine();
  copy.restore(kv.serialize());
  t.is(copy.get('x'), 5);
  t.deepEqual(copy.apply({ kind: 'write', client: 1, seq: 2, key: 'x', value: 1 }), { duplicate: true });
  for (const cmd of [
    { kind: 'write', client: 1, seq: 2, key: 'k', value: 3 },
    { kind: 'cas', client: 4, seq: 5, key: 'k', expected: null, value: 6 },
    { kind: 'cas', client: 4, seq: 6, key: 'k', expected: 6, value: 7 },
    { kind: 'probe', client: 9, seq: 1 },
  ] as const)
    t.deepEqual(decodeKvCommand(encodeKvCommand(cmd)), cmd);
});
