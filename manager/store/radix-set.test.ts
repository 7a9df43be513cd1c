import test from 'ava';
import fc from 'fast-check';
import { RadixSet } from './radix-set.js';

test('add, has, delete and prefix collection', (t) => {
  const s = new RadixSet();
  for (const k of ['romane', 'romanus', 'romulus', 'rubens', 'ruber', 'rubicon', 'rubicundus', 'r', ''])
    t.true(s.add(k));
  t.false(s.add('ruber'));
  t.is(s.size, 9);
  t.true(s.has('rom') === false && s.has('romane') && s.has('') && s.has('r'));
  t.deepEqual(s.collect('rub').sort(), ['rubens', 'ruber', 'rubicon', 'rubicundus']);
  t.deepEqual(s.collect('rubic').sort(), ['rubicon', 'rubicundus']);
  t.deepEqual(s.collect('x'), []);
  t.deepEqual(s.collect('romanesque'), []);
  t.is(s.collect('').length, 9);
  t.is(s.collect('r', [], 2).length, 2);
  t.true(s.delete('ruber'));
  t.false(s.delete('ruber'));
  t.false(s.delete('rube'));
  t.true(s.delete(''));
  t.true(s.delete('r'));
  t.deepEqual(s.collect('rube'), ['rubens']);
  t.is(s.size, 6);
});

test('a RadixSet behaves as a Set with prefix queries (property)', (t) => {
  const key = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'ab'), maxLength: 6 });
  const op = fc.oneof(
    fc.record({ op: fc.constant('add' as const), key }),
    fc.record({ op: fc.constant('delete' as const), key }),
    fc.record({ op: fc.constant('prefix' as const), key }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const s = new RadixSet();
      const model = new Set<string>();
      for (const { op: o, key: k } of ops) {
        if (o === 'add') {
          if (s.add(k) !== !model.has(k)) return false;
          model.add(k);
        } else if (o === 'delete') {
          if (s.delete(k) !== model.has(k)) return false;
          model.delete(k);
        } else {
          const want = [...model].filter((m) => m.startsWith(k)).sort();
          if (JSON.stringify(s.collect(k).sort()) !== JSON.stringify(want)) return false;
        }
        if (s.size !== model.size) return false;
        for (const m of model) if (!s.has(m)) return false;
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});
