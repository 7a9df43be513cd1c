// The agent's metrics from its sources: tasks by state, exits / OOM kills / restarts by service, and the
// usage of each running container (containers without a cgroup are left out).
import test from 'ava';
import { Registry } from 'prom-client';
import { AgentMetrics } from './metrics.js';
import { assignedTask } from './worker/testing/index.js';

test('counts exits, OOM kills and restarts by service, and reports running containers’ usage', async (t) => {
  const registry = new Registry();
  const metrics = new AgentMetrics(registry);
  const task = assignedTask({}, { condition: 'any', delayMs: null });
  const service = task.serviceAnnotations.name;
  const running = {
    id: 't1',
    serviceId: 's1',
    serviceName: 'web',
    desiredState: 'RUNNING' as const,
    restarts: 0,
    pid: 9,
  };
  metrics.bind({
    tasks: () => [
      { ...running, state: 'RUNNING' },
      { ...running, id: 't2', state: 'RUNNING' },
      { ...running, id: 't3', state: 'PREPARING', pid: 0 },
    ],
    usage: async (id) =>
      id === 't1'
        ? { cpuSeconds: 1.5, cpuThrottledSeconds: 0.25, memoryBytes: 4096, memoryLimitBytes: 65536, pids: 3 }
        : null,
  });
  metrics.events.containerEnded(task, { exitCode: 137, oomKilled: true });
  metrics.events.restartedInPlace(task);
  metrics.events.containerEnded(task, { exitCode: 1, oomKilled: false });
  const lines = (await registry.metrics()).split('\n');
  for (const line of [
    `swarmd_agent_container_exits_total{service="${service}"} 2`,
    `swarmd_agent_oom_kills_total{service="${service}"} 1`,
    `swarmd_agent_container_restarts_total{service="${service}"} 1`,
    'swarmd_agent_tasks{state="running"} 2',
    'swarmd_agent_tasks{state="preparing"} 1',
    'swarmd_agent_container_cpu_seconds_total{service="web",task="t1"} 1.5',
    'swarmd_agent_container_cpu_throttled_seconds_total{service="web",task="t1"} 0.25',
    'swarmd_agent_container_memory_bytes{service="web",task="t1"} 4096',
    'swarmd_agent_container_memory_limit_bytes{service="web",task="t1"} 65536',
    'swarmd_agent_container_pids{service="web",task="t1"} 3',
  ])
    t.true(lines.includes(line), `missing "${line}" in:\n${lines.join('\n')}`);
  // t2 has no cgroup (null usage): no series; t3 is not running: not read.
  t.false(lines.some((l) => l.includes('task="t2"') || l.includes('task="t3"')));
});
