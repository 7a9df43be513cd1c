import test from 'ava';
import { InvariantViolationError } from './errors.js';
import { Inflights } from './inflights.js';

test('`Inflights` fills up to its size and frees in order', (t) => {
  const f = new Inflights(10);
  for (let i = 0; i < 10; i++) f.add(i, 100);
  t.true(f.full());
  t.is(f.count, 10);
  t.is(f.bytes, 1000);
  f.freeLE(4);
  t.is(f.count, 5);
  t.is(f.bytes, 500);
  t.false(f.full());
  f.freeLE(8);
  t.is(f.count, 1);
  f.freeLE(9);
  t.is(f.count, 0);
  t.is(f.bytes, 0);
});

test('`Inflights` wraps around its ring and grows lazily', (t) => {
  const f = new Inflights(40);
  let next = 0;
  for (let round = 0; round < 50; round++) {
    while (!f.full()) f.add(next++, 1);
    f.freeLE(next - 1 - (round % 7));
    t.is(f.count, round % 7);
  }
  f.freeLE(next);
  t.is(f.count, 0);
});

test('`Inflights.freeLE()` below the oldest index frees nothing', (t) => {
  const f = new Inflights(4);
  f.add(10, 5);
  f.add(20, 5);
  f.freeLE(9);
  t.is(f.count, 2);
  f.freeLE(15);
  t.is(f.count, 1);
  t.is(f.bytes, 5);
});

test('`Inflights` is full when the byte budget is used up', (t) => {
  const f = new Inflights(100, 1000);
  f.add(1, 600);
  t.false(f.full());
  f.add(2, 400);
  t.true(f.full());
  f.freeLE(1);
  t.false(f.full());
});

test('`Inflights.add()` into a full window is an invariant violation', (t) => {
  const f = new Inflights(1);
  f.add(1, 1);
  t.throws(() => f.add(2, 1), { instanceOf: InvariantViolationError });
  f.reset();
  t.is(f.count, 0);
  t.notThrows(() => f.add(3, 1));
});
