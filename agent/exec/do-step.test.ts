import test from 'ava';
import { SwarmError } from '../../common/index.js';
import type { Task, TaskState } from '../../proto/index.js';
import { testTaskStatus } from '../../proto/testing/index.js';
import { doStep, type StepOptions } from './do-step.js';
import { ExecError } from './errors.js';
import { FakeController } from './testing/fake-controller.js';

function task(state: TaskState, desiredState: TaskState = 'RUNNING'): Task {
  return {
    id: 't1',
    meta: { version: 1, createdAt: 0, updatedAt: 0 },
    serviceId: 's1',
    slot: 1,
    nodeId: 'n1',
    spec: {} as Task['spec'],
    specVersion: 1,
    desiredState,
    status: testTaskStatus(state),
    serviceAnnotations: { name: 'web', labels: {} },
    schedulingMessage: '',
  };
}

function opts(signal = new AbortController().signal): StepOptions {
  return { now: () => 1000, signal };
}

/** Drives a task with doStep until nothing changes; returns the states it went through. */
async function drive(t: Task, c: FakeController, o = opts()): Promise<TaskState[]> {
  const seen: TaskState[] = [];
  for (;;) {
    const r = await doStep(t, c, o);
    if (!r.changed) return seen;
    t.status = r.status;
    seen.push(r.status.state);
  }
}

test('`doStep()` takes an assigned task through its whole life to COMPLETE', async (t) => {
  const c = new FakeController();
  const tk = task('ASSIGNED');
  const states = drive(tk, c);
  // The container runs until the test ends it.
  await new Promise((r) => setImmediate(r));
  c.exit({ exitCode: 0, signal: null, oomKilled: false });
  t.deepEqual(await states, ['ACCEPTED', 'PREPARING', 'READY', 'STARTING', 'RUNNING', 'COMPLETE']);
  t.deepEqual(c.calls, ['prepare', 'start', 'wait']);
  t.is(tk.status.timestamp, 1000);
  t.deepEqual(tk.status.container, {
    containerId: 'fake-container',
    pid: 4242,
    exitCode: 0,
    oomKilled: false,
  });
});

test('`doStep()` fails a task whose container exits non-zero, and says OOM when it was', async (t) => {
  const c = new FakeController();
  const tk = task('RUNNING');
  c.exit({ exitCode: 137, signal: 'SIGKILL', oomKilled: true });
  const r = await doStep(tk, c, opts());
  t.is(r.status.state, 'FAILED');
  t.is(r.status.err, 'task: the container was OOM-killed at its memory limit (exit code 137)');
  t.deepEqual(r.status.container, { containerId: '', pid: 0, exitCode: 137, oomKilled: true });
  c.exit({ exitCode: 3, signal: null, oomKilled: false });
  t.is((await doStep(task('RUNNING'), c, opts())).status.err, 'task: the container exited with code 3');
});

test('`doStep()` rejects a task that fails before starting and fails one that fails to start', async (t) => {
  const c = new FakeController();
  c.failures.set('prepare', new ExecError('image "nope" not found'));
  const r = await doStep(task('PREPARING'), c, opts());
  t.is(r.status.state, 'REJECTED');
  t.is(r.status.err, 'image "nope" not found');
  c.failures.set('start', new ExecError('no such executable'));
  t.is((await doStep(task('STARTING'), c, opts())).status.state, 'FAILED');
});

test('`doStep()` retries a step that failed with a temporary error', async (t) => {
  const c = new FakeController();
  const flaky = new SwarmError('ERR_X', 'registry unreachable', { temporary: true });
  c.failures.set('prepare', flaky);
  const r = await doStep(task('PREPARING'), c, opts());
  t.false(r.changed);
  t.is(r.retry, flaky);
  t.is((await doStep(task('PREPARING'), c, opts())).status.state, 'READY');
});

test('`doStep()` holds a prepared task at READY until the managers want it running', async (t) => {
  const c = new FakeController();
  t.false((await doStep(task('READY', 'READY'), c, opts())).changed);
  t.is((await doStep(task('READY', 'RUNNING'), c, opts())).status.state, 'STARTING');
});

test('`doStep()` shuts a task down when its desired state passes RUNNING, wherever it is', async (t) => {
  for (const state of ['ACCEPTED', 'READY', 'RUNNING'] as const) {
    const c = new FakeController();
    if (state === 'RUNNING') await c.start();
    const r = await doStep(task(state, 'SHUTDOWN'), c, opts());
    t.is(r.status.state, 'SHUTDOWN', state);
    t.is(c.calls.includes('shutdown'), state !== 'ACCEPTED', `shutdown called for ${state}`);
  }
});

test('`doStep()` leaves a finished task alone and stops waiting when aborted', async (t) => {
  const c = new FakeController();
  for (const s of ['COMPLETE', 'FAILED', 'SHUTDOWN', 'REJECTED'] as const)
    t.false((await doStep(task(s), c, opts())).changed);
  const abort = new AbortController();
  const waiting = doStep(task('RUNNING'), c, opts(abort.signal));
  abort.abort();
  const r = await waiting;
  t.false(r.changed);
  t.is(r.retry, null);
});
