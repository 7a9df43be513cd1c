import test from 'ava';
import type { KvInput, KvOperation, KvOutput } from './kv-model.js';
import { kvModel } from './kv-model.js';
import { checkLinearizable } from './linearizability.js';

let client = 0;
function op(input: KvInput, output: KvOutput | undefined, call: number, ret: number): KvOperation {
  return { clientId: client++, input, output, call, ret };
}
const w = (value: number, call: number, ret: number, key = 'x') =>
  op({ kind: 'write', key, value }, {}, call, ret);
const r = (value: number | null, call: number, ret: number, key = 'x') =>
  op({ kind: 'read', key }, { value }, call, ret);
const cas = (expected: number | null, value: number, ok: boolean | undefined, call: number, ret: number) =>
  op({ kind: 'cas', key: 'x', expected, value }, ok === undefined ? undefined : { ok }, call, ret);

function check(history: KvOperation[]): string {
  return checkLinearizable(kvModel, history).result;
}

test('`checkLinearizable()` accepts a sequential history that follows the model', (t) => {
  t.is(check([w(1, 0, 1), r(1, 2, 3), w(2, 4, 5), r(2, 6, 7)]), 'ok');
  t.is(check([r(null, 0, 1)]), 'ok');
  t.is(check([]), 'ok');
});

test('`checkLinearizable()` rejects a stale read after a completed write', (t) => {
  t.is(check([w(1, 0, 1), w(2, 2, 3), r(1, 4, 5)]), 'illegal');
  t.is(check([w(1, 0, 1), r(null, 2, 3)]), 'illegal');
});

test('`checkLinearizable()` lets a write take effect anywhere within its interval', (t) => {
  t.is(check([w(1, 0, 10), r(null, 1, 2), r(1, 3, 4)]), 'ok');
  t.is(check([w(1, 0, 10), w(2, 0, 10), r(2, 11, 12), r(2, 13, 14)]), 'ok');
});

test('`checkLinearizable()` rejects reads that go back in time (Porcupine register example)', (t) => {
  // c1 sees the write by t=30; c2 starts after that and must see it too.
  t.is(check([w(200, 0, 100), r(200, 10, 30), r(null, 40, 90)]), 'illegal');
  t.is(check([w(100, 0, 100), r(100, 25, 75), r(null, 30, 60)]), 'ok', 'overlapping reads may disagree');
});

test('`checkLinearizable()` checks compare-and-set outcomes', (t) => {
  t.is(check([cas(null, 1, true, 0, 1), cas(null, 2, true, 2, 3)]), 'illegal', 'the second must fail');
  t.is(check([cas(null, 1, true, 0, 1), cas(null, 2, false, 2, 3), r(1, 4, 5)]), 'ok');
  t.is(check([w(5, 0, 1), cas(5, 6, false, 2, 3)]), 'illegal', 'the value matched, so it must succeed');
  t.is(check([cas(null, 1, true, 0, 10), cas(null, 2, true, 0, 10), r(2, 11, 12)]), 'illegal');
  t.is(check([cas(null, 1, true, 0, 10), cas(1, 2, true, 0, 10), r(2, 11, 12)]), 'ok');
});

test('`checkLinearizable()` treats an operation without a response as maybe applied, at any later time', (t) => {
  const pending = () => op({ kind: 'write', key: 'x', value: 1 }, undefined, 0, Infinity);
  t.is(check([pending(), r(null, 5, 6)]), 'ok', 'not applied (yet)');
  t.is(check([pending(), r(null, 5, 6), r(1, 7, 8)]), 'ok', 'applied late');
  t.is(check([pending(), r(1, 5, 6), r(null, 7, 8)]), 'illegal', 'once seen it cannot vanish');
  t.is(check([cas(null, 7, undefined, 0, Infinity), r(7, 3, 4)]), 'ok');
});

test('`checkLinearizable()` partitions by key and reports the failing key', (t) => {
  const report = checkLinearizable(kvModel, [
    w(1, 0, 1, 'x'),
    r(1, 2, 3, 'x'),
    w(1, 0, 1, 'y'),
    r(2, 2, 3, 'y'),
  ]);
  t.is(report.result, 'illegal');
  t.is(report.failedPartition?.[0]?.input.key, 'y');
  t.true((report.longestPrefix?.length ?? 99) < 2);
});

test('`checkLinearizable()` memoizes states so that wide concurrency stays cheap', (t) => {
  const history: KvOperation[] = [];
  for (let i = 0; i < 14; i++) history.push(w(i, 0, 100));
  history.push(r(13, 101, 102));
  const report = checkLinearizable(kvModel, history);
  t.is(report.result, 'ok');
  t.true(report.steps < 200_000, `${report.steps} steps`);
  const bad = [...history.slice(0, 14), r(99, 101, 102)];
  t.is(checkLinearizable(kvModel, bad).result, 'illegal');
});

test('`checkLinearizable()` answers unknown when the search budget runs out', (t) => {
  const history: KvOperation[] = [];
  for (let i = 0; i < 12; i++) history.push(w(i, 0, 100));
  history.push(r(99, 101, 102));
  t.is(checkLinearizable(kvModel, history, 50).result, 'unknown');
});
