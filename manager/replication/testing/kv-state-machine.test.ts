import test from 'ava';
import type { KvCommand } from './kv-state-machine.js';
import { decodeKvCommand, encodeKvCommand, KvStateMachine } from './kv-state-machine.js';

const b = (s: string) => new TextEncoder().encode(s);
const s = (u: Uint8Array | null | undefined) => (u == null ? null : new TextDecoder().decode(u));

test('`encodeKvCommand()` and `decodeKvCommand()` round-trip every command', (t) => {
  const value = new Uint8Array(256).map((_, i) => i);
  const cmds: KvCommand[] = [
    { op: 'put', key: 'k', value },
    { op: 'put', key: 'ключ/with spaces', value: new Uint8Array(0) },
    { op: 'delete', key: 'k' },
    { op: 'cas', key: 'k', expected: null, value },
    { op: 'cas', key: 'k', expected: b('old'), value: b('new') },
    { op: 'cas', key: '', expected: new Uint8Array(0), value: b('x') },
  ];
  for (const cmd of cmds) t.deepEqual(decodeKvCommand(encodeKvCommand(cmd)), cmd);
  t.throws(() => encodeKvCommand({ op: 'delete', key: 'x'.repeat(70_000) }), { instanceOf: RangeError });
  t.throws(() => decodeKvCommand(Uint8Array.of(9, 0, 0)), {
    instanceOf: RangeError,
    message: /unknown op 9/,
  });
  t.throws(() => decodeKvCommand(Uint8Array.of(1, 9, 0)), {
    instanceOf: RangeError,
    message: /truncated key/,
  });
});

test('`kvStateMachine.apply()` puts, deletes and compares-and-sets, with the entry index as revision', (t) => {
  const sm = new KvStateMachine();
  t.deepEqual(sm.apply(encodeKvCommand({ op: 'put', key: 'a', value: b('1') }), 5), {
    ok: true,
    revision: 5,
    current: null,
  });
  t.is(s(sm.get('a')?.value), '1');
  t.is(sm.get('a')?.revision, 5);
  const miss = sm.apply(encodeKvCommand({ op: 'cas', key: 'a', expected: b('2'), value: b('3') }), 6);
  t.false(miss.ok);
  t.is(s(miss.current), '1');
  t.true(sm.apply(encodeKvCommand({ op: 'cas', key: 'a', expected: b('1'), value: b('3') }), 7).ok);
  t.is(s(sm.get('a')?.value), '3');
  t.false(sm.apply(encodeKvCommand({ op: 'cas', key: 'a', expected: null, value: b('4') }), 8).ok);
  t.true(sm.apply(encodeKvCommand({ op: 'cas', key: 'b', expected: null, value: b('4') }), 9).ok);
  t.true(sm.apply(encodeKvCommand({ op: 'delete', key: 'a' }), 10).ok);
  t.false(sm.apply(encodeKvCommand({ op: 'delete', key: 'a' }), 11).ok);
  t.is(sm.get('a'), null);
  // Garbage is refused as a result, never thrown (apply must not throw).
  t.deepEqual(sm.apply(Uint8Array.of(42), 12), { ok: false, revision: 12, current: null });
  t.is(sm.appliedIndex, 12);
});

test('`kvStateMachine.apply()` keeps its own copy of the value', (t) => {
  const sm = new KvStateMachine();
  const data = encodeKvCommand({ op: 'put', key: 'a', value: b('abc') });
  sm.apply(data, 1);
  data.fill(0);
  t.is(s(sm.get('a')?.value), 'abc');
});

test('`kvStateMachine.snapshot()` is canonical and `restore()` brings the same state back', (t) => {
  const a = new KvStateMachine();
  const c = new KvStateMachine();
  for (let i = 0; i < 50; i++)
    a.apply(encodeKvCommand({ op: 'put', key: `k${i}`, value: b(`v${i}`) }), i + 1);
  // Same keys, values and revisions reached in another order (and a key come and gone): same bytes.
  c.apply(encodeKvCommand({ op: 'put', key: 'zz', value: b('x') }), 1);
  c.apply(encodeKvCommand({ op: 'delete', key: 'zz' }), 1);
  for (let i = 49; i >= 0; i--)
    c.apply(encodeKvCommand({ op: 'put', key: `k${i}`, value: b(`v${i}`) }), i + 1);
  c.apply(encodeKvCommand({ op: 'delete', key: 'none' }), 50);
  const snap = a.snapshot();
  t.deepEqual(c.snapshot(), snap);
  const r = new KvStateMachine();
  r.apply(encodeKvCommand({ op: 'put', key: 'stale', value: b('x') }), 1);
  r.restore(snap, 50);
  t.deepEqual(r.snapshot(), snap);
  t.is(r.get('stale'), null);
  t.is(s(r.get('k7')?.value), 'v7');
  t.is(r.get('k7')?.revision, 8);
  t.is(r.size, 50);
  t.throws(() => r.restore(b('nope'), 3), { instanceOf: RangeError, message: /bad magic/ });
  t.throws(() => r.restore(snap.subarray(0, snap.byteLength - 3), 3), {
    instanceOf: RangeError,
    message: /truncated/,
  });
  t.is(s(r.get('k7')?.value), 'v7', 'a failed restore changes nothing');
});
