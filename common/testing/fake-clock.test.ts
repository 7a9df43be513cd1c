import test from 'ava';
import { FakeClock } from './fake-clock.js';

test('`FakeClock.advance()` fires due timers in order, including ones armed while firing', (t) => {
  const clock = new FakeClock(0);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b@20'), 20);
  clock.setTimeout(() => {
    fired.push('a@10');
    clock.setTimeout(() => fired.push('c@15'), 5);
  }, 10);
  const cancelled = clock.setTimeout(() => fired.push('never'), 12);
  cancelled.cancel();
  clock.advance(30);
  t.deepEqual(fired, ['a@10', 'c@15', 'b@20']);
  t.is(clock.now(), 30);
  t.is(clock.pendingTimers, 0);
});

test('`FakeClock.sleep()` resolves when time is advanced past it', async (t) => {
  const clock = new FakeClock(0);
  let done = false;
  const p = clock.sleep(100).then(() => {
    done = true;
  });
  clock.advance(99);
  await Promise.resolve();
  t.false(done);
  clock.advance(1);
  await p;
  t.true(done);
});
