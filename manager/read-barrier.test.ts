import test from 'ava';
import { FakeClock } from '../common/testing/index.js';
import { readBarrier } from './read-barrier.js';
import { NotLeaderError, ReplicationTimeoutError } from './replication/index.js';

const settle = () => new Promise((r) => setImmediate(r));

function asks() {
  const calls: { resolve(i: number): void; reject(e: unknown): void }[] = [];
  const readIndex = () => new Promise<number>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, readIndex };
}

test('a lost ask is asked again; the first answer wins', async (t) => {
  const clock = new FakeClock();
  const { calls, readIndex } = asks();
  const p = readBarrier(readIndex, clock, 1000, 5);
  t.is(calls.length, 1);
  clock.advance(1000);
  t.is(calls.length, 2);
  calls[1]?.resolve(7);
  await p;
  clock.advance(5000);
  t.is(calls.length, 2, 'no more asks once answered');
});

test('a refusal other than a timeout ends it at once; timeouts only when every ask timed out', async (t) => {
  const clock = new FakeClock();
  const a = asks();
  const p1 = readBarrier(a.readIndex, clock, 1000, 5);
  a.calls[0]?.reject(new NotLeaderError('read', null, null));
  await t.throwsAsync(p1, { instanceOf: NotLeaderError });
  const b = asks();
  const p2 = readBarrier(b.readIndex, clock, 1000, 2);
  clock.advance(1000);
  b.calls[0]?.reject(new ReplicationTimeoutError('read', 2000));
  await settle();
  b.calls[1]?.reject(new ReplicationTimeoutError('read', 2000));
  await t.throwsAsync(p2, { instanceOf: ReplicationTimeoutError });
  t.is(b.calls.length, 2);
});
