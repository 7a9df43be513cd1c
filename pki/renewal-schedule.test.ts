import test from 'ava';
import { SeededRand } from '../common/index.js';
import { FakeClock } from '../common/testing/index.js';
import { nextRenewalTime, RenewalSchedule, type Validity } from './index.js';

const DAY = 24 * 3600 * 1000;

test('nextRenewalTime is between 50 % and 80 % of the lifetime, and spread out (several seeds)', (t) => {
  const v: Validity = { notBefore: 1_000_000, notAfter: 1_000_000 + 90 * DAY };
  for (const seed of [1, 2, 3, 42, 1234]) {
    const rand = new SeededRand(seed);
    const fractions = Array.from(
      { length: 500 },
      () => (nextRenewalTime(v, rand) - v.notBefore) / (90 * DAY),
    );
    t.true(
      fractions.every((f) => f >= 0.5 && f < 0.8),
      `seed ${seed}`,
    );
    // Spread: both halves of the window are used.
    t.true(fractions.some((f) => f < 0.6) && fractions.some((f) => f > 0.7), `seed ${seed}`);
  }
});

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

test('RenewalSchedule renews at the chosen time, then reschedules for the new certificate', async (t) => {
  const clock = new FakeClock(0);
  // Node's timers wait at most 2^31 - 1 ms (a longer delay fires at once): renewals weeks away must not
  // be armed as one timer.
  const delays: number[] = [];
  const arm = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => {
    delays.push(ms);
    return arm(fn, ms);
  };
  const renewals: number[] = [];
  let cert: Validity = { notBefore: 0, notAfter: 100 * DAY };
  const schedule = new RenewalSchedule({
    clock,
    rand: new SeededRand(7),
    renew: async () => {
      renewals.push(clock.now());
      cert = { notBefore: clock.now(), notAfter: clock.now() + 100 * DAY };
      return cert;
    },
  });
  schedule.start(cert);
  const first = schedule.nextAt ?? -1;
  t.true(first >= 50 * DAY && first < 80 * DAY);
  clock.advance(first - 1);
  await flush();
  t.deepEqual(renewals, []);
  clock.advance(1);
  await flush();
  t.deepEqual(renewals, [first]);
  const second = schedule.nextAt ?? -1;
  t.true(second >= first + 50 * DAY && second < first + 80 * DAY);
  t.true(Math.max(...delays) <= 2 ** 31 - 1, `longest timer ${Math.max(...delays)} ms`);
  await schedule.stop();
  await schedule.stop();
  t.is(schedule.nextAt, null);
  t.is(clock.pendingTimers, 0);
});

test('RenewalSchedule retries a failed renewal with a doubling backoff, capped', async (t) => {
  const clock = new FakeClock(0);
  let attempts = 0;
  const schedule = new RenewalSchedule({
    clock,
    rand: new SeededRand(3),
    minRetryMs: 1000,
    maxRetryMs: 4000,
    renew: async () => {
      attempts++;
      if (attempts <= 4) throw new Error('manager unreachable');
      return { notBefore: clock.now(), notAfter: clock.now() + DAY };
    },
  });
  schedule.start({ notBefore: 0, notAfter: 10_000 });
  clock.advance(schedule.nextAt ?? 0);
  await flush();
  t.is(attempts, 1);
  const delays: number[] = [];
  for (let i = 0; i < 3; i++) {
    const at = schedule.nextAt ?? -1;
    delays.push(at - clock.now());
    clock.advance(at - clock.now());
    await flush();
  }
  t.deepEqual(delays, [1000, 2000, 4000]);
  t.is(schedule.failures, 4);
  t.is((schedule.nextAt ?? 0) - clock.now(), 4000, 'capped at maxRetryMs');
  clock.advance(4000);
  await flush();
  t.is(attempts, 5);
  t.is(schedule.failures, 0);
  const next = (schedule.nextAt ?? 0) - clock.now();
  t.true(next >= 0.5 * DAY && next < 0.8 * DAY);
  await schedule.stop();
});

test('renewNow renews at once (a role change)', async (t) => {
  const clock = new FakeClock(0);
  let attempts = 0;
  const schedule = new RenewalSchedule({
    clock,
    rand: new SeededRand(9),
    renew: async () => {
      attempts++;
      return { notBefore: clock.now(), notAfter: clock.now() + DAY };
    },
  });
  schedule.start({ notBefore: 0, notAfter: DAY });
  schedule.renewNow();
  t.is(schedule.nextAt, 0);
  clock.advance(0);
  await flush();
  t.is(attempts, 1);
  await schedule.stop();
  schedule.renewNow();
  t.is(schedule.nextAt, null);
});
