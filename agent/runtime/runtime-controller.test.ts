// The runtime executor for real: tasks driven by doStep through swarm-runtime on this kernel.
import test from 'ava';
import type { Task, TaskSpec, TaskState } from '../../proto/index.js';
import { testTaskSpec, testTaskStatus } from '../../proto/testing/index.js';
import { TestHost } from '../../runtime-native/ts/testing/index.js';
import { doStep } from '../exec/index.js';
import { RuntimeExecutor } from './runtime-executor.js';

let host: TestHost;
let executor: RuntimeExecutor;
test.before(async () => {
  host = await TestHost.create();
  executor = new RuntimeExecutor({ containers: host.containers, hostname: 'agent-1' });
});
test.after.always(async () => {
  await host?.cleanup();
});

let n = 0;
function task(
  command: string[],
  overrides: Partial<TaskSpec['container']> = {},
  limits: Partial<TaskSpec['resources']['limits']> = {},
): Task {
  const base = testTaskSpec(host.rootfs);
  const spec: TaskSpec = {
    ...base,
    container: { ...base.container, command, stopSignal: 'SIGTERM', ...overrides },
    resources: { ...base.resources, limits: { ...base.resources.limits, ...limits } },
  };
  return {
    id: `task${++n}${Math.random().toString(36).slice(2, 8)}`,
    meta: { version: 1, createdAt: 0, updatedAt: 0 },
    serviceId: 'svc',
    slot: n,
    nodeId: 'node',
    spec,
    specVersion: 1,
    desiredState: 'RUNNING',
    status: testTaskStatus('ASSIGNED'),
    serviceAnnotations: { name: 'svc', labels: {} },
    schedulingMessage: '',
  };
}

/** Steps the task until it stops moving (or reaches `until`); returns the states seen. */
async function drive(t: Task, until?: TaskState): Promise<TaskState[]> {
  const controller = executor.controller(t);
  const seen: TaskState[] = [];
  const signal = new AbortController().signal;
  for (;;) {
    const r = await doStep(t, controller, { now: Date.now, signal });
    if (r.retry) throw r.retry;
    if (!r.changed) return seen;
    t.status = r.status;
    seen.push(r.status.state);
    if (r.status.state === until) return seen;
  }
}

test('a task runs to COMPLETE in a real container and is removed', async (t) => {
  const tk = task(['/bin/sh', '-c', 'echo "$GREETING from $(hostname)"'], {
    env: ['GREETING=hello'],
    hostname: 'web-1',
  });
  t.deepEqual(await drive(tk), ['ACCEPTED', 'PREPARING', 'READY', 'STARTING', 'RUNNING', 'COMPLETE']);
  const logs = await host.containers.logs(tk.id);
  t.deepEqual(
    logs.map((l) => l.log),
    ['hello from web-1\n'],
  );
  t.is(tk.status.container?.exitCode, 0);
  // (Its pid is 0 when it had already ended by the time it was inspected after start.)
  t.is(tk.status.container?.containerId, tk.id);
  await executor.controller(tk).remove();
  t.is(await executor.controller(tk).inspect(), null);
});

test('a failing container fails the task with its exit code; an OOM kill says so', async (t) => {
  const failing = task(['/bin/sh', '-c', 'exit 3']);
  t.is((await drive(failing)).at(-1), 'FAILED');
  t.is(failing.status.err, 'task: the container exited with code 3');
  const hog = task(['rn-probe', 'hog', '256'], {}, { memoryBytes: 32 * 1024 * 1024 });
  await drive(hog);
  t.is(hog.status.state, 'FAILED');
  t.true(hog.status.container?.oomKilled);
  t.regex(hog.status.err, /OOM-killed/);
  await executor.controller(failing).remove();
  await executor.controller(hog).remove();
});

test('a task that cannot run is rejected with the reason, and leaves nothing', async (t) => {
  const bad = task(['true'], { image: 'registry.example/app:1' });
  t.deepEqual(await drive(bad), ['ACCEPTED', 'PREPARING', 'REJECTED']);
  t.regex(bad.status.err, /image "registry.example\/app:1" cannot be run/);
  const missing = task(['no-such-program']);
  await drive(missing);
  t.is(missing.status.state, 'REJECTED');
  t.regex(missing.status.err, /executable file `no-such-program` not found/);
  t.is(await executor.controller(missing).inspect(), null);
});

test('a running task is shut down when its desired state passes RUNNING', async (t) => {
  const tk = task(['/bin/sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done']);
  await drive(tk, 'RUNNING');
  tk.desiredState = 'SHUTDOWN';
  t.deepEqual(await drive(tk), ['SHUTDOWN']);
  const state = await host.runtime.state(tk.id);
  t.is(state.status, 'stopped');
  await executor.controller(tk).remove();
});

test('prepare and start are idempotent, as a restarted agent needs', async (t) => {
  const tk = task(['sleep', '600']);
  await drive(tk, 'RUNNING');
  const again = executor.controller(tk);
  await again.prepare();
  await again.start();
  t.is((await host.runtime.state(tk.id)).status, 'running');
  await again.terminate();
  const exit = await again.wait(new AbortController().signal);
  t.is(exit.signal, 'SIGKILL');
  await again.remove();
});

test('`describe()` reports the node', async (t) => {
  const d = await executor.describe();
  t.is(d.hostname, 'agent-1');
  t.is(d.platform.os, 'linux');
  t.true(d.resources.nanoCpus >= 1e9);
  t.true(d.resources.memoryBytes > 0);
});
