import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { nullLogger } from '../../common/index.js';
import { FakeClock } from '../../common/testing/index.js';
import type { RestartPolicy, Task, TaskStatus } from '../../proto/index.js';
import {
  assignedTask,
  changes,
  completeSet,
  eventually,
  FakeExecutor,
  withDesired,
} from './testing/index.js';
import { Worker } from './worker.js';

interface Rig {
  dir: string;
  clock: FakeClock;
  executor: FakeExecutor;
  worker: Worker;
  reports: { taskId: string; status: TaskStatus }[];
  state(id: string): string | undefined;
  until(id: string, state: string): Promise<void>;
}

async function rig(
  t: { teardown(fn: () => Promise<void>): void },
  dir?: string,
  clock = new FakeClock(),
): Promise<Rig> {
  const stateDir = dir ?? (await mkdtemp(join(tmpdir(), 'swarmd-worker-')));
  const executor = new FakeExecutor();
  const reports: Rig['reports'] = [];
  const worker = new Worker({
    stateDir,
    executor,
    clock,
    logger: nullLogger,
    report: (taskId, status) => reports.push({ taskId, status }),
  });
  t.teardown(async () => {
    await worker.stop();
    if (dir === undefined) await rm(stateDir, { recursive: true, force: true });
  });
  const state = (id: string): string | undefined => worker.task(id)?.status.state;
  return {
    dir: stateDir,
    clock,
    executor,
    worker,
    reports,
    state,
    // A RUNNING task is settled once its step waits on the container.
    until: (id, s) =>
      eventually(
        `task ${id} ${s}`,
        () => state(id) === s && (s !== 'RUNNING' || executor.latest(id).calls.at(-1) === 'wait'),
      ),
  };
}

test('a COMPLETE set starts every task; each status is persisted (0600) and reported', async (t) => {
  const r = await rig(t);
  await r.worker.load();
  const a = assignedTask();
  const b = assignedTask();
  t.is(await r.worker.apply(completeSet(1, [a, b])), 'applied');
  await r.until(a.id, 'RUNNING');
  await r.until(b.id, 'RUNNING');
  t.deepEqual(
    r.reports.filter((x) => x.taskId === a.id).map((x) => x.status.state),
    ['ACCEPTED', 'PREPARING', 'READY', 'STARTING', 'RUNNING'],
  );
  t.deepEqual(r.executor.calls(a.id), ['prepare', 'start', 'wait']);
  const file = join(r.dir, 'tasks', `${a.id}.json`);
  t.is((await stat(file)).mode & 0o777, 0o600);
  await eventually('the record says RUNNING', async () => {
    const rec = JSON.parse(await readFile(file, 'utf8')) as { v: number; task: Task };
    return rec.v === 1 && rec.task.status.state === 'RUNNING';
  });
  t.deepEqual((await readdir(join(r.dir, 'tasks'))).sort(), [`${a.id}.json`, `${b.id}.json`].sort());
});

test('INCREMENTAL changes add and remove tasks; a gap asks for a new stream and changes nothing', async (t) => {
  const r = await rig(t);
  await r.worker.load();
  const a = assignedTask();
  const b = assignedTask();
  await r.worker.apply(completeSet(7, [a]));
  await r.until(a.id, 'RUNNING');
  t.is(await r.worker.apply(changes(7, [b], [a.id])), 'applied');
  await r.until(b.id, 'RUNNING');
  await r.worker.settled();
  t.is(r.worker.task(a.id), undefined);
  t.deepEqual(r.executor.calls(a.id), ['prepare', 'start', 'wait', 'shutdown', 'remove']);
  t.deepEqual(await readdir(join(r.dir, 'tasks')), [`${b.id}.json`]);
  // 9 does not follow 8.
  const c = assignedTask();
  t.is(await r.worker.apply(changes(9, [c])), 'resync');
  t.is(r.worker.task(c.id), undefined);
  // A fresh stream's COMPLETE set is always taken.
  r.worker.resetSequence();
  t.is(await r.worker.apply(changes(8, [c])), 'resync');
  t.is(await r.worker.apply(completeSet(20, [b, c])), 'applied');
  await r.until(c.id, 'RUNNING');
});

test('a changed desired state aborts the running wait and shuts the container down', async (t) => {
  const r = await rig(t);
  await r.worker.load();
  const a = assignedTask();
  await r.worker.apply(completeSet(1, [a]));
  await r.until(a.id, 'RUNNING');
  await r.worker.apply(changes(1, [withDesired(a, 'SHUTDOWN')]));
  await r.until(a.id, 'SHUTDOWN');
  t.deepEqual(r.executor.calls(a.id), ['prepare', 'start', 'wait', 'shutdown']);
  await eventually('SHUTDOWN reported', () => r.reports.at(-1)?.status.state === 'SHUTDOWN');
  // Still assigned (the managers remove it later): not removed yet.
  t.false(r.executor.calls(a.id).includes('remove'));
});

test('a task held at READY starts when its desired state becomes RUNNING', async (t) => {
  const r = await rig(t);
  await r.worker.load();
  const a = assignedTask({ desiredState: 'READY' });
  await r.worker.apply(completeSet(1, [a]));
  await r.until(a.id, 'READY');
  t.deepEqual(r.executor.calls(a.id), ['prepare']);
  await r.worker.apply(changes(1, [withDesired(a, 'RUNNING')]));
  await r.until(a.id, 'RUNNING');
});

test('a task missing from the next COMPLETE set is shut down, removed and forgotten', async (t) => {
  const r = await rig(t);
  await r.worker.load();
  const a = assignedTask();
  const b = assignedTask();
  await r.worker.apply(completeSet(1, [a, b]));
  await r.until(a.id, 'RUNNING');
  await r.until(b.id, 'RUNNING');
  await r.worker.apply(completeSet(5, [b]));
  await r.worker.settled();
  t.deepEqual(r.executor.calls(a.id).slice(-2), ['shutdown', 'remove']);
  t.deepEqual(
    r.worker.tasks().map((x) => x.id),
    [b.id],
  );
  t.deepEqual(await readdir(join(r.dir, 'tasks')), [`${b.id}.json`]);
});

test('a restarted worker reloads its tasks and re-adopts running containers without restarting them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-worker-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = await rig(t, dir);
  await first.worker.load();
  const a = assignedTask();
  const gone = assignedTask();
  await first.worker.apply(completeSet(1, [a, gone]));
  await first.until(a.id, 'RUNNING');
  await first.until(gone.id, 'RUNNING');
  await first.worker.stop();
  t.false(first.executor.calls(a.id).some((c) => c === 'shutdown' || c === 'terminate' || c === 'remove'));
  // A junk file does not stop the others from loading.
  await writeFile(join(dir, 'tasks', 'junk.json'), '{"v": 2}');

  const second = await rig(t, dir);
  await second.worker.load();
  t.deepEqual(
    second.worker
      .tasks()
      .map((x) => x.id)
      .sort(),
    [a.id, gone.id].sort(),
  );
  await eventually('the re-adopted task waits on its container', () =>
    second.executor.calls(a.id).includes('wait'),
  );
  t.is(second.state(a.id), 'RUNNING');
  t.deepEqual(second.executor.calls(a.id), ['wait']);
  t.deepEqual(second.reports, []);
  // The first COMPLETE set decides: `a` stays (untouched), `gone` is removed.
  await second.worker.apply(completeSet(1, [a]));
  await second.worker.settled();
  t.deepEqual(second.executor.calls(a.id), ['wait']);
  t.deepEqual(second.executor.calls(gone.id), ['wait', 'shutdown', 'remove']);
  t.deepEqual(await readdir(join(dir, 'tasks')), [`${a.id}.json`, 'junk.json'].sort());
});

// ------------------------------------------------------------------ restart in place

async function runningTask(r: Rig, policy: Partial<RestartPolicy>): Promise<Task> {
  await r.worker.load();
  const a = assignedTask({}, policy);
  await r.worker.apply(completeSet(1, [a]));
  await r.until(a.id, 'RUNNING');
  return a;
}

function crash(r: Rig, id: string, exitCode = 137, oomKilled = false): void {
  r.executor.latest(id).exit({ exitCode, signal: exitCode === 137 ? 'SIGKILL' : null, oomKilled });
}

async function restarts(r: Rig, id: string, n: number): Promise<void> {
  await eventually(
    `restart ${n} of ${id}`,
    () => (r.worker.task(id)?.status.restarts ?? 0) >= n && r.executor.latest(id).calls.includes('wait'),
  );
}

test('a crash is restarted in place: still RUNNING, restarts + 1, a new container, a message', async (t) => {
  const r = await rig(t);
  const a = await runningTask(r, { condition: 'any' });
  crash(r, a.id);
  await restarts(r, a.id, 1);
  const task = r.worker.task(a.id) as Task;
  t.is(task.status.state, 'RUNNING');
  t.is(task.status.restarts, 1);
  t.is(task.status.message, 'restarted in place after exit code 137 (restart 1)');
  t.is(task.status.container?.pid, 4242);
  t.deepEqual(r.executor.controllers.get(a.id)?.[0]?.calls, ['prepare', 'start', 'wait', 'remove']);
  t.deepEqual(r.executor.latest(a.id).calls, ['prepare', 'start', 'wait']);
  await eventually('restart reported', () => r.reports.at(-1)?.status.restarts === 1);
  t.false(r.reports.some((x) => x.status.state === 'FAILED'));
});

test('restart conditions: on-failure restarts a failure or an OOM kill, not a clean exit; none never', async (t) => {
  const r = await rig(t);
  const onFailure = await runningTask(r, { condition: 'on-failure' });
  crash(r, onFailure.id, 1);
  await restarts(r, onFailure.id, 1);
  crash(r, onFailure.id, 0, true);
  await eventually('the restart timer', () => r.clock.pendingTimers === 1);
  r.clock.advance(100);
  await restarts(r, onFailure.id, 2);
  t.regex(
    r.worker.task(onFailure.id)?.status.message ?? '',
    /after an OOM kill \(exit code 0\) \(restart 2\)/,
  );
  crash(r, onFailure.id, 0);
  await r.until(onFailure.id, 'COMPLETE');
  t.is(r.worker.task(onFailure.id)?.status.restarts, 2);

  const r2 = await rig(t);
  const none = await runningTask(r2, { condition: 'none' });
  crash(r2, none.id, 137);
  await r2.until(none.id, 'FAILED');
  t.is(r2.worker.task(none.id)?.status.err, 'task: the container was killed by SIGKILL (exit code 137)');

  const r3 = await rig(t);
  const any = await runningTask(r3, { condition: 'any' });
  crash(r3, any.id, 0);
  await restarts(r3, any.id, 1);
  t.is(r3.worker.task(any.id)?.status.message, 'restarted in place after exit code 0 (restart 1)');
});

test('maxAttempts counts in-place restarts within the window; then the end is reported', async (t) => {
  const r = await rig(t);
  const a = await runningTask(r, { condition: 'any', maxAttempts: 2, windowMs: 0, delayMs: 0 });
  crash(r, a.id);
  await restarts(r, a.id, 1);
  crash(r, a.id);
  await restarts(r, a.id, 2);
  crash(r, a.id);
  await r.until(a.id, 'FAILED');
  t.is(r.worker.task(a.id)?.status.restarts, 2);

  const w = await rig(t);
  const b = await runningTask(w, { condition: 'any', maxAttempts: 1, windowMs: 1000, delayMs: 0 });
  crash(w, b.id);
  await restarts(w, b.id, 1);
  // The first restart left the window: one more is allowed.
  w.clock.advance(1000);
  crash(w, b.id);
  await restarts(w, b.id, 2);
  crash(w, b.id);
  await w.until(b.id, 'FAILED');
});

/** Crashes the task and checks that the restart waits exactly `delay` ms of the fake clock. */
async function crashAndExpectDelay(
  t: { is(a: unknown, b: unknown, m?: string): void },
  r: Rig,
  id: string,
  delay: number,
): Promise<void> {
  const before = r.worker.task(id)?.status.restarts ?? 0;
  crash(r, id);
  if (delay > 0) {
    await eventually('the restart timer', () => r.clock.pendingTimers === 1);
    r.clock.advance(delay - 1);
    t.is(r.clock.pendingTimers, 1, `not restarted before ${delay} ms`);
    t.is(r.worker.task(id)?.status.restarts, before);
    r.clock.advance(1);
  }
  await restarts(r, id, before + 1);
}

test('default restart delay: immediate, then 100 ms doubling to 10 s; reset once it ran 10 s', async (t) => {
  const r = await rig(t);
  const a = await runningTask(r, { condition: 'any', delayMs: null });
  for (const d of [0, 100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000])
    await crashAndExpectDelay(t, r, a.id, d);
  r.clock.advance(10_000);
  await crashAndExpectDelay(t, r, a.id, 0);
  await crashAndExpectDelay(t, r, a.id, 100);
});

test('an explicit restart delay replaces the default sequence; a desired-state change cancels it', async (t) => {
  const r = await rig(t);
  const a = await runningTask(r, { condition: 'any', delayMs: 500 });
  await crashAndExpectDelay(t, r, a.id, 500);
  await crashAndExpectDelay(t, r, a.id, 500);
  crash(r, a.id);
  await eventually('the restart timer', () => r.clock.pendingTimers === 1);
  await r.worker.apply(changes(1, [withDesired(a, 'SHUTDOWN')]));
  await r.until(a.id, 'SHUTDOWN');
  t.is(r.worker.task(a.id)?.status.restarts, 2);
});

test('a restarted worker restarts a container that ended while it was away, and keeps counting', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-worker-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = await rig(t, dir);
  const a = await runningTask(first, { condition: 'any', maxAttempts: 2, delayMs: 0 });
  crash(first, a.id);
  await restarts(first, a.id, 1);
  await first.worker.stop();
  const second = await rig(t, dir);
  await second.worker.load();
  await eventually('the re-adopted wait', () => second.executor.calls(a.id).includes('wait'));
  t.deepEqual(second.executor.calls(a.id), ['wait']);
  crash(second, a.id);
  await restarts(second, a.id, 2);
  crash(second, a.id);
  await second.until(a.id, 'FAILED');
});
