import test from 'ava';
import { SplitMix64 } from './split-mix64.js';

/** The textbook SplitMix64 on BigInt, as common's SeededRand implements it. */
function* reference(seed: bigint): Generator<bigint> {
  const mask = (1n << 64n) - 1n;
  let state = BigInt.asUintN(64, seed);
  for (;;) {
    state = (state + 0x9e3779b97f4a7c15n) & mask;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    yield z ^ (z >> 31n);
  }
}

test('`SplitMix64` matches the reference generator bit for bit', (t) => {
  for (const seed of [0n, 1n, 42n, 0xdeadbeefn, (1n << 64n) - 1n, 1234567890123456789n]) {
    const ours = new SplitMix64(seed);
    const ref = reference(seed);
    for (let i = 0; i < 500; i++) {
      const [hi, lo] = ours.next64();
      const want = ref.next().value as bigint;
      t.is((BigInt(hi) << 32n) | BigInt(lo), want, `seed ${seed}, draw ${i}`);
    }
  }
  const [hi, lo] = new SplitMix64(0).next64();
  t.is(
    ((BigInt(hi) << 32n) | BigInt(lo)).toString(16),
    'e220a8397b1dcdaf',
    'the published first output for seed 0',
  );
});

test('`SplitMix64.next()` uses the top 53 bits, like common’s SeededRand', (t) => {
  const ours = new SplitMix64(7);
  const ref = reference(7n);
  for (let i = 0; i < 100; i++) t.is(ours.next(), Number((ref.next().value as bigint) >> 11n) / 2 ** 53);
});

test('`SplitMix64.int()` stays in range and rejects bad bounds; `fork()` is deterministic', (t) => {
  const r = new SplitMix64(3);
  for (let i = 0; i < 1000; i++) {
    const v = r.int(7);
    t.true(Number.isInteger(v) && v >= 0 && v < 7);
  }
  t.throws(() => r.int(0), { instanceOf: RangeError });
  t.is(new SplitMix64(5).fork().next(), new SplitMix64(5).fork().next());
});
