import test from 'ava';
import type { RestartPolicy, Service, TaskState } from '../../proto/index.js';
import { Harness } from './testing/harness.js';

const SVC = 'svc00000000000000000000001';

function withPolicy(p: Partial<RestartPolicy>): (s: Service) => Service {
  return (s) => ({
    ...s,
    spec: { ...s.spec, task: { ...s.spec.task, restartPolicy: { ...s.spec.task.restartPolicy, ...p } } },
  });
}

/** One replica running on one node under `policy`. */
async function running(policy: Partial<RestartPolicy>): Promise<Harness> {
  const h = new Harness();
  await h.addNodes('node-a');
  await h.addService({ id: SVC, name: 'web', replicas: 1 }, withPolicy(policy));
  h.start();
  await h.converge();
  return h;
}

/** The slot's task ends in `state`; returns the task that holds the slot afterwards (or null). */
async function endSlot(h: Harness, state: TaskState, restarts?: number): Promise<string | null> {
  const current = h.inSlot(SVC, 1);
  await h.end(current.id, state, restarts);
  const next = h.wanted(SVC);
  return next[0]?.id ?? null;
}

for (const [condition, state, restarted] of [
  ['any', 'COMPLETE', true],
  ['any', 'FAILED', true],
  ['any', 'SHUTDOWN', true],
  ['on-failure', 'FAILED', true],
  ['on-failure', 'REJECTED', true],
  ['on-failure', 'COMPLETE', false],
  ['none', 'FAILED', false],
  ['none', 'COMPLETE', false],
] as const) {
  test(`restart condition ${condition}: a task that ends ${state} is ${restarted ? '' : 'not '}restarted`, async (t) => {
    const h = await running({ condition });
    const old = h.inSlot(SVC, 1);
    await h.end(old.id, state);
    const wanted = h.wanted(SVC);
    if (restarted) {
      t.is(h.task(old.id).desiredState, 'SHUTDOWN');
      t.is(wanted.length, 1);
      t.is(wanted[0]?.slot, 1);
      t.is(wanted[0]?.desiredState, 'RUNNING', 'the first restart of a slot is immediate');
      t.is(wanted[0]?.nodeId, '', 'a replicated task is rescheduled anywhere');
    } else {
      t.is(h.task(old.id).desiredState, 'COMPLETE', 'the slot is given up');
      t.deepEqual(wanted, []);
      // The given-up slot still counts: nothing refills it, even after a scale that keeps the count.
      await h.scale(SVC, 1);
      await h.converge();
      t.deepEqual(h.wanted(SVC), []);
      // A new spec gives it a fresh start.
      await h.updateService(SVC, withPolicy({ maxAttempts: 9 }));
      await h.converge();
      t.is(h.wanted(SVC).length, 1);
      t.is(h.task(old.id).desiredState, 'SHUTDOWN');
    }
    await h.stop();
  });
}

test('max attempts count the dead tasks and the in-place restarts of the slot', async (t) => {
  const h = await running({ maxAttempts: 3, delayMs: 0 });
  // The agent restarted the container twice in place before giving up: 3 attempts, one restart left.
  t.not(await endSlot(h, 'FAILED', 2), null);
  await h.converge();
  const last = h.inSlot(SVC, 1);
  t.is(await endSlot(h, 'FAILED', 0), null, '4 attempts exceed 3');
  t.is(h.task(last.id).desiredState, 'COMPLETE');
  await h.stop();
});

test('max attempts count only within the window', async (t) => {
  const h = await running({ maxAttempts: 1, windowMs: 10_000, delayMs: 0 });
  t.not(await endSlot(h, 'FAILED'), null, 'attempt 1 of 1');
  await h.converge();
  h.clock.advance(20_000);
  t.not(await endSlot(h, 'FAILED'), null, 'the first failure left the window');
  await h.converge();
  t.is(await endSlot(h, 'FAILED'), null, 'two failures within 10 s');
  await h.stop();
});

test('default backoff: immediate, then 100, 200, 400 ms; reset once a task ran for 10 s', async (t) => {
  const h = await running({});
  t.is(h.clock.pendingTimers, 0);
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    await endSlot(h, 'FAILED');
    const next = h.inSlot(SVC, 1);
    let waited = 0;
    while (h.task(next.id).desiredState === 'READY') {
      await h.converge();
      t.is(h.task(next.id).status.state, 'READY', 'prepared while it waits');
      h.clock.advance(50);
      waited += 50;
      await h.settled();
      if (waited > 20_000) return t.fail('never promoted');
    }
    delays.push(waited);
    await h.converge();
    t.is(h.task(next.id).status.state, 'RUNNING');
  }
  t.deepEqual(delays, [0, 100, 200, 400]);

  // This one runs for 10 s before it fails: the count resets.
  h.clock.advance(10_000);
  await endSlot(h, 'FAILED');
  t.is(h.inSlot(SVC, 1).desiredState, 'RUNNING');
  await h.converge();
  await endSlot(h, 'FAILED');
  t.is(h.inSlot(SVC, 1).desiredState, 'READY', 'then backs off again');
  await h.stop();
});

test('the backoff is capped at 10 s and covers tasks rejected before they ran', async (t) => {
  const h = await running({});
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    await endSlot(h, 'REJECTED');
    const next = h.inSlot(SVC, 1);
    let delay = 0;
    while (h.task(next.id).desiredState === 'READY') {
      h.clock.advance(100);
      delay += 100;
      await h.settled();
    }
    delays.push(delay);
    await h.cluster.schedule(); // assigned, never started: the next report rejects it
    await h.settled();
  }
  t.deepEqual(delays, [0, 100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
  await h.stop();
});

test('an explicit delay: the replacement waits desired READY, then is promoted to RUNNING', async (t) => {
  const h = await running({ delayMs: 5000 });
  await endSlot(h, 'FAILED');
  const next = h.inSlot(SVC, 1);
  t.is(next.desiredState, 'READY');
  await h.converge();
  t.is(h.task(next.id).status.state, 'READY');
  h.clock.advance(4999);
  await h.settled();
  t.is(h.task(next.id).desiredState, 'READY');
  h.clock.advance(1);
  await h.settled();
  t.is(h.task(next.id).desiredState, 'RUNNING');
  await h.converge();
  t.is(h.task(next.id).status.state, 'RUNNING');
  await h.stop();
});

test('an explicit delay of 0 still backs off a task that keeps being rejected before it runs', async (t) => {
  const h = await running({ delayMs: 0 });
  await endSlot(h, 'FAILED');
  t.is(h.inSlot(SVC, 1).desiredState, 'RUNNING', 'a task that ran restarts at once');
  await h.cluster.schedule();
  await h.settled();
  await endSlot(h, 'REJECTED');
  t.is(h.inSlot(SVC, 1).desiredState, 'READY', 'a task that never ran backs off');
  await h.stop();
});

test('a new leader finishes delayed restarts: promotes those due, arms timers for the others', async (t) => {
  const h = await running({ delayMs: 5000 });
  await endSlot(h, 'FAILED');
  const next = h.inSlot(SVC, 1);
  t.is(next.desiredState, 'READY');
  await h.stop();
  t.is(h.clock.pendingTimers, 0, 'the old leader cancelled its timers');

  h.clock.advance(3000);
  h.start(true);
  await h.settled();
  t.is(h.task(next.id).desiredState, 'READY');
  h.clock.advance(2000);
  await h.settled();
  t.is(h.task(next.id).desiredState, 'RUNNING');

  // A delay that passed entirely while no leader ran is promoted at start.
  await h.converge();
  await endSlot(h, 'FAILED');
  const third = h.inSlot(SVC, 1);
  t.is(third.desiredState, 'READY');
  await h.stop();
  h.clock.advance(6000);
  h.start(true);
  await h.settled();
  t.is(h.task(third.id).desiredState, 'RUNNING');
  t.is(h.wanted(SVC).length, 1, 'no duplicate');
  await h.stop();
});

test('max attempts beyond the task history still count: the supervisor remembers what the reaper deleted', async (t) => {
  const h = new Harness();
  await h.addCluster(1);
  await h.addNodes('node-a');
  await h.addService({ id: SVC, name: 'web', replicas: 1 }, withPolicy({ maxAttempts: 4, delayMs: 0 }));
  h.start();
  await h.converge();
  let restarts = 0;
  for (let i = 0; i < 10; i++) {
    if ((await endSlot(h, 'FAILED')) === null) break;
    restarts++;
    await h.converge();
  }
  t.is(restarts, 4);
  t.true(h.tasks(SVC).length <= 3, 'the reaper kept the history short meanwhile');
  await h.stop();
});
