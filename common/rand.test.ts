import test from 'ava';
import { randomSeededRand, SeededRand } from './rand.js';

test('`SeededRand` gives the same sequence for the same seed', (t) => {
  const a = new SeededRand(42);
  const b = new SeededRand(42);
  const c = new SeededRand(43);
  const sa = Array.from({ length: 20 }, () => a.next());
  const sb = Array.from({ length: 20 }, () => b.next());
  const sc = Array.from({ length: 20 }, () => c.next());
  t.deepEqual(sa, sb);
  t.notDeepEqual(sa, sc);
});

test('`SeededRand.int()` stays in range and covers it', (t) => {
  const r = new SeededRand(7);
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 10_000; i++) {
    const v = r.int(10);
    t.true(v >= 0 && v < 10);
    counts[v] = (counts[v] ?? 0) + 1;
  }
  for (const c of counts) t.true(c > 800 && c < 1200, `bucket count ${c}`);
  t.throws(() => r.int(0), { instanceOf: RangeError });
  t.throws(() => r.int(1.5), { instanceOf: RangeError });
});

test('`SeededRand.fork()` is deterministic and independent of the parent', (t) => {
  const a = new SeededRand(1).fork();
  const b = new SeededRand(1).fork();
  t.is(a.next(), b.next());
  const r = randomSeededRand();
  const v = r.next();
  t.true(v >= 0 && v < 1);
});
