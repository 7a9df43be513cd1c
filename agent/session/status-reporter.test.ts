import test from 'ava';
import { nullLogger, SeededRand } from '../../common/index.js';
import { FakeClock } from '../../common/testing/index.js';
import type { TaskState, TaskStatus } from '../../proto/index.js';
import { StatusReporter, type TaskStatusReport } from './status-reporter.js';

function status(state: TaskState, restarts = 0): TaskStatus {
  return { state, timestamp: 0, message: '', err: '', container: null, portStatus: [], restarts };
}

interface Call {
  reports: TaskStatusReport[];
  resolve(): void;
  reject(err: Error): void;
}

function rig(maxBatch?: number): { clock: FakeClock; calls: Call[]; reporter: StatusReporter } {
  const clock = new FakeClock();
  const calls: Call[] = [];
  const reporter = new StatusReporter({
    send: (reports) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ reports, resolve, reject });
      }),
    clock,
    rand: new SeededRand(3),
    logger: nullLogger,
    ...(maxBatch === undefined ? {} : { maxBatch }),
  });
  return { clock, calls, reporter };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('an idle reporter sends at once; what piles up meanwhile is coalesced per task, latest wins', async (t) => {
  const { calls, reporter } = rig();
  reporter.report('a', status('FAILED'));
  await tick();
  t.is(calls.length, 1);
  t.deepEqual(
    calls[0]?.reports.map((r) => r.status.state),
    ['FAILED'],
  );
  reporter.report('b', status('ACCEPTED'));
  reporter.report('b', status('PREPARING'));
  reporter.report('c', status('RUNNING'));
  reporter.report('b', status('READY'));
  await tick();
  t.is(calls.length, 1, 'one call at a time');
  calls[0]?.resolve();
  await tick();
  t.is(calls.length, 2);
  t.deepEqual(
    calls[1]?.reports.map((r) => `${r.taskId}:${r.status.state}`),
    ['c:RUNNING', 'b:READY'],
  );
  calls[1]?.resolve();
  await reporter.idle();
  t.is(reporter.pending, 0);
});

test('a failed batch is retried after a backoff on the clock; a newer status replaces the failed one', async (t) => {
  const { clock, calls, reporter } = rig();
  reporter.report('a', status('RUNNING'));
  reporter.report('b', status('RUNNING'));
  await tick();
  reporter.report('a', status('RUNNING', 1));
  calls[0]?.reject(new Error('no session'));
  await tick();
  t.is(calls.length, 1);
  t.is(clock.pendingTimers, 1);
  t.is(reporter.pending, 2);
  clock.advance(100);
  await tick();
  t.is(calls.length, 2);
  t.deepEqual(
    calls[1]?.reports.map((r) => `${r.taskId}:${r.status.restarts}`),
    ['b:0', 'a:1'],
  );
  // A second failure waits longer; kick() (a new session) retries at once.
  calls[1]?.reject(new Error('no session'));
  await tick();
  clock.advance(99);
  await tick();
  t.is(calls.length, 2);
  reporter.kick();
  await tick();
  t.is(calls.length, 3);
  t.is(clock.pendingTimers, 0);
  calls[2]?.resolve();
  await reporter.idle();
});

test('batches hold at most maxBatch statuses', async (t) => {
  const { calls, reporter } = rig(2);
  for (const id of ['a', 'b', 'c', 'd', 'e']) reporter.report(id, status('RUNNING'));
  await tick();
  for (let i = 0; i < 3; i++) {
    calls[i]?.resolve();
    await tick();
  }
  t.deepEqual(
    calls.map((c) => c.reports.map((r) => r.taskId).join('')),
    ['ab', 'cd', 'e'],
  );
});
