// The agent for real: a dispatcher (fake, on a Unix socket) assigns a task that runs as a real container
// through agent/runtime; run as root.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { Registry } from 'prom-client';
import { nullLogger, SeededRand } from '../common/index.js';
import { FakeClock } from '../common/testing/index.js';
import type { Task } from '../proto/index.js';
import { Agent } from './agent.js';
import { RuntimeExecutor } from './runtime/index.js';
import { TestHost } from './runtime/testing/index.js';
import { eventually, FakeDispatcher } from './session/testing/index.js';
import { assignedTask } from './worker/testing/index.js';

let host: TestHost;
let dispatcher: FakeDispatcher;
let clock: FakeClock;
test.before(async () => {
  host = await TestHost.create();
  clock = new FakeClock();
  dispatcher = await FakeDispatcher.start({ socketPath: join(host.dir, 'd.sock'), clock });
});
test.after.always(async () => {
  await dispatcher?.stop();
  await host?.cleanup();
});

function agent(stateDir: string, registry?: Registry): Agent {
  return new Agent({
    stateDir,
    ...(registry === undefined ? {} : { registry }),
    managers: [dispatcher.address],
    credentials: grpc.credentials.createInsecure(),
    metadata: () => {
      const md = new grpc.Metadata();
      md.set('x-swarmd-test-node-id', 'node-1');
      return md;
    },
    executor: new RuntimeExecutor({ containers: host.containers, hostname: 'agent-1' }),
    clock,
    logger: nullLogger,
    rand: new SeededRand(11),
  });
}

function assign(task: Task): void {
  dispatcher.assigned = [
    { action: 'UPDATE', kind: 'task', id: task.id, object: Buffer.from(JSON.stringify(task)) },
  ];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a killed container is restarted in place; a second agent re-adopts it without restarting it', async (t) => {
  const stateDir = join(host.dir, 'agent');
  const task = assignedTask({}, { condition: 'any', delayMs: null });
  task.spec.container.image = host.rootfs;
  task.spec.container.command = ['sleep', '600'];
  assign(task);

  const registry = new Registry();
  const first = agent(stateDir, registry);
  t.teardown(() => first.stop());
  void first.run();
  const info = () => first.status().tasks.find((x) => x.id === task.id);
  await eventually('the task RUNNING', () => info()?.state === 'RUNNING' && (info()?.pid ?? 0) > 0, {
    timeoutMs: 30_000,
  });
  const pid1 = info()?.pid ?? 0;
  t.is((await host.runtime.state(task.id)).pid, pid1);

  process.kill(pid1, 'SIGKILL');
  await eventually('the restart in place', () => info()?.restarts === 1 && (info()?.pid ?? 0) > 0, {
    timeoutMs: 30_000,
  });
  const pid2 = info()?.pid ?? 0;
  t.not(pid2, pid1);
  t.is(info()?.state, 'RUNNING');
  const state = await host.runtime.state(task.id);
  t.is(state.status, 'running');
  t.is(state.pid, pid2);
  await eventually('the restart reported', () =>
    dispatcher.statusUpdates
      .flat()
      .some((u) => u.taskId === task.id && u.restarts === '1' && u.state === 'RUNNING'),
  );
  const reported = dispatcher.statusUpdates.flat().find((u) => u.restarts === '1');
  t.is(reported?.message, 'restarted in place after exit code 137 (restart 1)');
  t.false(dispatcher.statusUpdates.flat().some((u) => u.state === 'FAILED'));

  // The metrics saw the crash and the restart, and read the new container's cgroup.
  const service = task.serviceAnnotations.name;
  const lines = (await registry.metrics()).split('\n');
  t.true(lines.includes(`swarmd_agent_container_exits_total{service="${service}"} 1`), lines.join('\n'));
  t.true(lines.includes(`swarmd_agent_container_restarts_total{service="${service}"} 1`));
  t.false(lines.some((l) => l.startsWith('swarmd_agent_oom_kills_total{')));
  t.true(lines.includes('swarmd_agent_tasks{state="running"} 1'));
  const usage = (name: string): number =>
    Number(lines.find((l) => l.startsWith(`${name}{service="${service}",task="${task.id}"}`))?.split(' ')[1]);
  t.true(usage('swarmd_agent_container_pids') >= 1);
  t.true(usage('swarmd_agent_container_memory_bytes') > 0);
  t.true(usage('swarmd_agent_container_cpu_seconds_total') >= 0);

  // The agent stops; its container does not.
  await first.stop();
  t.true(isAlive(pid2));
  t.is((await host.runtime.state(task.id)).status, 'running');

  const second = agent(stateDir);
  t.teardown(() => second.stop());
  const streams = dispatcher.assignmentRequests.length;
  void second.run();
  await second.whenStarted();
  const again = () => second.status().tasks.find((x) => x.id === task.id);
  t.is(again()?.state, 'RUNNING');
  t.is(again()?.pid, pid2);
  await eventually(
    'the second agent’s session and its first set',
    () => dispatcher.assignmentRequests.length > streams,
    {
      timeoutMs: 10_000,
    },
  );
  // Re-adopted: the same process, no restart, no new status.
  const after = await host.runtime.state(task.id);
  t.is(after.pid, pid2);
  t.true(isAlive(pid2));
  t.is(again()?.restarts, 1);
  await second.stop();
  t.true(isAlive(pid2));
  await rm(stateDir, { recursive: true, force: true });
});
